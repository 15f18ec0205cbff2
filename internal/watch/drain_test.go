package watch

import (
	"os"
	"sync"
	"testing"
	"time"
)

// TestEmitterWaitsForDrain: a path that comes due while kernel events wait
// for a stalled drain goroutine is not flushed until the drain goroutine has
// caught up, since the waiting events may be the rest of the same save.
func TestEmitterWaitsForDrain(t *testing.T) {
	var (
		mu    sync.Mutex
		stall bool
		gate  = make(chan struct{})
		once  sync.Once
	)
	release := func() { once.Do(func() { close(gate) }) }
	h := start(t, map[string]string{"x.md": "x", "y.md": "y"}, config{
		opts: func(o *Options) { o.Settle = 20 * time.Millisecond },
		before: func(w *Watcher) {
			w.drainHook = func() {
				mu.Lock()
				s := stall
				mu.Unlock()
				if s {
					<-gate
				}
			}
		},
	})
	defer release()

	must(t, os.WriteFile(h.path("x.md"), []byte("x1"), 0o644))
	waitFor(t, 10*time.Second, "x.md queued", func() bool { return h.w.Stats().Pending == 1 })
	mu.Lock()
	stall = true
	mu.Unlock()
	// The first event stalls the drain goroutine; the next ones queue up.
	for i := range 5 {
		must(t, os.WriteFile(h.path("y.md"), []byte{byte('a' + i)}, 0o644))
	}
	waitFor(t, 10*time.Second, "the emitter to wait for the drain goroutine", h.w.waitDrain.Load)
	if got := h.snapshot(); len(got) != 0 {
		t.Fatalf("flushed while the drain goroutine was behind: %v", got)
	}
	mu.Lock()
	stall = false
	mu.Unlock()
	release()
	h.quiesce()
	wantChanges(t, h.take(), "changed x.md", "changed y.md")
}
