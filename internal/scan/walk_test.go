package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// TestWalkSymlinks is W6: link loops, links to outside the root (absolute and
// relative), dangling links and a chain of 40 directory links. The walk must
// end quickly, list every link as a leaf and never touch anything outside.
func TestWalkSymlinks(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "in", "root")
	outside := filepath.Join(base, "outside")
	writeTree(t, dir, map[string]string{"a.md": "", "d/b.md": ""})
	writeTree(t, outside, map[string]string{"secret.md": "", "sub/s.md": ""})
	canary := filepath.Join(outside, "canary")
	if err := syscall.Mkfifo(canary, 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"loop":        ".",
		"d/up":        "..",
		"abs":         "/etc",
		"absout":      outside,
		"rel":         "../../outside",
		"canarylink":  "../../outside/canary",
		"dangling":    "no/such/target",
		"self":        "self",
		"chain/l1":    "../d",
		"d/file-link": "b.md",
	}
	if err := os.MkdirAll(filepath.Join(dir, "chain"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 40; i++ {
		links[fmt.Sprintf("chain/l%d", i)] = fmt.Sprintf("l%d", i-1)
	}
	for rel, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, rel)); err != nil {
			t.Fatal(err)
		}
	}

	f := mustFilter(t, dir, nil, nil, "")
	start := time.Now()
	entries, errs, err := List(t.Context(), openRoot(t, dir), f, 4)
	elapsed := time.Since(start)
	if err != nil || len(errs) > 0 {
		t.Fatalf("List: %v %v", err, errs)
	}
	if elapsed > time.Second {
		t.Errorf("walk took %v, want ≤ 1s", elapsed)
	}
	want := []string{"a.md", "d/b.md"}
	for rel := range links {
		want = append(want, rel)
	}
	sameSet(t, rels(entries), want)
	for _, e := range entries {
		_, isLink := links[e.Rel]
		if isLink != (e.Type == fs.ModeSymlink) {
			t.Errorf("%s has type %v", e.Rel, e.Type)
		}
	}
	// Nobody opened the canary FIFO for reading: a non-blocking open for
	// writing fails with ENXIO unless a reader exists.
	if w, err := os.OpenFile(canary, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
		t.Fatal("the canary FIFO outside the root has a reader")
	} else if !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("canary check: %v", err)
	}

	// The lazy path never reads ignore files through links that leave the
	// root, and paths through links are decided without hanging.
	lazy := mustFilter(t, dir, nil, nil, "")
	for _, rel := range []string{"abs/passwd", "rel/secret.md", "absout/sub/s.md", "loop/loop/loop/a.md", "chain/l40/b.md", "self/x", "dangling/x"} {
		lazy.Included(rel) // must return; the engine's os.Root refuses the escapes
	}
	// Paths through links are not part of the tree.
	for _, rel := range []string{"rel/sub", "abs/ssh", "loop/d", "chain/l40"} {
		if !lazy.ExcludedDir(rel) {
			t.Errorf("ExcludedDir(%q) = false for a directory reached through a link", rel)
		}
	}
	for _, rel := range []string{"rel/secret.md", "loop/a.md", "chain/l40/b.md"} {
		if lazy.Included(rel) {
			t.Errorf("Included(%q) = true for a file reached through a link", rel)
		}
	}
}

// TestWalkSpecialFiles checks that a FIFO, a socket and a link to a device are
// listed with their types and that the walk does not block on them.
func TestWalkSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": ""})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.md"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.md")); err != nil {
		t.Fatal(err)
	}
	sock, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(sock)
	if err := syscall.Bind(sock, &syscall.SockaddrUnix{Name: filepath.Join(dir, "sock.md")}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	entries, errs, err := List(ctx, openRoot(t, dir), mustFilter(t, dir, []string{"*.md"}, nil, ""), 2)
	if err != nil || len(errs) > 0 {
		t.Fatalf("List: %v %v", err, errs)
	}
	// A directory swapped for a FIFO after it was listed fails to open
	// instead of blocking.
	if _, err := listDir(openRoot(t, dir), "pipe.md", "pipe.md/", nil, make([]byte, direntBufSize)); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("listDir on a FIFO: %v, want ENOTDIR", err)
	}
	want := map[string]fs.FileMode{"a.md": 0, "pipe.md": fs.ModeNamedPipe, "zero.md": fs.ModeSymlink, "sock.md": fs.ModeSocket}
	if len(entries) != len(want) {
		t.Fatalf("entries = %v, want %v", entries, want)
	}
	for _, e := range entries {
		if m, ok := want[e.Rel]; !ok || m != e.Type {
			t.Errorf("entry %s type %v, want %v", e.Rel, e.Type, m)
		}
	}
}

// TestWalkMatchesWalkDir compares the walk with a filepath.WalkDir ground
// truth and a naive reading of the globs, on random trees of 2,000 files with
// random includes and excludes.
func TestWalkMatchesWalkDir(t *testing.T) {
	for seed := range 3 {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		dir := t.TempDir()
		tree := map[string]string{}
		dirs := []string{"", "d0", "d1", "d2", "d3"}
		for _, d := range dirs[1:] {
			tree[d+"/"] = ""
		}
		for range 150 {
			parent := dirs[rng.IntN(len(dirs))]
			d := filepath.ToSlash(filepath.Join(parent, fmt.Sprintf("d%d", rng.IntN(6))))
			if _, ok := tree[d+"/"]; !ok {
				tree[d+"/"] = ""
				dirs = append(dirs, d)
			}
		}
		exts := []string{".md", ".md", ".md", ".txt", ".markdown"}
		for len(tree) < 2000+len(dirs) {
			tree[filepath.ToSlash(filepath.Join(dirs[rng.IntN(len(dirs))], fmt.Sprintf("f%d%s", rng.IntN(1000), exts[rng.IntN(len(exts))])))] = ""
		}
		writeTree(t, dir, tree)
		// A few special entries, listed by type.
		if err := syscall.Mkfifo(filepath.Join(dir, "d1", "fifo.md"), 0o644); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		_ = os.Symlink("..", filepath.Join(dir, "d2", "up.md"))

		includes := [][]string{{"**/*.md"}, {"d1/**/*.md", "d2/*/*.txt", "d2/**/f1*"}, nil, {"**/f1*"}}
		excludes := [][]string{nil, {"**/d3"}, {"d0/**", "**/*.txt"}, {"**/d4/**/*.md"}}
		include, exclude := includes[seed%len(includes)], excludes[rng.IntN(len(excludes))]
		f := mustFilter(t, dir, include, exclude, "")

		var want []string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
			if naiveIncluded(rel, include, exclude) {
				want = append(want, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 100 {
			t.Fatalf("seed %d: only %d expected files: the test would prove little", seed, len(want))
		}
		got := listRels(t, dir, f)
		sameSet(t, got, want)
		for _, workers := range []int{1, 2, 16} {
			entries, _, err := List(t.Context(), openRoot(t, dir), mustFilter(t, dir, include, exclude, ""), workers)
			if err != nil || len(entries) != len(got) {
				t.Errorf("workers=%d: %d entries, err %v; want %d", workers, len(entries), err, len(got))
			}
		}
	}
}

// naiveIncluded is the reference reading of include and exclude globs: an
// exclude glob matching the file or one of its directories drops it.
func naiveIncluded(rel string, include, exclude []string) bool {
	if len(include) > 0 {
		in := false
		for _, g := range include {
			in = in || doublestar.MatchUnvalidated(g, rel)
		}
		if !in {
			return false
		}
	}
	for p := rel; p != "."; p = filepath.ToSlash(filepath.Dir(p)) {
		for _, g := range exclude {
			if doublestar.MatchUnvalidated(g, p) {
				return false
			}
		}
	}
	return true
}

func TestWalkCancel(t *testing.T) {
	dir := t.TempDir()
	tree := map[string]string{}
	for i := range 2000 {
		tree[fmt.Sprintf("d%d/e%d/f%d.md", i%20, i%7, i)] = ""
	}
	writeTree(t, dir, tree)
	root := openRoot(t, dir)
	f := mustFilter(t, dir, nil, nil, "")

	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var n atomic.Int64
		err := Walk(ctx, root, f, 4, func(Entry) error { n.Add(1); return nil }, nil)
		if !errors.Is(err, context.Canceled) || n.Load() != 0 {
			t.Errorf("err %v after %d entries", err, n.Load())
		}
	})
	t.Run("cancelled midway", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var n atomic.Int64
		err := Walk(ctx, root, f, 4, func(Entry) error {
			if n.Add(1) == 10 {
				cancel()
			}
			return nil
		}, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		// Workers finish at most the directory at hand (≤ 15 files here).
		if got := n.Load(); got >= 2000 || got > 10+4*ctxCheckEvery {
			t.Errorf("%d entries after cancel, want the walk to stop early", got)
		}
	})
	t.Run("fn error", func(t *testing.T) {
		boom := errors.New("boom")
		var n atomic.Int64
		err := Walk(t.Context(), root, f, 4, func(Entry) error {
			if n.Add(1) == 5 {
				return boom
			}
			return nil
		}, nil)
		if !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
		if n.Load() >= 2000 {
			t.Error("walk went on after fn failed")
		}
	})
	t.Run("complete", func(t *testing.T) {
		var n atomic.Int64
		if err := Walk(t.Context(), root, f, 0, func(Entry) error { n.Add(1); return nil }, nil); err != nil || n.Load() != 2000 {
			t.Errorf("err %v, %d entries, want 2000", err, n.Load())
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		if err := Walk(t.Context(), nil, f, 1, func(Entry) error { return nil }, nil); err == nil {
			t.Error("nil root accepted")
		}
	})
}

// TestWalkTooDeep checks the depth guard with a real 260-level tree.
func TestWalkTooDeep(t *testing.T) {
	dir := t.TempDir()
	root := openRoot(t, dir)
	p := strings.Repeat("d/", maxDepth+5)
	if err := root.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := root.WriteFile(p+"deep.md", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := root.WriteFile("d/shallow.md", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	entries, errs, err := List(t.Context(), root, mustFilter(t, dir, nil, nil, ""), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrTooDeep) {
		t.Errorf("errs = %v, want one ErrTooDeep", errs)
	}
	sameSet(t, rels(entries), []string{"d/shallow.md"})
}

// TestWalkNoFDLeak checks that walks, including failing and cancelled ones,
// leave no descriptor open.
func TestWalkNoFDLeak(t *testing.T) {
	dir := t.TempDir()
	tree := map[string]string{"big/.gitignore": strings.Repeat("#", maxIgnoreFileSize+1)}
	for i := range 500 {
		tree[fmt.Sprintf("d%d/f%d.md", i%25, i)] = ""
	}
	writeTree(t, dir, tree)
	root := openRoot(t, dir)
	before := openFDs(t)
	for i := range 20 {
		ctx, cancel := context.WithCancel(t.Context())
		var n atomic.Int64
		_ = Walk(ctx, root, mustFilter(t, dir, nil, nil, ""), 4, func(Entry) error {
			if n.Add(1) == int64(10*i+1) {
				if i%2 == 0 {
					cancel()
				} else {
					return errors.New("stop")
				}
			}
			return nil
		}, nil)
		cancel()
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open before the walks, %d after", before, after)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(des)
}
