package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// TempPrefix starts the name of every temporary file this package creates.
// Watchers should ignore such names; CleanTemps removes them.
const TempPrefix = ".scribe-tmp-"

var fallbackWrites atomic.Int64

// FallbackWrites returns how many writes used the non-atomic fallbacks
// (check-then-rename for Replace, link for Create and check-then-rename for
// Rename) because the file system lacks renameat2 flags.
func FallbackWrites() int64 { return fallbackWrites.Load() }

// noRenameFlags and noLeases force the fallbacks; tests set them to exercise
// and measure them.
var noRenameFlags, noLeases atomic.Bool

func renameat2(d1 *dir, from string, d2 *dir, to string, flags uint) error {
	if noRenameFlags.Load() {
		return unix.EINVAL
	}
	if d1.key == d2.key {
		l := d1.entryLock()
		l.Lock()
		defer l.Unlock()
	}
	return unix.Renameat2(d1.fd, from, d2.fd, to, flags)
}

// entryLocks serialize the calls that change a directory's entries
// (create, rename within it, unlink) per directory, striped by its
// identity. The
// kernel runs them one at a time anyway, under the directory's inode lock,
// and its waiters spin on that lock while the holder runs: on two cores,
// concurrent writes into one folder burned a core spinning. A goroutine
// blocked here sleeps, and its thread runs other work.
var entryLocks [1024]sync.Mutex

// entryLock returns the lock of d's entries.
func (d *dir) entryLock() *sync.Mutex {
	h := (d.key.ino ^ d.key.dev<<32) * 0x9e3779b97f4a7c15 // spread neighbouring inodes
	return &entryLocks[h>>54]
}

// unlink removes name from d, under d's entry lock.
func (d *dir) unlink(name string) error {
	l := d.entryLock()
	l.Lock()
	defer l.Unlock()
	return unix.Unlinkat(d.fd, name, 0)
}

// unsupported reports whether err from renameat2 means the flag is not
// supported here.
func unsupported(err error) bool { return err == unix.EINVAL || err == unix.ENOSYS }

func tempName() string {
	var b [8]byte
	rand.Read(b[:])
	return TempPrefix + hex.EncodeToString(b[:])
}

// temp is a temporary file being prepared in a directory.
type temp struct {
	d    *dir
	name string
	f    *os.File
	st   unix.Stat_t // after preparation
}

// createTemp creates an empty temporary file (O_EXCL, mode 0600) in d.
func createTemp(d *dir) (*temp, error) {
	for range 10 {
		name := tempName()
		l := d.entryLock()
		l.Lock()
		fd, err := unix.Openat(d.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		l.Unlock()
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create temporary file: %w", err)
		}
		failpoint("create-temp")
		return &temp{d: d, name: name, f: os.NewFile(uintptr(fd), name)}, nil
	}
	return nil, errors.New("create temporary file: no free name after 10 tries")
}

// write writes content. Built with failpoints it writes two halves, so that
// a failpoint can crash between them; otherwise one call, a system call less
// per write.
func (t *temp) write(content []byte) error {
	first := content
	if failpoints {
		first = content[:len(content)/2]
	}
	if _, err := t.f.Write(first); err != nil {
		return t.writeErr(err)
	}
	failpoint("write-half")
	if rest := content[len(first):]; len(rest) > 0 {
		if _, err := t.f.Write(rest); err != nil {
			return t.writeErr(err)
		}
	}
	return nil
}

// writeErr words a failed write (often ENOSPC, EDQUOT or EFBIG) once, keeping
// the errno matchable with errors.Is.
func (t *temp) writeErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("write temporary file %s: %w", t.name, err)
}

// finish makes the temp file's data and metadata durable and closes it.
func (t *temp) finish() error {
	if err := fsync(int(t.f.Fd())); err != nil {
		return fmt.Errorf("sync temporary file: %w", err)
	}
	failpoint("fsync")
	if err := unix.Fstat(int(t.f.Fd()), &t.st); err != nil {
		return fmt.Errorf("stat temporary file: %w", err)
	}
	err := t.f.Close()
	t.f = nil
	if err != nil {
		return fmt.Errorf("close temporary file: %w", err)
	}
	failpoint("close")
	return nil
}

// remove closes and deletes the temp file; used on every error path.
func (t *temp) remove() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
	t.d.unlink(t.name)
}

// copyMeta gives the temp file the owner, group, mode, ACL and user.*
// extended attributes of src (the file it will replace). Owner comes first
// because chown clears set-user-ID bits; the ACL after the mode because
// setting an access ACL rewrites the group bits.
func (t *temp) copyMeta(src int, srcSt *unix.Stat_t) error {
	fd := int(t.f.Fd())
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat temporary file: %w", err)
	}
	if st.Uid != srcSt.Uid || st.Gid != srcSt.Gid {
		if err := unix.Fchown(fd, int(srcSt.Uid), int(srcSt.Gid)); err != nil {
			if err == unix.EPERM {
				return fmt.Errorf("keep owner %d:%d: %w", srcSt.Uid, srcSt.Gid, ErrForeignOwner)
			}
			return fmt.Errorf("keep owner %d:%d: %w", srcSt.Uid, srcSt.Gid, err)
		}
	}
	if err := unix.Fchmod(fd, srcSt.Mode&0o7777); err != nil {
		return fmt.Errorf("keep mode %#o: %w", srcSt.Mode&0o7777, err)
	}
	names, err := xattrNames(src)
	if err != nil {
		return err
	}
	for _, name := range names {
		if !strings.HasPrefix(name, "user.") && name != "system.posix_acl_access" {
			continue
		}
		val, err := getxattr(src, name)
		if err == unix.ENODATA {
			continue // removed since listed
		}
		if err != nil {
			return fmt.Errorf("read attribute %s: %w: %w", name, ErrXattr, err)
		}
		if err := unix.Fsetxattr(fd, name, val, 0); err != nil {
			return fmt.Errorf("copy attribute %s: %w: %w", name, ErrXattr, err)
		}
	}
	failpoint("chmod")
	return nil
}

// xattrNames lists the extended attributes of fd; none where unsupported.
func xattrNames(fd int) ([]string, error) {
	for {
		n, err := unix.Flistxattr(fd, nil)
		if err == unix.ENOTSUP || err == unix.EOPNOTSUPP {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list attributes: %w", err)
		}
		if n == 0 {
			return nil, nil
		}
		buf := make([]byte, n)
		n, err = unix.Flistxattr(fd, buf)
		if err == unix.ERANGE {
			continue // grew between the calls
		}
		if err != nil {
			return nil, fmt.Errorf("list attributes: %w", err)
		}
		var names []string
		for _, s := range strings.Split(string(buf[:n]), "\x00") {
			if s != "" {
				names = append(names, s)
			}
		}
		return names, nil
	}
}

func getxattr(fd int, name string) ([]byte, error) {
	for {
		n, err := unix.Fgetxattr(fd, name, nil)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, n)
		n, err = unix.Fgetxattr(fd, name, buf)
		if err == unix.ERANGE {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}
