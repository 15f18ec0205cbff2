package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// CleanTemps removes orphaned temp files (TempPrefix*) under the root, left by
// a crash mid-write, and returns how many it removed. Every such file is a
// copy of some version whose real name holds a whole version, so removing it
// loses nothing. It does not follow symlinks and skips .git. Call it at
// startup, before any writer runs in the root: a temp file of a write in
// progress would be removed too (that write then fails cleanly).
//
// It lists directories with ReadDir (the type of each entry from the
// directory itself): a walk through the root's fs.FS would lstat every file
// of the tree, a system call per file for the few temp files there may be.
func CleanTemps(root *os.Root) (int, error) {
	c := cleaner{root: root}
	if err := c.walk("."); err != nil {
		c.errs = append(c.errs, err)
	}
	if err := errors.Join(c.errs...); err != nil {
		return c.n, fmt.Errorf("clean temporary files: %w", err)
	}
	return c.n, nil
}

type cleaner struct {
	root *os.Root
	n    int
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
	for _, e := range ents {
		p := path.Join(rel, e.Name())
		switch {
		case e.IsDir():
			if e.Name() != ".git" {
				c.walk(p)
			}
		case e.Type().IsRegular() && strings.HasPrefix(e.Name(), TempPrefix):
			if err := c.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				c.errs = append(c.errs, err)
				continue
			}
			c.n++
		}
	}
	return nil
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
