package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/cli"
	"github.com/scribe-md/scribe/internal/journal"
)

// undoConfig has a rule that rewrites a note's own content, one that
// rewrites a note's front matter, and the two aggregating actions: an index
// region listing the notes with their status, and a catalog.
const undoConfig = `version: 1
roots: ["."]
rules:
  - id: todo
    files: "notes/**"
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
  - id: done
    files: "notes/**"
    match: '(?m)^DONE$'
    actions:
      - frontmatter.set: { status: done }
  - id: list
    files: "index.md"
    actions:
      - index: { name: notes, from: "notes/**", template: "- {{ .FM.title }}: {{ .FM.status }}" }
  - id: cat
    actions:
      - catalog: { output: catalog.json, files: ["notes/**"] }
`

const (
	noteA     = "---\ntitle: A\nstatus: open\n---\nDONE\n"
	noteADone = "---\ntitle: A\nstatus: done\n---\nDONE\n"
	noteB     = "---\ntitle: B\nstatus: open\n---\nTODO: x\n"
	noteBDone = "---\ntitle: B\nstatus: open\n---\n- [ ] x\n"
	emptyIdx  = "# Notes\n<!-- scribe:index notes -->\n<!-- /scribe:index -->\n"
)

func undoVault(t *testing.T) (dir, cfg string) {
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": undoConfig,
		"notes/a.md":  noteA,
		"notes/b.md":  noteB,
		"index.md":    emptyIdx,
	})
	return dir, filepath.Join(dir, "scribe.yaml")
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func history(t *testing.T, args ...string) []journal.Entry {
	t.Helper()
	code, out, errOut := scribe(t, append([]string{"history", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("scribe history %q: exit %d\n%s", args, code, errOut)
	}
	var es []journal.Entry
	if err := json.Unmarshal([]byte(out), &es); err != nil {
		t.Fatalf("history JSON: %v\n%s", err, out)
	}
	return es
}

var runIDRe = regexp.MustCompile("`scribe undo --run ([0-9TZ.]+)`")

// scribe run journals every write it makes, its own files' and the index
// and catalog it regenerates, under a run id; `scribe undo --run` restores
// them all but a file the user changed since, which needs --force; and the
// undone writes stay undone for later runs and checks.
func TestRunIsJournaledAndUndoneWhole(t *testing.T) {
	dir, cfg := undoVault(t)
	if code, out, _ := scribe(t, "history", "-c", cfg); code != 0 || out != "no writes by Scribe in the journal yet\n" {
		t.Fatalf("history before any write: exit %d, %q", code, out)
	}
	code, _, errOut := scribe(t, "run", "-c", cfg)
	m := runIDRe.FindStringSubmatch(errOut)
	if code != 0 || m == nil {
		t.Fatalf("scribe run: exit %d, no run id in\n%s", code, errOut)
	}
	run := m[1]
	// A file outside the roots has no history to show: say so, not "no
	// writes match" (the path was likely mistyped or the wrong config).
	if code, out, errOut := scribe(t, "history", "-c", cfg, filepath.Dir(dir)); code != cli.ExitUsage || out != "" || !strings.Contains(errOut, "is not under a root of") {
		t.Errorf("history of a folder outside the roots: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, errOut := scribe(t, "history", "-c", cfg, filepath.Join(dir, "..a.md")); code != 0 || out != "no writes by Scribe match\n" {
		t.Errorf("history of ..a.md, in the root: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if read(t, dir, "notes/a.md") != noteADone || read(t, dir, "notes/b.md") != noteBDone || !strings.Contains(read(t, dir, "index.md"), "- A: done") {
		t.Fatalf("after the run: a=%q b=%q index=%q", read(t, dir, "notes/a.md"), read(t, dir, "notes/b.md"), read(t, dir, "index.md"))
	}
	catalog := read(t, dir, "catalog.json")

	// The index is written once or twice: before and after the note it
	// lists, when both are processed at once.
	es := history(t, "--run", run, "-c", cfg)
	got := map[string]journal.Entry{}
	for _, e := range es {
		if e.Run != run || e.Root != dir {
			t.Errorf("entry %+v: want run %s in root %s", e, run, dir)
		}
		if _, ok := got[e.Path]; !ok {
			got[e.Path] = e
		}
	}
	want := map[string][2]string{ // path → rule, via
		"notes/a.md": {"done", ""}, "notes/b.md": {"todo", ""}, "index.md": {"list", ""}, "catalog.json": {"cat", "catalog"},
	}
	if len(got) != len(want) {
		t.Fatalf("history --run %s: writes to %d files, want %d: %+v", run, len(got), len(want), es)
	}
	for p, w := range want {
		if e := got[p]; e.Rule != w[0] || e.Via != w[1] {
			t.Errorf("entry of %s: rule %q via %q, want %q via %q", p, e.Rule, e.Via, w[0], w[1])
		}
	}
	if e := got["catalog.json"]; e.BeforeHash != "" || e.AfterHash != journal.Hash([]byte(catalog)) {
		t.Errorf("catalog entry %+v: want a creation of what is on disk", e)
	}
	if _, out, _ := scribe(t, "history", "-c", cfg); !strings.Contains(out, run) || !strings.Contains(out, "cat (catalog)") {
		t.Errorf("history text lacks the run id or the action:\n%s", out)
	}

	// The user edits b.md after the run: undoing the run leaves it.
	userB := noteBDone + "mine\n"
	writeFiles(t, dir, map[string]string{"notes/b.md": userB})
	code, out, errOut := scribe(t, "undo", "--run", run, "-c", cfg)
	if code != cli.ExitFailure || !strings.Contains(out, "notes/b.md as it is") || !strings.Contains(errOut, "--force") {
		t.Fatalf("undo --run with a user edit: exit %d\n%s%s", code, out, errOut)
	}
	if got := read(t, dir, "notes/b.md"); got != userB {
		t.Fatalf("the user's edit was overwritten without --force: %q", got)
	}
	if read(t, dir, "notes/a.md") != noteA || read(t, dir, "index.md") != emptyIdx {
		t.Fatalf("after undo --run: a=%q index=%q", read(t, dir, "notes/a.md"), read(t, dir, "index.md"))
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog.json")); !os.IsNotExist(err) {
		t.Fatalf("catalog.json, which the run created, still exists: %v", err)
	}

	// Undone is a decision: neither a run nor a check redoes it.
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 || read(t, dir, "notes/a.md") != noteA ||
		read(t, dir, "index.md") != emptyIdx || strings.Contains(errOut, "scribe undo --run") {
		t.Fatalf("a run after the undo: exit %d, a=%q index=%q\n%s%s", code, read(t, dir, "notes/a.md"), read(t, dir, "index.md"), out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog.json")); !os.IsNotExist(err) {
		t.Fatalf("the run made the undone catalog again: %v", err)
	}
	if code, out, errOut := scribe(t, "check", "-c", cfg); code != 0 {
		t.Fatalf("check after the undo: exit %d, want 0 (nothing to do)\n%s%s", code, out, errOut)
	}

	// --force restores b.md too; the user's version is journaled first.
	if code, out, errOut := scribe(t, "undo", "--run", run, "--force", "-c", cfg); code != 0 || !strings.Contains(out, "1 of "+strconv.Itoa(len(es))+" writes restored") {
		t.Fatalf("undo --run --force: exit %d\n%s%s", code, out, errOut)
	}
	if got := read(t, dir, "notes/b.md"); got != noteB {
		t.Fatalf("b.md after the forced undo: %q", got)
	}
	hb := history(t, filepath.Join(dir, "notes/b.md"), "-c", cfg)
	if len(hb) != 2 || hb[0].Rule != journal.RuleUndo || hb[0].BeforeHash != journal.Hash([]byte(userB)) {
		t.Fatalf("history of b.md = %+v, want the forced undo with the user's version", hb)
	}
}

// Undoing one write of a note brings the index that lists the note up to
// date; later runs leave the undone write undone until the user edits the
// note.
func TestUndoOneWriteUpdatesTheIndex(t *testing.T) {
	dir, cfg := undoVault(t)
	if code, _, errOut := scribe(t, "run", "-c", cfg); code != 0 {
		t.Fatalf("scribe run: exit %d\n%s", code, errOut)
	}
	es := history(t, filepath.Join(dir, "notes/a.md"), "-c", cfg)
	if len(es) != 1 || es[0].Rule != "done" {
		t.Fatalf("history of a.md = %+v", es)
	}
	code, out, errOut := scribe(t, "undo", strconv.FormatUint(es[0].ID, 10), "-c", cfg)
	if code != 0 || !strings.Contains(out, "notes/a.md as it was before") || !strings.Contains(out, "index.md (run ") {
		t.Fatalf("scribe undo: exit %d\n%s%s", code, out, errOut)
	}
	if got := read(t, dir, "index.md"); read(t, dir, "notes/a.md") != noteA || !strings.Contains(got, "- A: open") {
		t.Fatalf("after the undo: a=%q index=%q", read(t, dir, "notes/a.md"), got)
	}
	if code, _, errOut := scribe(t, "run", "-c", cfg); code != 0 || read(t, dir, "notes/a.md") != noteA {
		t.Fatalf("a run redid the undone write: exit %d, a=%q\n%s", code, read(t, dir, "notes/a.md"), errOut)
	}

	writeFiles(t, dir, map[string]string{"notes/a.md": noteA + "edited\n"})
	if code, _, errOut := scribe(t, "run", "-c", cfg); code != 0 || read(t, dir, "notes/a.md") != noteADone+"edited\n" ||
		!strings.Contains(read(t, dir, "index.md"), "- A: done") {
		t.Fatalf("after the user's edit the rule applies again: exit %d, a=%q\n%s", code, read(t, dir, "notes/a.md"), errOut)
	}
}

// While another scribe (a daemon) holds the journal, scribe run writes
// nothing and says why; a check still works.
func TestRunRefusesWhileTheJournalIsHeld(t *testing.T) {
	dir, cfg := undoVault(t)
	j, err := journal.Open(filepath.Join(dir, ".scribe", "journal.db"), journal.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	code, out, errOut := scribe(t, "run", "-c", cfg)
	if code != cli.ExitFailure || !strings.Contains(errOut, "scribe watch") || !strings.Contains(errOut, "scribe check") {
		t.Fatalf("run with the journal held: exit %d\n%s%s", code, out, errOut)
	}
	if read(t, dir, "notes/a.md") != noteA || read(t, dir, "notes/b.md") != noteB {
		t.Fatal("run wrote files it could not journal")
	}
	if code, _, errOut := scribe(t, "check", "-c", cfg); code != cli.ExitChanges {
		t.Fatalf("check with the journal held: exit %d\n%s", code, errOut)
	}
}
