package engine

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/scan"
)

// Root is one tree the engine works on. Every file operation goes through FS,
// an *os.Root, so no path a rule or a file name can influence leaves the tree.
type Root struct {
	// Dir is the absolute path of the tree.
	Dir string
	// FS confines every operation to Dir.
	FS *os.Root
	// Filter decides which paths are documents.
	Filter *scan.Filter
	// Docs is the document list actions see.
	Docs *Docs

	// targets lists the files that exist but are not processed because the
	// configuration's exclude globs leave them out (nil without excludes):
	// exclusion limits what is processed, not what links can point at.
	targets  *scan.Filter
	stateDir string // slash path relative to Dir; "" when outside it

	scanned []scan.Entry // the last one-shot listing
}

// OpenRoot opens dir as a root with the given include/exclude globs.
func OpenRoot(dir string, include, exclude []string, stateDir string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("root %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("root %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("root %s: not a directory", dir)
	}
	fsys, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("root %s: %w", dir, err)
	}
	f, err := scan.NewFilter(abs, include, exclude, stateDir)
	if err != nil {
		fsys.Close()
		return nil, fmt.Errorf("root %s: %w", dir, err)
	}
	r := &Root{Dir: abs, FS: fsys, Filter: f}
	if len(exclude) > 0 {
		if r.targets, err = scan.NewFilter(abs, include, nil, stateDir); err != nil {
			fsys.Close()
			return nil, fmt.Errorf("root %s: %w", dir, err)
		}
	}
	if sd := path.Clean(filepath.ToSlash(stateDir)); stateDir != "" && filepath.IsLocal(sd) {
		r.stateDir = sd
	}
	r.Docs = &Docs{root: r}
	return r, nil
}

// RefreshTargets lists the files the exclude globs leave out of processing
// and records them in Docs (see Docs.Targets). Ignore files (.gitignore,
// .scribeignore) still hide files entirely. Without exclude globs it does
// nothing: the documents are all there is.
func (r *Root) RefreshTargets(ctx context.Context, workers int) error {
	if r.targets == nil {
		return nil
	}
	entries, _, err := scan.List(ctx, r.FS, r.targets, workers)
	if err != nil {
		return err
	}
	var extra []string
	for _, e := range entries {
		if e.Type.IsRegular() && !r.Filter.Included(e.Rel) {
			extra = append(extra, e.Rel)
		}
	}
	r.Docs.mu.Lock()
	r.Docs.extra = extra // sorted, as scan.List returns them
	r.Docs.mu.Unlock()
	return nil
}

// Close releases the root's directory handle.
func (r *Root) Close() error { return r.FS.Close() }

// Docs is the engine's implementation of action.Docs for one root: the list of
// documents as of the last scan (kept current by the daemon through Add and
// Remove), and confined, size-limited reads.
type Docs struct {
	root    *Root
	maxSize atomic.Int64

	mu    sync.RWMutex
	paths []string // sorted
	extra []string // sorted: excluded from processing, still there
}

// Set replaces the document list (sorted copy).
func (d *Docs) Set(paths []string) {
	p := slices.Clone(paths)
	slices.Sort(p)
	d.mu.Lock()
	d.paths = p
	d.mu.Unlock()
}

// Add records a new document.
func (d *Docs) Add(path string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i, found := slices.BinarySearch(d.paths, path)
	if !found {
		d.paths = slices.Insert(d.paths, i, path)
	}
}

// Remove forgets a document.
func (d *Docs) Remove(path string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i, found := slices.BinarySearch(d.paths, path); found {
		d.paths = slices.Delete(d.paths, i, i+1)
	}
}

// Rename moves a document, or every document under a directory, to a new
// path in the list.
func (d *Docs) Rename(from, to string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	prefix := from + "/"
	out := d.paths[:0:0]
	for _, p := range d.paths {
		switch {
		case p == from:
			out = append(out, to)
		case strings.HasPrefix(p, prefix):
			out = append(out, to+"/"+p[len(prefix):])
		default:
			out = append(out, p)
		}
	}
	slices.Sort(out)
	d.paths = out
}

// List returns every document path, sorted. The caller must not modify it.
func (d *Docs) List() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.paths
}

// Targets returns, sorted, every document and every file that exists but is
// excluded from processing by the configuration's exclude globs: what a
// link may point at (action.Targets).
func (d *Docs) Targets() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if len(d.extra) == 0 {
		return d.paths
	}
	out := make([]string, 0, len(d.paths)+len(d.extra))
	i, j := 0, 0
	for i < len(d.paths) || j < len(d.extra) {
		switch {
		case j == len(d.extra) || i < len(d.paths) && d.paths[i] < d.extra[j]:
			out = append(out, d.paths[i])
			i++
		case i == len(d.paths) || d.extra[j] < d.paths[i]:
			out = append(out, d.extra[j])
			j++
		default:
			out = append(out, d.paths[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// ReadFile reads a document safely (no FIFOs, no symlinks out, size limit).
func (d *Docs) ReadFile(path string) ([]byte, error) {
	s, err := safefile.Read(d.root.FS, path, d.maxSize.Load())
	if err != nil {
		return nil, err
	}
	return s.Content, nil
}

// ReadFileInfo reads a document like ReadFile and returns the file info of
// the read (action.InfoReader).
func (d *Docs) ReadFileInfo(rel string) ([]byte, fs.FileInfo, error) {
	s, err := safefile.Read(d.root.FS, rel, d.maxSize.Load())
	if err != nil {
		return nil, nil, err
	}
	return s.Content, snapshotInfo{name: path.Base(rel), s: s}, nil
}

var _ action.InfoReader = (*Docs)(nil)

// snapshotInfo is the fs.FileInfo of a safefile read.
type snapshotInfo struct {
	name string
	s    *safefile.Snapshot
}

func (i snapshotInfo) Name() string       { return i.name }
func (i snapshotInfo) Size() int64        { return i.s.Size }
func (i snapshotInfo) Mode() fs.FileMode  { return i.s.Mode }
func (i snapshotInfo) ModTime() time.Time { return time.Unix(0, i.s.ModTime) }
func (i snapshotInfo) IsDir() bool        { return i.s.Mode.IsDir() }
func (i snapshotInfo) Sys() any           { return nil }

// Stat returns a document's file info without following a final symlink.
func (d *Docs) Stat(path string) (fs.FileInfo, error) {
	return d.root.FS.Lstat(path)
}

// Refresh lists the root's documents into Docs, as a one-shot run does
// before it starts (the daemon keeps them current itself). It returns the
// directories that could not be read.
func (r *Root) Refresh(ctx context.Context, workers int) ([]error, error) {
	_, errs, err := r.refresh(ctx, workers)
	return errs, err
}

// refresh lists the root's documents and stores them in Docs.
func (r *Root) refresh(ctx context.Context, workers int) ([]scan.Entry, []error, error) {
	entries, errs, err := scan.List(ctx, r.FS, r.Filter, workers)
	if err != nil {
		return nil, errs, err
	}
	paths := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type.IsRegular() {
			paths = append(paths, e.Rel)
		}
	}
	r.Docs.mu.Lock()
	r.Docs.paths = paths // scan.List returns entries sorted by Rel
	r.Docs.mu.Unlock()
	if err := r.RefreshTargets(ctx, workers); err != nil {
		return nil, errs, err
	}
	return entries, errs, nil
}
