package daemon_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/poll"
)

// statusRules mark a note done when its body says DONE, and list the notes
// with their status in index.md.
const statusRules = `  - id: done
    files: "notes/**"
    match: '(?m)^DONE$'
    actions:
      - frontmatter.set: { status: done }
  - id: list
    files: "index.md"
    actions:
      - index: { name: notes, from: "notes/**", template: "- {{ .FM.title }}: {{ .FM.status }}" }
`

const (
	openNote = "---\ntitle: A\nstatus: open\n---\nDONE\n"
	doneNote = "---\ntitle: A\nstatus: done\n---\nDONE\n"
)

// An undone daemon write stays undone: the rule that made it does not redo
// it after a pause and a resume (the file processed again on resume), nor
// after a restart that has lost its file index (every file processed
// again); the index that lists the file shows the restored version; and a
// user's edit ends the undo, so the rule applies to the edited file again.
func TestUndoneDaemonWriteSticks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Rules: statusRules, Listen: freePort(t), Workers: 1}, map[string]string{
		"notes/a.md": openNote,
		"index.md":   "# Notes\n<!-- scribe:index notes -->\n<!-- /scribe:index -->\n",
	})
	r := e.start()
	// The journal entry is committed just after the file is replaced: wait
	// for it too.
	poll.Until(t, 10*time.Second, "the rule's write, its journal entry and the index", func() bool {
		return e.read("notes/a.md") == doneNote && strings.Contains(e.read("index.md"), "- A: done") &&
			len(r.history(e.path("notes/a.md"))) > 0
	})
	hist := r.history(e.path("notes/a.md"))
	if len(hist) != 1 || hist[0].Rule != "done" || hist[0].AfterHash != sha(doneNote) {
		t.Fatalf("history of notes/a.md = %+v, want the rule's one write", hist)
	}

	// Undo while paused: the file waits on the queue, and is processed on
	// resume with the rule held.
	r.post("/api/v1/pause")
	if code, out, errOut := scribe(t, "undo", strconv.FormatUint(hist[0].ID, 10), "-c", e.cfgPath); code != 0 {
		t.Fatalf("scribe undo: exit %d\n%s%s", code, out, errOut)
	}
	if got := e.read("notes/a.md"); got != openNote {
		t.Fatalf("after undo: %q, want %q", got, openNote)
	}
	before := r.ev.count(processed("notes/a.md"))
	r.post("/api/v1/resume")
	poll.Until(t, 10*time.Second, "notes/a.md processed after the resume", func() bool { return r.ev.count(processed("notes/a.md")) > before })
	poll.Until(t, 10*time.Second, "the index to show the undo", func() bool { return strings.Contains(e.read("index.md"), "- A: open") })
	r.sync()
	if got := e.read("notes/a.md"); got != openNote {
		t.Fatalf("the rule redid the undone write after a pause and resume: %q", got)
	}

	// Restart with the file index gone: every file is processed at start.
	must(t, r.stop())
	must(t, os.RemoveAll(filepath.Join(e.dir, "state", "index")))
	r = e.start()
	r.sync()
	if got := e.read("notes/a.md"); got != openNote {
		t.Fatalf("the rule redid the undone write after a restart: %q", got)
	}
	if got := e.read("index.md"); !strings.Contains(got, "- A: open") {
		t.Fatalf("index after the restart:\n%s", got)
	}
	hist = r.history(e.path("notes/a.md"))
	if len(hist) != 2 || hist[0].Rule != journal.RuleUndo {
		t.Fatalf("history of notes/a.md = %+v, want the write and its undo only", hist)
	}

	// The user's edit is a new decision: the rule applies again.
	e.write("notes/a.md", openNote+"edited\n")
	poll.Until(t, 10*time.Second, "the rule on the edited note", func() bool {
		return e.read("notes/a.md") == doneNote+"edited\n" && strings.Contains(e.read("index.md"), "- A: done")
	})
}

// `scribe undo --run` of a one-shot run goes through the daemon when one
// runs, and the daemon does not redo the restored writes.
func TestUndoRunThroughTheDaemon(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Rules: todoRule, Listen: freePort(t), Workers: 1}, map[string]string{
		"notes/a.md": "TODO: a\n", "notes/b.md": "TODO: b\n",
	})
	code, _, errOut := scribe(t, "run", "-c", e.cfgPath)
	m := regexp.MustCompile("`scribe undo --run ([0-9TZ.]+)`").FindStringSubmatch(errOut)
	if code != 0 || m == nil || e.read("notes/a.md") != "- [ ] a\n" {
		t.Fatalf("scribe run: exit %d\n%s", code, errOut)
	}
	r := e.start()
	if code, out, errOut := scribe(t, "undo", "--run", m[1], "-c", e.cfgPath); code != 0 || !strings.Contains(out, "2 of 2 writes restored") {
		t.Fatalf("scribe undo --run through the daemon: exit %d\n%s%s", code, out, errOut)
	}
	r.sync()
	if a, b := e.read("notes/a.md"), e.read("notes/b.md"); a != "TODO: a\n" || b != "TODO: b\n" {
		t.Fatalf("after undo --run and a sync: a=%q b=%q", a, b)
	}
	if hist := r.history(e.path("notes/a.md")); len(hist) != 2 || hist[0].Rule != journal.RuleUndo || hist[1].Run != m[1] {
		t.Fatalf("history of a.md = %+v", hist)
	}
}
