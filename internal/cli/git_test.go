package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/cli"
	"github.com/scribe-md/scribe/internal/vcs/vcstest"
)

// stampConfig stamps user edits only, and tidies TODO lines everywhere.
const stampConfig = `version: 1
rules:
  - id: stamp
    when: 'origin == "user"'
    actions:
      - frontmatter.set: { edited: "yes" }
  - id: todo
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
`

// The first run knows nothing of edits (every file is a scan), records the
// files; the next run sees the files edited since as the user's.
func TestRunOriginsAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"scribe.yaml": stampConfig, "a.md": "a\n", "b.md": "TODO: b\n"})
	cfg := filepath.Join(dir, "scribe.yaml")
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 {
		t.Fatalf("first run: %d\n%s%s", code, out, errOut)
	}
	if got := read(t, dir, "a.md"); got != "a\n" {
		t.Fatalf("the first run stamped a.md: %q", got)
	}
	if got := read(t, dir, "b.md"); got != "- [ ] b\n" {
		t.Fatalf("b.md = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, ".scribe", ".gitignore")); err != nil {
		t.Fatalf("the state dir has no .gitignore: %v", err)
	}
	writeFiles(t, dir, map[string]string{"a.md": "a edited\n"})
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 {
		t.Fatalf("second run: %d\n%s%s", code, out, errOut)
	}
	if got := read(t, dir, "a.md"); !strings.Contains(got, `edited: "yes"`) {
		t.Fatalf("the edit since the last run was not stamped: %q", got)
	}
	if got := read(t, dir, "b.md"); got != "- [ ] b\n" {
		t.Fatalf("b.md, unchanged since the last run, = %q", got)
	}
	// check writes nothing and records nothing.
	writeFiles(t, dir, map[string]string{"b.md": "b edited\n"})
	for range 2 {
		code, out, _ := scribe(t, "check", "-c", cfg)
		if code != cli.ExitChanges || !strings.Contains(out, "+edited") {
			t.Fatalf("check after an edit: %d\n%s", code, out)
		}
	}
}

// In a git work tree, a run after a pull does not take the pulled files for
// edits: their content is committed.
func TestRunAfterGitPullLeavesPulledFilesAlone(t *testing.T) {
	dir := vcstest.Init(t)
	vcstest.Commit(t, dir, "vault", map[string]string{"scribe.yaml": stampConfig, ".gitignore": ".scribe/\n", "a.md": "a\n"})
	cfg := filepath.Join(dir, "scribe.yaml")
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 {
		t.Fatalf("first run: %d\n%s%s", code, out, errOut)
	}
	// What a pull does: a new committed version lands in the work tree.
	vcstest.Commit(t, dir, "pulled", map[string]string{"a.md": "a from upstream\n"})
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 {
		t.Fatalf("run after the pull: %d\n%s%s", code, out, errOut)
	}
	if got := read(t, dir, "a.md"); got != "a from upstream\n" {
		t.Fatalf("the pulled file was stamped as an edit: %q", got)
	}
	if out := vcstest.Git(t, dir, "status", "--porcelain"); out != "" {
		t.Fatalf("git status after the run:\n%s", out)
	}
}

func gitVault(t *testing.T) string {
	dir := vcstest.Init(t)
	vcstest.Commit(t, dir, "base", map[string]string{
		"scribe.yaml": stampConfig,
		"notes/a.md":  "a\n", "notes/b.md": "b\n", "notes/c.md": "c\n", "notes/d.md": "d\n",
	})
	vcstest.Git(t, dir, "checkout", "-q", "-b", "topic")
	vcstest.Commit(t, dir, "topic", map[string]string{"notes/c.md": "TODO: c on topic\n"})
	writeFiles(t, dir, map[string]string{
		"notes/a.md":   "TODO: a edited\n",
		"notes/new.md": "TODO: new\n",
		"notes/b.md":   "TODO: b staged\n",
	})
	vcstest.Git(t, dir, "add", "notes/b.md")
	return dir
}

// --changed, --staged and --since process exactly the files git selects, as
// user changes.
func TestGitSelections(t *testing.T) {
	for _, c := range []struct {
		flags []string
		want  []string // the files the check would change
	}{
		{[]string{"--changed"}, []string{"notes/a.md", "notes/b.md", "notes/new.md"}},
		{[]string{"--staged"}, []string{"notes/b.md"}},
		{[]string{"--since", "main"}, []string{"notes/a.md", "notes/b.md", "notes/c.md", "notes/new.md"}},
		{[]string{"--changed", "notes/a.md"}, []string{"notes/a.md"}},
	} {
		t.Run(strings.Join(c.flags, " "), func(t *testing.T) {
			dir := gitVault(t)
			t.Chdir(dir)
			code, out, errOut := scribe(t, append([]string{"check"}, c.flags...)...)
			if code != cli.ExitChanges {
				t.Fatalf("check: %d\n%s%s", code, out, errOut)
			}
			for _, f := range []string{"notes/a.md", "notes/b.md", "notes/c.md", "notes/d.md", "notes/new.md"} {
				wanted := false
				for _, w := range c.want {
					wanted = wanted || w == f
				}
				if got := strings.Contains(out, "+++ b/"+f); got != wanted {
					t.Errorf("%s in the check: %v, want %v\n%s", f, got, wanted, out)
				}
			}
			if !strings.Contains(out, "+edited") {
				t.Errorf("selected files are not user changes:\n%s", out)
			}
		})
	}
}

// check --staged reads the staged content; run --staged fixes only files
// without unstaged changes, and --restage stages the fix.
func TestStaged(t *testing.T) {
	dir := gitVault(t)
	t.Chdir(dir)
	// Unstaged changes on top of the staged version of b.md.
	writeFiles(t, dir, map[string]string{"notes/b.md": "TODO: b staged\nmore, not staged\n"})
	code, out, errOut := scribe(t, "check", "--staged")
	if code != cli.ExitChanges || !strings.Contains(out, "+- [ ] b staged") || strings.Contains(out, "not staged") {
		t.Fatalf("check --staged must show the staged version: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = scribe(t, "run", "--staged")
	if code != cli.ExitFailure || !strings.Contains(out+errOut, "has unstaged changes") {
		t.Fatalf("run --staged with unstaged changes: %d\n%s%s", code, out, errOut)
	}
	if got := read(t, dir, "notes/b.md"); got != "TODO: b staged\nmore, not staged\n" {
		t.Fatalf("run --staged wrote a file with unstaged changes: %q", got)
	}
	writeFiles(t, dir, map[string]string{"notes/b.md": "TODO: b staged\n"})
	if code, out, errOut := scribe(t, "run", "--staged", "--restage"); code != 0 {
		t.Fatalf("run --staged --restage: %d\n%s%s", code, out, errOut)
	}
	if got := vcstest.Git(t, dir, "show", ":notes/b.md"); !strings.Contains(got, "- [ ] b staged") {
		t.Fatalf("the fix was not staged: %q", got)
	}
	if got := vcstest.Git(t, dir, "diff", "--name-only"); strings.Contains(got, "notes/b.md") {
		t.Fatalf("work tree and index differ after --restage: %s", got)
	}
}

func TestGitSelectionErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"scribe.yaml": stampConfig})
	t.Chdir(dir)
	if code, _, errOut := scribe(t, "check", "--changed"); code != cli.ExitUsage || !strings.Contains(errOut, "needs a git work tree") {
		t.Errorf("--changed outside git: %d %s", code, errOut)
	}
	dir = gitVault(t)
	t.Chdir(dir)
	if code, _, errOut := scribe(t, "check", "--changed", "--staged"); code != cli.ExitUsage {
		t.Errorf("--changed --staged: %d %s", code, errOut)
	}
	if code, _, errOut := scribe(t, "check", "--since", "no-such-ref"); code != cli.ExitUsage || !strings.Contains(errOut, "no-such-ref") {
		t.Errorf("--since no-such-ref: %d %s", code, errOut)
	}
	if code, _, errOut := scribe(t, "run", "--restage"); code != cli.ExitUsage {
		t.Errorf("--restage alone: %d %s", code, errOut)
	}
}
