package config

import (
	"errors"
	"strings"
	"testing"
)

// hostileConfigs are configurations built to cost time or memory: each must
// be refused with a positioned error. BenchmarkLoadHostile measures what
// refusing them costs (figures in doc/RELIABILITY.md, row H3).
func hostileConfigs() map[string]string {
	deepBlock := func(size int) string {
		var b strings.Builder
		for i := 0; b.Len() < size; i++ {
			b.WriteString(strings.Repeat(" ", i%400) + "k:\n")
		}
		return b.String()
	}
	var staircase strings.Builder
	for i := 0; staircase.Len() < 200<<10; i++ {
		staircase.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	var aliases strings.Builder
	aliases.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		p := "*a" + string(rune('0'+i-1))
		aliases.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(p+", ", 9) + p + "]\n")
	}
	return map[string]string{
		"200 KB staircase of nested mappings": staircase.String()[:200<<10],
		"200 KB saw-tooth nesting":            deepBlock(200 << 10),
		"200 KB of open brackets":             "rules: " + strings.Repeat("[", 200<<10) + "\n",
		"200 KB of nested flow mappings":      "rules: " + strings.Repeat("{a: ", 50<<10) + "\n",
		"200 KB of nested sequence dashes":    strings.Repeat("- ", 100<<10) + "x\n",
		"billion laughs (10^10 values)":       aliases.String(),
		"1 MiB and one byte":                  "version: 1\n#" + strings.Repeat("x", MaxFileSize) + "\n",
		"unclosed quote over 100,000 lines":   "version: \"" + strings.Repeat("x\n", 100_000),
		"50,000 unknown aliases":              strings.Repeat("- *nowhere\n", 50_000),
		"40,000 duplicate keys":               strings.Repeat("kkkkkkkkkk: 1\n", 40_000),
	}
}

func TestHostileConfigsAreRefused(t *testing.T) {
	for name, data := range hostileConfigs() {
		t.Run(name, func(t *testing.T) {
			c, err := LoadBytes("hostile.yaml", []byte(data))
			var errs Errors
			if !errors.As(err, &errs) || c != nil {
				t.Fatalf("LoadBytes = %v, %v; want Errors", c, err)
			}
			for _, e := range errs {
				if e.Line < 1 || e.Column < 1 || e.Message == "" {
					t.Errorf("error without a position or message: %+v", e)
				}
			}
			if len(errs) > 25 {
				t.Errorf("%d errors: a hostile file must not flood the output", len(errs))
			}
		})
	}
}

func BenchmarkLoadHostile(b *testing.B) {
	for name, data := range hostileConfigs() {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := LoadBytes("hostile.yaml", []byte(data)); err == nil {
					b.Fatal("loaded")
				}
			}
		})
	}
}
