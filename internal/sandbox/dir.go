package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// ErrOutsideRoot is returned (wrapped) for a working directory that is
// absolute or leads outside the root.
var ErrOutsideRoot = errors.New("working directory outside the root")

// openDir opens dir (relative to root, "" meaning the root) through os.Root,
// which refuses ".." and symlinks that lead outside at every step. The open
// directory, not its name, is what the child changes into (see procDir).
func openDir(root, dir string) (*os.File, error) {
	if filepath.IsAbs(dir) {
		return nil, fmt.Errorf("%w: %q is absolute; write it relative to the root %s", ErrOutsideRoot, dir, root)
	}
	clean := dir
	if clean == "" {
		clean = "."
	}
	if !filepath.IsLocal(clean) {
		return nil, fmt.Errorf("%w: %q climbs out of %s; use a directory inside the root", ErrOutsideRoot, dir, root)
	}
	rt, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", root, err)
	}
	defer rt.Close()
	f, err := rt.Open(clean)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("working directory %q does not exist in %s: %w", dir, root, err)
		}
		// os.Root reports a symlink leading outside as "path escapes from
		// parent", an error it does not export.
		return nil, fmt.Errorf("%w: %q in %s: %w", ErrOutsideRoot, dir, root, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat working directory %q: %w", dir, err)
	}
	if !fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("working directory %q in %s is not a directory", dir, root)
	}
	return f, nil
}

// procDir names the open directory f as seen by a forked child. The child
// inherits the parent's descriptors until it execs, and it changes directory
// before exec, so chdir to this magic link lands in exactly the directory
// openDir checked, even if a path component was swapped for a symlink since:
// the effect of fchdir, which os/exec does not offer.
func procDir(f *os.File) string {
	return "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
}
