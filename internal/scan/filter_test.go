package scan

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/glob"
)

// docTree is a small vault used by several tests.
var docTree = map[string]string{
	"README.md":              "",
	"notes.txt":              "",
	"tasks/a.md":             "",
	"tasks/b.md":             "",
	"tasks/old/c.md":         "",
	"archive/x.md":           "",
	"archive/deep/y.md":      "",
	"docs/guide.md":          "",
	"docs/img/logo.png":      "",
	"docs/api/ref.md":        "",
	"drafts/wip.md":          "",
	"src/drafts/also.md":     "",
	".git/HEAD":              "",
	".git/notes.md":          "",
	"sub/.git/config.md":     "",
	".scribe/journal.md":     "",
	".scribe/index/i.md":     "",
	"space name/ü ñ.md":      "",
	"tasks/old/.hidden.md":   "",
	"tasks/old/notes.md.bak": "",
}

func TestFilterIncludeExclude(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, docTree)
	all := []string{"README.md", "tasks/a.md", "tasks/b.md", "tasks/old/c.md", "archive/x.md",
		"archive/deep/y.md", "docs/guide.md", "docs/api/ref.md", "drafts/wip.md",
		"src/drafts/also.md", "space name/ü ñ.md", "tasks/old/.hidden.md"}
	tests := []struct {
		name             string
		include, exclude []string
		want             []string
	}{
		{"every markdown file", []string{"**/*.md"}, nil, all},
		{"top level only", []string{"*.md"}, nil, []string{"README.md"}},
		{"one subtree", []string{"tasks/**/*.md"}, nil,
			[]string{"tasks/a.md", "tasks/b.md", "tasks/old/c.md", "tasks/old/.hidden.md"}},
		{"two subtrees", []string{"tasks/*.md", "docs/**/*.md"}, nil,
			[]string{"tasks/a.md", "tasks/b.md", "docs/guide.md", "docs/api/ref.md"}},
		{"exclude subtree with /**", []string{"**/*.md"}, []string{"archive/**"},
			without(all, "archive/x.md", "archive/deep/y.md")},
		{"exclude a bare directory name", []string{"**/*.md"}, []string{"archive"},
			without(all, "archive/x.md", "archive/deep/y.md")},
		{"exclude a name at any depth", []string{"**/*.md"}, []string{"**/drafts"},
			without(all, "drafts/wip.md", "src/drafts/also.md")},
		{"exclude files by glob", []string{"**/*.md"}, []string{"**/.*"},
			without(all, "tasks/old/.hidden.md")},
		{"alternation and classes", []string{"{tasks,docs}/[ab]*.md"}, nil,
			[]string{"tasks/a.md", "tasks/b.md"}},
		{"empty include means every file", nil, []string{"**/*.md"},
			[]string{"notes.txt", "docs/img/logo.png", "tasks/old/notes.md.bak"}},
		{"literal file", []string{"docs/guide.md"}, nil, []string{"docs/guide.md"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mustFilter(t, dir, tc.include, tc.exclude, ".scribe")
			sameSet(t, listRels(t, dir, f), tc.want)
			// Included agrees with the walk on a fresh filter (lazy path).
			lazy := mustFilter(t, dir, tc.include, tc.exclude, ".scribe")
			for rel := range docTree {
				want := contains(tc.want, rel)
				if got := lazy.Included(rel); got != want {
					t.Errorf("Included(%q) = %v, want %v", rel, got, want)
				}
			}
		})
	}
}

func TestFilterExcludedDir(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, docTree)
	f := mustFilter(t, dir, []string{"tasks/**/*.md", "docs/*.md"}, []string{"tasks/old"}, ".scribe")
	for rel, want := range map[string]bool{
		"":              false,
		".":             false,
		"tasks":         false,
		"tasks/old":     true,
		"tasks/old/sub": true,
		"docs":          false,
		"docs/api":      false, // doublestar base is "docs": deeper dirs are still walked
		"src":           true,  // no include glob reaches it
		".git":          true,
		"sub/.git":      true,
		".scribe":       true,
		".scribe/index": true,
		"../x":          true,
		"/etc":          true,
		"a//b":          true,
		"tasks/":        true,
	} {
		if got := f.ExcludedDir(rel); got != want {
			t.Errorf("ExcludedDir(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestFilterHostilePaths(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, docTree)
	f := mustFilter(t, dir, nil, nil, "")
	for _, rel := range []string{"", ".", "..", "../README.md", "/README.md", "./README.md",
		"tasks/../README.md", "tasks//a.md", "tasks/a.md/", ".git", ".git/HEAD", "x/.git/y",
		"tasks/./a.md", "\x00", "a\x00.md", strings.Repeat("a/", maxDepth+1) + "b.md",
		strings.Repeat("a/", maxDepth) + "b.md"} {
		want := rel == strings.Repeat("a/", maxDepth)+"b.md" // as deep as the walk goes
		if got := f.Included(rel); got != want {
			t.Errorf("Included(%.40q) = %v, want %v", rel, got, want)
		}
	}
}

func TestNewFilterErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := NewFilter(dir, []string{"**/*.md", "[a"}, []string{"{x"}, "")
	if err == nil {
		t.Fatal("bad globs accepted")
	}
	for _, want := range []string{`include glob "[a"`, `exclude glob "{x"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := NewFilter(dir, nil, nil, "."); err == nil || !strings.Contains(err.Error(), "root itself") {
		t.Errorf("state dir '.' accepted: %v", err)
	}
	// An absolute state dir inside the root is excluded; one outside is ignored.
	writeTree(t, dir, map[string]string{"st/x.md": "", "y.md": ""})
	f := mustFilter(t, dir, nil, nil, filepath.Join(dir, "st"))
	sameSet(t, listRels(t, dir, f), []string{"y.md"})
	f = mustFilter(t, dir, nil, nil, t.TempDir())
	sameSet(t, listRels(t, dir, f), []string{"st/x.md", "y.md"})
	f = mustFilter(t, dir, nil, nil, "../elsewhere")
	sameSet(t, listRels(t, dir, f), []string{"st/x.md", "y.md"})
}

func TestIgnoreFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		".gitignore": "# build output\n" +
			"build/\n" + // dir-only: the directory, not a file named build
			"*.log\n" +
			"/top.md\n" + // anchored to the root
			"gen/**\n" + // everything inside gen, not gen itself
			"!gen/keep.md\n" +
			"docs/*.tmp.md\n" +
			"secret\\ \n" + // escaped trailing space
			"\\#hash.md\n" +
			"\\!bang.md\n",
		"build/out.md":         "",
		"sub/build":            "a file named build is not a directory",
		"sub/build.md":         "",
		"x.log":                "",
		"top.md":               "",
		"sub/top.md":           "",
		"gen/keep.md":          "",
		"gen/drop.md":          "",
		"docs/a.tmp.md":        "",
		"docs/deep/b.tmp.md":   "",
		"secret ":              "",
		"#hash.md":             "",
		"!bang.md":             "",
		"notes/.gitignore":     "*.md\n!keep*.md\n",
		"notes/a.md":           "",
		"notes/keep-me.md":     "",
		"notes/inner/keep2.md": "",
		"notes/inner/b.md":     "",
		// Negation cannot re-include below an excluded directory.
		"out/.gitignore":        "cache/\n!cache/x.md\n",
		"out/cache/x.md":        "",
		"out/ok.md":             "",
		"vault/.scribeignore":   "templates/\n!*.gitignored.md\n",
		"vault/.gitignore":      "*.gitignored.md\n",
		"vault/templates/t.md":  "",
		"vault/n.gitignored.md": "",
		"vault/n.md":            "",
	})
	want := []string{
		".gitignore", "sub/build", "sub/build.md", "sub/top.md", "gen/keep.md",
		"docs/deep/b.tmp.md", "notes/.gitignore", "notes/keep-me.md",
		"notes/inner/keep2.md", "out/.gitignore", "out/ok.md",
		"vault/.scribeignore", "vault/.gitignore", "vault/n.gitignored.md", "vault/n.md",
	}
	f := mustFilter(t, dir, nil, nil, "")
	sameSet(t, listRels(t, dir, f), want)
	lazy := mustFilter(t, dir, nil, nil, "")
	for _, rel := range want {
		if !lazy.Included(rel) {
			t.Errorf("Included(%q) = false, want true", rel)
		}
	}
	for _, rel := range []string{"build/out.md", "x.log", "top.md", "gen/drop.md", "out/cache/x.md", "vault/templates/t.md", "secret ", "#hash.md", "!bang.md"} {
		if lazy.Included(rel) {
			t.Errorf("Included(%q) = true, want false", rel)
		}
	}
	if !lazy.ExcludedDir("build") || lazy.ExcludedDir("gen") || !lazy.ExcludedDir("out/cache") {
		t.Error("ExcludedDir disagrees with the ignore files")
	}
}

// TestIgnoreFileSpecial checks that ignore files which are FIFOs or symbolic
// links are skipped without blocking, and that an unreadable one (too large)
// excludes its directory and is reported.
func TestIgnoreFileSpecial(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"fifo/a.md":       "",
		"link/a.md":       "",
		"real.ignore":     "*.md\n",
		"big/a.md":        "",
		"big/.gitignore":  strings.Repeat("#", maxIgnoreFileSize+1),
		"fine/a.md":       "",
		"fine/.gitignore": "*.txt\n",
	})
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo", ".gitignore"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../real.ignore", filepath.Join(dir, "link", ".gitignore")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		lazy := mustFilter(t, dir, []string{"**/*.md"}, nil, "")
		for rel, want := range map[string]bool{"fifo/a.md": true, "link/a.md": true, "big/a.md": false, "fine/a.md": true} {
			if got := lazy.Included(rel); got != want {
				t.Errorf("Included(%q) = %v, want %v", rel, got, want)
			}
		}
		f := mustFilter(t, dir, []string{"**/*.md"}, nil, "")
		entries, errs, err := List(t.Context(), openRoot(t, dir), f, 2)
		if err != nil {
			t.Error(err)
		}
		sameSet(t, rels(entries), []string{"fifo/a.md", "link/a.md", "fine/a.md"})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "big") || !strings.Contains(errs[0].Error(), "shorten it") {
			t.Errorf("errors = %v, want one naming big/.gitignore", errs)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("filter blocked on a FIFO ignore file")
	}
}

func TestParseIgnoreLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want ignorePattern
	}{
		{"", false, ignorePattern{}},
		{"# comment", false, ignorePattern{}},
		{"   ", false, ignorePattern{}},
		{"!", false, ignorePattern{}},
		{"/", false, ignorePattern{}},
		{"*.md", true, ignorePattern{glob: "*.md", basename: true}},
		{"*.md   ", true, ignorePattern{glob: "*.md", basename: true}},
		{`a\ `, true, ignorePattern{glob: `a\ `, basename: true}},
		{`a\  `, true, ignorePattern{glob: `a\ `, basename: true}},
		{"!keep.md", true, ignorePattern{glob: "keep.md", negate: true, basename: true}},
		{"build/", true, ignorePattern{glob: "build", dirOnly: true, basename: true}},
		{"/top", true, ignorePattern{glob: "top"}},
		{"a/b", true, ignorePattern{glob: "a/b"}},
		{"a/**", true, ignorePattern{glob: "a/**/*"}},
		{"/**", true, ignorePattern{glob: "**/*"}},
		{"**/x/", true, ignorePattern{glob: "**/x", dirOnly: true}},
		{"{a,b}", true, ignorePattern{glob: `\{a,b\}`, basename: true}},
		{"[{]x", true, ignorePattern{glob: "[{]x", basename: true}},
		{`\#x`, true, ignorePattern{glob: `\#x`, basename: true}},
		{"[a", false, ignorePattern{}},
		{`a\`, false, ignorePattern{}},
	}
	for _, tc := range tests {
		got, ok := parseIgnoreLine(tc.line)
		got.m = glob.Glob{} // glob.Compile has its own test
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("parseIgnoreLine(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
	ps := parseIgnore([]byte("\xef\xbb\xbfa\r\n\r\nb\nc"))
	if len(ps) != 3 || ps[0].glob != "a" || ps[2].glob != "c" {
		t.Errorf("parseIgnore with BOM and CRLF = %+v", ps)
	}
}

func without(all []string, drop ...string) []string {
	var out []string
	for _, s := range all {
		if !contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
