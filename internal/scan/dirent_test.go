package scan

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// record builds one linux_dirent64 record, padded to 8 bytes as the kernel
// does.
func record(ino uint64, dt uint8, name string) []byte {
	n := (19 + len(name) + 1 + 7) &^ 7
	b := make([]byte, n)
	binary.NativeEndian.PutUint64(b, ino)
	binary.NativeEndian.PutUint16(b[16:], uint16(n))
	b[18] = dt
	copy(b[19:], name)
	return b
}

// Records are read as os.ReadDir reads them: deleted entries, "." and ".."
// skipped, the type from d_type, and from an lstat where it is unknown (an
// entry gone since the listing skipped, another lstat error reported).
func TestAppendDirents(t *testing.T) {
	var rec []byte
	for _, r := range []struct {
		ino  uint64
		dt   uint8
		name string
	}{
		{1, unix.DT_DIR, "."}, {2, unix.DT_DIR, ".."}, {3, unix.DT_REG, "a.md"}, {0, unix.DT_REG, "deleted.md"},
		{4, unix.DT_LNK, "link"}, {5, unix.DT_UNKNOWN, "unknown-file"}, {6, unix.DT_UNKNOWN, "unknown-dir"},
		{7, unix.DT_UNKNOWN, "vanished"}, {8, unix.DT_FIFO, "pipe"}, {9, unix.DT_SOCK, "sock"}, {10, unix.DT_CHR, "tty"},
		{11, unix.DT_BLK, "disk"}, {12, unix.DT_DIR, "sub"}, {13, unix.DT_REG, "caf\xe9 \n.md"},
	} {
		rec = append(rec, record(r.ino, r.dt, r.name)...)
	}
	var asked []string
	lstat := func(name string) (fs.FileMode, error) {
		asked = append(asked, name)
		switch name {
		case "unknown-file":
			return 0, nil
		case "unknown-dir":
			return fs.ModeDir, nil
		}
		return 0, unix.ENOENT
	}
	got, err := appendDirents(nil, rec, "d/", lstat)
	if err != nil {
		t.Fatal(err)
	}
	want := []dirent{{"d/a.md", 0}, {"d/link", fs.ModeSymlink}, {"d/unknown-file", 0}, {"d/unknown-dir", fs.ModeDir},
		{"d/pipe", fs.ModeNamedPipe}, {"d/sock", fs.ModeSocket}, {"d/tty", fs.ModeDevice | fs.ModeCharDevice},
		{"d/disk", fs.ModeDevice}, {"d/sub", fs.ModeDir}, {"d/caf\xe9 \n.md", 0}}
	if !slices.Equal(got, want) {
		t.Errorf("entries = %+v\nwant      %+v", got, want)
	}
	if !slices.Equal(asked, []string{"unknown-file", "unknown-dir", "vanished"}) {
		t.Errorf("lstat asked for %q", asked)
	}
	if got[0].name("d/") != "a.md" {
		t.Errorf("name = %q", got[0].name("d/"))
	}

	_, err = appendDirents(nil, record(5, unix.DT_UNKNOWN, "x"), "", func(string) (fs.FileMode, error) { return 0, unix.EACCES })
	if !errors.Is(err, unix.EACCES) || !strings.Contains(err.Error(), "lstat x") {
		t.Errorf("lstat failure = %v", err)
	}
	bad := record(3, unix.DT_REG, "a")
	binary.NativeEndian.PutUint16(bad[16:], 200)
	if _, err := appendDirents(nil, bad, "", lstat); err == nil {
		t.Error("a record longer than the buffer was accepted")
	}
	if _, err := appendDirents(nil, bad[:10], "", lstat); err == nil {
		t.Error("a truncated record was accepted")
	}
}

// listDir lists what os.ReadDir lists, with the same types, on a directory
// holding every kind of entry (and enough names to take several getdents).
func TestListDirMatchesReadDir(t *testing.T) {
	dir := t.TempDir()
	for i := range 600 {
		if err := os.WriteFile(filepath.Join(dir, strings.Repeat("n", 1+i%200)+string(rune('a'+i%26))+".md"), nil, 0o644); err != nil && !errors.Is(err, fs.ErrExist) {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := openRoot(t, dir)
	got, err := listDir(root, ".", "", nil, make([]byte, direntBufSize))
	if err != nil {
		t.Fatal(err)
	}
	std, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []dirent
	for _, e := range std {
		want = append(want, dirent{rel: e.Name(), typ: e.Type()})
	}
	slices.SortFunc(got, func(a, b dirent) int { return strings.Compare(a.rel, b.rel) })
	if !slices.Equal(got, want) {
		t.Errorf("listDir gives %d entries, os.ReadDir %d; first difference at %v", len(got), len(want), firstDiff(got, want))
	}
	if _, err := listDir(root, "missing", "missing/", nil, make([]byte, direntBufSize)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("listDir(missing) = %v", err)
	}
	if _, err := listDir(root, "fifo", "fifo/", nil, make([]byte, direntBufSize)); err == nil {
		t.Error("listDir opened a FIFO as a directory")
	}
}

func firstDiff(a, b []dirent) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
