package safefile

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
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
	d.mustBeKeyed()
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

// tempName returns a new temp file name: TempPrefix, 16 random hex digits
// and, for a temp file of Replace, "-" and its tag.
func tempName(tg tag) string {
	var b [8]byte
	rand.Read(b[:])
	name := TempPrefix + hex.EncodeToString(b[:])
	if tg != (tag{}) {
		name += string(tagSep) + tg.String()
	}
	return name
}

// tempRandLen is the length of a temp file name up to its tag.
const tempRandLen = len(TempPrefix) + 16

// A tag, in the name of a temp file of Replace, says what the file is for:
// digests of the target's name, of the version it replaces (inode, size,
// mtime) and of the content written. The file gets its name only once that
// content is whole. After a crash it holds one of three things, and its tag
// tells which (CleanTemps): the content written (the crash came before the
// exchange), the version replaced (after the exchange), or a user's save
// that landed between the last check and the exchange, swapped out and not
// yet swapped back. Only the last must not be removed.
type tag struct{ target, old, content uint64 }

// A swapTag replaces the tag before each swap-back (see Replace's settle):
// digests of the target's name, of the version the swap expects to find
// there (the one the previous swap put there, or the content written) and
// of the version the temp file holds, which the swap puts there. A crash
// before the swap leaves the temp file holding put, after it at, or a save
// newer than put that landed at the target meanwhile; with the target's
// version, that tells CleanTemps which of the two is the newer.
type swapTag struct{ target, at, put uint64 }

// Tag separators: after the random part of a temp file's name, a tag of
// Replace is "-" and its 48 hex digits, a swap tag "+" and its.
const (
	tagSep     = '-'
	swapTagSep = '+'
)

// newTag returns the tag of Replace's temp file for writing content over
// the version old of base.
func newTag(base string, old *Snapshot, content []byte) tag {
	return tag{xxhash.Sum64String(base), versionID(old.Ino, old.Size, old.ModTime), xxhash.Sum64(content)}
}

// versionID digests what of a version an exchange leaves as it was (the
// rename sets the ctime).
func versionID(ino uint64, size, mtime int64) uint64 {
	return mix64(mix64(mix64(ino)^uint64(size)) ^ uint64(mtime))
}

// statID is the versionID of a stat.
func statID(st *unix.Stat_t) uint64 { return versionID(st.Ino, st.Size, st.Mtim.Nano()) }

func (tg tag) String() string { return tagString(tg.target, tg.old, tg.content) }

// name returns the name of the temp file named random (its first
// tempRandLen bytes) with the swap tag tg.
func (tg swapTag) name(random string) string {
	return random[:tempRandLen] + string(swapTagSep) + tagString(tg.target, tg.at, tg.put)
}

func tagString(a, b, c uint64) string {
	var buf [24]byte
	binary.BigEndian.PutUint64(buf[0:], a)
	binary.BigEndian.PutUint64(buf[8:], b)
	binary.BigEndian.PutUint64(buf[16:], c)
	return hex.EncodeToString(buf[:])
}

// tagOf parses the tag of a temp file's name; false if it has none.
func tagOf(name string) (tag, bool) {
	a, b, c, ok := parseTag(name, tagSep)
	return tag{a, b, c}, ok
}

// swapTagOf parses the swap tag of a temp file's name; false if it has
// none.
func swapTagOf(name string) (swapTag, bool) {
	a, b, c, ok := parseTag(name, swapTagSep)
	return swapTag{a, b, c}, ok
}

func parseTag(name string, sep byte) (a, b, c uint64, ok bool) {
	if len(name) != tempRandLen+1+48 || !strings.HasPrefix(name, TempPrefix) || name[tempRandLen] != sep {
		return 0, 0, 0, false
	}
	buf, err := hex.DecodeString(name[tempRandLen+1:])
	if err != nil {
		return 0, 0, 0, false
	}
	return binary.BigEndian.Uint64(buf[0:]), binary.BigEndian.Uint64(buf[8:]), binary.BigEndian.Uint64(buf[16:]), true
}

// temp is a temporary file being prepared in a directory.
type temp struct {
	d    *dir
	tag  tag
	name string // "" while unnamed (O_TMPFILE)
	f    *rawFile
	st   unix.Stat_t // after preparation
	// stated: st is set already (copyMeta's, taken once the content was
	// written; see there).
	stated bool
}

// noTmpfile is set once O_TMPFILE, or naming such a file through /proc,
// turned out unsupported here.
var noTmpfile atomic.Bool

// createTemp creates an empty temporary file in d, to be given the tag tg
// (none if zero). A file with a tag stays unnamed (O_TMPFILE) until finish
// names it, its content whole and synced: so a temp file with a tag never
// holds the content cut short, which CleanTemps relies on. No one can open
// it by name before then, so it is created with perm, the permissions of
// the file it will replace (the umask applied), and copyMeta has no chmod
// to make when they come out the same. Where O_TMPFILE is unsupported, it
// is created under a name without a tag, mode 0600, and finish renames it.
// A file without a tag is created under its name (O_EXCL), mode 0600.
func createTemp(d *dir, tg tag, perm uint32) (*temp, error) {
	if tg != (tag{}) && !noTmpfile.Load() {
		fd, err := unix.Openat(d.fd, ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, perm&0o777)
		if err == nil {
			failpoint("create-temp")
			return &temp{d: d, tag: tg, f: newRawFile(fd, TempPrefix)}, nil
		}
		if err != unix.EOPNOTSUPP && err != unix.EISDIR && err != unix.EINVAL {
			return nil, fmt.Errorf("create temporary file: %w", err)
		}
		noTmpfile.Store(true)
	}
	for range 10 {
		name := tempName(tag{})
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
		return &temp{d: d, tag: tg, name: name, f: newRawFile(fd, name)}, nil
	}
	return nil, errors.New("create temporary file: no free name after 10 tries")
}

// nameTagged gives the temp file its tagged name: links the unnamed file
// there (link), or renames the untagged one.
func (t *temp) nameTagged() error {
	for range 10 {
		name := tempName(t.tag)
		var err error
		if t.name == "" {
			l := t.d.entryLock()
			l.Lock()
			err = t.link(name)
			l.Unlock()
		} else {
			err = t.d.renameFresh(t.name, name)
		}
		switch {
		case err == unix.EEXIST:
			continue
		case err != nil && t.name == "" && !t.d.removed():
			// No /proc here, or it hides the descriptors: name the
			// temp files by renaming from now on.
			noTmpfile.Store(true)
			return fmt.Errorf("name temporary file: %w (%w)", err, errNoTmpfile)
		case err != nil:
			return fmt.Errorf("name temporary file: %w", err)
		}
		t.name = name
		return nil
	}
	return errors.New("name temporary file: no free name after 10 tries")
}

// link links the unnamed temp file as name: by its descriptor (linkat(2)
// with AT_EMPTY_PATH), where the kernel lets the process (Linux 6.10 lets
// the file's opener; before, only a process with CAP_DAC_READ_SEARCH),
// else through /proc/self/fd, whose path walk makes the call take about
// 10 µs of CPU where by descriptor it takes 6–8 (doc/PERFORMANCE.md). The
// caller holds the directory's entry lock.
func (t *temp) link(name string) error {
	if !noEmptyPath.Load() {
		err := unix.Linkat(t.f.Fd(), "", t.d.fd, name, unix.AT_EMPTY_PATH)
		if err != unix.ENOENT && err != unix.EPERM && err != unix.EINVAL || t.d.removed() {
			return err
		}
		// Refused to this process (ENOENT is what kernels before 6.10
		// answer one without the capability): the other way from now on.
		noEmptyPath.Store(true)
	}
	return unix.Linkat(unix.AT_FDCWD, procFD+strconv.Itoa(t.f.Fd()), t.d.fd, name, unix.AT_SYMLINK_FOLLOW)
}

// noEmptyPath is set once linkat(2) refused AT_EMPTY_PATH; tests set it to
// exercise the link through procFD.
var noEmptyPath atomic.Bool

// procFD is where the process's file descriptors are links; a test points
// it elsewhere.
var procFD = "/proc/self/fd/"

// removed reports whether the directory d has been removed (no link left).
func (d *dir) removed() bool {
	var st unix.Stat_t
	return unix.Fstat(d.fd, &st) == nil && st.Nlink == 0
}

// errNoTmpfile: an unnamed temp file could not be named; the caller starts
// over with a named one (noTmpfile is set).
var errNoTmpfile = errors.New("O_TMPFILE files cannot be named here")

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
	if t.name == "" {
		return fmt.Errorf("write temporary file: %w", err)
	}
	return fmt.Errorf("write temporary file %s: %w", t.name, err)
}

// finish makes the temp file's data and metadata durable, gives it its
// tagged name if it has a tag, and closes it.
func (t *temp) finish() error {
	if err := fsync(t.f.Fd()); err != nil {
		return fmt.Errorf("sync temporary file: %w", err)
	}
	failpoint("fsync")
	if t.tag != (tag{}) {
		if err := t.nameTagged(); err != nil {
			return err
		}
	}
	if !t.stated {
		if err := unix.Fstat(t.f.Fd(), &t.st); err != nil {
			return fmt.Errorf("stat temporary file: %w", err)
		}
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
	if t.name != "" {
		t.d.unlink(t.name)
	}
}

// copyMeta gives the temp file the owner, group, mode, ACL and user.*
// extended attributes of src (the file it will replace). Owner comes first
// because chown clears set-user-ID bits; the ACL after the mode because
// setting an access ACL rewrites the group bits.
func (t *temp) copyMeta(src int, srcSt *unix.Stat_t) error {
	fd := t.f.Fd()
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
	if st.Mode&0o7777 != srcSt.Mode&0o7777 {
		if err := unix.Fchmod(fd, srcSt.Mode&0o7777); err != nil {
			return fmt.Errorf("keep mode %#o: %w", srcSt.Mode&0o7777, err)
		}
	}
	// The content is written: what comes next (owner, mode, attributes,
	// the fsync, the name) leaves the inode, size and mtime as they are,
	// which is all that is read of t.st, so finish need not stat again.
	t.st, t.stated = st, true
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
