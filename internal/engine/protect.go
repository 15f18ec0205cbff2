package engine

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/scribe-md/scribe/internal/safefile"
)

// ErrProtected is returned (wrapped) for a write or rename that would land
// in a version control directory or the state directory.
var ErrProtected = errors.New("refused: Scribe never writes there")

// checkWritable refuses rel when it is, or would be through a symlinked
// directory on its way, inside a protected directory.
func (r *Root) checkWritable(rel string) error {
	where := safefile.ProtectedDir(rel, r.stateDir)
	if where == "" {
		// A symlink inside the root may lead there: look where the
		// nearest existing parent really is.
		if real, ok := r.realParent(rel); ok {
			where = safefile.ProtectedDir(real, r.stateDir)
		}
	}
	switch {
	case where == "":
		return nil
	case where == r.stateDir:
		return fmt.Errorf("%s: %w: it is inside the state directory %s (engine.state_dir); choose a path outside it", rel, ErrProtected, where)
	default:
		return fmt.Errorf("%s: %w: it is inside %s, a version control directory; choose a path outside it", rel, ErrProtected, where)
	}
}

// realParent returns rel with its nearest existing parent directory
// replaced by where that directory really is (symlinks resolved), relative
// to the root; false when that cannot be told or lies outside the root.
func (r *Root) realParent(rel string) (string, bool) {
	dir, rest := path.Dir(rel), path.Base(rel)
	for dir != "." {
		f, err := r.FS.Open(dir)
		if err == nil {
			real, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
			f.Close()
			if err != nil {
				return "", false
			}
			rootReal, err := filepath.EvalSymlinks(r.Dir)
			if err != nil {
				return "", false
			}
			relDir, err := filepath.Rel(rootReal, real)
			if err != nil || !filepath.IsLocal(relDir) && relDir != "." {
				return "", false
			}
			return path.Join(filepath.ToSlash(relDir), rest), true
		}
		dir, rest = path.Dir(dir), path.Join(path.Base(dir), rest)
	}
	return "", false
}
