package glob

import (
	"io/fs"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

// FuzzGlob checks that the shortcuts of Compile agree with doublestar on
// every pattern and path.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"**/*.md", "a/b.md"}, {"*.md", "a.md"}, {"*.md", "a/b.md"}, {"**/x", "x"},
		{"**/[ab]*", "c/b1"}, {"*", ".h"}, {"**/*", "a/b"}, {"**/*.m?", "a.md"},
		{"**/{a,b}.md", "x/a.md"}, {"**/{a/b,c}", "a/b"}, {`**/\*.md`, "*.md"}, {"**/", "a"},
		{"a/**", "a"}, {"**/a**b", "a/b/ab"}, {"*.md", ".md"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, p string) {
		// Paths matched are valid, non-root relative paths (FuzzSuffixAnyPath
		// takes names that are not UTF-8).
		if !doublestar.ValidatePattern(pattern) || !fs.ValidPath(p) || p == "." {
			return
		}
		name := p
		for i := len(p) - 1; i >= 0; i-- {
			if p[i] == '/' {
				name = p[i+1:]
				break
			}
		}
		g := Compile(pattern)
		if got, want := g.Match(p, name), doublestar.MatchUnvalidated(pattern, p); got != want {
			t.Errorf("pattern %q path %q: compiled (kind %d) %v, doublestar %v", pattern, p, g.kind, got, want)
		}
		if got, want := g.MatchPath(p), g.Match(p, name); got != want {
			t.Errorf("pattern %q path %q: MatchPath %v, Match %v", pattern, p, got, want)
		}
	})
}
