package links

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzExtractLinks checks that Parse never panics, that every link's spans
// lie inside the content and match Raw, and that line and column point inside
// the line; then that resolving and checking the links of any input is safe.
func FuzzExtractLinks(f *testing.F) {
	files, _ := filepath.Glob("testdata/parse/*.md")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "[[", "]]", "[[a|b]]", "![[a#^b]]", "[a](b)", "[a](<b c>)", "`[[a]]`",
		"---\n[[fm]]\n---\n[[body]]", "> ```\n> [[q]]\n[[out]]", "[x]: y.md", "[^1]: [[f]]",
		"# H\n[[#H]]", "\ufeff---\na: b\n---\n", "a\r\n[[b]]\r\n", "\xff[[\xfe]]", "[[a\\|b]]",
		"[![i](a.png)](b.md)", "[a [b](c) d](e)", "%%[[x]]%%", "<!--[[x]]-->",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		d := Parse(content)
		checkInvariants(t, content, d)
		g := NewGraph(Options{})
		g.Update("dir/a.md", content)
		g.Update("b.md", content)
		for _, p := range g.Check("dir/a.md", d, func(string) bool { return false }) {
			_ = p.Message()
		}
		if len(g.Remove("dir/a.md")) > 2 {
			t.Fatal("more affected paths than documents")
		}
	})
}
