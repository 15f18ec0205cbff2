package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/sys/unix"
)

// CleanTemps removes orphaned temp files (TempPrefix*) under the root, left by
// a crash mid-write, and puts back a user's save that such a crash left in
// one. It does not follow symlinks and skips .git. Call it at startup,
// before any writer runs in the root: a temp file of a write in progress
// would be removed too (that write then fails cleanly).
//
// A temp file of Replace is named with a tag (see tag) only once its
// content is whole. After a crash it holds that content, the version it
// replaced, or a user's save that landed between Replace's last check and
// its exchange, which the crash stopped Replace from swapping back. The
// first two are copies of a version older than what the file's real name
// holds: they are removed, as is every temp file without a tag (cut short,
// of Create, or of an older version of Scribe). The save is put back in
// place of the content written, if the file still holds that.
//
// Before each swap-back, Replace renames its temp file with a swap tag (see
// swapTag), which names the version the swap moves to the file and the one
// it expects to find there. A crash between two swap-backs, with saves
// racing them, leaves a save in the temp file and another in the file; the
// swap tag tells which is the newer, as Replace itself would have, and that
// one goes in place, the older one going.
//
// Where the file holds neither what the write or the swap left there, it
// was saved since the crash, or it is gone: the save in the temp file is
// then kept as a conflict copy (Cleaned.Kept). Only the user can tell
// which version is theirs then, so none is removed.
//
// It lists directories with ReadDir (the type of each entry from the
// directory itself): a walk through the root's fs.FS would lstat every file
// of the tree, a system call per file for the few temp files there may be.
func CleanTemps(root *os.Root) (Cleaned, error) {
	c := cleaner{root: root}
	if err := c.walk("."); err != nil {
		c.errs = append(c.errs, err)
	}
	if err := errors.Join(c.errs...); err != nil {
		return c.done, fmt.Errorf("clean temporary files: %w", err)
	}
	return c.done, nil
}

// Cleaned is what CleanTemps did. Paths are relative to the root.
type Cleaned struct {
	// Removed counts the temp files removed.
	Removed int
	// Restored lists the files to which a user's save was put back (the
	// later one, where two were found).
	Restored []string
	// Kept lists the conflict copies made of users' saves that could not
	// be put back.
	Kept []string
}

type cleaner struct {
	root *os.Root
	done Cleaned
	errs []error
}

// walk cleans the directory rel and those below it. It returns an error
// only when the root itself cannot be read; the others are collected.
func (c *cleaner) walk(rel string) error {
	ents, err := ReadDir(c.root, rel)
	if err != nil {
		if rel == "." {
			return err
		}
		c.errs = append(c.errs, err)
	}
	var d *dir // rel, opened for the first tagged temp file
	defer func() {
		if d != nil {
			d.close()
		}
	}()
	for _, e := range ents {
		p := path.Join(rel, e.Name())
		switch {
		case e.IsDir():
			if e.Name() != ".git" {
				c.walk(p)
			}
		case e.Type().IsRegular() && strings.HasPrefix(e.Name(), TempPrefix):
			tg, tagged := tagOf(e.Name())
			sw, swapped := swapTagOf(e.Name())
			if !tagged && !swapped {
				if err := c.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
					c.errs = append(c.errs, err)
					continue
				}
				c.done.Removed++
				continue
			}
			if d == nil {
				if d, err = openDir(c.root, rel); err != nil {
					c.errs = append(c.errs, fmt.Errorf("%s: %w", p, err))
					continue
				}
			}
			if swapped {
				err = c.recoverSwap(d, rel, ents, e.Name(), sw)
			} else {
				err = c.recoverWrite(d, rel, ents, e.Name(), tg)
			}
			if err != nil {
				c.errs = append(c.errs, fmt.Errorf("%s: %w", p, err))
			}
		}
	}
	return nil
}

// recoverWrite settles the temp file name of the directory d (rel, whose
// entries are ents), tagged tg by Replace: see CleanTemps.
func (c *cleaner) recoverWrite(d *dir, rel string, ents []fs.DirEntry, name string, tg tag) error {
	st, sum, err := d.digest(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if statID(&st) == tg.old || sum == tg.content {
		// The version the write replaced, or the write's own content.
		return c.remove(d, name)
	}
	// A user's save, swapped out by the exchange, and the crash came
	// before the first swap-back. If the file still holds the content
	// written, the save goes back in its place. If not, the file was
	// saved since; the save is kept.
	return c.putBackOrKeep(d, rel, ents, name, tg.target, func(n string) bool {
		_, sum, err := d.digest(n)
		return err == nil && sum == tg.content
	})
}

// recoverSwap settles the temp file name of the directory d (rel, whose
// entries are ents), tagged sw by a swap-back of Replace: see CleanTemps.
func (c *cleaner) recoverSwap(d *dir, rel string, ents []fs.DirEntry, name string, sw swapTag) error {
	st, err := d.lstat(name)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	id := statID(&st)
	if id == sw.at {
		// The swap was made: this is what it took from the file, a
		// version that the one it put there superseded.
		return c.remove(d, name)
	}
	// Either the swap was not made (this is put, and the file should
	// still hold at) or it was, and took from the file a save that
	// landed after the swap before (newer than put, which the file
	// should hold). Either way this version is the newer, and goes in;
	// what comes back is the one checked, superseded. If the file holds
	// something else, it was saved since: this version is kept.
	want := sw.put
	if id == sw.put {
		want = sw.at
	}
	return c.putBackOrKeep(d, rel, ents, name, sw.target, func(n string) bool {
		st, err := d.lstat(n)
		return err == nil && statID(&st) == want
	})
}

// putBackOrKeep puts the save at the temp file name of d (rel, whose
// entries are ents) in place of the file whose name digests to target, if
// that file holds what holds says (a version the save supersedes), and
// removes what comes back if it still does. Otherwise (no such file, it
// holds something else, or something else came back) the save, or what
// came back, is kept as a conflict copy.
func (c *cleaner) putBackOrKeep(d *dir, rel string, ents []fs.DirEntry, name string, target uint64, holds func(name string) bool) error {
	base := targetOf(ents, target)
	if base != "" && holds(base) && d.putBack(name, base, holds) {
		c.done.Restored = append(c.done.Restored, path.Join(rel, base))
		return nil
	}
	return c.keep(d, rel, name, base)
}

// remove unlinks the temp file name of d, a copy of an older version.
func (c *cleaner) remove(d *dir, name string) error {
	if err := d.unlink(name); err != nil && err != unix.ENOENT {
		return fmt.Errorf("remove: %w", err)
	}
	c.done.Removed++
	return nil
}

// keep renames the temp file name of d (rel), a user's save of base ("" if
// unknown), to a conflict copy.
func (c *cleaner) keep(d *dir, rel, name, base string) error {
	kept, err := d.keepAs(name, base)
	if err != nil {
		return fmt.Errorf("keep a save that a crash left in it: %w", err)
	}
	c.done.Kept = append(c.done.Kept, path.Join(rel, kept))
	return nil
}

// putBack swaps the save at name into base, which holds says held the
// version the save supersedes, and removes what comes back if holds says
// it still is that. It reports whether the save is at base and name is
// gone.
func (d *dir) putBack(name, base string, holds func(name string) bool) bool {
	err := renameat2(d, name, d, base, unix.RENAME_EXCHANGE)
	if unsupported(err) {
		// A save to base since the caller's check is lost; as in
		// replaceFallback, counted.
		if err := unix.Renameat(d.fd, name, d.fd, base); err != nil {
			return false
		}
		fallbackWrites.Add(1)
		d.sync()
		return true
	}
	if err != nil {
		return false
	}
	// A save to base since the caller's check is now at name: it is kept.
	if !holds(name) {
		return false
	}
	return d.unlink(name) == nil && d.sync() == nil
}

// targetOf returns the name among ents whose digest is target ("" if none).
func targetOf(ents []fs.DirEntry, target uint64) string {
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), TempPrefix) && xxhash.Sum64String(e.Name()) == target {
			return e.Name()
		}
	}
	return ""
}

// digest stats the regular file name in d and digests its content (xxhash,
// as a tag does).
func (d *dir) digest(name string) (unix.Stat_t, uint64, error) {
	var st unix.Stat_t
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return st, 0, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	if err := unix.Fstat(fd, &st); err != nil {
		return st, 0, &fs.PathError{Op: "fstat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return st, 0, &fs.PathError{Op: "open", Path: name, Err: errors.New("not a regular file")}
	}
	h := xxhash.New()
	if _, err := io.Copy(h, f); err != nil {
		return st, 0, fmt.Errorf("read %s: %w", name, err)
	}
	return st, h.Sum64(), nil
}

// ReadDir lists the directory name of root in directory order. It opens the
// directory through root (so no link leads outside it) with O_DIRECTORY (so a
// directory swapped for a FIFO since it was listed fails to open rather than
// blocks), then reads a duplicate of the descriptor as a plain file: a File
// opened in a Root lstats every entry in ReadDir, which would cost a syscall
// per file where the kernel's d_type already tells the type.
func ReadDir(root *os.Root, name string) ([]fs.DirEntry, error) {
	d, err := root.OpenFile(name, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, fmt.Errorf("open directory: %w", err)
	}
	sc, err := d.SyscallConn()
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("open directory: %w", err)
	}
	var (
		fd     int
		dupErr error
	)
	if err := sc.Control(func(raw uintptr) {
		fd, dupErr = unix.FcntlInt(raw, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		dupErr = err
	}
	d.Close()
	if dupErr != nil {
		return nil, fmt.Errorf("open directory: dup: %w", dupErr)
	}
	plain := os.NewFile(uintptr(fd), name)
	defer plain.Close()
	entries, err := plain.ReadDir(-1)
	if err != nil {
		return entries, fmt.Errorf("read directory: %w", err)
	}
	return entries, nil
}
