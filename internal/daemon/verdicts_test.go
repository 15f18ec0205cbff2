package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

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

// Another program that answers each of the engine's writes to a file with a
// write of its own (here the test, as a second `scribe watch` on the same
// files would, stamping a counter of its own) makes every write an outside
// change: the breaker counts the answers in a row, quarantines the file,
// and ignores the answer to its last write, so that both stop. A change
// that is not such an answer lifts the quarantine.
func TestAnsweredWritesAreALoop(t *testing.T) {
	t.Parallel()
	rules := `  - id: stamp
    files: "notes/**/*.md"
    actions:
      - frontmatter.set: { updated: '{{ now | date "15:04:05.000000000" }}' }
`
	e := newEnv(t, conf{Rules: rules}, nil)
	r := e.start()
	const note = "notes/p.md"
	p := e.path(note)

	// The other program: whenever the file holds a stamp it did not write,
	// it writes its own (a counter in the body), as a watcher.
	const settle = 20 * time.Millisecond
	w, err := fsnotify.NewWatcher()
	must(t, err)
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, w.Add(filepath.Dir(p)))
	answered := make(chan int)
	go func() {
		n, last := 0, ""
		defer func() { answered <- n }()
		for ev := range w.Events {
			if ev.Name != p {
				continue
			}
			// It settles first, as a second daemon does (an answer made
			// within microseconds of the engine's exchange would be taken
			// for the engine's own version: see Replace).
			time.Sleep(settle)
			b, err := os.ReadFile(p)
			if s := string(b); err == nil && s != last && strings.Contains(s, "updated: ") {
				n++
				last = regexp.MustCompile(`answer \d+`).ReplaceAllString(s, fmt.Sprintf("answer %d", n))
				tmp := filepath.Join(filepath.Dir(p), ".other.tmp")
				if os.WriteFile(tmp, []byte(last), 0o644) == nil {
					os.Rename(tmp, p)
				}
			}
		}
	}()
	stop := func() { w.Close() }
	defer stop()
	e.write(note, "---\ntitle: P\n---\nanswer 0\n")
	poll.Until(t, 30*time.Second, "the quarantine", func() bool { return len(r.status().Quarantined) > 0 })
	// Its answer to the engine's last write is made, and ignored.
	poll.Until(t, 10*time.Second, "the answer to the last write", func() bool {
		return strings.Contains(e.read(note), fmt.Sprintf("answer %d", len(r.history(p))))
	})
	stop()
	answers := <-answered
	r.sync()
	r.sync()
	writes := len(r.history(p))
	if writes < daemon.AnswerLimit+1 || writes > daemon.AnswerLimit+3 {
		t.Errorf("%d writes (%d answers) before the breaker tripped, want %d (the first, and one for each answer up to the limit)", writes, answers, daemon.AnswerLimit+1)
	}
	if answers != writes {
		t.Errorf("the other program answered %d of %d writes: the answer to the last one was processed (or the test's program missed one)", answers, writes)
	}
	if n := r.metric("scribe_loop_breaks_total"); n != 1 {
		t.Errorf("scribe_loop_breaks_total = %v, want 1", n)
	}
	if n := r.ev.count(func(ev daemon.Event) bool {
		return ev.Type == "loop" && ev.Path == note && strings.Contains(ev.Message, "another program answers each write")
	}); n != 1 {
		t.Errorf("%d loop events naming the answers, want 1", n)
	}
	if got := r.status().Quarantined; len(got) != 1 || !strings.HasSuffix(got[0], note) {
		t.Errorf("quarantined %v, want %s", got, note)
	}

	// A user's edit, made after the answer window, lifts it.
	last := r.history(p)[0].Time
	poll.Until(t, 10*time.Second, "the answer window to pass", func() bool { return time.Since(last) > daemon.AnswerWindow })
	e.write(note, strings.Replace(e.read(note), "title: P", "title: Edited", 1))
	poll.Until(t, 30*time.Second, "the edit processed", func() bool { return len(r.history(p)) == writes+1 })
	if got := r.status().Quarantined; len(got) != 0 {
		t.Errorf("still quarantined after the user's edit: %v", got)
	}
}
