package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// CleanTemps removes orphaned temp files (TempPrefix*) under the root, left by
// a crash mid-write, and returns how many it removed. Every such file is a
// copy of some version whose real name holds a whole version, so removing it
// loses nothing. It does not follow symlinks and skips .git. Call it at
// startup, before any writer runs in the root: a temp file of a write in
// progress would be removed too (that write then fails cleanly).
func CleanTemps(root *os.Root) (int, error) {
	n := 0
	var errs []error
	err := fs.WalkDir(root.FS(), ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			errs = append(errs, err)
			return nil
		}
		if de.IsDir() && de.Name() == ".git" {
			return fs.SkipDir
		}
		if !de.Type().IsRegular() || !strings.HasPrefix(de.Name(), TempPrefix) {
			return nil
		}
		if err := root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			return nil
		}
		n++
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("clean temporary files: %w", err)
	}
	return n, nil
}
