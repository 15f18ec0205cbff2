package watch

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/fsnotify/fsnotify"
)

// TestOverflow is W1: the drain goroutine is stalled while more files are
// created than the kernel queue holds. The overflow restarts the kernel
// watcher and rescans the root; after a Sync the changed paths are exactly
// the files on disk.
func TestOverflow(t *testing.T) {
	queued := readProcInt(procMaxQueued)
	if queued <= 0 {
		t.Skip("cannot read " + procMaxQueued)
	}
	// Each file is two events (create, write). Beyond the kernel queue,
	// fsnotify holds one read batch (4096 events) and its channel buffer.
	files := max(20000, (queued+4096+eventBuffer)/2+2000)
	if files > 100000 {
		t.Skipf("fs.inotify.max_queued_events is %d: an overflow would need %d files, too many for this test", queued, files)
	}
	for run := range *flagRuns {
		t.Run(fmt.Sprint(run), func(t *testing.T) { overflowRun(t, files) })
	}
}

func overflowRun(t *testing.T, files int) {
	release := make(chan struct{})
	var once sync.Once
	h := start(t, map[string]string{"pre/old.md": "old", "many/": ""}, config{
		noReader: true,
		before: func(w *Watcher) {
			w.drainHook = func(fsnotify.Event) { <-release }
		},
	})
	defer once.Do(func() { close(release) }) // never leave the drain stalled

	want := make([]string, 0, files)
	for i := range files {
		rel := fmt.Sprintf("many/f%05d.md", i)
		must(t, os.WriteFile(h.path(rel), []byte(rel), 0o644))
		want = append(want, rel)
	}
	once.Do(func() { close(release) })
	h.read()
	h.quiesce()

	st := h.w.Stats()
	if st.Overflows < 1 {
		t.Fatalf("no overflow after %d files: %+v", files, st)
	}
	var got []string
	for _, c := range h.take() {
		if c.Op != Changed {
			t.Errorf("unexpected %s %s", c.Op, c.Rel)
			continue
		}
		got = append(got, c.Rel)
	}
	slices.Sort(got)
	got = slices.Compact(got)
	if !slices.Equal(got, want) {
		t.Fatalf("after the overflow, %d paths reported, want %d (the untouched pre/old.md must not be)", len(got), len(want))
	}
	if st.Watches != 3 {
		t.Errorf("watches = %d after the restart, want 3", st.Watches)
	}
	// The new kernel watcher works.
	must(t, os.WriteFile(h.path("pre/old.md"), []byte("new"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed pre/old.md")
	t.Logf("%d files: %d overflow(s), %d rescans, %d kernel events, %d changes", files, st.Overflows, st.Rescans, st.Events, st.Changes)
}
