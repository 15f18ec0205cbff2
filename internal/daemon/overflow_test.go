package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/poll"
)

// Thousands of files created while processing is paused (20,000 by
// default, more than the kernel's default inotify queue of 16,384 events)
// are all processed after resume, and none is written while paused.
func TestOverflowWhilePaused(t *testing.T) {
	n := *flagOverflowFiles
	switch {
	case flagSet("daemon.overflow-files"):
	case testing.Short():
		n = 2000
	case raceEnabled:
		n = 5000 // 20,000 take over 3 minutes under -race on 2 cores
	}
	e := newEnv(t, conf{Workers: 4, Rules: todoRule}, nil)
	r := e.start()
	r.post("/api/v1/pause")

	t0 := time.Now()
	dir := e.path("bulk")
	must(t, os.MkdirAll(dir, 0o755))
	for i := range n {
		must(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d.md", i)), fmt.Appendf(nil, "TODO: %d\n", i), 0o644))
	}
	created := time.Since(t0)
	poll.Until(t, 120*time.Second, fmt.Sprintf("%d changes queued", n), func() bool { return r.status().Queue.Pending >= n })
	queued := time.Since(t0)
	if st := r.status(); st.Counters["written"] != 0 {
		t.Fatalf("%d files written while paused", st.Counters["written"])
	}

	t1 := time.Now()
	r.post("/api/v1/resume")
	poll.Until(t, 180*time.Second, fmt.Sprintf("%d files written", n), func() bool {
		return r.status().Counters["written"] >= int64(n)
	})
	took := time.Since(t1)
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("f%05d.md", i))
		b, err := os.ReadFile(p)
		must(t, err)
		if want := fmt.Sprintf("- [ ] %d\n", i); string(b) != want {
			t.Fatalf("%s = %q, want %q", p, b, want)
		}
	}
	poll.Until(t, 30*time.Second, "an empty queue", func() bool { return r.status().Queue.Pending == 0 })
	st := r.status()
	if st.Counters["written"] != int64(n) || st.Counters["failed"] != 0 || len(st.DeadLetters) != 0 {
		t.Errorf("counters %v, %d dead letters; want exactly %d written, none failed or given up on", st.Counters, len(st.DeadLetters), n)
	}
	t.Logf("%d files: created in %v, all queued after %v, processed in %v after resume (%.0f files/s); %d processed, %d kernel queue overflows, %d rescans",
		n, created.Round(time.Millisecond), queued.Round(time.Millisecond), took.Round(time.Millisecond),
		float64(n)/took.Seconds(), st.Counters["processed"], st.Roots[0].Overflows, st.Roots[0].Rescans)
}
