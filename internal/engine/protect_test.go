package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
)

func init() {
	// test.write writes "generated" to the path it is given, through the
	// engine's Writer (as index and catalog write their outputs).
	action.Register(action.Spec{Name: "test.write", Schema: `{"type":"string"}`,
		New: func(p any, _ action.Build) (action.Action, error) {
			target := p.(string)
			return runFunc(func(ctx context.Context, in action.Input) (action.Output, error) {
				return action.Output{}, in.Host.Writer.WriteFile(ctx, target, []byte("generated\n"))
			}), nil
		}})
}

// No action writes into .git, .hg, .svn or the state directory, whether it
// names the path directly, in another case, or through a symlink inside the
// root; what was there is left as it was.
func TestWritesIntoProtectedDirectoriesAreRefused(t *testing.T) {
	dir := t.TempDir()
	for p, c := range map[string]string{
		"a.md": "a\n", ".git/config": "[core]\n", ".scribe/journal.db": "journal\n", "sub/.hg/hgrc": "[ui]\n",
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(".git", filepath.Join(dir, "docs")); err != nil {
		t.Fatal(err)
	}
	r, err := engine.OpenRoot(dir, []string{"**/*.md"}, nil, ".scribe")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct{ target, want string }{
		{".git/config", "inside .git, a version control directory"},
		{".GIT/config", "inside .GIT, a version control directory"},
		{"docs/config", "inside .git, a version control directory"},
		{"docs/new/x.md", "inside .git, a version control directory"},
		{"sub/.hg/hgrc", "inside sub/.hg, a version control directory"},
		{".svn/entries", "inside .svn, a version control directory"},
		{".scribe/journal.db", "inside the state directory .scribe (engine.state_dir)"},
		{".scribe", "inside the state directory .scribe"},
	} {
		e := engine.New(rules(t, config.Rule{ID: "w", Files: []string{"a.md"}, Actions: []config.ActionRef{act("test.write", tc.target)}}), engine.Options{})
		rep, err := e.Run(context.Background(), []engine.Target{{Root: r}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		res := result(rep, "a.md")
		if res == nil || res.Err() == nil || !strings.Contains(res.Err().Error(), engine.ErrProtected.Error()) || !strings.Contains(res.Err().Error(), tc.want) {
			t.Errorf("writing %s: %+v; want a refusal saying %q", tc.target, res, tc.want)
		}
	}
	for p, want := range map[string]string{".git/config": "[core]\n", ".scribe/journal.db": "journal\n", "sub/.hg/hgrc": "[ui]\n"} {
		if got := read(t, r, p); got != want {
			t.Errorf("%s = %q, want it untouched", p, got)
		}
	}
	for _, p := range []string{".svn", ".git/new", ".GIT"} {
		if _, err := os.Lstat(filepath.Join(dir, p, "x.md")); err == nil {
			t.Errorf("%s was created", p)
		}
	}
	// Elsewhere, writing works.
	e := engine.New(rules(t, config.Rule{ID: "w", Files: []string{"a.md"}, Actions: []config.ActionRef{act("test.write", "gen/index.md")}}), engine.Options{})
	run(t, e, r)
	if got := read(t, r, "gen/index.md"); got != "generated\n" {
		t.Fatalf("gen/index.md = %q", got)
	}
}

// An action's output larger than max_file_size is refused: written, the
// file could never be read back (every later run would skip it).
func TestOutputOverMaxFileSizeIsRefused(t *testing.T) {
	root := openRoot(t, map[string]string{"a.md": "a\n"})
	set := rules(t, config.Rule{ID: "grow", Actions: []config.ActionRef{act("test.append", strings.Repeat("x", 2000))}})
	rep := run(t, engine.New(set, engine.Options{MaxFileSize: 1000}), root)
	if r := result(rep, "a.md"); r == nil || r.Err() == nil || !strings.Contains(r.Err().Error(), "rule grow: action test.append: the new content is 2003 bytes, more than engine.max_file_size (1000); the file was left unchanged") {
		t.Fatalf("result %+v", r)
	}
	if got := read(t, root, "a.md"); got != "a\n" {
		t.Fatalf("a.md = %q", got)
	}
}
