package rule

import (
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

var globPaths = []string{
	"a.md", ".md", "md", "a.mdx", "a.md.bak", "x/a.md", "x/y/z/a.md", "x.md/a", "x.md/a.txt",
	"a/.md", "A.MD", "a.md/", "notes/caf\xe9.md", "\xff.md", "dir/\x00.md", "a b/c d.md", "a.md\n", "-.md",
	"deep/er/still/a.txt", "README", "x/README",
}

// The suffix test gives what doublestar gives, for the shapes it takes
// and the ones it leaves to doublestar.
func TestGlobFast(t *testing.T) {
	patterns := []string{"**/*.md", "**/*.txt", "**/*", "**/*README", "**/*.MD", "*.md", "notes/**/*.md",
		"**/*.{md,txt}", "**/*[.]md", "**/*?md", "**/*\\*.md", "**/*/x.md", "**/a.md", "**"}
	fast := 0
	for _, p := range patterns {
		g := compileGlob(p)
		if g.fast {
			fast++
		}
		for _, rel := range globPaths {
			want, _ := doublestar.Match(p, rel)
			if got := g.match(rel); got != want {
				t.Errorf("glob %q on %q = %v, doublestar says %v (fast %v)", p, rel, got, want, g.fast)
			}
		}
	}
	if fast != 5 {
		t.Errorf("%d patterns took the suffix test, want 5", fast)
	}
}

func FuzzGlobFast(f *testing.F) {
	for _, rel := range globPaths {
		f.Add(".md", rel)
	}
	f.Add("", "a")
	f.Add(".x y", "dir/file.x y")
	f.Fuzz(func(t *testing.T, suffix, rel string) {
		p := "**/*" + suffix
		// Paths here are clean: no empty element.
		if !doublestar.ValidatePattern(p) || strings.HasPrefix(rel, "/") || strings.HasSuffix(rel, "/") || strings.Contains(rel, "//") {
			return
		}
		want, _ := doublestar.Match(p, rel)
		if got := compileGlob(p).match(rel); got != want {
			t.Fatalf("glob %q on %q = %v, doublestar says %v", p, rel, got, want)
		}
	})
}
