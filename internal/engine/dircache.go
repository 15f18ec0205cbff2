package engine

import (
	"crypto/sha256"
	"fmt"
	"path"
	"sync"

	"github.com/scribe-md/scribe/internal/safefile"
)

// dirCache keeps one safefile.Dir per directory during a dry run, so reading
// the files of a directory opens it once rather than once per file (walking
// every path component through the root each time is most of a read's system
// calls). Only dry runs use it: a directory handle kept open could outlive a
// rename of that directory out of the root, which is harmless for a read that
// writes nothing, and not something a writing run should risk.
type dirCache struct {
	mu   sync.Mutex
	dirs map[dirKey]*safefile.Dir
}

type dirKey struct {
	root *Root
	dir  string
}

// read reads rel safely, through a cached directory handle in a dry run.
// listed says that the run's own listing showed rel as a regular file: a
// dry run then reads it with safefile.Dir.ReadListed (no lstat before the
// open, one fstat), whose safety argument is written there.
func (e *Engine) read(root *Root, rel string, listed bool) (*safefile.Snapshot, error) {
	if e.opts.DryRun && e.opts.Content != nil {
		if c, ok := e.opts.Content(root, rel); ok {
			if m := e.opts.MaxFileSize; m > 0 && int64(len(c)) > m {
				return nil, &safefile.SkipError{Path: rel, Reason: safefile.ReasonTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", len(c), m)}
			}
			return &safefile.Snapshot{Content: c, Hash: sha256.Sum256(c), Size: int64(len(c))}, nil
		}
	}
	if !e.opts.DryRun {
		return safefile.Read(root.FS, rel, e.opts.MaxFileSize)
	}
	d, err := e.dirs.get(root, path.Dir(rel))
	if err != nil {
		return safefile.Read(root.FS, rel, e.opts.MaxFileSize)
	}
	if listed {
		return d.ReadListed(rel, e.opts.MaxFileSize)
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
