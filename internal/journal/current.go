package journal

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/scribe-md/scribe/internal/safefile"
)

// readCurrent reads rel as it is now, for a compare-and-swap. It returns nil
// and no error if the file does not exist. Text goes through safefile.Read;
// content safefile declines to treat as text (binary, UTF-16, invalid UTF-8)
// is read by readRaw, since undo must restore any bytes. Symlinks, special
// files and hard-linked files are refused.
func readCurrent(root *os.Root, rel string) (*safefile.Snapshot, error) {
	s, err := safefile.Read(root, rel, 0)
	if err == nil {
		return s, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var skip *safefile.SkipError
	if errors.As(err, &skip) {
		switch skip.Reason {
		case safefile.ReasonBinary, safefile.ReasonUTF16, safefile.ReasonInvalidUTF8:
			return readRaw(root, rel)
		}
		return nil, fmt.Errorf("%s is now a %s, not a file undo can restore: %w", rel, skip.Reason, err)
	}
	return nil, err
}

// rawAttempts bounds how often readRaw retries a file that changes under it.
const rawAttempts = 5

// errRawChanged is internal: the file changed during one readRaw attempt.
var errRawChanged = errors.New("changed during read")

// readRaw reads a regular file of any content into a Snapshot that
// safefile.Replace accepts. It is safefile.Read without the text checks: the
// inode is classified by lstat first (nothing else is opened), opened
// non-blocking, matched against the lstat, and re-checked after the read.
func readRaw(root *os.Root, rel string) (*safefile.Snapshot, error) {
	for range rawAttempts {
		s, err := readRawOnce(root, rel)
		if !errors.Is(err, errRawChanged) {
			return s, err
		}
	}
	return nil, fmt.Errorf("read %s: %w", rel, safefile.ErrUnstable)
}

func readRawOnce(root *os.Root, rel string) (*safefile.Snapshot, error) {
	fi, err := root.Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is now %s, not a regular file", rel, fi.Mode().Type())
	}
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errRawChanged
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st1, err := fstat(f)
	if err != nil {
		return nil, err
	}
	if l := fi.Sys().(*syscall.Stat_t); st1.Ino != l.Ino || st1.Dev != l.Dev {
		return nil, errRawChanged // swapped (perhaps for a symlink) since the lstat
	}
	content, err := io.ReadAll(io.LimitReader(f, maxContent+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	if len(content) > maxContent {
		return nil, fmt.Errorf("read %s: more than %d bytes", rel, maxContent)
	}
	st2, err := fstat(f)
	if err != nil {
		return nil, err
	}
	if st1.Size != st2.Size || st1.Mtim != st2.Mtim || st1.Ctim != st2.Ctim || int64(len(content)) != st2.Size {
		return nil, errRawChanged
	}
	return &safefile.Snapshot{
		Content:    content,
		Hash:       sha256.Sum256(content),
		Ino:        st2.Ino,
		Dev:        st2.Dev,
		Nlink:      st2.Nlink,
		Size:       st2.Size,
		ModTime:    st2.Mtim.Nano(),
		ChangeTime: st2.Ctim.Nano(),
		Mode:       fs.FileMode(st2.Mode & 0o777), // permission bits: all Replace looks at
		Uid:        st2.Uid,
		Gid:        st2.Gid,
	}, nil
}

func fstat(f *os.File) (*syscall.Stat_t, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("fstat %s: %w", f.Name(), err)
	}
	return &st, nil
}
