package watch

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/poll"
)

// faultyBackend makes Add fail with ENOSPC, as inotify does when the
// per-user watch limit is reached, for the paths fail selects.
type faultyBackend struct {
	backend
	mu   sync.Mutex
	fail func(path string) bool
}

func (b *faultyBackend) Add(p string) error {
	b.mu.Lock()
	fail := b.fail
	b.mu.Unlock()
	if fail != nil && fail(p) {
		return fmt.Errorf("add %s: %w", p, syscall.ENOSPC)
	}
	return b.backend.Add(p)
}

func (b *faultyBackend) setFail(f func(string) bool) {
	b.mu.Lock()
	b.fail = f
	b.mu.Unlock()
}

var sysctlRE = regexp.MustCompile(`sysctl fs\.inotify\.max_user_watches=(\d+)`)

// TestWatchLimit is W2: when adding a watch fails with ENOSPC the watcher
// says so with the sysctl that fixes it, polls the directories it could not
// watch (changes there are still seen), and watches them once it can.
func TestWatchLimit(t *testing.T) {
	fb := &faultyBackend{fail: func(p string) bool { return strings.Contains(p, string(os.PathSeparator)+"deep") }}
	const every = 100 * time.Millisecond
	h := start(t, map[string]string{"a/a.md": "a", "deep/d.md": "d", "deep/sub/s.md": "s"}, config{
		opts: func(o *Options) { o.Poll = every },
		before: func(w *Watcher) {
			w.newBackend = func() (backend, error) {
				be, err := newFsnotify()
				if err != nil {
					return nil, err
				}
				fb.backend = be
				return fb, nil
			}
		},
	})
	st := h.w.Stats()
	if st.Polled != 2 || st.Watches != 2 {
		t.Fatalf("stats %+v: want 2 watched, 2 polled", st)
	}
	m := sysctlRE.FindStringSubmatch(st.Degraded)
	if m == nil {
		t.Fatalf("degraded message has no sysctl hint: %q", st.Degraded)
	}
	if n, _ := strconv.Atoi(m[1]); n <= readProcInt(procMaxWatches) {
		t.Errorf("suggested limit %d is not above the current one", n)
	}
	t.Logf("degraded: %s", st.Degraded)

	// Changes in the polled subtree are seen within the poll interval
	// (plus the settle time and the slack of a loaded machine).
	t0 := time.Now()
	must(t, os.WriteFile(h.path("deep/sub/new.md"), []byte("n"), 0o644))
	must(t, os.Remove(h.path("deep/d.md")))
	poll.Until(t, 10*time.Second, "polled changes", func() bool { return len(h.snapshot()) >= 2 })
	lat := time.Since(t0)
	h.quiesce()
	wantChanges(t, h.take(), "changed deep/sub/new.md", "removed deep/d.md")
	t.Logf("change in a polled directory seen after %s (poll %s)", lat.Round(time.Millisecond), every)

	// The watched part works as usual.
	must(t, os.WriteFile(h.path("a/a.md"), []byte("a2"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed a/a.md")

	// The limit is raised: the next poll watches the directories.
	fb.setFail(nil)
	poll.Until(t, 10*time.Second, "every directory watched", func() bool {
		st := h.w.Stats()
		return st.Polled == 0 && st.Degraded == "" && st.Watches == 4
	})
	must(t, os.WriteFile(h.path("deep/sub/s.md"), []byte("s2"), 0o644))
	h.quiesce()
	cs := h.take()
	wantChanges(t, cs, "changed deep/sub/s.md")
	if len(cs) == 1 && cs[0].Reason != ReasonEvent {
		t.Errorf("reason %s, want event (the directory is watched now)", cs[0].Reason)
	}
}

// TestWatchLimitEverywhere: not even the root can be watched; everything is
// polled and still seen.
func TestWatchLimitEverywhere(t *testing.T) {
	fb := &faultyBackend{fail: func(string) bool { return true }}
	h := start(t, map[string]string{"x/x.md": "x"}, config{
		opts: func(o *Options) { o.Poll = 200 * time.Millisecond },
		before: func(w *Watcher) {
			w.newBackend = func() (backend, error) {
				be, err := newFsnotify()
				fb.backend = be
				return fb, err
			}
		},
	})
	if st := h.w.Stats(); st.Watches != 0 || st.Polled != 2 || st.Degraded == "" {
		t.Fatalf("stats %+v", st)
	}
	// The poll finds the change.
	must(t, os.WriteFile(h.path("x/x.md"), []byte("x2"), 0o644))
	poll.Until(t, 10*time.Second, "polled change", func() bool { return len(h.snapshot()) == 1 })
	wantChanges(t, h.take(), "changed x/x.md")
	// No cookie event can come without a watch of the root; Sync crawls.
	must(t, os.WriteFile(h.path("x/y.md"), []byte("y"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed x/y.md")
}

// TestNoInstance: failing to create an inotify instance names the sysctl.
func TestNoInstance(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	must(t, err)
	defer root.Close()
	w := newTestWatcher(t, dir, root)
	w.newBackend = func() (backend, error) { return nil, syscall.EMFILE }
	err = w.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "sysctl fs.inotify.max_user_instances=") {
		t.Fatalf("Run = %v, want the max_user_instances hint", err)
	}
	if _, ok := <-w.Changes(); ok {
		t.Error("Changes not closed after Run returned")
	}
}
