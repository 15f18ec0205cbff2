package safefile

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"weak"

	"golang.org/x/sys/unix"
)

// openBeneath opens the directory rel below root with one openat2(2) and
// RESOLVE_BENEATH, which resolves the path in the kernel as os.Root does
// in user space: symlinks are followed while they stay below the root, and
// an absolute one, a ".." above it or a /proc magic link fails the call. It
// returns false where that call is unavailable (kernels before 5.6, seccomp
// filters that refuse it) or fails in any way, so that the caller goes
// through os.Root, which then gives its own error for the same path.
//
// Why: os.Root walks a path one component at a time, an openat(2) and a
// close(2) per directory, and wraps the result in an *os.File that first
// tries the poller (four fcntl(2) and an epoll_ctl(2) for a directory);
// every read and write of the daemon opens its file's directory that way.
// Two levels deep, openDir took 19.1–21.5 µs that way and 8.8–9.5 µs with
// openat2 (BenchmarkOpenDir, its fstat and close included).
func openBeneath(root *os.Root, rel string) (int, bool) {
	fd, err := beneath(root, rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	return fd, err == nil
}

// errNoOpenat2 is beneath's error where openat2 cannot be used.
var errNoOpenat2 = errors.New("openat2 is unavailable")

// beneath opens rel below root with flags and one openat2(2), as
// openBeneath describes, and returns the call's errno, or errNoOpenat2
// where the call is unavailable.
func beneath(root *os.Root, rel string, flags int) (int, error) {
	if noOpenat2.Load() {
		return -1, errNoOpenat2
	}
	rfd, ok := rootFD(root)
	if !ok {
		return -1, errNoOpenat2
	}
	fd, err := unix.Openat2(rfd, rel, &unix.OpenHow{
		Flags:   uint64(flags),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	})
	// rfd is closed once root is unreachable (rootFD): root must outlive
	// the call.
	runtime.KeepAlive(root)
	if err == unix.ENOSYS || err == unix.EPERM {
		noOpenat2.Store(true) // not here: never ask again
		return -1, errNoOpenat2
	}
	return fd, err
}

// noOpenat2 is set once openat2 turned out to be unavailable; tests set it
// to exercise the os.Root path.
var noOpenat2 atomic.Bool

// rootFDs holds a descriptor of each root's directory, opened through the
// root once, for openat2. os.Root does not expose its own. An entry goes,
// and its descriptor is closed, when the garbage collector finds its root
// unreachable: closing a root does not close it.
var rootFDs sync.Map // weak.Pointer[os.Root] → *os.File

// rootFD returns the descriptor of root's directory.
func rootFD(root *os.Root) (int, bool) {
	key := weak.Make(root)
	if v, ok := rootFDs.Load(key); ok {
		return int(v.(*os.File).Fd()), true
	}
	f, err := root.Open(".")
	if err != nil {
		return -1, false
	}
	if v, loaded := rootFDs.LoadOrStore(key, f); loaded {
		f.Close()
		f = v.(*os.File)
	} else {
		runtime.AddCleanup(root, func(key weak.Pointer[os.Root]) {
			if v, ok := rootFDs.LoadAndDelete(key); ok {
				v.(*os.File).Close()
			}
		}, key)
	}
	return int(f.Fd()), true
}

// Lstat is root.Lstat(rel) for a path that ValidRel accepts, with the
// parent directory opened as every operation here opens it (openBeneath):
// three system calls (openat2, fstatat, close) where os.Root makes an
// openat and a close per directory on the way. Its results are os.Root's:
// it hands over to root.Lstat for any other path, and for any failure but
// a missing file or directory, so that errors read the same.
func Lstat(root *os.Root, rel string) (fs.FileInfo, error) {
	dir, base := path.Split(rel)
	if dir == "" || !ValidRel(rel) {
		return root.Lstat(rel) // in the root itself, one call either way
	}
	fd, ok := openBeneath(root, dir[:len(dir)-1])
	if !ok {
		return root.Lstat(rel)
	}
	defer unix.Close(fd)
	return lstatAt(root, fd, rel, base)
}

// lstatAt is Lstat of rel, whose last component base is in the directory
// open as fd.
func lstatAt(root *os.Root, fd int, rel, base string) (fs.FileInfo, error) {
	var st unix.Stat_t
	switch err := unix.Fstatat(fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); {
	case err == nil:
		return newStatInfo(base, &st), nil
	case err == unix.ENOENT:
		return nil, &fs.PathError{Op: "lstat", Path: rel, Err: err}
	}
	return root.Lstat(rel)
}

// LstatEach calls fn with each path of rels and what Lstat gives for it,
// in order. Siblings that follow each other share one opening of their
// directory, so a sorted list of many files in few directories costs about
// one fstatat each where Lstat costs three system calls. A directory stays
// open only while its files follow each other: a rename that swaps it
// meanwhile is seen as by Lstats made one after the other.
func LstatEach(root *os.Root, rels []string, fn func(i int, fi fs.FileInfo, err error)) {
	open, fd := "", -1
	defer func() {
		if fd >= 0 {
			unix.Close(fd)
		}
	}()
	for i, rel := range rels {
		dir, base := path.Split(rel)
		if dir == "" || !ValidRel(rel) {
			fi, err := Lstat(root, rel)
			fn(i, fi, err)
			continue
		}
		if dir = dir[:len(dir)-1]; dir != open {
			if fd >= 0 {
				unix.Close(fd)
			}
			var ok bool
			if fd, ok = openBeneath(root, dir); !ok {
				fd = -1
			}
			open = dir
		}
		var fi fs.FileInfo
		var err error
		if fd < 0 {
			fi, err = Lstat(root, rel) // words the error as Lstat does
		} else {
			fi, err = lstatAt(root, fd, rel, base)
		}
		fn(i, fi, err)
	}
}

// statInfo is the fs.FileInfo of an lstat, as os makes it: its Sys is a
// *syscall.Stat_t, which VersionOf reads.
type statInfo struct {
	name string
	st   syscall.Stat_t
}

func newStatInfo(name string, st *unix.Stat_t) *statInfo {
	ts := func(t unix.Timespec) syscall.Timespec { return syscall.Timespec{Sec: t.Sec, Nsec: t.Nsec} }
	return &statInfo{name: name, st: syscall.Stat_t{
		Dev: st.Dev, Ino: st.Ino, Nlink: st.Nlink, Mode: st.Mode, Uid: st.Uid, Gid: st.Gid,
		Rdev: st.Rdev, Size: st.Size, Blksize: st.Blksize, Blocks: st.Blocks,
		Atim: ts(st.Atim), Mtim: ts(st.Mtim), Ctim: ts(st.Ctim),
	}}
}

func (fi *statInfo) Name() string       { return fi.name }
func (fi *statInfo) Size() int64        { return fi.st.Size }
func (fi *statInfo) Mode() fs.FileMode  { return fileMode(fi.st.Mode) }
func (fi *statInfo) ModTime() time.Time { return time.Unix(fi.st.Mtim.Unix()) }
func (fi *statInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *statInfo) Sys() any           { return &fi.st }

// Hash returns the SHA-256 of the regular file rel below root and the
// file's stat (as Lstat gives it: a regular file is not a link), read without
// following a symlink in its last component and without blocking on a FIFO;
// it fails for anything that is not a regular file of at most maxSize
// bytes. It opens the file with one openat2(2) where the kernel has it (see
// openBeneath), else through its parent directory as Read does, and reads it
// through its descriptor, not an *os.File. The stat is the descriptor's,
// taken before the read: a caller that needs both what a path is and what
// it holds gets them in one open.
func Hash(root *os.Root, rel string, maxSize int64) ([32]byte, fs.FileInfo, error) {
	fd, err := openFileBeneath(root, rel)
	if err != nil {
		return [32]byte{}, nil, fmt.Errorf("hash %s: %w", rel, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return [32]byte{}, nil, fmt.Errorf("hash %s: %w", rel, &fs.PathError{Op: "fstat", Path: rel, Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > maxSize {
		return [32]byte{}, nil, fmt.Errorf("hash %s: %w", rel, ErrNotHashable)
	}
	h, _, err := hashFD(fd, st.Size, maxSize)
	switch {
	case err == ErrNotHashable:
		return [32]byte{}, nil, fmt.Errorf("hash %s: %w", rel, ErrNotHashable)
	case err != nil:
		return [32]byte{}, nil, fmt.Errorf("hash %s: %w", rel, &fs.PathError{Op: "read", Path: rel, Err: err})
	}
	return h, newStatInfo(path.Base(rel), &st), nil
}

// hashFD returns the SHA-256 of the regular file fd from offset 0, and its
// length, through a pooled buffer and without moving fd's offset. size is
// the length a stat of fd gave: a pread shorter than asked for ends a
// regular file, so a file of that size takes one pread, of size+1 bytes,
// and none more to find its end. Past maxSize bytes it stops with
// ErrNotHashable; a failed pread returns its errno.
func hashFD(fd int, size, maxSize int64) ([32]byte, int64, error) {
	h := sha256.New()
	buf := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(buf)
	var n int64
	for {
		want := *buf
		if left := size + 1 - n; left > 0 && left < int64(len(want)) {
			want = want[:left]
		}
		m, err := unix.Pread(fd, want, n)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return [32]byte{}, 0, err
		}
		if n += int64(m); n > maxSize {
			return [32]byte{}, 0, ErrNotHashable
		}
		h.Write(want[:m])
		if m < len(want) {
			return [32]byte(h.Sum(nil)), n, nil
		}
	}
}

// ErrNotHashable is Hash's error for what is not a regular file of at most
// the size asked for.
var ErrNotHashable = errors.New("not a regular file of hashable size")

// hashBufs holds Hash's read buffers.
var hashBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// openFileBeneath opens rel below root read-only, as Hash describes.
func openFileBeneath(root *os.Root, rel string) (int, error) {
	const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	if ValidRel(rel) {
		fd, err := beneath(root, rel, flags)
		switch err {
		case nil:
			return fd, nil
		case unix.ENOENT, unix.ELOOP, unix.ENXIO:
			return -1, &fs.PathError{Op: "open", Path: rel, Err: err}
		}
	}
	d, base, err := openParentToRead(root, rel)
	if err != nil {
		return -1, err
	}
	defer d.close()
	fd, err := openat(d.fd, base, flags)
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: rel, Err: err}
	}
	return fd, nil
}
