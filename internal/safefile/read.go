package safefile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Snapshot is a file as read: content plus the identity used for compare-and-swap.
type Snapshot struct {
	Content []byte
	// Hash is the sha256 of Content; zero from Dir.ReadListed, which
	// leaves hashing to the callers that need it.
	Hash                [32]byte
	Ino, Dev, Nlink     uint64
	Size                int64
	ModTime, ChangeTime int64 // unix nanoseconds
	Mode                fs.FileMode
	Uid, Gid            uint32
	// Settled is set when the file's last change was at least a timestamp
	// tick (RacyWindow) before it was read: any later write then shows in
	// its ctime, so an unchanged stat proves unchanged content. Otherwise
	// (a "racy" snapshot, as git calls it) only the content's hash does.
	Settled bool

	buf *[]byte // the pooled buffer Content lives in (Release)
}

const (
	// readAttempts bounds how often Read retries a file that changes under it.
	readAttempts = 5
	// sniffLen is how much of the start of a file is searched for a NUL byte.
	sniffLen = 8 << 10
	// conflictReadLimit caps the read that fills ConflictError.Current, since
	// Replace does not know the caller's size limit.
	conflictReadLimit = 64 << 20
)

// errChanged is internal: the file changed during one read attempt.
var errChanged = errors.New("changed during read")

// Read opens rel with O_NOFOLLOW|O_NONBLOCK through root (never blocks on a
// FIFO), requires a regular text file with one name, enforces maxSize (<= 0:
// no limit) from the inode's size before reading a byte, reads, and re-stats
// to detect a concurrent change; a file that keeps changing yields
// ErrUnstable after a few attempts.
//
// Files that must be skipped with a finding return a *SkipError: symlinks
// (resolve them with Resolve), FIFOs, sockets, devices and directories, files
// over maxSize, hard-linked files, and content that is not UTF-8 text: a NUL
// byte in the first 8 KiB, a UTF-16 byte-order mark, or any invalid UTF-8
// sequence. Invalid UTF-8 is skipped rather than passed through because rules
// edit text with regular expressions and YAML, which would silently mangle a
// legacy encoding. A UTF-8 byte-order mark and CRLF line endings are text.
//
// A missing file returns an error that wraps fs.ErrNotExist.
func Read(root *os.Root, rel string, maxSize int64) (*Snapshot, error) {
	d, base, err := openParentToRead(root, rel)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	defer d.close()
	return d.read(rel, base, maxSize, true)
}

// ReadRaw is Read without the text checks: any bytes of a regular file with
// one name, for callers that restore content rather than edit it (undo).
// Everything else — no symlinks, no special files, the size limit, the
// re-check for a concurrent change — is the same.
func ReadRaw(root *os.Root, rel string, maxSize int64) (*Snapshot, error) {
	d, base, err := openParentToRead(root, rel)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	defer d.close()
	return d.read(rel, base, maxSize, false)
}

// ReadProbed is Read for a file that the caller saw as a regular file a
// moment ago (a watcher's lstat of it, or a listing): it opens the file at
// once, with one openat2(2) below the root, without the lstat that keeps
// Read from opening a device or a FIFO at all, and without opening its
// directory first. The argument is Dir.ReadListed's: a device put there
// since takes CAP_MKNOD, a FIFO opens without blocking, and the fstat
// after the open classifies what was opened. The fstat after the read is
// kept: the snapshot is Read's. Anything other than a regular file opened
// at the first try (a symlink, a directory, an error) is read again by
// Read, which words the skip or the error.
func ReadProbed(root *os.Root, rel string, maxSize int64) (*Snapshot, error) {
	return readProbed(root, rel, readSpec{maxSize: maxSize, text: true, listed: true})
}

// ReadToIndex is ReadProbed for a reader that indexes what it reads and
// never writes it back (the link graph's load of every note of a listing,
// the index and catalog actions' cache):
// one fstat, before the read, and no hash, three system calls on the file
// (openat2, fstat, read) and its close. What the fstat after the read would
// catch, a rewrite in place of the same size during the read, is the
// indexer's to live with, as for Dir.ReadListed: such a rewrite is a save
// that the watcher reports, or that a one-shot run's own read sees, after
// which the entry is read again (the graph takes the engine's content; the
// cache sees a modification time other than the one this read recorded). The snapshot's stat is from
// before the read and its Hash is zero: it vouches for no content. Its
// content is in a pooled buffer: call Release once the content is indexed.
func ReadToIndex(root *os.Root, rel string, maxSize int64) (*Snapshot, error) {
	return readProbed(root, rel, readSpec{maxSize: maxSize, text: true, listed: true, once: true, pooled: true, noHash: true})
}

func readProbed(root *os.Root, rel string, sp readSpec) (*Snapshot, error) {
	maxSize := sp.maxSize
	if !ValidRel(rel) {
		return Read(root, rel, maxSize)
	}
	fd, err := beneath(root, rel, readFlags)
	if err != nil {
		return Read(root, rel, maxSize)
	}
	s, err := readOpened(nil, fd, rel, path.Base(rel), sp, nil)
	unix.Close(fd)
	if errors.Is(err, errChanged) {
		return Read(root, rel, maxSize)
	}
	return s, err
}

// readSpec says how one read goes.
type readSpec struct {
	// maxSize is the size limit (<= 0: none).
	maxSize int64
	// text refuses what is not UTF-8 text (Read); ReadRaw leaves it false.
	text bool
	// listed: the caller's directory listing showed the name as a regular
	// file, so the lstat before the open is skipped (see Dir.ReadListed).
	listed bool
	// once: a single fstat, and no second one after the read (see
	// Dir.ReadListed).
	once bool
	// pooled reads into a pooled buffer (Snapshot.Release); otherwise the
	// content gets a buffer of its own size, for callers that keep it.
	pooled bool
	// noHash leaves Snapshot.Hash zero (see Dir.ReadListed).
	noHash bool
}

// read is Read (text true) or ReadRaw on an already opened parent directory.
func (d *dir) read(rel, base string, maxSize int64, text bool) (*Snapshot, error) {
	return d.readWith(rel, base, readSpec{maxSize: maxSize, text: text})
}

// readWith reads as sp says, retrying a file that changed during the read.
func (d *dir) readWith(rel, base string, sp readSpec) (*Snapshot, error) {
	backoff := time.Millisecond
	for range readAttempts {
		s, err := d.readOnce(rel, base, sp)
		if !errors.Is(err, errChanged) {
			return s, err
		}
		// The entry is not what the listing said, or changed during the
		// read: the next attempt classifies it afresh.
		sp.listed = false
		// Give a writer in the middle of a save a moment to finish.
		time.Sleep(backoff)
		backoff *= 2
	}
	return nil, fmt.Errorf("read %s: %w", rel, ErrUnstable)
}

func (d *dir) readOnce(rel, base string, sp readSpec) (*Snapshot, error) {
	var st unix.Stat_t
	if !sp.listed {
		// Classify by lstat first so that FIFOs, devices and sockets are
		// never opened at all: opening a device can have side effects.
		var err error
		if st, err = d.lstat(base); err != nil {
			return nil, fmt.Errorf("read %s: %w", rel, &fs.PathError{Op: "lstat", Path: rel, Err: err})
		}
		if skip := classify(d, rel, base, &st, sp.maxSize); skip != nil {
			return nil, skip
		}
	}
	fd, err := openat(d.fd, base, readFlags)
	switch {
	case err == unix.ENOENT:
		return nil, fmt.Errorf("read %s: %w", rel, &fs.PathError{Op: "open", Path: rel, Err: err})
	case err == unix.ELOOP || err == unix.ENXIO || err == unix.EAGAIN || err == unix.EISDIR:
		// Swapped for a symlink, socket or other kind since the lstat (or
		// the listing).
		return nil, errChanged
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", rel, &fs.PathError{Op: "open", Path: rel, Err: err})
	}
	// The descriptor is used directly, not wrapped in an *os.File: that would
	// register it with the runtime's poller, two more system calls per file
	// for nothing (a regular file is always ready).
	defer unix.Close(fd)
	return readOpened(d, fd, rel, base, sp, &st)
}

// readFlags open a file to read it: never through a symlink, never blocking
// on a FIFO, never taking a terminal.
const readFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC

// readOpened is readOnce once the file is open as fd. st is the lstat
// before the open, unless sp.listed; d may be nil when sp.listed (nothing
// opened with O_NOFOLLOW is a symlink, whose skip needs its directory).
func readOpened(d *dir, fd int, rel, base string, sp readSpec, st *unix.Stat_t) (*Snapshot, error) {
	// A single-fstat read is settled by the age its file had before that
	// fstat (see Snapshot.Settled), so the clock is read first.
	var statAt time.Time
	if sp.once {
		statAt = time.Now()
	}
	var st1 unix.Stat_t
	if err := unix.Fstat(fd, &st1); err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, &fs.PathError{Op: "fstat", Path: rel, Err: err})
	}
	if !sp.listed && (st1.Ino != st.Ino || st1.Dev != st.Dev) {
		return nil, errChanged
	}
	if skip := classify(d, rel, base, &st1, sp.maxSize); skip != nil {
		if sp.listed && st1.Mode&unix.S_IFMT != unix.S_IFREG {
			// Not the regular file the listing showed: say what it is
			// now, from an lstat, as an unlisted read would.
			return nil, errChanged
		}
		return nil, skip
	}
	// Read at most one byte past what is allowed (or past the size when
	// unlimited is not asked for), so a file growing during the read can
	// never make us read without bound.
	limit := st1.Size + 1
	if sp.maxSize > 0 {
		limit = min(limit, sp.maxSize+1)
	}
	var buf *[]byte
	var content []byte
	if sp.pooled {
		buf = getBuf(min(st1.Size, limit) + 1)
		content = (*buf)[:0]
	} else {
		content = make([]byte, 0, min(st1.Size, limit)+1)
	}
	content, err := readFD(fd, content, st1.Size, limit)
	if err != nil {
		putBuf(buf)
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	last := &st1
	if sp.once {
		// A size that changed is seen for free; see Dir.ReadListed for
		// what a single fstat gives up.
		if int64(len(content)) != st1.Size {
			putBuf(buf)
			return nil, errChanged
		}
	} else {
		var st2 unix.Stat_t
		if err := unix.Fstat(fd, &st2); err != nil {
			putBuf(buf)
			return nil, fmt.Errorf("read %s: %w", rel, &fs.PathError{Op: "fstat", Path: rel, Err: err})
		}
		if !sameVersion(&st1, &st2) || int64(len(content)) != st2.Size {
			putBuf(buf)
			return nil, errChanged
		}
		last = &st2
	}
	if sp.text {
		if reason, detail := sniff(content); reason != "" {
			putBuf(buf)
			return nil, &SkipError{Path: rel, Reason: reason, Detail: detail}
		}
	}
	s := &Snapshot{Content: content, buf: buf}
	if !sp.noHash {
		s.Hash = sha256.Sum256(content)
	}
	s.setStat(last)
	// A full read's stat is from after the read, which the stat before it
	// showed unchanged. A single-fstat read's is from before the read: a
	// write during the read went unseen, but it set a ctime after that
	// fstat, which is a later tick than the stat's when the file was
	// already settled then; so a later stat equal to this one still proves
	// the content read. A snapshot without its hash vouches for nothing.
	switch {
	case sp.noHash:
	case sp.once:
		s.Settled = settled(s.ModTime, s.ChangeTime, statAt)
	default:
		s.Settled = settled(s.ModTime, s.ChangeTime, time.Now())
	}
	return s, nil
}

// openat is unix.Openat without its allocation: the name is made
// NUL-terminated in a buffer on the stack (a name of one path component is
// at most NAME_MAX, 255 bytes, on Linux file systems; a longer one takes
// unix.Openat's way, and fails there as the kernel says).
func openat(dirfd int, name string, flags int) (int, error) {
	var buf [256]byte
	if len(name) >= len(buf) || strings.IndexByte(name, 0) >= 0 {
		return unix.Openat(dirfd, name, flags, 0)
	}
	copy(buf[:], name)
	for {
		fd, _, errno := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&buf[0])), uintptr(flags), 0, 0, 0)
		switch errno {
		case 0:
			return int(fd), nil
		case unix.EINTR:
			continue
		}
		return -1, errno
	}
}

// readFD appends to buf from fd until it has size bytes, EOF, or limit
// bytes. It does not read again to see EOF once size bytes are in: the
// caller compares what it got with the size (and re-stats) to tell whether
// the file changed meanwhile.
func readFD(fd int, buf []byte, size, limit int64) ([]byte, error) {
	for int64(len(buf)) < limit {
		if int64(len(buf)) >= size && len(buf) > 0 {
			return buf, nil
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		want := min(int64(cap(buf)-len(buf)), limit-int64(len(buf)))
		n, err := unix.Read(fd, buf[len(buf):len(buf)+int(want)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf, err
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
	return buf, nil
}

// classify returns a *SkipError if st describes something Read must not
// process.
func classify(d *dir, rel, base string, st *unix.Stat_t, maxSize int64) *SkipError {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFLNK:
		detail := "resolve it and read the target"
		buf := make([]byte, 4096)
		if n, err := unix.Readlinkat(d.fd, base, buf); err == nil {
			detail = "points to " + string(buf[:n])
		}
		return &SkipError{Path: rel, Reason: ReasonSymlink, Detail: detail}
	default:
		return &SkipError{Path: rel, Reason: ReasonNotRegular, Detail: kindName(st.Mode)}
	}
	if st.Nlink > 1 {
		return &SkipError{Path: rel, Reason: ReasonHardLinked, Detail: fmt.Sprintf("%d names", st.Nlink)}
	}
	if maxSize > 0 && st.Size > maxSize {
		return &SkipError{Path: rel, Reason: ReasonTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", st.Size, maxSize)}
	}
	return nil
}

func kindName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFIFO:
		return "named pipe"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	}
	return fmt.Sprintf("file type %#o", mode&unix.S_IFMT)
}

// sniff returns why content is not UTF-8 text, or "".
func sniff(b []byte) (reason, detail string) {
	if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return ReasonUTF16, "byte-order mark; convert the file to UTF-8"
	}
	if i := bytes.IndexByte(b[:min(len(b), sniffLen)], 0); i >= 0 {
		return ReasonBinary, fmt.Sprintf("NUL byte at offset %d", i)
	}
	if !utf8.Valid(b) {
		return ReasonInvalidUTF8, fmt.Sprintf("first bad byte at offset %d", firstInvalid(b))
	}
	return "", ""
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// setStat copies the identity fields of st into s.
func (s *Snapshot) setStat(st *unix.Stat_t) {
	s.Ino = st.Ino
	s.Dev = uint64(st.Dev)
	s.Nlink = uint64(st.Nlink)
	s.Size = st.Size
	s.ModTime = st.Mtim.Nano()
	s.ChangeTime = st.Ctim.Nano()
	s.Mode = fileMode(st.Mode)
	s.Uid = st.Uid
	s.Gid = st.Gid
}

// sameVersion reports whether two stats of one file show no change between them.
func sameVersion(a, b *unix.Stat_t) bool {
	return a.Ino == b.Ino && a.Dev == b.Dev && a.Size == b.Size &&
		a.Mtim == b.Mtim && a.Ctim == b.Ctim && a.Nlink == b.Nlink
}

// matches reports whether st is the inode s was read from, unchanged:
// same inode, size, mtime and ctime. The kernel sets ctime on every write and
// metadata change and no one can set it back, which catches the same-size edit
// with a restored mtime that defeats mtime-only checks.
func (s *Snapshot) matches(st *unix.Stat_t) bool {
	return st.Ino == s.Ino && uint64(st.Dev) == s.Dev && st.Size == s.Size &&
		st.Mtim.Nano() == s.ModTime && st.Ctim.Nano() == s.ChangeTime
}

// fileMode converts a Unix st_mode to an fs.FileMode.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
