package engine

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path"
	"sync"

	"github.com/scribe-md/scribe/internal/safefile"
)

// dirCache keeps one *os.Root per directory during a dry run, so reading the
// files of a directory opens it once rather than once per file (walking every
// path component through the root each time is most of a read's system
// calls). Only dry runs use it: a directory handle kept open could outlive a
// rename of that directory out of the root, which is harmless for a read that
// writes nothing, and not something a writing run should risk.
type dirCache struct {
	mu   sync.Mutex
	dirs map[dirKey]*os.Root
}

type dirKey struct {
	root *Root
	dir  string
}

// read reads rel safely, through a cached directory handle in a dry run.
func (e *Engine) read(root *Root, rel string) (*safefile.Snapshot, error) {
	if e.opts.DryRun && e.opts.Content != nil {
		if c, ok := e.opts.Content(root, rel); ok {
			if m := e.opts.MaxFileSize; m > 0 && int64(len(c)) > m {
				return nil, &safefile.SkipError{Path: rel, Reason: safefile.ReasonTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", len(c), m)}
			}
			return &safefile.Snapshot{Content: c, Hash: sha256.Sum256(c), Size: int64(len(c))}, nil
		}
	}
	dir := path.Dir(rel)
	if !e.opts.DryRun || dir == "." {
		return safefile.Read(root.FS, rel, e.opts.MaxFileSize)
	}
	sub, err := e.dirs.get(root, dir)
	if err != nil {
		return safefile.Read(root.FS, rel, e.opts.MaxFileSize)
	}
	return safefile.Read(sub, path.Base(rel), e.opts.MaxFileSize)
}

func (c *dirCache) get(root *Root, dir string) (*os.Root, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := dirKey{root, dir}
	if r, ok := c.dirs[k]; ok {
		return r, nil
	}
	r, err := root.FS.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if c.dirs == nil {
		c.dirs = map[dirKey]*os.Root{}
	}
	c.dirs[k] = r
	return r, nil
}

// close releases every cached handle.
func (c *dirCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, r := range c.dirs {
		r.Close()
		delete(c.dirs, k)
	}
}
