package markdown

import (
	"strings"
	"testing"
)

// TestHostileInputs checks that inputs built to be slow or huge give a
// result or a clear error and never a panic. The test's own run time is the
// measure; it asserts no durations.
func TestHostileInputs(t *testing.T) {
	deepBlock := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(strings.Repeat(" ", i) + "k:\n")
		}
		return b.String()
	}
	tests := map[string]string{
		"binary":                "---\n\x00\x01\x02\xff\xfe: \x00\n---\n",
		"invalid UTF-8":         "---\na: \xff\xfe\xc3\x28\nb: \"\xe2\x28\xa1\"\n---\n",
		"100k-char line":        "---\na: " + strings.Repeat("x", 100_000) + "\n---\n",
		"100k-char quoted line": "---\na: \"" + strings.Repeat("\\t", 50_000) + "\"\n---\n",
		"10k keys":              "---\n" + genKeys(10_000) + "---\n",
		"4k keys, slow path":    "---\nz:\n  - x\n" + genKeys(4_000) + "---\n",
		"64 KiB flow list":      "---\na: [" + strings.Repeat("[1], ", 13_000) + "1]\n---\n",
		"deep brackets":         "---\na: " + strings.Repeat("[", 999) + strings.Repeat("]", 999) + "\n---\n",
		"too large":             "---\na: [" + strings.Repeat("[1], ", 20_000) + "1]\n---\n",
		"deep block nesting":    "---\n" + deepBlock(300) + "---\n",
		"alias bomb":            "---\n" + aliasBomb(6) + "---\n",
		"unclosed quote":        "---\na: \"" + strings.Repeat("x\n", 10_000) + "---\n",
		"many documents":        "---\n" + strings.Repeat("... \n", 1000) + "---\n",
		"UTF-16 BOM":            "\xff\xfe-\x00-\x00-\x00\n\x00",
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			Find([]byte(content))
			_, _ = Parse([]byte(content))
			if out, err := Set([]byte(content), []Field{{"title", "x"}}); err == nil {
				if _, err := Parse(out); err != nil {
					t.Errorf("Set result does not parse: %v", err)
				}
			}
			_, _ = Delete([]byte(content), []string{"a", "k"})
		})
	}
}

func genKeys(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("key")
		for x := i; ; x /= 26 {
			b.WriteByte(byte('a' + x%26))
			if x < 26 {
				break
			}
		}
		b.WriteString(": value\n")
	}
	return b.String()
}
