package safefile

import (
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRawFile writes, reads back at offsets and changes the mode through a
// rawFile, and closes it twice: the second Close must not close the
// descriptor number again, which the kernel has meanwhile given to another
// file.
func TestRawFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.md")
	fd, err := unix.Open(p, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f := newRawFile(fd, "a.md")
	content := []byte("---\nstatus: todo\n---\n# A note\n")
	if n, err := f.Write(content); err != nil || n != len(content) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	buf := make([]byte, 6)
	if n, err := f.ReadAt(buf, 4); err != nil || string(buf[:n]) != "status" {
		t.Fatalf("ReadAt(4) = %q, %v", buf[:n], err)
	}
	if n, err := f.ReadAt(buf, int64(len(content))-2); err != io.EOF || n != 2 {
		t.Fatalf("ReadAt at the end = %d, %v; want 2, io.EOF", n, err)
	}
	if err := f.Chmod(0o640 | fs.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode() != 0o640|fs.ModeSetgid {
		t.Fatalf("mode = %v, %v; want %v", fi.Mode(), err, 0o640|fs.ModeSetgid)
	}

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	other, err := os.Open(p) // likely the number f had
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close = %v, want os.ErrClosed", err)
	}
	if f.Fd() != -1 {
		t.Errorf("Fd after Close = %d, want -1", f.Fd())
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(other.Fd()), &st); err != nil {
		t.Errorf("another file's descriptor was closed by a second Close: %v", err)
	}
}

// hashFile hashes the whole file whatever the size it is told: the stat's
// (one pread), a smaller one (the file grew since), a larger one (it
// shrank), about the read buffer's 32 KiB.
func TestHashFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.md")
	for _, size := range []int{0, 1, 1111, 32<<10 - 1, 32 << 10, 32<<10 + 1, 100_000} {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte('a' + i%26)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f := newRawFile(fd, path)
		for _, told := range []int64{int64(size), int64(size) / 2, int64(size) + 4096} {
			h, n, err := hashFile(f, told)
			if err != nil || h != sha256.Sum256(b) || n != int64(size) {
				t.Errorf("hashFile of %d bytes told %d: %x, %d, %v; want %x, %d", size, told, h, n, err, sha256.Sum256(b), size)
			}
		}
		f.Close()
	}
}
