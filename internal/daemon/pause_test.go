package daemon_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/poll"
)

// Pausing, through the API, `scribe pause` or a .scribe-pause file in the
// root, stops every write; the changes made meanwhile are queued and processed on resume.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"api", "cli", "file"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			c := conf{Rules: todoRule}
			if how == "cli" {
				c.Listen = freePort(t) // the CLI dials http.listen
			}
			e := newEnv(t, c, nil)
			r := e.start()
			pauseFile := e.path(".scribe-pause")
			switch how {
			case "cli":
				if code, out, errOut := scribe(t, "pause", "-c", e.cfgPath); code != 0 || !strings.Contains(out, "paused") {
					t.Fatalf("scribe pause: exit %d\n%s%s", code, out, errOut)
				}
				code, out, _ := scribe(t, "status", "-c", e.cfgPath)
				if code != 0 || !strings.Contains(out, "paused by api") {
					t.Fatalf("scribe status while paused: exit %d\n%s", code, out)
				}
			case "api":
				r.post("/api/v1/pause")
				if st := r.status(); !st.Paused || !slices.Equal(st.PausedBy, []string{"api"}) {
					t.Fatalf("after POST /api/v1/pause: paused %v by %q", st.Paused, st.PausedBy)
				}
				poll.Until(t, 5*time.Second, "the pause event", func() bool {
					return r.ev.count(func(ev daemon.Event) bool { return ev.Type == "pause" }) == 1
				})
			case "file":
				must(t, os.WriteFile(pauseFile, nil, 0o644))
				if st := r.status(); !st.Paused || !slices.Equal(st.PausedBy, []string{pauseFile}) {
					t.Fatalf("with %s: paused %v by %q", pauseFile, st.Paused, st.PausedBy)
				}
			}
			if v := r.metric("scribe_paused"); v != 1 {
				t.Errorf("scribe_paused = %v while paused", v)
			}

			const n = 5
			for i := range n {
				e.write(fmt.Sprintf("notes/%d.md", i), fmt.Sprintf("TODO: task %d\n", i))
			}
			// Every change is on the queue, held by the paused workers or
			// waiting behind them.
			poll.Until(t, 10*time.Second, "the changes queued", func() bool { return r.status().Queue.Pending == n })
			st := r.status()
			if st.Counters["written"] != 0 || st.Counters["processed"] != 0 {
				t.Fatalf("while paused: counters %v, want nothing processed", st.Counters)
			}
			for i := range n {
				if got := e.read(fmt.Sprintf("notes/%d.md", i)); got != fmt.Sprintf("TODO: task %d\n", i) {
					t.Fatalf("notes/%d.md written while paused: %q", i, got)
				}
			}

			t0 := time.Now()
			switch how {
			case "cli":
				if code, out, errOut := scribe(t, "resume", "-c", e.cfgPath); code != 0 {
					t.Fatalf("scribe resume: exit %d\n%s%s", code, out, errOut)
				}
			case "api":
				r.post("/api/v1/resume")
			case "file":
				must(t, os.Remove(pauseFile))
			}
			for i := range n {
				rel, want := fmt.Sprintf("notes/%d.md", i), fmt.Sprintf("- [ ] task %d\n", i)
				poll.Until(t, 10*time.Second, rel+" processed after resume", func() bool { return e.read(rel) == want })
			}
			t.Logf("%d queued changes processed %v after resume", n, time.Since(t0).Round(time.Millisecond))
			poll.Until(t, 10*time.Second, "an empty queue", func() bool { return r.status().Queue.Pending == 0 })
			if st := r.status(); st.Paused || st.Counters["written"] != n {
				t.Errorf("after resume: paused %v, counters %v; want %d written", st.Paused, st.Counters, n)
			}
			if v := r.metric("scribe_paused"); v != 0 {
				t.Errorf("scribe_paused = %v after resume", v)
			}
		})
	}
}

// A pause longer than the bus's ack wait (30 s), with more changes queued
// than there are workers, gives up on none of them: a paused daemon holds
// no event the ack wait could run out on.
func TestLongPause(t *testing.T) {
	if testing.Short() {
		t.Skip("a 35 s pause")
	}
	t.Parallel()
	e := newEnv(t, conf{Workers: 4, Rules: todoRule}, nil)
	r := e.start()
	r.post("/api/v1/pause")
	const n = 20
	for i := range n {
		e.write(fmt.Sprintf("%d.md", i), fmt.Sprintf("TODO: task %d\n", i))
	}
	poll.Until(t, 10*time.Second, "the changes queued", func() bool { return r.status().Queue.Pending == n })
	// Watch the whole pause: nothing written, nothing given up on.
	for end := time.Now().Add(35 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		st := r.status()
		if len(st.DeadLetters) > 0 || st.Counters["written"] > 0 {
			t.Fatalf("during the pause: %d dead letters %+v, counters %v", len(st.DeadLetters), st.DeadLetters, st.Counters)
		}
	}
	r.post("/api/v1/resume")
	for i := range n {
		rel, want := fmt.Sprintf("%d.md", i), fmt.Sprintf("- [ ] task %d\n", i)
		poll.Until(t, 10*time.Second, rel+" processed after resume", func() bool { return e.read(rel) == want })
	}
	if st := r.status(); len(st.DeadLetters) > 0 {
		t.Errorf("dead letters after a long pause: %+v", st.DeadLetters)
	}
}

// Stopping a paused daemon does not wait out the grace period for the
// events its workers hold, and the queued changes are processed at the next
// start (an API pause does not outlive the process).
func TestStopWhilePaused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Workers: 2, Rules: todoRule}, nil)
	r := e.start()
	r.post("/api/v1/pause")
	const n = 4
	for i := range n {
		e.write(fmt.Sprintf("%d.md", i), fmt.Sprintf("TODO: task %d\n", i))
	}
	poll.Until(t, 10*time.Second, "the changes queued", func() bool { return r.status().Queue.Pending == n })
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if r.took > 3*time.Second {
		t.Errorf("a paused daemon took %v to stop (grace 10 s); nothing was in flight", r.took)
	}
	r = e.start()
	// The pause outlives the restart (TestAPIPauseSurvivesRestart); nothing
	// is written until the user resumes.
	if st := r.status(); !st.Paused {
		t.Fatal("the pause did not survive the restart")
	}
	for i := range n {
		if got := e.read(fmt.Sprintf("%d.md", i)); got != fmt.Sprintf("TODO: task %d\n", i) {
			t.Fatalf("%d.md written while paused: %q", i, got)
		}
	}
	r.post("/api/v1/resume")
	for i := range n {
		rel, want := fmt.Sprintf("%d.md", i), fmt.Sprintf("- [ ] task %d\n", i)
		poll.Until(t, 10*time.Second, rel+" processed after the restart", func() bool { return e.read(rel) == want })
	}
	if testing.Short() {
		return
	}
	// The events the stopped workers held come back when their ack wait
	// (30 s) runs out, and are then redone as no-ops, not given up on.
	t0 := time.Now()
	poll.Until(t, 40*time.Second, "an empty queue", func() bool { return r.status().Queue.Pending == 0 })
	t.Logf("queue empty %v after the files were processed", time.Since(t0).Round(time.Millisecond))
	if st := r.status(); len(st.DeadLetters) > 0 {
		t.Errorf("dead letters: %+v", st.DeadLetters)
	}
}

// A pause made through the API survives a restart, until `resume`.
func TestAPIPauseSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Rules: todoRule}, nil)
	r := e.start()
	r.post("/api/v1/pause")
	must(t, r.stop())

	r = e.start()
	if st := r.status(); !st.Paused || !slices.Equal(st.PausedBy, []string{"api"}) {
		t.Fatalf("after a restart: paused %v by %q, want paused by api", st.Paused, st.PausedBy)
	}
	r.post("/api/v1/resume")
	must(t, r.stop())

	r = e.start()
	defer r.stop()
	if st := r.status(); st.Paused {
		t.Fatalf("after resume and a restart: still paused by %q", st.PausedBy)
	}
}
