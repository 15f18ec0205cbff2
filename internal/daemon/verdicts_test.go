package daemon_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/poll"
)

// An index hub regenerated because its inputs changed is no loop, however
// often it happens in a row: A→B→A→B→A regenerations of the hub, each
// caused by a user's save of a task, never quarantine it.
func TestIndexRegenerationIsNoLoop(t *testing.T) {
	t.Parallel()
	e, r := startBoard(t, "a", "b")
	states := []string{"done", "open", "done", "open", "done", "open"}
	for _, s := range states {
		e.write("tasks/a.md", "---\nstate: "+s+"\n---\n")
		waitBoard(t, e, "a: "+s)
	}
	r.sync()
	if n := len(r.history(e.path("board.md"))); n < len(states)+1 {
		t.Errorf("board.md written %d times, want at least %d", n, len(states)+1)
	}
	if st := r.status(); len(st.Quarantined) != 0 {
		t.Fatalf("quarantined: %v; a hub whose inputs changed is no loop", st.Quarantined)
	}
	if n := r.metric("scribe_loop_breaks_total"); n != 0 {
		t.Errorf("scribe_loop_breaks_total = %v, want 0", n)
	}
	// It still follows its inputs.
	e.write("tasks/b.md", "---\nstate: done\n---\n")
	waitBoard(t, e, "b: done")
}

// startBoard starts a daemon on a vault of open task notes (tasks/NAME.md)
// and a hub, board.md, whose index lists each task's state; no rule selects
// the tasks themselves. It returns once the first board lists task one.
func startBoard(t *testing.T, tasks ...string) (*env, *running) {
	t.Helper()
	rules := `  - id: board
    files: "board.md"
    actions:
      - index: { name: tasks, from: "tasks/*.md", template: "- {{ .Name }}: {{ .FM.state }}" }
`
	files := map[string]string{"board.md": "# Board\n<!-- scribe:index tasks -->\n<!-- /scribe:index -->\n"}
	for _, name := range tasks {
		files["tasks/"+name+".md"] = "---\nstate: open\n---\n"
	}
	e := newEnv(t, conf{Rules: rules}, files)
	r := e.start()
	waitBoard(t, e, tasks[0]+": open")
	return e, r
}

// waitBoard waits until board.md lists the line "- LINE".
func waitBoard(t *testing.T, e *env, line string) {
	t.Helper()
	poll.Until(t, 30*time.Second, "the board showing "+line, func() bool { return strings.Contains(e.read("board.md"), "- "+line+"\n") })
}

// Two hubs that list each other, each stamped on every run, regenerate each
// other forever with no outside change: the loop breaker trips and
// quarantines one (which stops the other) until the user edits it.
func TestHubsFeedingEachOtherAreALoop(t *testing.T) {
	t.Parallel()
	rules := `  - id: hubs
    files: "hub-*.md"
    actions:
      - frontmatter.set: { stamp: '{{ now | date "15:04:05.000000000" }}' }
      - index: { name: others, from: "hub-*.md", template: "- {{ .Name }} {{ .FM.stamp }}" }
`
	e := newEnv(t, conf{Rules: rules}, nil)
	r := e.start()
	e.write("hub-a.md", "<!-- scribe:index others -->\n<!-- /scribe:index -->\n")
	e.write("hub-b.md", "<!-- scribe:index others -->\n<!-- /scribe:index -->\n")
	poll.Until(t, 30*time.Second, "the quarantine", func() bool { return len(r.status().Quarantined) > 0 })
	if n := r.metric("scribe_loop_breaks_total"); n < 1 {
		t.Errorf("scribe_loop_breaks_total = %v, want at least 1", n)
	}
	q := r.status().Quarantined[0]
	hub := q[strings.LastIndex(q, " ")+1:]
	if n := len(r.history(e.path(hub))); n < 4 || n > 8 {
		t.Errorf("%s written %d times before the breaker tripped, want 4 (a few more at most)", hub, n)
	}
	// A user's edit releases it.
	before := len(r.history(e.path(hub)))
	e.write(hub, "<!-- scribe:index others -->\n<!-- /scribe:index -->\nedited\n")
	poll.Until(t, 30*time.Second, "the edit processed", func() bool { return len(r.history(e.path(hub))) > before })
}

// In the daemon too, links to notes excluded from processing resolve, and
// the excluded notes are left alone.
func TestLinksToExcludedNotesResolve(t *testing.T) {
	t.Parallel()
	rules := `  - id: links
    actions:
      - links.check: {}
` + todoRule
	e := newEnv(t, conf{Exclude: `["archive/**"]`, Rules: rules}, map[string]string{
		"archive/old.md": "# Head\nTODO: stays\n",
	})
	r := e.start()
	e.write("notes/a.md", "[[old#Head]] [[archive/old]] [[gone]]\nTODO: a\n")
	poll.Until(t, 30*time.Second, "notes/a.md processed", func() bool { return e.read("notes/a.md") == "[[old#Head]] [[archive/old]] [[gone]]\n- [ ] a\n" })
	poll.Until(t, 10*time.Second, "the findings of notes/a.md", func() bool {
		return r.ev.count(func(ev daemon.Event) bool {
			return ev.Type == "processed" && ev.Path == "notes/a.md" && ev.Findings > 0
		}) > 0
	})
	r.sync()
	if n := r.ev.count(func(ev daemon.Event) bool {
		return ev.Type == "processed" && ev.Path == "notes/a.md" && ev.Findings != 1 && ev.Findings != 0
	}); n != 0 {
		t.Errorf("notes/a.md reported with other than 1 finding (only [[gone]] is broken) %d times", n)
	}
	if got := e.read("archive/old.md"); got != "# Head\nTODO: stays\n" {
		t.Errorf("an excluded note was processed: %q", got)
	}
}

// An index hub follows an edit of a note that no rule selects, made when
// nothing else is being processed: the edit alone must wake the actions
// that aggregate the notes (it did only while the hub's own regenerations
// kept them awake, so this failed about one run in ten under load).
func TestIndexFollowsAnInputNoRuleSelects(t *testing.T) {
	t.Parallel()
	e, r := startBoard(t, "a")
	r.sync()
	// Not an assertion on time: the edit is to come after the batch of the
	// board's regeneration has been finished, which is the case to test.
	time.Sleep(time.Second)
	e.write("tasks/a.md", "---\nstate: done\n---\n")
	waitBoard(t, e, "a: done")
}
