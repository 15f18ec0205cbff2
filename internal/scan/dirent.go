package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// dirent is one entry of a directory as the walk lists it.
type dirent struct {
	rel string      // the path relative to the root
	typ fs.FileMode // type bits, as fs.DirEntry.Type reports them
}

// name returns the entry's name: rel past the directory's prefix.
func (d dirent) name(prefix string) string { return d.rel[len(prefix):] }

// direntBufSize is the buffer getdents fills: as os.File.ReadDir's.
const direntBufSize = 8 << 10

// listDir appends the entries of the directory name of root to ents, each
// with its path prefix+name, in directory order, and returns them. It is
// safefile.ReadDir for the walk, with the kernel's records read directly: an entry
// costs one allocation, its path, where an fs.DirEntry costs three. The
// type comes from the record (d_type); where the file system gives none
// (DT_UNKNOWN), from an lstat of the entry, as os.ReadDir does. buf is
// scratch space of direntBufSize bytes or more.
//
// Opening is as in safefile.ReadDir: through the root, with O_DIRECTORY. A read
// error returns the entries listed until then with the error.
func listDir(root *os.Root, name, prefix string, ents []dirent, buf []byte) ([]dirent, error) {
	d, err := root.OpenFile(name, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return ents, fmt.Errorf("open directory: %w", err)
	}
	defer d.Close()
	sc, err := d.SyscallConn()
	if err != nil {
		return ents, fmt.Errorf("open directory: %w", err)
	}
	var rerr error
	if err := sc.Control(func(raw uintptr) {
		ents, rerr = readDirents(int(raw), prefix, ents, buf)
	}); err != nil {
		return ents, fmt.Errorf("read directory: %w", err)
	}
	if rerr != nil {
		return ents, fmt.Errorf("read directory: %w", rerr)
	}
	return ents, nil
}

// readDirents reads every record of the open directory fd (see listDir).
func readDirents(fd int, prefix string, ents []dirent, buf []byte) ([]dirent, error) {
	lstat := func(name string) (fs.FileMode, error) {
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return 0, err
		}
		return statType(st.Mode), nil
	}
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return ents, &fs.PathError{Op: "getdents", Path: prefix, Err: err}
		}
		if n <= 0 {
			return ents, nil
		}
		if ents, err = appendDirents(ents, buf[:n], prefix, lstat); err != nil {
			return ents, err
		}
	}
}

// appendDirents appends the entries of the getdents records in rec (struct
// linux_dirent64: ino u64, off s64, reclen u16, type u8, then the name,
// NUL-terminated), skipping deleted entries, "." and "..". An entry of
// unknown type is typed by lstat; one gone since the listing is skipped, as
// os.ReadDir does.
func appendDirents(ents []dirent, rec []byte, prefix string, lstat func(name string) (fs.FileMode, error)) ([]dirent, error) {
	for len(rec) > 0 {
		if len(rec) < 19 {
			return ents, fmt.Errorf("short directory record of %d bytes", len(rec))
		}
		reclen := int(binary.NativeEndian.Uint16(rec[16:]))
		if reclen < 19 || reclen > len(rec) {
			return ents, fmt.Errorf("bad directory record length %d", reclen)
		}
		ino, dt, nm := binary.NativeEndian.Uint64(rec), rec[18], rec[19:reclen]
		rec = rec[reclen:]
		if i := bytes.IndexByte(nm, 0); i >= 0 {
			nm = nm[:i]
		}
		if ino == 0 || len(nm) == 0 || string(nm) == "." || string(nm) == ".." {
			continue
		}
		typ, ok := direntType(dt)
		if !ok {
			t, err := lstat(string(nm))
			switch {
			case errors.Is(err, fs.ErrNotExist):
				continue
			case err != nil:
				return ents, &fs.PathError{Op: "lstat", Path: prefix + string(nm), Err: err}
			}
			typ = t
		}
		ents = append(ents, dirent{rel: prefix + string(nm), typ: typ})
	}
	return ents, nil
}

// direntType maps a d_type to fs.FileMode type bits; ok is false for
// DT_UNKNOWN (and any value the kernel does not document).
func direntType(dt uint8) (fs.FileMode, bool) {
	switch dt {
	case unix.DT_REG:
		return 0, true
	case unix.DT_DIR:
		return fs.ModeDir, true
	case unix.DT_LNK:
		return fs.ModeSymlink, true
	case unix.DT_FIFO:
		return fs.ModeNamedPipe, true
	case unix.DT_SOCK:
		return fs.ModeSocket, true
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice, true
	case unix.DT_BLK:
		return fs.ModeDevice, true
	}
	return 0, false
}

// statType maps st_mode to fs.FileMode type bits.
func statType(mode uint32) fs.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFREG:
		return 0
	}
	return fs.ModeIrregular
}
