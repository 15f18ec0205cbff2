package safefile

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hostileTree writes, in dir/sub, every kind of entry a read must refuse or
// read as text, and returns the names with the skip reason each must get
// ("" for text). Its symlinks point inside and outside the root.
func hostileTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.md"), []byte("secret\n"), 0o644)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	p := func(name string) string { return filepath.Join(sub, name) }
	if err := syscall.Mkfifo(p("fifo.md"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", p("sock.md"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for link, target := range map[string]string{
		"zero.md":   "/dev/zero",
		"escape.md": "../../" + filepath.Base(outside) + "/secret.md",
		"abs.md":    filepath.Join(outside, "secret.md"),
		"good-link": "text.md",
	} {
		if err := os.Symlink(target, p(link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(p("dir.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p("sparse.md"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(10 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	writeFile(t, p("nul.md"), []byte("text then \x00 binary"), 0o644)
	writeFile(t, p("latin1.md"), []byte("caf\xe9\n"), 0o644)
	writeFile(t, p("utf16.md"), []byte("\xff\xfeh\x00i\x00"), 0o644)
	writeFile(t, p("hard.md"), []byte("linked\n"), 0o644)
	if err := os.Link(p("hard.md"), p("hard2.md")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p("text.md"), []byte("# hello\n"), 0o644)
	writeFile(t, p("empty.md"), nil, 0o644)
	writeFile(t, p("crlf.md"), []byte("---\r\ntitle: x\r\n---\r\nbody\r\n"), 0o644)
	writeFile(t, p("big.md"), bytes.Repeat([]byte("big line\n"), 200_000), 0o644) // 1.8 MB: no size class
	return map[string]string{
		"fifo.md": ReasonNotRegular, "sock.md": ReasonNotRegular, "dir.md": ReasonNotRegular,
		"zero.md": ReasonSymlink, "escape.md": ReasonSymlink, "abs.md": ReasonSymlink, "good-link": ReasonSymlink,
		"sparse.md": ReasonTooLarge, "nul.md": ReasonBinary, "latin1.md": ReasonInvalidUTF8, "utf16.md": ReasonUTF16,
		"hard.md": ReasonHardLinked, "text.md": "", "empty.md": "", "crlf.md": "", "big.md": "",
	}
}

// TestDirReads is W7 for reads through a Dir: Read and ReadListed skip every
// special and hostile file with the reason Read gives, read text exactly,
// and never block. ReadListed is told each entry is a regular file, as if
// every one of them had been swapped in after a listing that said so: what
// it opened must still be judged before a byte is read.
func TestDirReads(t *testing.T) {
	dir, root := newRoot(t)
	want := hostileTree(t, dir)
	d, err := OpenDir(root, "sub")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	reads := map[string]func(string, int64) (*Snapshot, error){"Read": d.Read, "ReadListed": d.ReadListed, "ReadListedToWrite": d.ReadListedToWrite}
	for how, read := range reads {
		for name, reason := range want {
			t.Run(how+"/"+name, func(t *testing.T) {
				rel := "sub/" + name
				start := time.Now()
				s, err := read(rel, 8<<20)
				if el := time.Since(start); el > time.Second {
					t.Errorf("took %v", el)
				}
				if reason != "" {
					var se *SkipError
					if !errors.As(err, &se) || se.Reason != reason || se.Path != rel {
						t.Fatalf("%s(%s) = %v, want skip %q naming %s", how, rel, err, reason, rel)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s(%s) = %v, want text", how, rel, err)
				}
				content := readFile(t, filepath.Join(dir, rel))
				plain, err := Read(root, rel, 8<<20)
				if err != nil {
					t.Fatal(err)
				}
				wantHash := plain.Hash
				if how == "ReadListed" {
					wantHash = [32]byte{} // left to the caller
				}
				if how == "ReadListed" && s.Settled {
					t.Errorf("%s gave a settled snapshot without a hash", how)
				}
				if !bytes.Equal(s.Content, content) || s.Hash != wantHash || s.Size != plain.Size || s.Ino != plain.Ino ||
					s.ModTime != plain.ModTime || s.ChangeTime != plain.ChangeTime || s.Mode != plain.Mode || s.Nlink != 1 {
					t.Fatalf("%s snapshot %+v differs from Read's %+v", how, s, plain)
				}
				s.Release()
			})
		}
	}
}

// A ReadListedToWrite snapshot is settled when the file had last changed a
// timestamp tick before the read, and not when it changed just before; a
// settled one, which Replace does not hash again, still never overwrites a
// save made after the read, even one that put the mtime back.
func TestReadListedToWriteSettles(t *testing.T) {
	dir, root := newRoot(t)
	name := filepath.Join(dir, "n.md")
	d, err := OpenDir(root, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	changed := func() time.Time {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return time.Unix(st.Ctim.Unix())
	}

	writeFile(t, name, []byte("TODO: one\n"), 0o644)
	before := time.Now()
	s, err := d.ReadListedToWrite("n.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Racy only if the read began within the tick; a test stalled longer
	// than that proves nothing either way.
	if before.Sub(changed()) < RacyWindow(changed())/2 && s.Settled {
		t.Errorf("a file read right after it changed gave a settled snapshot")
	}
	s.Release()

	for time.Since(changed()) <= RacyWindow(changed()) {
		time.Sleep(10 * time.Millisecond) // the file's tick must be over
	}
	s, err = d.ReadListedToWrite("n.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Settled {
		t.Fatalf("a file last changed %v ago gave a racy snapshot", time.Since(changed()))
	}
	mtime := time.Unix(0, s.ModTime)
	// A save in place of the same size, its mtime put back: only the
	// ctime tells it from the version read.
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("TODO: two\n"), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(name, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	_, err = Replace(root, "n.md", s, []byte("- [ ] one\n"))
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Replace over a save made after a settled read = %v, want a conflict", err)
	}
	if got := readFile(t, name); string(got) != "TODO: two\n" {
		t.Fatalf("the user's save was lost: %q", got)
	}
	s.Release()
}

// A snapshot from ReadListedToWrite replaces the file it read, and one of a
// file saved in place since (same size, same inode) is a conflict, never
// written over.
func TestReadListedToWriteReplaces(t *testing.T) {
	dir, root := newRoot(t)
	writeFile(t, filepath.Join(dir, "n.md"), []byte("TODO: one\n"), 0o644)
	d, err := OpenDir(root, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := d.ReadListedToWrite("n.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Replace(root, "n.md", s, []byte("- [ ] one\n")); err != nil {
		t.Fatalf("Replace with a ReadListedToWrite snapshot: %v", err)
	}
	if got := readFile(t, filepath.Join(dir, "n.md")); string(got) != "- [ ] one\n" {
		t.Fatalf("after Replace: %q", got)
	}

	s, err = d.ReadListedToWrite("n.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "n.md"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("- [x] one\n"), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Replace(root, "n.md", s, []byte("ours\n"))
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Replace over a save made after the read = %v, want a conflict", err)
	}
	if got := readFile(t, filepath.Join(dir, "n.md")); string(got) != "- [x] one\n" {
		t.Fatalf("the user's save was lost: %q", got)
	}
}

// A device node where the listing showed a regular file (a swap, as only a
// user with CAP_MKNOD can make) is opened at most, never read, and skipped.
func TestReadListedDevice(t *testing.T) {
	dir, root := newRoot(t)
	// /dev/null's numbers: opening it has no effect if this ever reads it.
	if err := unix.Mknod(filepath.Join(dir, "dev.md"), unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("cannot make a device node here: %v", err)
	}
	d, err := OpenDir(root, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.ReadListed("dev.md", 0)
	var se *SkipError
	if !errors.As(err, &se) || se.Reason != ReasonNotRegular || !strings.Contains(se.Detail, "character device") {
		t.Fatalf("ReadListed(device) = %v, want a skip for a character device", err)
	}
}

// Paths through a Dir name files directly inside it, relative to the root.
func TestDirPaths(t *testing.T) {
	dir, root := newRoot(t)
	if err := os.MkdirAll(filepath.Join(dir, "a/b"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "a/b/n.md"), []byte("n\n"), 0o644)
	writeFile(t, filepath.Join(dir, "top.md"), []byte("t\n"), 0o644)
	d, err := OpenDir(root, "a/b")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if s, err := d.ReadListed("a/b/n.md", 0); err != nil || string(s.Content) != "n\n" {
		t.Fatalf("ReadListed(a/b/n.md) = %v, %v", s, err)
	}
	for _, rel := range []string{"n.md", "a/n.md", "a/bn.md", "a/b", "a/b/", "a/b/c/n.md", "a/b/../b/n.md", "top.md", "/a/b/n.md", "a/b/\x00"} {
		if _, err := d.ReadListed(rel, 0); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("ReadListed(%q) = %v, want ErrInvalidPath", rel, err)
		}
	}
	if _, err := d.Read("a/b/missing.md", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want ErrNotExist", err)
	}
	if _, err := d.ReadListed("a/b/missing.md", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadListed(missing) = %v, want ErrNotExist", err)
	}
	rootDir, err := OpenDir(root, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer rootDir.Close()
	if s, err := rootDir.ReadListed("top.md", 0); err != nil || string(s.Content) != "t\n" {
		t.Fatalf("ReadListed(top.md) in the root = %v, %v", s, err)
	}
	if _, err := rootDir.ReadListed("a/b/n.md", 0); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("root Dir ReadListed(a/b/n.md) = %v, want ErrInvalidPath", err)
	}
	for _, rel := range []string{"../x", "top.md", "a/../a"} {
		if _, err := OpenDir(root, rel); err == nil {
			t.Errorf("OpenDir(%q) succeeded", rel)
		}
	}
}

// TestReadListedUnstable is W8 for ReadListed: on a file appended to and
// truncated without pause, every snapshot is whole (its length is its size,
// it starts with the head and ends at a line), or the read says
// ErrUnstable; it never returns a short or overlong read.
func TestReadListedUnstable(t *testing.T) {
	dir, root := newRoot(t)
	path := filepath.Join(dir, "log.md")
	const head, line = logHead, logLine
	writeFile(t, path, []byte(head), 0o644)
	d, err := OpenDir(root, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	stop := churnLog(path, head, line)
	sizes := map[int64]bool{}
	reads, unstable := 0, 0
	for deadline := time.Now().Add(10 * time.Second); reads < 200 || len(sizes) < 2 && time.Now().Before(deadline); reads++ {
		s, err := d.ReadListed("log.md", 1<<20)
		switch {
		case errors.Is(err, ErrUnstable):
			unstable++
		case err != nil:
			t.Fatal(err)
		default:
			sizes[s.Size] = true
			if int64(len(s.Content)) != s.Size || !bytes.HasPrefix(s.Content, []byte(head)) || (len(s.Content)-len(head))%len(line) != 0 {
				t.Fatalf("inconsistent snapshot: %d bytes, size %d", len(s.Content), s.Size)
			}
			s.Release()
		}
	}
	stop()
	t.Logf("%d reads: %d distinct sizes, %d ErrUnstable", reads, len(sizes), unstable)
	if len(sizes) < 2 {
		t.Error("the file never changed between reads: the racer did not run")
	}
}

// A released buffer serves later reads, and a snapshot not released is
// never overwritten by them.
func TestReleaseReuse(t *testing.T) {
	dir, root := newRoot(t)
	a, b := bytes.Repeat([]byte("a"), 3000), bytes.Repeat([]byte("b"), 3000)
	writeFile(t, filepath.Join(dir, "a.md"), a, 0o644)
	writeFile(t, filepath.Join(dir, "b.md"), b, 0o644)
	d, err := OpenDir(root, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	kept, err := d.ReadListed("a.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		s, err := d.ReadListed("b.md", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.Content, b) {
			t.Fatal("read through a reused buffer differs from the file")
		}
		s.Release()
		s.Release() // twice is harmless: the buffer goes back once
		if s.Content != nil {
			t.Fatal("Release left the content in place")
		}
	}
	if !bytes.Equal(kept.Content, a) {
		t.Fatal("a snapshot that was not released was overwritten by later reads")
	}
	// A read that reuses buffers allocates little: the snapshot and no
	// content buffer.
	allocs := testing.AllocsPerRun(200, func() {
		s, err := d.ReadListed("b.md", 0)
		if err != nil {
			t.Fatal(err)
		}
		s.Release()
	})
	t.Logf("%.1f allocations per ReadListed with Release", allocs)
	if allocs > 1 {
		t.Errorf("%.1f allocations per read, want at most 1 (the snapshot)", allocs)
	}
}

// A snapshot from ReadListed, whose Hash is left zero, can never overwrite a
// file through Replace: the compare-and-swap finds a conflict.
func TestReadListedSnapshotCannotReplace(t *testing.T) {
	dir, root := newRoot(t)
	writeFile(t, filepath.Join(dir, "n.md"), []byte("old\n"), 0o644)
	d, err := OpenDir(root, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := d.ReadListed("n.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	err = replace(root, "n.md", s, []byte("new\n"))
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Replace with a ReadListed snapshot = %v, want a conflict", err)
	}
	if got := readFile(t, filepath.Join(dir, "n.md")); string(got) != "old\n" {
		t.Fatalf("file = %q after a refused Replace", got)
	}
}

// TestReplaceRefusesASnapshotFromAMovedDir: a Dir whose directory was moved
// out of the root reads the file there; Replace, going through the root,
// finds another file at the path (even one with the same content) and
// reports a conflict, so neither file is written. The engine's runs rely on
// this to read through cached directory handles.
func TestReplaceRefusesASnapshotFromAMovedDir(t *testing.T) {
	dir, root := newRoot(t)
	outside := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "d", "x.md"), []byte("same\n"), 0o644)
	d, err := OpenDir(root, "d")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.Rename(filepath.Join(dir, "d"), filepath.Join(outside, "d")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "d", "x.md"), []byte("same\n"), 0o644)

	snap, err := d.Read("d/x.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Replace(root, "d/x.md", snap, []byte("rewritten\n"))
	var conflict *ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("Replace with a snapshot read outside the root: %v, want a conflict", err)
	}
	for _, p := range []string{filepath.Join(dir, "d", "x.md"), filepath.Join(outside, "d", "x.md")} {
		if b, err := os.ReadFile(p); err != nil || string(b) != "same\n" {
			t.Errorf("%s = %q, %v; want it untouched", p, b, err)
		}
	}
}
