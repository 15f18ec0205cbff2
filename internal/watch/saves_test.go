package watch

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// saver saves content to the file p the way some editor or tool does.
type saver struct {
	name string
	save func(p string, content []byte) error
}

// savers emulate the save patterns of common editors and tools, step by step
// as they hit the file system.
var savers = []saver{
	{"in-place", func(p string, b []byte) error {
		return os.WriteFile(p, b, 0o644)
	}},
	{"truncate-then-write", func(p string, b []byte) error {
		fh, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer fh.Close()
		if err := fh.Truncate(0); err != nil {
			return err
		}
		half := len(b) / 2
		if _, err := fh.Write(b[:half]); err != nil {
			return err
		}
		_, err = fh.Write(b[half:])
		return err
	}},
	{"temp-and-rename", func(p string, b []byte) error {
		tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".tmp-12345")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, p)
	}},
	{"vim", func(p string, b []byte) error {
		// vim (backupcopy=auto, writebackup): probe the directory with
		// 4913, rename the file to its backup, write a new one, drop the
		// backup. The swap file exists throughout an edit session.
		dir := filepath.Dir(p)
		swap := filepath.Join(dir, "."+filepath.Base(p)+".swp")
		if err := os.WriteFile(swap, []byte("b0VIM 9.0"), 0o600); err != nil {
			return err
		}
		defer os.Remove(swap)
		probe := filepath.Join(dir, "4913")
		if err := os.WriteFile(probe, nil, 0o644); err != nil {
			return err
		}
		if err := os.Remove(probe); err != nil {
			return err
		}
		if err := os.Rename(p, p+"~"); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		return os.Remove(p + "~")
	}},
	{"emacs", func(p string, b []byte) error {
		// emacs: a lock symlink while the buffer is modified, an auto-save
		// file, a backup by rename on save, then a new file.
		dir, base := filepath.Dir(p), filepath.Base(p)
		lock := filepath.Join(dir, ".#"+base)
		if err := os.Symlink("user@host.4242:1700000000", lock); err != nil {
			return err
		}
		auto := filepath.Join(dir, "#"+base+"#")
		if err := os.WriteFile(auto, b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(p, p+"~"); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		if err := os.Remove(auto); err != nil {
			return err
		}
		if err := os.Remove(p + "~"); err != nil {
			return err
		}
		return os.Remove(lock)
	}},
	{"sed-i", func(p string, b []byte) error {
		// sed -i writes ./sedXXXXXX beside the file and renames it over.
		tmp := filepath.Join(filepath.Dir(p), "sedAb12Cd")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, p)
	}},
	{"jetbrains", func(p string, b []byte) error {
		// JetBrains "safe write": x___jb_tmp___, x → x___jb_old___,
		// tmp → x, drop old.
		tmp, old := p+"___jb_tmp___", p+"___jb_old___"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(p, old); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
		return os.Remove(old)
	}},
	{"gedit", func(p string, b []byte) error {
		tmp := filepath.Join(filepath.Dir(p), ".goutputstream-AB12CD")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, p)
	}},
}

// TestEditorSaves is W3: each save pattern is exactly one change of the real
// path and none of a scratch name.
func TestEditorSaves(t *testing.T) {
	for _, s := range savers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, map[string]string{"notes/x.md": "v0\n"}, config{})
			must(t, s.save(h.path("notes/x.md"), []byte("v1 "+s.name+"\n")))
			h.quiesce()
			wantChanges(t, h.take(), "changed notes/x.md")
			if ws := h.w.Stats().Watches; ws != 2 {
				t.Errorf("watches = %d after the save, want 2 (root and notes)", ws)
			}
			// The watch of the directory survived: a second save is seen.
			must(t, s.save(h.path("notes/x.md"), []byte("v2\n")))
			h.quiesce()
			wantChanges(t, h.take(), "changed notes/x.md")
		})
	}
}

// TestCreateRemove covers a plain new file, its removal, and a file that
// appears and disappears within the settle time.
func TestCreateRemove(t *testing.T) {
	h := start(t, map[string]string{"a.md": "a"}, config{})
	must(t, os.WriteFile(h.path("b.md"), []byte("b"), 0o644))
	must(t, os.Remove(h.path("a.md")))
	h.quiesce()
	wantChanges(t, h.take(), "changed b.md", "removed a.md")

	// Gone before it settled: never a document for the consumer.
	must(t, os.WriteFile(h.path("flash.md"), []byte("x"), 0o644))
	must(t, os.Remove(h.path("flash.md")))
	// Not a document at all.
	must(t, os.WriteFile(h.path("c.txt"), []byte("x"), 0o644))
	// A file renamed: removed under the old name, changed under the new.
	must(t, os.Rename(h.path("b.md"), h.path("c.md")))
	h.quiesce()
	wantChanges(t, h.take(), "changed c.md", "removed b.md")
}

// TestRandomSaves is W3's randomized run: saves with random patterns on ten
// files in parallel (one per directory: scratch names like 4913 are per
// directory), one save after the other per file; the number of changes of
// each file equals its number of saves, and no scratch name is reported.
func TestRandomSaves(t *testing.T) {
	const files = 10
	tree := map[string]string{}
	for i := range files {
		tree[fmt.Sprintf("d%d/f%d.md", i, i)] = "v0\n"
	}
	// The settle time must exceed the scheduling delays of a loaded test
	// machine (ten writers, -race, two cores), or one save can be split into
	// two bursts.
	h := start(t, tree, config{opts: func(o *Options) { o.Settle = 250 * time.Millisecond }})
	perFile := *flagSaves
	count := func(rel string) int {
		n := 0
		for _, c := range h.snapshot() {
			if c.Rel == rel {
				n++
			}
		}
		return n
	}
	var wg sync.WaitGroup
	var logMu sync.Mutex
	logs := map[string][]string{}
	errs := make(chan error, files)
	for i := range files {
		rel := fmt.Sprintf("d%d/f%d.md", i, i)
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		wg.Go(func() {
			for k := 1; k <= perFile; k++ {
				s := savers[rng.IntN(len(savers))]
				t0 := time.Now()
				if err := s.save(h.path(rel), fmt.Appendf(nil, "save %d by %s\n", k, s.name)); err != nil {
					errs <- fmt.Errorf("%s save %d (%s): %w", rel, k, s.name, err)
					return
				}
				logMu.Lock()
				logs[rel] = append(logs[rel], fmt.Sprintf("save %d %s %s..%s", k, s.name, t0.Format("15:04:05.000000"), time.Now().Format("15:04:05.000000")))
				logMu.Unlock()
				deadline := time.Now().Add(20 * time.Second)
				for count(rel) < k {
					if time.Now().After(deadline) {
						errs <- fmt.Errorf("%s: save %d (%s) not reported in 20 s", rel, k, s.name)
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	h.quiesce()
	perRel := map[string]int{}
	for _, c := range h.snapshot() {
		if c.Op != Changed || strings.Contains(c.Rel, "~") || strings.Contains(c.Rel, "jb_") || strings.Contains(c.Rel, "#") {
			t.Errorf("unexpected change %v %s", c.Op, c.Rel)
		}
		perRel[c.Rel]++
	}
	for rel := range tree {
		if perRel[rel] != perFile {
			t.Errorf("%s: %d changes for %d saves", rel, perRel[rel], perFile)
			for _, c := range h.snapshot() {
				if c.Rel == rel {
					t.Logf("  %s %s seen %s", c.Op, c.Reason, c.Seen.Format("15:04:05.000000"))
				}
			}
			for _, l := range logs[rel] {
				t.Log("  ", l)
			}
		}
	}
	t.Logf("%d saves: %d changes, %d kernel events", files*perFile, len(h.snapshot()), h.w.Stats().Events)
}
