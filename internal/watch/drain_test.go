package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/scribe-md/scribe/internal/poll"
)

// TestEmitterWaitsForDrain: a path that comes due while kernel events wait
// for a stalled drain goroutine is not flushed until the drain goroutine has
// caught up, since the waiting events may be the rest of the same save.
func TestEmitterWaitsForDrain(t *testing.T) {
	gate := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(gate) }) }
	// The settle time only has to outlast the few writes below, even on a
	// loaded machine.
	const settle = time.Second
	h := start(t, map[string]string{"x.md": "x", "y.md": "y"}, config{
		opts: func(o *Options) { o.Settle = settle; o.MaxWait = time.Minute },
		before: func(w *Watcher) {
			w.drainHook = func(ev fsnotify.Event) {
				if filepath.Base(ev.Name) == "y.md" {
					<-gate // the first event of y.md stalls the drain goroutine
				}
			}
		},
	})
	defer release()

	t0 := time.Now()
	must(t, os.WriteFile(h.path("x.md"), []byte("x1"), 0o644))
	must(t, os.WriteFile(h.path("y.md"), []byte("y1"), 0o644))
	// Events of other names queue up behind it (the kernel would merge
	// repeated identical events of one name into one).
	for i := range 5 {
		must(t, os.WriteFile(h.path(fmt.Sprintf("z%d.md", i)), nil, 0o644))
	}
	if time.Since(t0) > settle/2 {
		t.Skip("the machine is too slow for this test's timing")
	}
	poll.Until(t, 30*time.Second, "the emitter to wait for the drain goroutine", h.w.waitDrain.Load)
	if got := h.snapshot(); len(got) != 0 {
		t.Fatalf("flushed while the drain goroutine was behind: %v", got)
	}
	release()
	h.quiesce()
	wantChanges(t, h.take(), "changed x.md", "changed y.md",
		"changed z0.md", "changed z1.md", "changed z2.md", "changed z3.md", "changed z4.md")
}
