package safefile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// beneathTree is a root with directories reached directly and through
// symlinks that stay inside it or leave it, and things that are not
// directories; outside is a directory beside the root.
func beneathTree(t testing.TB) (*os.Root, string) {
	t.Helper()
	base := t.TempDir()
	dir, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(dir, "a", "b"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "file.md"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"in":      "a",                     // inside
		"a/up":    "../a/b",                // inside, by way of ..
		"esc":     "../outside",            // leaves the root
		"a/esc":   "../../outside",         // leaves it from below
		"abs":     filepath.Join(dir, "a"), // absolute, to inside
		"absout":  outside,                 // absolute, outside
		"loop":    "loop",                  // a loop
		"tofile":  "file.md",               // not a directory
		"proc":    "/proc/self/cwd",        // a magic link
		"dangles": "nothing",               // to nothing
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root, outside
}

// openDir through openat2 opens exactly what it opens through os.Root, and
// fails exactly where os.Root fails: the kernel's RESOLVE_BENEATH and
// os.Root's walk agree on every kind of path here.
func TestOpenDirBeneathAgreesWithRoot(t *testing.T) {
	root, _ := beneathTree(t)
	if fd, ok := openBeneath(root, "a/b"); !ok {
		t.Skip("openat2 is not available here")
	} else {
		unix.Close(fd)
	}
	for _, rel := range []string{".", "a", "a/b", "in", "in/b", "a/up", "esc", "a/esc", "in/esc", "abs", "absout", "loop", "tofile", "file.md", "proc", "dangles", "missing", "a/missing/b"} {
		t.Run(rel, func(t *testing.T) {
			fast, ferr := openDir(root, rel)
			noOpenat2.Store(true)
			slow, serr := openDir(root, rel)
			noOpenat2.Store(false)
			if (ferr == nil) != (serr == nil) {
				t.Fatalf("openat2: %v; os.Root: %v", ferr, serr)
			}
			if ferr != nil {
				t.Logf("refused: %v", serr)
				return
			}
			defer fast.close()
			defer slow.close()
			if fast.key != slow.key {
				t.Errorf("openat2 opened %v, os.Root %v", fast.key, slow.key)
			}
		})
	}
	// Every refusal above was os.Root's; none turned openat2 off.
	if noOpenat2.Load() {
		t.Error("openat2 was turned off")
	}
}

func BenchmarkOpenDir(b *testing.B) {
	root, _ := beneathTree(b)
	for _, way := range []struct {
		name string
		off  bool
	}{{"openat2", false}, {"os.Root", true}} {
		b.Run(way.name, func(b *testing.B) {
			noOpenat2.Store(way.off)
			defer noOpenat2.Store(false)
			for b.Loop() {
				d, err := openDir(root, "a/b")
				if err != nil {
					b.Fatal(err)
				}
				d.close()
			}
		})
	}
}

// Lstat gives what os.Root's Lstat gives, file information and errors alike.
func TestLstatAgreesWithRoot(t *testing.T) {
	root, _ := beneathTree(t)
	for _, name := range []string{"a/b/note.md", "a/b/new\nline.md", "a/b/\xff\xfe.md", "a/b/ a b .md"} {
		if err := root.WriteFile(name, []byte("note"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []string{"file.md", "in", "a/b", "a/up", "a/esc", "a/b/note.md", "in/b/note.md", "a/up/note.md",
		"a/b/new\nline.md", "a/b/\xff\xfe.md", "a/b/ a b .md",
		"esc/x", "abs/b", "a/missing", "a/missing/x", "file.md/x", "loop/x", "a/b/../b", "a//b", "/a", "", "."} {
		t.Run(rel, func(t *testing.T) {
			got, gerr := Lstat(root, rel)
			want, werr := root.Lstat(rel)
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("Lstat: %v; os.Root: %v", gerr, werr)
			}
			if werr != nil {
				if errors.Is(gerr, fs.ErrNotExist) != errors.Is(werr, fs.ErrNotExist) {
					t.Errorf("Lstat: %v; os.Root: %v", gerr, werr)
				}
				return
			}
			if got.Name() != want.Name() || got.Size() != want.Size() || got.Mode() != want.Mode() ||
				!got.ModTime().Equal(want.ModTime()) || got.IsDir() != want.IsDir() || VersionOf(got) != VersionOf(want) {
				t.Errorf("Lstat: %s %d %v %v %v; os.Root: %s %d %v %v %v", got.Name(), got.Size(), got.Mode(), got.ModTime(), VersionOf(got),
					want.Name(), want.Size(), want.Mode(), want.ModTime(), VersionOf(want))
			}
		})
	}
}

// LstatEach gives, path by path, what Lstat gives: siblings in a row, a
// directory left and come back to, paths in the root itself, and every
// kind of failure among them.
func TestLstatEach(t *testing.T) {
	root, _ := beneathTree(t)
	for _, name := range []string{"a/b/note.md", "a/b/other.md", "a/b/new\nline.md", "a/c.md"} {
		if err := root.WriteFile(name, []byte("note"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	rels := []string{"a/b/note.md", "a/b/other.md", "a/b/missing.md", "a/b/new\nline.md", "a/c.md", "a/b/note.md",
		"file.md", "a/missing/x", "a/missing/y", "in/b/note.md", "a/esc/x", "esc/x", "a/up/note.md", "file.md/x",
		"loop/x", "a/b/../b", "a//b", "/a", "", ".", "a/b", "a/b/other.md"}
	var seen []int
	LstatEach(root, rels, func(i int, got fs.FileInfo, gerr error) {
		seen = append(seen, i)
		rel := rels[i]
		want, werr := Lstat(root, rel)
		if (gerr == nil) != (werr == nil) || errors.Is(gerr, fs.ErrNotExist) != errors.Is(werr, fs.ErrNotExist) {
			t.Errorf("%q: LstatEach: %v; Lstat: %v", rel, gerr, werr)
			return
		}
		if werr == nil && (got.Name() != want.Name() || got.Size() != want.Size() || got.Mode() != want.Mode() ||
			!got.ModTime().Equal(want.ModTime()) || VersionOf(got) != VersionOf(want)) {
			t.Errorf("%q: LstatEach: %s %d %v %v; Lstat: %s %d %v %v", rel, got.Name(), got.Size(), got.Mode(), VersionOf(got),
				want.Name(), want.Size(), want.Mode(), VersionOf(want))
		}
	})
	if len(seen) != len(rels) || !slices.IsSorted(seen) || seen[0] != 0 {
		t.Errorf("fn saw indexes %v for %d paths", seen, len(rels))
	}
}

// Hash hashes a regular file below the root, through symlinks among the
// directories that stay inside it, and refuses the rest (a symlink as the
// last component, a path that leaves the root, a directory, a FIFO without
// blocking, a file over the size asked for), the same with openat2 and
// through os.Root.
func TestHash(t *testing.T) {
	root, outside := beneathTree(t)
	if err := root.WriteFile("a/b/note.md", []byte("note\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.md"), []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(root.Name(), "a", "fifo.md"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte("note\n"))
	for _, way := range []struct {
		name string
		off  bool
	}{{"openat2", false}, {"os.Root", true}} {
		t.Run(way.name, func(t *testing.T) {
			noOpenat2.Store(way.off)
			defer noOpenat2.Store(false)
			lst, err := Lstat(root, "a/b/note.md")
			if err != nil {
				t.Fatal(err)
			}
			for _, rel := range []string{"a/b/note.md", "in/b/note.md", "a/up/note.md"} {
				h, fi, err := Hash(root, rel, 1<<20)
				if err != nil || h != want {
					t.Errorf("Hash(%s) = %x, %v; want %x", rel, h, err, want)
					continue
				}
				if fi.Name() != "note.md" || !fi.Mode().IsRegular() || VersionOf(fi) != VersionOf(lst) {
					t.Errorf("Hash(%s)'s stat: %s %v %+v; want Lstat's: note.md %v %+v", rel, fi.Name(), fi.Mode(), VersionOf(fi), lst.Mode(), VersionOf(lst))
				}
			}
			// Sizes about the read buffer's (32 KiB), which the reads
			// are cut to the stat's size plus one byte by.
			for _, size := range []int{0, 1, 32<<10 - 1, 32 << 10, 32<<10 + 1, 100_000} {
				b := bytes.Repeat([]byte("0123456789abcdef\n"), size/17+1)[:size]
				if err := root.WriteFile("a/size.md", b, 0o644); err != nil {
					t.Fatal(err)
				}
				if h, fi, err := Hash(root, "a/size.md", 1<<20); err != nil || h != sha256.Sum256(b) || fi.Size() != int64(size) {
					t.Errorf("Hash of %d bytes = %x, %v; want %x", size, h, err, sha256.Sum256(b))
				}
			}
			if _, _, err := Hash(root, "a/b/note.md", 4); !errors.Is(err, ErrNotHashable) {
				t.Errorf("Hash of 5 bytes with a limit of 4: %v; want ErrNotHashable", err)
			}
			for _, rel := range []string{"tofile", "esc/secret.md", "a/esc/secret.md", "absout/secret.md", "a", "a/fifo.md", "a/missing.md", "../outside/secret.md", "proc/x"} {
				if h, _, err := Hash(root, rel, 1<<20); err == nil {
					t.Errorf("Hash(%s) = %x; want an error", rel, h)
				}
			}
		})
	}
}
