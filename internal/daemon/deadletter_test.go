package daemon_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/poll"
)

// A file whose action keeps failing lands in the dead letters after the
// rule's retries, without holding up other files; `scribe status` lists it
// and `scribe retry-dead-letter` puts it back on the queue.
func TestDeadLetterAndRetry(t *testing.T) {
	t.Parallel()
	// The gate rule's command succeeds only once the flag file exists.
	rules, cmds, flagFile := failingGate(t, "    on_error: { retries: 1 }\n")
	e := newEnv(t, conf{Listen: freePort(t), Commands: cmds, Rules: rules}, nil)
	r := e.start()

	e.write("bad.md", "FAIL\n")
	e.write("good.md", "TODO: unaffected\n")
	var st daemon.Status
	poll.Until(t, 30*time.Second, "a dead letter", func() bool {
		st = r.status()
		return len(st.DeadLetters) > 0
	})
	if got := e.read("good.md"); got != "- [ ] unaffected\n" {
		t.Errorf("good.md = %q; a failing file must not hold up others", got)
	}
	if len(st.DeadLetters) != 1 {
		t.Fatalf("dead letters: %+v, want 1", st.DeadLetters)
	}
	dl := st.DeadLetters[0]
	if dl.Event.Path != "bad.md" || dl.Deliveries != 2 || !strings.Contains(dl.Error, "exit") {
		t.Errorf("dead letter %+v; want bad.md after 2 deliveries (1 retry) with the command's failure", dl)
	}
	if st.Counters["failed"] != 2 {
		t.Errorf("failed counter = %d, want 2 (the first try and the retry)", st.Counters["failed"])
	}
	if got := e.read("bad.md"); got != "FAIL\n" {
		t.Errorf("bad.md = %q; a failing rule must leave the file alone", got)
	}
	poll.Until(t, 5*time.Second, "the dead-letter event", func() bool {
		return r.ev.count(func(ev daemon.Event) bool { return ev.Type == "dead-letter" && ev.Path == "bad.md" }) == 1
	})
	if v := r.metric("scribe_dead_letters"); v != 1 {
		t.Errorf("scribe_dead_letters = %v, want 1", v)
	}
	if v := r.metric("scribe_dead_letters_added_total"); v != 1 {
		t.Errorf("scribe_dead_letters_added_total = %v, want 1", v)
	}

	id := strconv.FormatUint(dl.ID, 10)
	code, out, errOut := scribe(t, "status", "-c", e.cfgPath)
	if code != 0 || !strings.Contains(out, "dead letters") || !strings.Contains(out, "bad.md") || !strings.Contains(out, "  "+id+"  ") {
		t.Errorf("scribe status: exit %d, want the dead letter %s of bad.md listed:\n%s%s", code, id, out, errOut)
	}
	if code, out, errOut := scribe(t, "retry-dead-letter", "-c", e.cfgPath, "999999"); code == 0 || !strings.Contains(errOut, "no dead letter 999999") {
		t.Errorf("retry of an unknown dead letter: exit %d\n%s%s", code, out, errOut)
	}

	must(t, os.WriteFile(flagFile, nil, 0o644))
	if code, out, errOut := scribe(t, "retry-dead-letter", "-c", e.cfgPath, id); code != 0 {
		t.Fatalf("scribe retry-dead-letter %s: exit %d\n%s%s", id, code, out, errOut)
	}
	poll.Until(t, 10*time.Second, "bad.md processed after the retry", func() bool { return e.read("bad.md") == "FIXED\n" })
	poll.Until(t, 10*time.Second, "no dead letters", func() bool { return len(r.status().DeadLetters) == 0 })
}

// A failing rule fails alone in the daemon too: the file's other rules write
// their change once, the failure still retries the file and ends as a dead
// letter, and the retries repeat no write.
func TestFailedRuleOthersWriteOnce(t *testing.T) {
	t.Parallel()
	testBin := tool(t, "false")
	rules := `  - id: gate
    match: '(?m)^FAIL$'
    actions:
      - replace: { with: "CHANGED BY THE FAILING RULE" }
      - exec: { command: [nope], files: false }
    on_error: { retries: 2 }
` + todoRule
	e := newEnv(t, conf{Listen: freePort(t), Commands: map[string]string{"nope": testBin}, Rules: rules}, nil)
	r := e.start()

	e.write("bad.md", "FAIL\nTODO: x\n")
	var st daemon.Status
	poll.Until(t, 30*time.Second, "a dead letter", func() bool {
		st = r.status()
		return len(st.DeadLetters) > 0
	})
	if got := e.read("bad.md"); got != "FAIL\n- [ ] x\n" {
		t.Errorf("bad.md = %q; want the todo rule's change and not the failing rule's", got)
	}
	if dl := st.DeadLetters[0]; dl.Event.Path != "bad.md" || dl.Deliveries != 3 || !strings.Contains(dl.Error, "rule gate: action exec") {
		t.Errorf("dead letter %+v; want bad.md after 3 deliveries naming the failed rule", dl)
	}
	if h := r.history(e.path("bad.md")); len(h) != 1 || h[0].Rule != "todo" {
		t.Errorf("journal of bad.md: %+v; want one write by the todo rule (retries repeat none)", h)
	}
}

// A change whose event the bus could store nowhere (its handler failed, and
// the file queue then refused it) is not left for the next start: the
// watcher forgets the version it saw, and its periodic rescans report the
// file again until the queue takes it. (Without Forget, nothing reports
// that version again and the file stays unprocessed.)
func TestLostEventFoundByRescan(t *testing.T) {
	t.Parallel()
	rules, cmds, flagFile := failingGate(t, "    on_error: { retries: 5 }\n")
	e := newEnv(t, conf{Commands: cmds, Rules: rules}, nil)
	r := e.start(func(o *daemon.Options) { o.Rescan = 200 * time.Millisecond })

	accept := bustest.RefuseFiles(t, r.d.Bus())

	// One change (a rename into place): its event goes to an idle worker
	// directly, whose rule fails (no flag yet); the retry that the bus then
	// stores is refused.
	// Its mtime well past, so that no rescan reports it again as racy (a
	// file recorded within its mtime's tick is reported once more).
	must(t, os.WriteFile(e.path("bad.tmp"), []byte("FAIL\n"), 0o644))
	past := time.Now().Add(-time.Minute)
	must(t, os.Chtimes(e.path("bad.tmp"), past, past))
	must(t, os.Rename(e.path("bad.tmp"), e.path("bad.md")))
	poll.Until(t, 30*time.Second, "the failed run of bad.md given back and refused", func() bool {
		return r.ev.count(processed("bad.md")) >= 1 && r.status().Queue.Pending == 0
	})
	must(t, os.WriteFile(flagFile, nil, 0o644))
	accept()
	poll.Until(t, 30*time.Second, "bad.md processed once the rule can succeed", func() bool { return e.read("bad.md") == "FIXED\n" })
}
