package daemon_test

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/gctune"
	"github.com/scribe-md/scribe/internal/poll"
)

// The start's catch-up feeds the queue a window at a time: the queue never
// holds much more than the window however big the backlog, an edit made
// during the backlog goes first, a restart midway queues only what is left,
// and every file is written exactly once.
func TestCatchUpFeedsAWindow(t *testing.T) {
	const n, window = 400, 20
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("d%d/n%03d.md", i%8, i)] = fmt.Sprintf("# %d\nTODO: note %d\n", i, i)
	}
	e := newEnv(t, conf{Workers: 1, Rules: todoRule}, files)
	path := func(i int) string { return fmt.Sprintf("d%d/n%03d.md", i%8, i) }
	done := func() int {
		c := 0
		for i := range n {
			if strings.Contains(e.read(path(i)), "- [ ] ") {
				c++
			}
		}
		return c
	}
	small := func(o *daemon.Options) { o.CatchUpWindow = window }

	r := e.start(small)
	st := r.status()
	if st.Queue.Pending < n-done() || st.Queue.CatchUp == 0 {
		t.Fatalf("at ready: pending %d (catch-up %d), want all %d files counted", st.Queue.Pending, st.Queue.CatchUp, n)
	}
	// The queue itself (pending less the catch-up's count) stays within
	// the window, publishes in flight included.
	maxQueued := 0
	sample := func() daemon.Status {
		st := r.status()
		maxQueued = max(maxQueued, st.Queue.Pending-st.Queue.CatchUp)
		return st
	}
	poll.Until(t, 60*time.Second, "a quarter processed", func() bool { sample(); return done() >= n/4 })

	// An edit of a file the catch-up has not reached is processed while
	// the backlog lasts (the bulk queue waits behind live events).
	edited := -1
	for i := n - 1; i >= 0; i-- {
		if !strings.Contains(e.read(path(i)), "- [ ]") {
			edited = i
			break
		}
	}
	e.write(path(edited), fmt.Sprintf("# %d\nTODO: edited %d\n", edited, edited))
	poll.Until(t, 30*time.Second, "the edit processed", func() bool {
		sample()
		return strings.Contains(e.read(path(edited)), "- [ ] edited")
	})
	if st := sample(); st.Queue.Pending == 0 {
		t.Errorf("the backlog was over when the edit was processed: it did not go first")
	}

	poll.Until(t, 60*time.Second, "half processed", func() bool { sample(); return done() >= n/2 })
	must(t, r.stop())
	left := n - done()
	r = e.start(small)
	if st := r.status(); st.Queue.Pending > left || st.Queue.CatchUp > left {
		t.Errorf("after a restart midway: pending %d (catch-up %d), but only %d files are left", st.Queue.Pending, st.Queue.CatchUp, left)
	}
	poll.Until(t, 120*time.Second, "every file processed", func() bool { sample(); return done() == n })
	poll.Until(t, 30*time.Second, "an empty queue", func() bool { return sample().Queue.Pending == 0 })
	// The window, publishes in flight (as many), the files in progress
	// (daemon.FilesPerWorker, one worker) and the edit.
	if bound := 2*window + daemon.FilesPerWorker + 1; maxQueued > bound {
		t.Errorf("the queue held %d events at most, want at most %d", maxQueued, bound)
	}
	for i := range n {
		if h := r.history(e.path(path(i))); len(h) != 1 {
			t.Errorf("%s written %d times, want once", path(i), len(h))
		}
	}
	t.Logf("%d files, window %d: at most %d events queued at once", n, window, maxQueued)
}

// A catch-up runs on the collector policy's lean floor until a worker has
// taken the last file it queued; the floor is back after it. Not parallel
// (t.Setenv): the policy is the process's.
func TestCatchUpRunsLean(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	// Floors far above the test's heap, so that the limit is the floor.
	const floor, lean = 1 << 30, 512 << 20
	defer gctune.Apply(gctune.Policy{GOGC: 100, Floor: floor, Lean: lean, Ratio: 1.5})()
	limit := func() int64 { return debug.SetMemoryLimit(-1) }

	const n = 30
	files := map[string]string{".scribe-pause": ""}
	for i := range n {
		files[fmt.Sprintf("n%02d.md", i)] = fmt.Sprintf("TODO: note %d\n", i)
	}
	e := newEnv(t, conf{Rules: todoRule}, files)
	r := e.start()
	// Paused, the workers take nothing: the catch-up waits, lean.
	poll.Until(t, 10*time.Second, "the lean floor while the catch-up waits", func() bool { return limit() == lean })
	if st := r.status(); st.Queue.Pending == 0 {
		t.Fatalf("nothing pending at ready: %+v", st.Queue)
	}
	must(t, os.Remove(e.path(".scribe-pause")))
	poll.Until(t, 30*time.Second, "every note processed", func() bool {
		for i := range n {
			if !strings.HasPrefix(e.read(fmt.Sprintf("n%02d.md", i)), "- [ ] ") {
				return false
			}
		}
		return true
	})
	poll.Until(t, 10*time.Second, "the floor back after the catch-up", func() bool { return limit() == floor })
}
