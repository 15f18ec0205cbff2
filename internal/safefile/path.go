package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Limits on paths. os.Root walks a path one component at a time, so unlike
// the kernel it accepts paths beyond PATH_MAX; capping length and depth keeps
// hostile paths from costing quadratic time (each level is a walk from the root).
const (
	maxPathLen = 4095 // PATH_MAX less the NUL
	maxDepth   = 255
)

// ValidRel reports whether rel is a clean, slash-separated path relative to a
// root that names something below it: not empty, not "." itself, not
// absolute, no empty, "." or ".." element, no NUL. Unlike fs.ValidPath it
// accepts names that are not valid UTF-8: on Linux a name is any bytes but
// '/' and NUL, and such files are processed like any other.
func ValidRel(rel string) bool {
	if rel == "" || rel == "." || strings.IndexByte(rel, 0) >= 0 {
		return false
	}
	for {
		elem, rest, more := strings.Cut(rel, "/")
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
		if !more {
			return true
		}
		rel = rest
	}
}

// checkRel accepts only clean, slash-separated paths relative to the root that
// name something below it (not the root itself). Rejecting "." and ".." here
// gives a clear error early; os.Root would refuse escapes anyway.
func checkRel(rel string) error {
	if !ValidRel(rel) {
		return fmt.Errorf("%w %q: use a slash-separated path relative to the root, without . or .. elements", ErrInvalidPath, rel)
	}
	if len(rel) > maxPathLen || strings.Count(rel, "/") >= maxDepth {
		return fmt.Errorf("%w %.40q...: longer than %d bytes or deeper than %d directories", ErrInvalidPath, rel, maxPathLen, maxDepth)
	}
	return nil
}

// dir is a directory opened through the root. Its descriptor anchors the *at
// system calls, which then only ever take a single path component: nothing
// below the root is reached by name from outside it.
type dir struct {
	// f is nil when openBeneath opened the directory: its descriptor is
	// used raw then, as a write's are (see rawFile). OpenDir wraps it for
	// the listing a Dir gives.
	f   *os.File
	fd  int
	key dirKey // the directory's identity, for sharing its fsyncs and its entry lock
}

// openDir opens rel (a directory, "." for the root) through root. Symlinks
// among its components are followed only while they stay inside the root.
// It asks the kernel to resolve rel that way in one call where it can
// (openBeneath), and walks it with os.Root otherwise.
func openDir(root *os.Root, rel string) (*dir, error) {
	return openDirFor(root, rel, true)
}

// openDirFor is openDir; with keyed false, a directory that openat2 opened
// is left without its identity (key), which only writes use: O_DIRECTORY
// has made sure it is a directory, and a read spares the fstat.
func openDirFor(root *os.Root, rel string, keyed bool) (*dir, error) {
	d := &dir{fd: -1}
	if fd, ok := openBeneath(root, rel); ok {
		d.fd = fd
		if !keyed {
			return d, nil
		}
	} else {
		f, err := root.Open(rel)
		if err != nil {
			return nil, err
		}
		d.f, d.fd = f, int(f.Fd())
	}
	var st unix.Stat_t
	if err := unix.Fstat(d.fd, &st); err != nil {
		d.close()
		return nil, &fs.PathError{Op: "fstat", Path: rel, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		d.close()
		return nil, &fs.PathError{Op: "open", Path: rel, Err: unix.ENOTDIR}
	}
	d.key = dirKey{uint64(st.Dev), st.Ino}
	return d, nil
}

// openParent validates rel and opens its parent directory, returning it with
// the last component of rel.
func openParent(root *os.Root, rel string) (*dir, string, error) {
	return openParentFor(root, rel, true)
}

// openParentToRead is openParent for a read, which needs no identity of
// the directory (see openDirFor).
func openParentToRead(root *os.Root, rel string) (*dir, string, error) {
	return openParentFor(root, rel, false)
}

func openParentFor(root *os.Root, rel string, keyed bool) (*dir, string, error) {
	if err := checkRel(rel); err != nil {
		return nil, "", err
	}
	d, err := openDirFor(root, path.Dir(rel), keyed)
	if err != nil {
		return nil, "", err
	}
	return d, path.Base(rel), nil
}

// close closes the directory's descriptor, through f if it has one.
func (d *dir) close() error {
	if d.f != nil {
		return d.f.Close()
	}
	return unix.Close(d.fd)
}

// sync makes the directory's entries durable (see durable.go).
func (d *dir) sync() error {
	d.mustBeKeyed()
	return syncDir(d.fd, d.key)
}

// mustBeKeyed panics for a directory opened to read (openParentToRead):
// without its identity, its fsyncs and entry lock would be shared with
// every other such directory's.
func (d *dir) mustBeKeyed() {
	if d.key == (dirKey{}) {
		panic("safefile: a directory opened to read is used to write")
	}
}

// lstat stats name in d without following a symlink.
func (d *dir) lstat(name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	return st, err
}

// mkdirAll creates rel and its missing parents (0755) through root and
// returns the directories it created, outermost first, so that the caller can
// make their entries durable.
func mkdirAll(root *os.Root, rel string) ([]string, error) {
	if rel == "." {
		return nil, nil
	}
	var created []string
	parts := strings.Split(rel, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		err := root.Mkdir(p, 0o755)
		switch {
		case err == nil:
			created = append(created, p)
		case isExist(err):
			fi, serr := root.Stat(p)
			if serr != nil {
				return created, serr
			}
			if !fi.IsDir() {
				return created, &fs.PathError{Op: "mkdir", Path: p, Err: unix.ENOTDIR}
			}
		default:
			return created, err
		}
	}
	return created, nil
}

// syncParents fsyncs the parent of every directory in created, so that new
// directories survive a crash along with the file inside them.
func syncParents(root *os.Root, created []string) error {
	for _, c := range created {
		d, err := openDir(root, path.Dir(c))
		if err != nil {
			return err
		}
		err = d.sync()
		d.close()
		if err != nil {
			return fmt.Errorf("sync directory %s: %w", path.Dir(c), err)
		}
	}
	return nil
}

func isExist(err error) bool { return errors.Is(err, fs.ErrExist) }
