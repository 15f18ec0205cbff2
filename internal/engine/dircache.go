package engine

import (
	"crypto/sha256"
	"fmt"
	"path"
	"sync"

	"github.com/scribe-md/scribe/internal/safefile"
)

// dirCache keeps one safefile.Dir per directory during a run, so reading
// the files of a directory opens it once rather than once per file (walking
// every path component through the root each time is most of a read's system
// calls). Only reads use it, never writes.
//
// A directory handle kept open could outlive a rename of that directory out
// of the root, and a read through it would then see a file outside the
// root. For a dry run that is harmless: it writes nothing. A run that writes
// reads through the cache only on a file's first attempt: its write goes
// through the root (safefile.Replace), which finds the file at that path to
// be another one than the snapshot (another inode, or another content) and
// reports a conflict, and the redo reads through the root.
type dirCache struct {
	mu   sync.Mutex
	dirs map[dirKey]*safefile.Dir
}

type dirKey struct {
	root *Root
	dir  string
}

// read reads rel safely. A dry run reads through the cache of directory
// handles, and so does a run that writes when cached is set (a file's first
// attempt in Run; see dirCache). listed says that the run's own listing
// showed rel as a regular file: it is then read with no lstat before the
// open and one fstat (safefile.Dir.ReadListed, whose safety argument is
// written there, or for a run that writes ReadListedToWrite, which keeps
// the hash that Replace checks). probed says that the caller saw rel as a
// document a moment ago (the change's stamp is of its version): it is read
// with no lstat before the open (safefile.ReadProbed).
func (e *Engine) read(root *Root, rel string, listed, cached, probed bool) (*safefile.Snapshot, error) {
	if e.opts.DryRun && e.opts.Content != nil {
		if c, ok := e.opts.Content(root, rel); ok {
			if m := e.opts.MaxFileSize; m > 0 && int64(len(c)) > m {
				return nil, &safefile.SkipError{Path: rel, Reason: safefile.ReasonTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", len(c), m)}
			}
			return &safefile.Snapshot{Content: c, Hash: sha256.Sum256(c), Size: int64(len(c))}, nil
		}
	}
	if !e.opts.DryRun && !cached {
		if probed {
			return safefile.ReadProbed(root.FS, rel, e.opts.MaxFileSize)
		}
		return safefile.Read(root.FS, rel, e.opts.MaxFileSize)
	}
	d, err := e.dirs.get(root, path.Dir(rel))
	if err != nil {
		return safefile.Read(root.FS, rel, e.opts.MaxFileSize)
	}
	if listed {
		if e.opts.DryRun {
			return d.ReadListed(rel, e.opts.MaxFileSize)
		}
		return d.ReadListedToWrite(rel, e.opts.MaxFileSize)
	}
	return d.Read(rel, e.opts.MaxFileSize)
}

func (c *dirCache) get(root *Root, dir string) (*safefile.Dir, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := dirKey{root, dir}
	if d, ok := c.dirs[k]; ok {
		return d, nil
	}
	d, err := safefile.OpenDir(root.FS, dir)
	if err != nil {
		return nil, err
	}
	if c.dirs == nil {
		c.dirs = map[dirKey]*safefile.Dir{}
	}
	c.dirs[k] = d
	return d, nil
}

// close releases every cached handle.
func (c *dirCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, d := range c.dirs {
		d.Close()
		delete(c.dirs, k)
	}
}
