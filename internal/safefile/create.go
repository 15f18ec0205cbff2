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

// Create writes a new file atomically: a temp file is written, given perm
// (exactly; the umask does not apply), fsynced, then moved into place with
// renameat2(RENAME_NOREPLACE) and the directory fsynced. It fails with an
// error wrapping fs.ErrExist if rel exists, even if it appears between the
// check and the rename. Missing parent directories are created (0755) inside
// the root.
func Create(root *os.Root, rel string, content []byte, perm fs.FileMode) error {
	if err := checkRel(rel); err != nil {
		return fmt.Errorf("create %s: %w", rel, err)
	}
	created, err := mkdirAll(root, path.Dir(rel))
	if err != nil {
		return fmt.Errorf("create %s: make parent directories: %w", rel, err)
	}
	d, base, err := openParent(root, rel)
	if err != nil {
		return fmt.Errorf("create %s: %w", rel, err)
	}
	defer d.close()
	if _, err := d.lstat(base); err == nil {
		return fmt.Errorf("create %s: %w", rel, fs.ErrExist)
	}
	t, err := createTemp(d, tag{}, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", rel, err)
	}
	armed := true
	defer func() {
		if armed {
			t.remove()
		}
	}()
	if err := t.write(content); err != nil {
		return fmt.Errorf("create %s: %w", rel, err)
	}
	if err := t.f.Chmod(perm & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		return fmt.Errorf("create %s: set mode: %w", rel, err)
	}
	failpoint("chmod")
	if err := t.finish(); err != nil {
		return fmt.Errorf("create %s: %w", rel, err)
	}
	err = renameat2(d, t.name, d, base, unix.RENAME_NOREPLACE)
	if unsupported(err) {
		// link(2) also refuses an existing name, atomically.
		err = unix.Linkat(d.fd, t.name, d.fd, base, 0)
		if err == nil {
			fallbackWrites.Add(1)
			d.unlink(t.name)
		}
	}
	if err == unix.EEXIST {
		return fmt.Errorf("create %s: %w", rel, fs.ErrExist)
	}
	if err != nil {
		return fmt.Errorf("create %s: rename %s into place: %w", rel, t.name, err)
	}
	armed = false
	failpoint("exchange")
	if err := d.sync(); err != nil {
		return fmt.Errorf("create %s: sync directory: %w", rel, err)
	}
	if err := syncParents(root, created); err != nil {
		return fmt.Errorf("create %s: %w", rel, err)
	}
	failpoint("dir-fsync")
	return nil
}

// Rename renames from to to atomically inside the root without replacing an
// existing to (renameat2 RENAME_NOREPLACE), except that a case-only rename of
// one file (a.md to A.md on a case-insensitive file system) is allowed.
// Missing parents of to are created (0755). Both directories are fsynced.
// A symlink is renamed itself, never its target.
func Rename(root *os.Root, from, to string) error {
	if err := checkRel(from); err != nil {
		return fmt.Errorf("rename %s: %w", from, err)
	}
	if err := checkRel(to); err != nil {
		return fmt.Errorf("rename %s to %s: %w", from, to, err)
	}
	if from == to {
		return nil
	}
	created, err := mkdirAll(root, path.Dir(to))
	if err != nil {
		return fmt.Errorf("rename %s to %s: make parent directories: %w", from, to, err)
	}
	dFrom, bFrom, err := openParent(root, from)
	if err != nil {
		return fmt.Errorf("rename %s: %w", from, err)
	}
	defer dFrom.close()
	dTo, bTo := dFrom, path.Base(to)
	if path.Dir(from) != path.Dir(to) {
		if dTo, bTo, err = openParent(root, to); err != nil {
			return fmt.Errorf("rename %s to %s: %w", from, to, err)
		}
		defer dTo.close()
	}

	err = renameat2(dFrom, bFrom, dTo, bTo, unix.RENAME_NOREPLACE)
	switch {
	case err == unix.EEXIST && strings.EqualFold(from, to) && sameFile(dFrom, bFrom, dTo, bTo):
		err = unix.Renameat(dFrom.fd, bFrom, dTo.fd, bTo)
	case unsupported(err):
		if _, lerr := dTo.lstat(bTo); lerr == nil && !(strings.EqualFold(from, to) && sameFile(dFrom, bFrom, dTo, bTo)) {
			err = unix.EEXIST
		} else {
			err = unix.Renameat(dFrom.fd, bFrom, dTo.fd, bTo)
			fallbackWrites.Add(1)
		}
	}
	if err == unix.EEXIST {
		return fmt.Errorf("rename %s to %s: %w", from, to, fs.ErrExist)
	}
	if err != nil {
		return fmt.Errorf("rename %s to %s: %w", from, to, &fs.PathError{Op: "rename", Path: from, Err: err})
	}
	if err := errors.Join(dTo.sync(), syncIfOther(dFrom, dTo)); err != nil {
		return fmt.Errorf("rename %s to %s: sync directory: %w", from, to, err)
	}
	if err := syncParents(root, created); err != nil {
		return fmt.Errorf("rename %s to %s: %w", from, to, err)
	}
	return nil
}

func syncIfOther(a, b *dir) error {
	if a == b {
		return nil
	}
	return a.sync()
}

// sameFile reports whether two names are one inode.
func sameFile(d1 *dir, n1 string, d2 *dir, n2 string) bool {
	a, err1 := d1.lstat(n1)
	b, err2 := d2.lstat(n2)
	return err1 == nil && err2 == nil && a.Ino == b.Ino && a.Dev == b.Dev
}
