package daemon_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/poll"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// An edit is processed, journaled with the content it replaced, counted in
// the metrics; a file changed before the start is caught up.
func TestEditProcessedAndJournaled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Rules: todoRule}, map[string]string{
		"notes/before.md": "TODO: written while the daemon was down\n",
	})
	r := e.start()
	poll.Until(t, 10*time.Second, "catch-up of notes/before.md", func() bool {
		return e.read("notes/before.md") == "- [ ] written while the daemon was down\n"
	})

	user := "# A\nTODO: write the spec\n"
	want := "# A\n- [ ] write the spec\n"
	e.write("notes/a.md", user)
	poll.Until(t, 10*time.Second, "notes/a.md rewritten", func() bool { return e.read("notes/a.md") == want })

	// The journal entry lands just after the file.
	var hist []journal.Entry
	poll.Until(t, 10*time.Second, "the journal entry", func() bool {
		hist = r.history(e.path("notes/a.md"))
		return len(hist) > 0
	})
	if len(hist) != 1 {
		t.Fatalf("history of notes/a.md: %d entries, want 1: %+v", len(hist), hist)
	}
	h := hist[0]
	if h.Rule != "todo" || h.Path != "notes/a.md" || h.Root != e.vault || h.BeforeHash != sha(user) || h.AfterHash != sha(want) || h.Size != int64(len(user)) {
		t.Errorf("journal entry = %+v; want rule todo, notes/a.md in %s, before %s, after %s, size %d", h, e.vault, sha(user), sha(want), len(user))
	}
	poll.Until(t, 10*time.Second, "the processed event", func() bool { return r.ev.count(written("notes/a.md")) == 1 })
	st := r.status()
	if st.Counters["written"] != 2 || st.Counters["failed"] != 0 || !st.Ready || st.Paused {
		t.Errorf("status: %+v; want 2 written (catch-up and edit), none failed, ready, not paused", st)
	}
	if n := r.metric(`scribe_files_processed_total{result="written",rule="todo"}`); n != 2 {
		t.Errorf("scribe_files_processed_total{written,todo} = %v, want 2", n)
	}
	poll.Until(t, 10*time.Second, `scribe_events_received_total{reason="event"} ≥ 1`, func() bool {
		return r.metric(`scribe_events_received_total{reason="event"}`) >= 1
	})
}

// An idempotent rule writes exactly once per user save.
func TestIdempotentRuleWritesOncePerSave(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Workers: 1, Rules: todoRule}, nil)
	r := e.start()
	// The file is created after the start, so no catch-up run muddles the
	// counts; its creation is processed before counting starts.
	e.write("notes/a.md", "# A\n")
	r.created("notes/a.md")
	base := r.ev.count(processed("notes/a.md"))
	const saves = 5
	want := "# A\n"
	for i := 1; i <= saves; i++ {
		e.write("notes/a.md", want+fmt.Sprintf("TODO: item %d\n", i))
		want += fmt.Sprintf("- [ ] item %d\n", i)
		poll.Until(t, 10*time.Second, fmt.Sprintf("save %d processed", i), func() bool { return e.read("notes/a.md") == want })
	}
	// Anything the engine's writes would have set off has settled by the
	// time two later sentinels are through.
	r.sync()
	r.sync()
	if n := len(r.history(e.path("notes/a.md"))); n != saves {
		t.Errorf("journal: %d writes for %d saves, want exactly %d", n, saves, saves)
	}
	if n := r.ev.count(written("notes/a.md")); n != saves {
		t.Errorf("%d writing runs for %d saves", n, saves)
	}
	if n := r.ev.count(processed("notes/a.md")) - base; n != saves {
		t.Errorf("notes/a.md processed %d times for %d saves (the engine's own writes must not come back)", n, saves)
		for _, ev := range r.ev.find(processed("notes/a.md")) {
			t.Logf("%+v", ev)
		}
	}
	if got := e.read("notes/a.md"); got != want {
		t.Errorf("content = %q, want %q", got, want)
	}
}

// A rule that changes the file on every run (a timestamp) writes once per
// user save and does not loop on its own writes, not even across periodic
// rescans.
func TestTimestampRuleDoesNotLoop(t *testing.T) {
	t.Parallel()
	stamp := `  - id: stamp
    files: "notes/**/*.md"
    actions:
      - frontmatter.set: { updated: '{{ now | date "15:04:05.000000000" }}' }
`
	e := newEnv(t, conf{Workers: 1, Rules: stamp}, nil)
	r := e.start(func(o *daemon.Options) { o.Rescan = 200 * time.Millisecond })
	rescans := func() uint64 { return r.status().Roots[0].Rescans }

	e.write("notes/t.md", "---\ntitle: T\n---\nbody\n")
	poll.Until(t, 10*time.Second, "the stamp", func() bool { return strings.Contains(e.read("notes/t.md"), "updated: ") })
	// Let two periodic rescans pass over the stamped file, then flush the
	// queue twice.
	base := rescans()
	poll.Until(t, 10*time.Second, "two periodic rescans", func() bool { return rescans() >= base+2 })
	r.sync()
	r.sync()
	after1 := e.read("notes/t.md")
	if n := len(r.history(e.path("notes/t.md"))); n != 1 {
		t.Fatalf("journal: %d writes after one user save, want 1 (a feedback loop)", n)
	}
	if n := r.ev.count(written("notes/t.md")); n != 1 {
		t.Errorf("%d writing runs after one user save, want 1", n)
	}

	// The next user save is stamped again: exactly one more write.
	e.write("notes/t.md", strings.Replace(after1, "body", "more body", 1))
	poll.Until(t, 10*time.Second, "the second stamp", func() bool {
		s := e.read("notes/t.md")
		return strings.Contains(s, "more body") && s != strings.Replace(after1, "body", "more body", 1)
	})
	base = rescans()
	poll.Until(t, 10*time.Second, "two periodic rescans", func() bool { return rescans() >= base+2 })
	r.sync()
	if n := len(r.history(e.path("notes/t.md"))); n != 2 {
		t.Errorf("journal: %d writes after two user saves, want 2", n)
	}
	st := r.status()
	if len(st.Quarantined) != 0 {
		t.Errorf("quarantined: %v; a rule stamping user saves is no loop", st.Quarantined)
	}
	if n := r.metric("scribe_loop_breaks_total"); n != 0 {
		t.Errorf("scribe_loop_breaks_total = %v, want 0", n)
	}
}

// saveVim saves p the way vim does by default (backupcopy=auto, writebackup):
// swap file during the session, probe the directory with 4913, rename the
// file to name~, write a new file, remove the backup.
func saveVim(t testing.TB, p, content string) {
	t.Helper()
	dir := filepath.Dir(p)
	swap := filepath.Join(dir, "."+filepath.Base(p)+".swp")
	must(t, os.WriteFile(swap, []byte("b0VIM 9.1"), 0o600))
	probe := filepath.Join(dir, "4913")
	must(t, os.WriteFile(probe, nil, 0o644))
	must(t, os.Remove(probe))
	must(t, os.Rename(p, p+"~"))
	must(t, os.WriteFile(p, []byte(content), 0o644))
	must(t, os.Remove(p+"~"))
	must(t, os.Remove(swap))
}

// A vim-style save and an in-place save are each one change, and no rule
// ever runs on the editor's scratch names, although the include globs and
// the rule take every file.
func TestEditorSaves(t *testing.T) {
	t.Parallel()
	rules := `  - id: todo
    files: "**"
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
`
	// A save is one change when its steps fall within the settle window;
	// under -race on a loaded machine this test's own steps can be 50 ms
	// (the default) apart, so the window is wider here.
	e := newEnv(t, conf{Workers: 1, Include: `["**"]`, Rules: rules, Settle: "500ms"}, nil)
	r := e.start()
	// Created after the start (no catch-up run), and processed before
	// counting starts.
	e.write("notes/v.md", "# V\n")
	e.write("notes/p.md", "# P\n")
	r.created("notes/v.md", "notes/p.md")
	base := map[string]int{"notes/v.md": r.ev.count(processed("notes/v.md")), "notes/p.md": r.ev.count(processed("notes/p.md"))}
	const rounds = 3
	for i := 1; i <= rounds; i++ {
		saveVim(t, e.path("notes/v.md"), fmt.Sprintf("# V\nTODO: vim %d\n", i))
		e.write("notes/p.md", fmt.Sprintf("# P\nTODO: in place %d\n", i))
		for _, c := range []struct{ rel, want string }{
			{"notes/v.md", fmt.Sprintf("# V\n- [ ] vim %d\n", i)},
			{"notes/p.md", fmt.Sprintf("# P\n- [ ] in place %d\n", i)},
		} {
			poll.Until(t, 10*time.Second, c.rel+" processed", func() bool { return e.read(c.rel) == c.want })
		}
		// Wait until both are through before the next round, so that saves
		// are not coalesced.
		poll.Until(t, 10*time.Second, "round processed", func() bool {
			return r.ev.count(written("notes/v.md")) == i && r.ev.count(written("notes/p.md")) == i
		})
	}
	r.sync()
	r.sync()
	for _, rel := range []string{"notes/v.md", "notes/p.md"} {
		if n := r.ev.count(processed(rel)) - base[rel]; n != rounds {
			t.Errorf("%s processed %d times for %d saves", rel, n, rounds)
		}
		if n := len(r.history(e.path(rel))); n != rounds {
			t.Errorf("%s: %d journaled writes for %d saves", rel, n, rounds)
		}
	}
	var paths []string
	for _, ev := range r.ev.find(func(ev daemon.Event) bool { return ev.Type == "processed" }) {
		if !strings.HasPrefix(ev.Path, "sync-") && !slices.Contains(paths, ev.Path) {
			paths = append(paths, ev.Path)
		}
	}
	slices.Sort(paths)
	if !slices.Equal(paths, []string{"notes/p.md", "notes/v.md"}) {
		t.Errorf("processed paths %q; a scratch name (4913, name~, .swp) was processed", paths)
	}
	if n := r.ev.count(func(ev daemon.Event) bool { return ev.Type == "removed" }); n != 0 {
		t.Errorf("%d removed events; a save is no removal", n)
	}
}
