package config

import (
	"fmt"
	"strings"
	"testing"
)

// rulesConfig returns a configuration with n rules of the usual shape.
func rulesConfig(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nengine:\n  workers: 4\n  settle: 50ms\nrules:\n")
	for i := range n {
		fmt.Fprintf(&b, `  - id: rule-%d
    name: Rule number %d
    files: ["notes/**/*.md", "docs/*.md"]
    match: '(?m)^status: (\w+)'
    when: 'fm.status != "archived"'
    actions:
      - frontmatter.set: {updated: "{{ now | date \"2006-01-02\" }}", rule: %d}
      - links.check: {}
        timeout: 5s
    on_error: {retries: 2, breaker: {failures: 5, reset: 30s}}
`, i, i, i)
	}
	return []byte(b.String())
}

func TestLoadManyRules(t *testing.T) {
	c, err := LoadBytes("many.yaml", rulesConfig(50))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 50 || c.Rules[49].ID != "rule-49" {
		t.Fatalf("got %d rules", len(c.Rules))
	}
}

// BenchmarkLoad50Rules measures a whole LoadBytes of a 50-rule file.
func BenchmarkLoad50Rules(b *testing.B) {
	data := rulesConfig(50)
	if _, err := LoadBytes("bench.yaml", data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadBytes("bench.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
