package scan

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExplain(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		".gitignore":          "# build output\n\n*.tmp\ndrafts/\n!keep.tmp\n",
		"notes/.scribeignore": "private-*.md\n",
		"notes/a.md":          "",
		"notes/private-x.md":  "",
		"notes/b.tmp":         "",
		"notes/keep.tmp":      "",
		"drafts/deep/wip.md":  "",
		"archive/old.md":      "",
		"README.txt":          "",
		".scribe/index.md":    "",
		"sub/.git/HEAD.md":    "",
		"notes/.scribe-tmp-1": "",
	})
	if err := os.Symlink(filepath.Join(dir, "notes"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	f := mustFilter(t, dir, []string{"**/*.md", "**/*.tmp", "notes/.scribe-*"}, []string{"archive/**"}, ".scribe")
	tests := []struct {
		rel  string
		want *Exclusion
		text string
	}{
		{"notes/a.md", nil, ""},
		{"notes/keep.tmp", nil, ""}, // re-included by !keep.tmp
		{"notes/b.tmp", &Exclusion{Reason: ExcludedByIgnoreFile, Pattern: "*.tmp", File: ".gitignore", Line: 3},
			"excluded by .gitignore:3 (*.tmp)"},
		{"notes/private-x.md", &Exclusion{Reason: ExcludedByIgnoreFile, Pattern: "private-*.md", File: "notes/.scribeignore", Line: 1},
			"excluded by notes/.scribeignore:1 (private-*.md)"},
		{"drafts/deep/wip.md", &Exclusion{Reason: ExcludedByIgnoreFile, Dir: "drafts", Pattern: "drafts/", File: ".gitignore", Line: 4},
			"in drafts/, which is excluded by .gitignore:4 (drafts/)"},
		{"archive/old.md", &Exclusion{Reason: ExcludedByGlob, Dir: "archive", Pattern: "archive/**"},
			`in archive/, which is excluded by the exclude glob "archive/**"`},
		{"README.txt", &Exclusion{Reason: ExcludedNotIncluded, Detail: "**/*.md, **/*.tmp, notes/.scribe-*"},
			"matched by no include glob (**/*.md, **/*.tmp, notes/.scribe-*)"},
		{".scribe/index.md", &Exclusion{Reason: ExcludedStateDir, Dir: ".scribe"}, "in .scribe/, which is the state directory, never processed"},
		{"sub/.git/HEAD.md", &Exclusion{Reason: ExcludedGit, Dir: "sub/.git"}, "in sub/.git/, which is part of a .git directory, never processed"},
		{"notes/.scribe-tmp-1", &Exclusion{Reason: ExcludedEngineFile}, "a file Scribe makes itself (.scribe-*)"},
		{"link/a.md", &Exclusion{Reason: ExcludedDirectory, Dir: "link", Detail: "a symbolic link, never followed"},
			"in link/, which is a symbolic link, never followed"},
		{"../x.md", &Exclusion{Reason: ExcludedInvalid}, "not a valid path inside the root (malformed, or deeper than a walk goes)"},
	}
	for _, tt := range tests {
		got := f.Explain(tt.rel)
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("Explain(%q) = %+v, want %+v", tt.rel, got, tt.want)
			continue
		}
		if got != nil && got.String() != tt.text {
			t.Errorf("Explain(%q).String() = %q, want %q", tt.rel, got.String(), tt.text)
		}
		if in := f.Included(tt.rel); in != (got == nil) {
			t.Errorf("Included(%q) = %v but Explain says %+v", tt.rel, in, got)
		}
	}
}

// TestExplainAgreesWithIncluded: Explain excludes exactly what Included
// does, on the shared test tree and every include/exclude shape.
func TestExplainAgreesWithIncluded(t *testing.T) {
	dir := t.TempDir()
	tree := map[string]string{".gitignore": "*.bak\ndrafts/\n!src/drafts/\n", "docs/.scribeignore": "api/\n"}
	for k, v := range docTree {
		tree[k] = v
	}
	writeTree(t, dir, tree)
	for _, c := range []struct{ include, exclude []string }{
		{nil, nil}, {[]string{"**/*.md"}, nil}, {[]string{"*.md"}, nil}, {[]string{"tasks/**/*.md"}, []string{"**/old"}},
		{[]string{"**/*.md"}, []string{"archive/**", "**/.*"}},
	} {
		f := mustFilter(t, dir, c.include, c.exclude, ".scribe")
		for rel := range tree {
			x := f.Explain(rel)
			if f.Included(rel) != (x == nil) {
				t.Errorf("include %v exclude %v: Included(%q) = %v, Explain = %+v", c.include, c.exclude, rel, f.Included(rel), x)
			}
		}
	}
}
