package daemon_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
)

// Pausing, through the API or with a .scribe-pause file in the root, stops
// every write; the changes made meanwhile are queued and processed on resume.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"api", "file"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, conf{Rules: todoRule}, nil)
			r := e.start()
			pauseFile := e.path(".scribe-pause")
			switch how {
			case "api":
				r.post("/api/v1/pause")
				if st := r.status(); !st.Paused || !slices.Equal(st.PausedBy, []string{"api"}) {
					t.Fatalf("after POST /api/v1/pause: paused %v by %q", st.Paused, st.PausedBy)
				}
				waitFor(t, 5*time.Second, "the pause event", func() bool {
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
			waitFor(t, 10*time.Second, "the changes queued", func() bool { return r.status().Queue.Pending == n })
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
			case "api":
				r.post("/api/v1/resume")
			case "file":
				must(t, os.Remove(pauseFile))
			}
			for i := range n {
				rel, want := fmt.Sprintf("notes/%d.md", i), fmt.Sprintf("- [ ] task %d\n", i)
				waitFor(t, 10*time.Second, rel+" processed after resume", func() bool { return e.read(rel) == want })
			}
			t.Logf("%d queued changes processed %v after resume", n, time.Since(t0).Round(time.Millisecond))
			waitFor(t, 10*time.Second, "an empty queue", func() bool { return r.status().Queue.Pending == 0 })
			if st := r.status(); st.Paused || st.Counters["written"] != n {
				t.Errorf("after resume: paused %v, counters %v; want %d written", st.Paused, st.Counters, n)
			}
			if v := r.metric("scribe_paused"); v != 0 {
				t.Errorf("scribe_paused = %v after resume", v)
			}
		})
	}
}
