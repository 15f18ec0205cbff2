package scan

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzIncluded feeds hostile paths to a filter over a real tree with ignore
// files: no panic, no hang, and a few invariants that hold for every path.
func FuzzIncluded(f *testing.F) {
	for _, s := range []string{
		"a.md", "docs/x.md", "../a.md", "/etc/passwd", "a//b", "./a", "a/./b", "a/../b",
		".git/HEAD", "x/.git", ".scribe/j.md", "build/x.md", "\x00", "a\x00b", "\xff\xfe",
		"a\\b", "[", "{", "**", "*", "?", "a/b/c/d/e/f/g/h.md", "tasks/old/c.md",
		"link/x.md", "sub/.gitignore", strings.Repeat("a/", 300) + "b.md",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	writeTree(f, dir, map[string]string{
		".gitignore":        "build/\n*.log\n!keep.log\n/top.md\n[\n{a,b}\n\\\n",
		"sub/.gitignore":    "**/x/\n!*.md\n",
		"sub/.scribeignore": "a/**\n",
		"tasks/old/c.md":    "",
		"docs/x.md":         "",
	})
	filt := mustFilter(f, dir, []string{"**/*.md", "docs/**"}, []string{"archive/**", "**/*.tmp"}, ".scribe")
	f.Fuzz(func(t *testing.T, rel string) {
		in := filt.Included(rel)
		ex := filt.ExcludedDir(rel)
		if in && (strings.HasPrefix(rel, "/") || strings.Contains(rel, "..") && !utf8.ValidString(rel)) {
			t.Errorf("Included(%q) = true", rel)
		}
		if in && strings.Count(rel, "/") <= 16 { // deeper: quadratic in this check only
			// An included file is never below an excluded directory.
			for i := range len(rel) {
				if rel[i] == '/' && filt.ExcludedDir(rel[:i]) {
					t.Errorf("Included(%q) but ExcludedDir(%q)", rel, rel[:i])
				}
			}
		}
		if in {
			if strings.Contains("/"+rel+"/", "/.git/") || strings.HasPrefix(rel, ".scribe/") {
				t.Errorf("Included(%q): .git and the state dir are always excluded", rel)
			}
		}
		if (rel == "" || rel == ".") && ex {
			t.Error("the root is excluded")
		}
	})
}

// FuzzParseIgnore parses arbitrary ignore files and matches arbitrary paths
// against them: no panic, and every kept pattern is a valid doublestar glob.
func FuzzParseIgnore(f *testing.F) {
	for _, s := range []string{
		"*.md\n!keep.md\n", "build/\n/top\n", "a/**\n**/b/\n", "\\#x\n\\!y\n", "a\\ \n",
		"\xef\xbb\xbf*\r\n", "[\n{a,b}\n\\\n", "!\n/\n//\n", "a/**/b/**/c\n", "[!a-z]?\n",
		strings.Repeat("*", 100) + "\n",
	} {
		f.Add(s, "a/b/c.md", true)
	}
	f.Fuzz(func(t *testing.T, content, rel string, isDir bool) {
		ps := parseIgnore([]byte(content))
		if len(ps) > strings.Count(content, "\n")+1 {
			t.Fatalf("%d patterns from %d lines", len(ps), strings.Count(content, "\n")+1)
		}
		set := &ignoreSet{patterns: ps}
		_, name := splitRel(rel)
		match([]*ignoreSet{set}, rel, name, isDir)
	})
}
