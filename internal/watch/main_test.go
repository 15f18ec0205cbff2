package watch

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/scan"
	"go.uber.org/goleak"
)

// Heavier variants of the reliability tests, for nightly runs.
var (
	flagNewDirs = flag.Int("watch.newdirs", 200, "W4: directories created with a file in them")
	flagSaves   = flag.Int("watch.saves", 20, "W3: randomized saves per file (10 files in parallel)")
	flagRuns    = flag.Int("watch.overflow-runs", 1, "W1: overflow runs")
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// harness is a running Watcher on a temporary root and a goroutine that
// collects what it reports.
type harness struct {
	t    testing.TB
	dir  string
	w    *Watcher
	stop func() // cancels Run and waits for it

	mu      sync.Mutex
	reading bool
	total   int // changes collected, take() or not
	changes []Change
	runErr  error
	drained chan struct{} // closed when Changes was closed
}

// config tweaks the options and the watcher of a harness before Run.
type config struct {
	opts     func(*Options)
	before   func(*Watcher)
	noReader bool // start the reader later with h.read
}

// start creates the files of tree under a new temporary root (keys ending in
// "/" are directories), then starts a Watcher on it with include **/*.md and
// the given tweaks, waits until it is ready, and stops it when the test ends.
func start(t testing.TB, tree map[string]string, c config) *harness {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, tree)
	age(t, dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	f, err := scan.NewFilter(dir, []string{"**/*.md"}, nil, ".scribe")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Root:        dir,
		FS:          root,
		Filter:      f,
		Settle:      100 * time.Millisecond,
		MaxWait:     5 * time.Second,
		SkipInitial: true,
	}
	if c.opts != nil {
		c.opts(&o)
	}
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if c.before != nil {
		c.before(w)
	}
	h := &harness{t: t, dir: dir, w: w, drained: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := w.Run(ctx)
		h.mu.Lock()
		h.runErr = err
		h.mu.Unlock()
	}()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(func() {
		h.stop()
		h.mu.Lock()
		reading := h.reading
		h.mu.Unlock()
		if reading {
			<-h.drained
		}
	})
	if !c.noReader {
		h.read()
	}
	select {
	case <-w.Ready():
	case <-done:
		t.Fatalf("Run returned before the first crawl: %v", h.err())
	case <-time.After(30 * time.Second):
		t.Fatal("first crawl did not complete in 30 s")
	}
	return h
}

// read starts the goroutine that collects changes.
func (h *harness) read() {
	h.mu.Lock()
	h.reading = true
	h.mu.Unlock()
	go func() {
		defer close(h.drained)
		for c := range h.w.Changes() {
			h.mu.Lock()
			h.changes = append(h.changes, c)
			h.total++
			h.mu.Unlock()
		}
	}()
}

func (h *harness) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.runErr
}

// path returns the absolute path of rel.
func (h *harness) path(rel string) string { return filepath.Join(h.dir, filepath.FromSlash(rel)) }

// quiesce waits until every change made before the call has been delivered
// and collected: Sync, then nothing pending and the reader caught up.
func (h *harness) quiesce() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.w.Sync(ctx); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := h.w.Stats()
		h.mu.Lock()
		n := h.total
		h.mu.Unlock()
		if st.Pending == 0 && uint64(n) == st.Changes {
			return
		}
		if time.Now().After(deadline) {
			// Rare enough to be seen once in a loaded run: the goroutines
			// say where the emitter waits.
			buf := make([]byte, 1<<20)
			h.t.Logf("goroutines:\n%s", buf[:runtime.Stack(buf, true)])
			h.t.Fatalf("changes not delivered in 60 s: %+v, %d collected", st, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// take returns the changes collected so far and forgets them.
func (h *harness) take() []Change {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.changes
	h.changes = nil
	return c
}

// snapshot returns the changes collected so far.
func (h *harness) snapshot() []Change {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.changes)
}

// summary renders changes as sorted "op rel" lines.
func summary(cs []Change) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Op.String()+" "+c.Rel)
	}
	slices.Sort(out)
	return out
}

// wantChanges fails the test unless cs are exactly want ("op rel" lines, any
// order).
func wantChanges(t testing.TB, cs []Change, want ...string) {
	t.Helper()
	got := summary(cs)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n got  %q\n want %q", got, want)
	}
}

// writeTree creates files under dir: a key ending in "/" is a directory, any
// other key a file with the given content.
func writeTree(t testing.TB, dir string, tree map[string]string) {
	t.Helper()
	for rel, content := range tree {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if strings.HasSuffix(rel, "/") {
			must(t, os.MkdirAll(p, 0o755))
			continue
		}
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// documents lists the documents of dir as the scanner sees them (the ground
// truth), minus scratch files.
func documents(t testing.TB, dir string) []string {
	t.Helper()
	f, err := scan.NewFilter(dir, []string{"**/*.md"}, nil, ".scribe")
	must(t, err)
	root, err := os.OpenRoot(dir)
	must(t, err)
	defer root.Close()
	entries, errs, err := scan.List(context.Background(), root, f, 2)
	must(t, err)
	must(t, errors.Join(errs...))
	var out []string
	for _, e := range entries {
		if e.Type.IsRegular() && !transient(filepath.Base(e.Rel)) {
			out = append(out, e.Rel)
		}
	}
	return out
}

// index replays changes over an initial set of documents.
func index(initial []string, cs []Change) []string {
	set := make(map[string]bool)
	for _, r := range initial {
		set[r] = true
	}
	for _, c := range cs {
		switch c.Op {
		case Changed:
			set[c.Rel] = true
		case Removed:
			delete(set, c.Rel)
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// newTestWatcher returns a Watcher on dir (include **/*.md) that is not
// running.
func newTestWatcher(t testing.TB, dir string, root *os.Root) *Watcher {
	t.Helper()
	f, err := scan.NewFilter(dir, []string{"**/*.md"}, nil, ".scribe")
	must(t, err)
	w, err := New(Options{Root: dir, FS: root, Filter: f, Settle: 50 * time.Millisecond, MaxWait: 2 * time.Second})
	must(t, err)
	return w
}

// age dates every file under dir an hour back, as files that existed before
// the watcher started would be: a rescan then trusts their fingerprints (see
// racyWindow).
func age(t testing.TB, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	must(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Type()&os.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, old, old)
	}))
}
