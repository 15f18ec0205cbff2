package watch

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/scan"
)

// lossyBackend drops the events of the paths drop selects, as a kernel queue
// that lost them would, and takes events that a test makes up (inject).
type lossyBackend struct {
	backend
	drop func(name string) bool
	out  chan fsnotify.Event
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func newLossy(drop func(string) bool) (backend, error) {
	be, err := newFsnotify()
	if err != nil {
		return nil, err
	}
	l := &lossyBackend{backend: be, drop: drop, out: make(chan fsnotify.Event), stop: make(chan struct{})}
	l.wg.Go(func() {
		defer close(l.out)
		for ev := range be.Events() {
			if l.drop(ev.Name) {
				continue
			}
			select {
			case l.out <- ev:
			case <-l.stop:
				return
			}
		}
	})
	return l, nil
}

func (l *lossyBackend) Events() <-chan fsnotify.Event { return l.out }

// inject hands the drain an event the test makes up (a late one, as a
// drain that fell behind gets it), returning once the drain has taken it.
func (l *lossyBackend) inject(t *testing.T, ev fsnotify.Event) {
	t.Helper()
	select {
	case l.out <- ev:
	case <-time.After(10 * time.Second):
		t.Fatal("the drain did not take the injected event in 10 s")
	}
}

func (l *lossyBackend) Close() error {
	l.once.Do(func() { close(l.stop) })
	err := l.backend.Close()
	l.wg.Wait()
	return err
}

// TestRescanFindsMissedChanges is rule 1: events are hints. Changes whose
// events were lost are found by a requested rescan and by the periodic one,
// and a rescan does not report what did not change.
func TestRescanFindsMissedChanges(t *testing.T) {
	lost := func(name string) bool { return strings.Contains(filepath.Base(name), "lost") }
	h := start(t, map[string]string{"lost-a.md": "a", "d/lost-b.md": "b", "d/lost-gone.md": "g", "same.md": "s"}, config{
		opts: func(o *Options) { o.Rescan = -1 },
		before: func(w *Watcher) {
			w.newBackend = func() (backend, error) { return newLossy(lost) }
		},
	})
	// A same-size edit: the fingerprint still shows it (mtime, ctime).
	must(t, os.WriteFile(h.path("lost-a.md"), []byte("A"), 0o644))
	must(t, os.Remove(h.path("d/lost-gone.md")))
	must(t, os.WriteFile(h.path("d/lost-new.md"), []byte("n"), 0o644))
	h.quiesce()
	wantChanges(t, h.take()) // the events were lost

	before := h.w.Stats().Rescans
	h.w.Rescan()
	poll.Until(t, 10*time.Second, "the rescan", func() bool { return h.w.Stats().Rescans > before })
	h.quiesce()
	cs := h.take()
	wantChanges(t, cs, "changed lost-a.md", "changed d/lost-new.md", "removed d/lost-gone.md")
	for _, c := range cs {
		if c.Reason != ReasonRescan {
			t.Errorf("%s: reason %s, want rescan", c.Rel, c.Reason)
		}
	}
}

// TestForget: a change the consumer could not act on (its event lost on
// the bus) is reported again by the next rescan once forgotten; a rescan
// without Forget reports nothing, the watcher having seen that version.
func TestForget(t *testing.T) {
	h := start(t, map[string]string{"a.md": "a", "d/b.md": "b", "c.md": "c"}, config{
		opts: func(o *Options) { o.Rescan = -1 },
	})
	must(t, os.WriteFile(h.path("a.md"), []byte("a2"), 0o644))
	must(t, os.WriteFile(h.path("d/b.md"), []byte("b2"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed a.md", "changed d/b.md")

	rescan := func() []Change {
		t.Helper()
		before := h.w.Stats().Rescans
		h.w.Rescan()
		poll.Until(t, 10*time.Second, "the rescan", func() bool { return h.w.Stats().Rescans > before })
		h.quiesce()
		return h.take()
	}
	wantChanges(t, rescan()) // the versions seen: nothing to report

	h.w.Forget("a.md")
	h.w.Forget("d/b.md")
	h.w.Forget("never.md") // not a document: nothing
	cs := rescan()
	wantChanges(t, cs, "changed a.md", "changed d/b.md")
	for _, c := range cs {
		if c.Reason != ReasonRescan {
			t.Errorf("%s: reason %s, want rescan", c.Rel, c.Reason)
		}
	}
	wantChanges(t, rescan()) // reported once: seen again
}

// TestPeriodicRescan: with Options.Rescan set, a missed change is found
// without anyone asking.
func TestPeriodicRescan(t *testing.T) {
	lost := func(name string) bool { return strings.HasSuffix(name, "lost.md") }
	h := start(t, map[string]string{"lost.md": "a"}, config{
		opts: func(o *Options) { o.Rescan = 200 * time.Millisecond },
		before: func(w *Watcher) {
			w.newBackend = func() (backend, error) { return newLossy(lost) }
		},
	})
	must(t, os.WriteFile(h.path("lost.md"), []byte("b"), 0o644))
	poll.Until(t, 10*time.Second, "the periodic rescan to find the change", func() bool { return len(h.snapshot()) > 0 })
	h.quiesce()
	wantChanges(t, h.take(), "changed lost.md")
}

// TestRefilter: editing an ignore file rebuilds the filter and rescans, so
// documents it now excludes are removed and ones it no longer excludes come
// back.
func TestRefilter(t *testing.T) {
	h := start(t, map[string]string{"a/x.md": "x", "b/y.md": "y"}, config{
		opts: func(o *Options) {
			dir := o.Root
			o.Refilter = func() (*scan.Filter, error) {
				return scan.NewFilter(dir, []string{"**/*.md"}, nil, ".scribe")
			}
		},
	})
	waitRescan := func(n uint64) {
		t.Helper()
		poll.Until(t, 10*time.Second, "the rescan after the ignore file changed", func() bool { return h.w.Stats().Rescans >= n })
		h.quiesce()
	}
	r := h.w.Stats().Rescans
	must(t, os.WriteFile(h.path(".gitignore"), []byte("a/\n"), 0o644))
	waitRescan(r + 1)
	wantChanges(t, h.take(), "removed a/x.md")

	must(t, os.WriteFile(h.path("a/x.md"), []byte("ignored edit"), 0o644))
	must(t, os.WriteFile(h.path("a/new.md"), []byte("ignored file"), 0o644))
	h.quiesce()
	wantChanges(t, h.take())

	must(t, os.Remove(h.path(".gitignore")))
	waitRescan(r + 2)
	wantChanges(t, h.take(), "changed a/new.md", "changed a/x.md")
	must(t, os.WriteFile(h.path("a/x.md"), []byte("seen again"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed a/x.md")
}
