package glob

import (
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

var paths = []string{
	"a.md", ".md", "md", "a.mdx", "a.md.bak", "x/a.md", "x/y/z/a.md", "x.md/a", "x.md/a.txt",
	"a/.md", "A.MD", "notes/caf\xe9.md", "\xff.md", "dir/\x00.md", "a b/c d.md", "a.md\n", "-.md",
	"deep/er/still/a.txt", "README", "x/README",
}

// The shortcuts give what doublestar gives, on paths of every shape (names
// that are not UTF-8 included: a file name is any bytes on Linux), for the
// patterns a configuration holds.
func TestCompileAgainstDoublestar(t *testing.T) {
	patterns := []string{"**/*.md", "**/*.txt", "**/*", "**/*README", "**/*.MD", "*.md", "notes/**/*.md",
		"**/*.{md,txt}", "**/*[.]md", "**/*?md", "**/*\\*.md", "**/*/x.md", "**/a.md", "**", "README", "**/README"}
	for _, p := range patterns {
		g := Compile(p)
		for _, rel := range paths {
			want, _ := doublestar.Match(p, rel)
			if got := g.MatchPath(rel); got != want {
				t.Errorf("glob %q on %q = %v, doublestar says %v (kind %d)", p, rel, got, want, g.kind)
			}
		}
	}
	if k := Compile("**/*.md").kind; k != kindSuffix {
		t.Errorf("**/*.md compiled to kind %d, want the suffix test", k)
	}
}

// FuzzSuffixAnyPath holds the suffix test to doublestar on paths of any
// bytes (FuzzGlob takes UTF-8 paths only).
func FuzzSuffixAnyPath(f *testing.F) {
	for _, rel := range paths {
		f.Add(".md", rel)
	}
	f.Add("", "a")
	f.Add(".x y", "dir/file.x y")
	f.Fuzz(func(t *testing.T, suffix, rel string) {
		p := "**/*" + suffix
		// Paths here are clean: no empty element.
		if !doublestar.ValidatePattern(p) || rel == "" || strings.HasPrefix(rel, "/") || strings.HasSuffix(rel, "/") || strings.Contains(rel, "//") {
			return
		}
		want, _ := doublestar.Match(p, rel)
		g := Compile(p)
		if got := g.MatchPath(rel); got != want {
			t.Fatalf("glob %q on %q = %v, doublestar says %v", p, rel, got, want)
		}
	})
}
