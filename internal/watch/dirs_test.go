package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/scribe-md/scribe/internal/poll"
)

// TestNewDirRace is W4: a directory tree created and written into at once is
// watched before it is listed, so every file is seen.
func TestNewDirRace(t *testing.T) {
	h := start(t, nil, config{})
	n := *flagNewDirs
	want := make([]string, 0, n)
	for i := range n {
		d := fmt.Sprintf("n%04d/a/b/c/d", i)
		must(t, os.MkdirAll(h.path(d), 0o755))
		must(t, os.WriteFile(h.path(d+"/f.md"), []byte("x"), 0o644))
		want = append(want, "changed "+d+"/f.md")
	}
	h.quiesce()
	wantChanges(t, h.take(), want...)
	if got, wantW := h.w.Stats().Watches, 1+5*n; got != wantW {
		t.Errorf("watches = %d, want %d", got, wantW)
	}
	// The new watches work: a write deep down is one change.
	must(t, os.WriteFile(h.path("n0000/a/b/c/d/f.md"), []byte("y"), 0o644))
	must(t, os.WriteFile(h.path("n0000/a/b/g.md"), []byte("y"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed n0000/a/b/c/d/f.md", "changed n0000/a/b/g.md")
}

// TestDirRenames is W5: renaming a watched directory inside the root, out of
// it, into it, and renaming a parent of watched directories. Paths under the
// old name are reported removed once and never again; the destination is
// rescanned; the replayed changes match the tree on disk.
func TestDirRenames(t *testing.T) {
	tree := map[string]string{
		"a/x/1.md":     "1",
		"a/2.md":       "2",
		"p/q/r/3.md":   "3",
		"out/4.md":     "4",
		"keep/k.md":    "k",
		"a/x/note.txt": "not a document",
	}
	h := start(t, tree, config{})
	initial := documents(t, h.dir)
	outside := t.TempDir()
	var all []Change

	step := func(name string, do func(), want ...string) {
		t.Helper()
		do()
		h.quiesce()
		got := h.take()
		all = append(all, got...)
		t.Run(name, func(t *testing.T) { wantChanges(t, got, want...) })
	}

	step("within", func() { must(t, os.Rename(h.path("a"), h.path("b"))) },
		"removed a/x/1.md", "removed a/2.md", "changed b/x/1.md", "changed b/2.md")
	step("write under the new name", func() {
		must(t, os.WriteFile(h.path("b/x/1.md"), []byte("1b"), 0o644))
		must(t, os.WriteFile(h.path("b/x/new.md"), []byte("n"), 0o644))
	}, "changed b/x/1.md", "changed b/x/new.md")

	step("parent of watched dirs", func() { must(t, os.Rename(h.path("p"), h.path("z"))) },
		"removed p/q/r/3.md", "changed z/q/r/3.md")
	step("write below the renamed parent", func() {
		must(t, os.WriteFile(h.path("z/q/r/3.md"), []byte("3b"), 0o644))
	}, "changed z/q/r/3.md")

	step("out of the root", func() { must(t, os.Rename(h.path("out"), filepath.Join(outside, "out"))) },
		"removed out/4.md")
	step("write in the moved-out dir", func() {
		must(t, os.WriteFile(filepath.Join(outside, "out/4.md"), []byte("4b"), 0o644))
		must(t, os.WriteFile(filepath.Join(outside, "out/5.md"), []byte("5"), 0o644))
	})

	step("into the root", func() { must(t, os.Rename(filepath.Join(outside, "out"), h.path("in"))) },
		"changed in/4.md", "changed in/5.md")
	step("write in the moved-in dir", func() {
		must(t, os.MkdirAll(h.path("in/deep"), 0o755))
		must(t, os.WriteFile(h.path("in/deep/6.md"), []byte("6"), 0o644))
	}, "changed in/deep/6.md")

	step("swap names", func() {
		// b and keep trade places through a temporary name.
		must(t, os.Rename(h.path("b"), h.path("tmp")))
		must(t, os.Rename(h.path("keep"), h.path("b")))
		must(t, os.Rename(h.path("tmp"), h.path("keep")))
	}, "removed b/2.md", "removed b/x/1.md", "removed b/x/new.md", "removed keep/k.md",
		"changed b/k.md", "changed keep/2.md", "changed keep/x/1.md", "changed keep/x/new.md")
	step("write after the swap", func() {
		must(t, os.WriteFile(h.path("keep/x/1.md"), []byte("1c"), 0o644))
		must(t, os.WriteFile(h.path("b/k.md"), []byte("kc"), 0o644))
	}, "changed b/k.md", "changed keep/x/1.md")

	step("remove a tree", func() { must(t, os.RemoveAll(h.path("z"))) }, "removed z/q/r/3.md")

	if got, want := index(initial, all), documents(t, h.dir); !slices.Equal(got, want) {
		t.Errorf("replayed index differs from the tree:\n got  %q\n want %q", got, want)
	}
	// Every watch is of a directory that exists, under its current name.
	h.w.mu.Lock()
	watched := make([]string, 0, len(h.w.watched))
	for d := range h.w.watched {
		watched = append(watched, d)
	}
	h.w.mu.Unlock()
	slices.Sort(watched)
	wantW := []string{"", "b", "in", "in/deep", "keep", "keep/x"}
	if !slices.Equal(watched, wantW) {
		t.Errorf("watched = %q, want %q", watched, wantW)
	}
}

// TestDocReplacedByDir: a document deleted and a directory of the same
// name made, or moved in, at once is watched and listed like any new
// directory, although the watcher knew the name as a document.
func TestDocReplacedByDir(t *testing.T) {
	h := start(t, map[string]string{"made.md": "1", "moved.md": "2", "elsewhere/": ""}, config{})
	must(t, os.MkdirAll(h.path("elsewhere/moved.md/deep"), 0o755))
	must(t, os.WriteFile(h.path("elsewhere/moved.md/deep/in.md"), []byte("i"), 0o644))
	must(t, os.Remove(h.path("made.md")))
	must(t, os.Mkdir(h.path("made.md"), 0o755))
	must(t, os.WriteFile(h.path("made.md/in.md"), []byte("i"), 0o644))
	must(t, os.Remove(h.path("moved.md")))
	must(t, os.Rename(h.path("elsewhere/moved.md"), h.path("moved.md")))
	h.quiesce()
	wantChanges(t, h.take(), "removed made.md", "changed made.md/in.md", "removed moved.md", "changed moved.md/deep/in.md")
	// Both are watched: a write into each is a change.
	must(t, os.WriteFile(h.path("made.md/new.md"), []byte("n"), 0o644))
	must(t, os.WriteFile(h.path("moved.md/deep/in.md"), []byte("j"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed made.md/new.md", "changed moved.md/deep/in.md")
}

// TestSymlinks is W6: links are leaves. Loops, absolute and relative links
// out of the root, dangling links and chains are never followed or watched,
// the first crawl ends at once, and nothing outside the root is reported.
func TestSymlinks(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"o.md": "outside", "sub/s.md": "outside"})
	h := start(t, map[string]string{"real/r.md": "r", "t.md": "target"}, config{
		before: func(w *Watcher) {
			// Links are created before Run, so the first crawl meets them.
			mk := func(target, link string) { must(t, os.Symlink(target, filepath.Join(w.rootDir, link))) }
			mk(".", "loop")
			mk(outside, "abs")
			mk("../"+filepath.Base(outside), "rel")
			mk("nowhere", "dangling.md")
			mk(filepath.Join(outside, "o.md"), "escape.md")
			mk("t.md", "inside.md")
			prev := "real"
			for i := range 40 {
				name := fmt.Sprintf("chain%02d", i)
				mk(prev, name)
				prev = name
			}
		},
		opts: func(o *Options) { o.SkipInitial = false },
	})
	h.quiesce()
	// The link to a file inside the root is a document; the others are not.
	wantChanges(t, h.take(), "changed inside.md", "changed real/r.md", "changed t.md")
	if got := h.w.Stats().Watches; got != 2 {
		t.Errorf("watches = %d, want 2 (root and real)", got)
	}
	must(t, os.WriteFile(filepath.Join(outside, "o.md"), []byte("changed outside"), 0o644))
	must(t, os.WriteFile(filepath.Join(outside, "sub/new.md"), []byte("new outside"), 0o644))
	must(t, os.WriteFile(h.path("real/r.md"), []byte("r2"), 0o644))
	h.quiesce()
	for _, c := range h.snapshot() {
		if strings.HasPrefix(c.Rel, "abs/") || strings.HasPrefix(c.Rel, "rel/") || strings.HasPrefix(c.Rel, "chain") {
			t.Errorf("reported a path through a link: %s", c.Rel)
		}
	}
	wantChanges(t, h.take(), "changed real/r.md")

	// A directory replaced by a link to outside is not followed either.
	must(t, os.RemoveAll(h.path("real")))
	must(t, os.Symlink(outside, h.path("real")))
	h.quiesce()
	wantChanges(t, h.take(), "removed real/r.md")
	must(t, os.WriteFile(filepath.Join(outside, "sub/s.md"), []byte("again"), 0o644))
	h.quiesce()
	wantChanges(t, h.take())
}

// TestRootRemoved: losing the root stops Run with an error that says so.
func TestRootRemoved(t *testing.T) {
	h := start(t, map[string]string{"a.md": "a"}, config{opts: func(o *Options) { o.Poll = 50 * time.Millisecond }})
	must(t, os.RemoveAll(h.dir))
	poll.Until(t, 10*time.Second, "Run to return", func() bool { return h.err() != nil })
	if err := h.err(); !strings.Contains(err.Error(), "removed or moved") {
		t.Errorf("Run error = %v", err)
	}
}

// A directory's creation event that reaches the drain after the directory
// was listed from its parent and its file reported (a drain behind by more
// than the settle time, as under CI's load) lists it once more: what it
// holds unchanged is not reported again, and what is new is.
func TestLateDirEventReportsNothingTwice(t *testing.T) {
	var be *lossyBackend
	h := start(t, nil, config{before: func(w *Watcher) {
		w.newBackend = func() (backend, error) {
			b, err := newLossy(func(string) bool { return false })
			be, _ = b.(*lossyBackend)
			return b, err
		}
	}})
	must(t, os.MkdirAll(h.path("d/e"), 0o755))
	must(t, os.WriteFile(h.path("d/e/f.md"), []byte("x"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed d/e/f.md")

	// The drain has the event once inject returns, and handles it before
	// the cookie of quiesce's Sync, which then waits for the listing.
	be.inject(t, fsnotify.Event{Name: h.path("d/e"), Op: fsnotify.Create})
	h.quiesce()
	wantChanges(t, h.take())

	// A file that the listing finds new is reported: its own events are
	// not needed for it.
	must(t, os.WriteFile(h.path("d/e/g.md"), []byte("y"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed d/e/g.md")
}
