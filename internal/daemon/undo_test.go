package daemon_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/poll"
)

// `scribe undo` through a running daemon restores the content a write
// replaced, is itself journaled, does not make the rules redo the write, and
// is refused when there is nothing left to undo; `scribe history` reads the
// journal directly once the daemon is gone.
func TestUndoAndHistoryThroughTheCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Rules: todoRule, Listen: freePort(t)}, nil)
	r := e.start()
	user := "TODO: keep me as I wrote it\n"
	e.write("notes/a.md", user)
	poll.Until(t, 10*time.Second, "notes/a.md rewritten", func() bool { return e.read("notes/a.md") == "- [ ] keep me as I wrote it\n" })
	var hist []journal.Entry
	poll.Until(t, 10*time.Second, "the journal entry", func() bool {
		hist = r.history(e.path("notes/a.md"))
		return len(hist) == 1
	})
	id := strconv.FormatUint(hist[0].ID, 10)

	if code, out, errOut := scribe(t, "undo", id, "-c", e.cfgPath); code != 0 || !strings.Contains(out, "restored") {
		t.Fatalf("scribe undo %s: exit %d\n%s%s", id, code, out, errOut)
	}
	if got := e.read("notes/a.md"); got != user {
		t.Fatalf("after undo: %q, want the user's %q", got, user)
	}
	// The restored file is the engine's own write: once every earlier event
	// went through, the rule has not turned the TODO back into a task.
	r.sync()
	if got := e.read("notes/a.md"); got != user {
		t.Fatalf("the rules redid the undone write: %q", got)
	}
	hist = r.history(e.path("notes/a.md"))
	if len(hist) != 2 || hist[0].Rule != journal.RuleUndo || hist[0].AfterHash != sha(user) {
		t.Fatalf("history after undo = %+v, want the undo entry first", hist)
	}
	if code, _, errOut := scribe(t, "undo", id, "-c", e.cfgPath); code != 3 {
		t.Fatalf("undoing twice: exit %d (%s), want 3", code, errOut)
	}

	must(t, r.stop())
	code, out, errOut := scribe(t, "history", e.path("notes/a.md"), "--format", "json", "-c", e.cfgPath)
	if code != 0 || strings.Count(out, `"id"`) != 2 {
		t.Fatalf("scribe history without a daemon: exit %d\n%s%s", code, out, errOut)
	}
}
