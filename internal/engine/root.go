package engine

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
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
	// Dialect is what the front matter of the root's files is when they
	// have no fenced block: a Logseq graph's pages keep "key:: value"
	// property lines (markdown.DialectOf, looked at when the root opens).
	Dialect markdown.Dialect

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
	r := &Root{Dir: abs, FS: fsys, Filter: f, Dialect: markdown.DialectOf(fsys.Lstat)}
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
//
// The daemon gives a source instead of a list (SetSource): its watcher knows
// every document, and the list is only built when an action first asks for
// it (links, index, catalog, naming), so that a daemon whose rules never
// need it does not hold every path of the tree a second time. A list handed
// out is never changed: Add and Remove collect changes that the next List
// merges in.
type Docs struct {
	root    *Root
	maxSize atomic.Int64

	mu      sync.Mutex
	source  func(yield func(rel string)) // lists the documents; nil once built
	paths   []string                     // sorted; never modified in place
	added   map[string]struct{}          // since paths was built
	removed map[string]struct{}          // since paths was built
	extra   []string                     // sorted: excluded from processing, still there

	oneShot atomic.Bool // Engine.Run is running on this root (action.OneShot)
	// gen counts what may change the documents in ways a Stat shows: files
	// the engine processes, writes it makes, changes to the list, rounds
	// of Finish calls (action.Generationer).
	gen atomic.Uint64
}

// Generation is the documents' generation (action.Generationer): a Stat
// made while it stays the same still holds.
func (d *Docs) Generation() uint64 { return d.gen.Load() }

var _ action.Generationer = (*Docs)(nil)

// changed starts a new generation.
func (d *Docs) changed() { d.gen.Add(1) }

// Set replaces the document list (sorted copy).
func (d *Docs) Set(paths []string) {
	defer d.changed()
	p := slices.Clone(paths)
	slices.Sort(p)
	d.mu.Lock()
	d.source, d.paths = nil, p
	clear(d.added)
	clear(d.removed)
	d.mu.Unlock()
}

// SetSource drops the list: the first List (or Targets, or Len) builds it
// from source, which yields every document once, in any order.
func (d *Docs) SetSource(source func(yield func(rel string))) {
	defer d.changed()
	d.mu.Lock()
	d.source, d.paths = source, nil
	clear(d.added)
	clear(d.removed)
	d.mu.Unlock()
}

// Add records a new document.
func (d *Docs) Add(path string) {
	defer d.changed()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.source != nil {
		return // the source lists it
	}
	if _, gone := d.removed[path]; gone {
		delete(d.removed, path)
		return
	}
	if _, found := slices.BinarySearch(d.paths, path); !found {
		if d.added == nil {
			d.added = map[string]struct{}{}
		}
		d.added[path] = struct{}{}
	}
}

// Remove forgets a document.
func (d *Docs) Remove(path string) {
	defer d.changed()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.source != nil {
		return
	}
	if _, ok := d.added[path]; ok {
		delete(d.added, path)
		return
	}
	if _, found := slices.BinarySearch(d.paths, path); found {
		if d.removed == nil {
			d.removed = map[string]struct{}{}
		}
		d.removed[path] = struct{}{}
	}
}

// Rename moves a document, or every document under a directory, to a new
// path in the list.
func (d *Docs) Rename(from, to string) {
	defer d.changed()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.source != nil {
		return
	}
	prefix := from + "/"
	list := d.listLocked()
	out := make([]string, 0, len(list))
	for _, p := range list {
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
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.listLocked()
}

// Len returns the number of documents.
func (d *Docs) Len() int { return len(d.List()) }

// listLocked builds the list from the source, or merges the changes since it
// was built, into a new slice: one a caller holds stays as it was.
func (d *Docs) listLocked() []string {
	if d.source != nil {
		var p []string
		d.source(func(rel string) { p = append(p, rel) })
		slices.Sort(p)
		d.source, d.paths = nil, p
		return p
	}
	if len(d.added) == 0 && len(d.removed) == 0 {
		return d.paths
	}
	add := slices.Sorted(maps.Keys(d.added))
	out := make([]string, 0, len(d.paths)+len(add)-len(d.removed))
	i := 0
	for _, p := range d.paths {
		for i < len(add) && add[i] < p {
			out = append(out, add[i])
			i++
		}
		if _, gone := d.removed[p]; !gone {
			out = append(out, p)
		}
	}
	out = append(out, add[i:]...)
	clear(d.added)
	clear(d.removed)
	d.paths = out
	return out
}

// Targets returns, sorted, every document and every file that exists but is
// excluded from processing by the configuration's exclude globs: what a
// link may point at (action.Targets).
func (d *Docs) Targets() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	paths := d.listLocked()
	if len(d.extra) == 0 {
		return paths
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

// ReadFileInfo reads a document as ReadFile does and hands fn its content
// and the file info of the read (action.InfoReader). Its callers index what
// they read (the link graph, the index and catalog actions' cache), so it
// reads as an indexer may (safefile.ReadToIndex: no lstat before the open,
// one fstat), into a pooled buffer that fn's return gives back.
func (d *Docs) ReadFileInfo(rel string, fn func(content []byte, fi fs.FileInfo)) error {
	s, err := safefile.ReadToIndex(d.root.FS, rel, d.maxSize.Load())
	if err != nil {
		return err
	}
	defer s.Release()
	fn(s.Content, snapshotInfo{name: path.Base(rel), s: s})
	return nil
}

// ReadDir lists a directory of the root, sorted by name (action.DirReader).
func (d *Docs) ReadDir(rel string) ([]fs.DirEntry, error) {
	return fs.ReadDir(d.root.FS.FS(), rel)
}

var (
	_ action.InfoReader = (*Docs)(nil)
	_ action.DirReader  = (*Docs)(nil)
)

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

// Dialect returns the root's front matter dialect (action.Dialecter).
func (d *Docs) Dialect() markdown.Dialect { return d.root.Dialect }

var _ action.Dialecter = (*Docs)(nil)

// OneShot says whether a one-shot run (Engine.Run) is using d
// (action.OneShot).
func (d *Docs) OneShot() bool { return d.oneShot.Load() }

var _ action.OneShot = (*Docs)(nil)

// Stat returns a document's file info without following a final symlink.
// safefile.Lstat opens the parent directory with one openat2 where os.Root
// opens and closes every directory on the way (three system calls for a
// file two folders down instead of five); links.check stats the paths a
// broken link may name on disk, 3,130 of them on bench/kb.sh's vault.
func (d *Docs) Stat(path string) (fs.FileInfo, error) {
	return safefile.Lstat(d.root.FS, path)
}

// StatEach Stats each of paths as Stat does, opening the folder of
// siblings that follow each other once (action.EachStater): the index and
// catalog actions look at every document they cover after each batch.
func (d *Docs) StatEach(paths []string, fn func(i int, fi fs.FileInfo, err error)) {
	safefile.LstatEach(d.root.FS, paths, fn)
}

var _ action.EachStater = (*Docs)(nil)

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
	r.Docs.source, r.Docs.paths = nil, paths // scan.List returns entries sorted by Rel
	clear(r.Docs.added)
	clear(r.Docs.removed)
	r.Docs.mu.Unlock()
	if err := r.RefreshTargets(ctx, workers); err != nil {
		return nil, errs, err
	}
	return entries, errs, nil
}

// CleanTemps settles the temporary files that interrupted writes left in
// the root (safefile.CleanTemps) and logs what it did. A save put back, or
// kept as a conflict copy, is a warning: a crash came within microseconds
// of a write that had swapped it out.
func (r *Root) CleanTemps(log *slog.Logger) {
	c, err := safefile.CleanTemps(r.FS)
	if err != nil {
		log.Warn("clean up after interrupted writes", "root", r.Dir, "err", err)
	}
	if c.Removed > 0 {
		log.Info("removed temporary files left by interrupted writes", "root", r.Dir, "files", c.Removed)
	}
	for _, p := range c.Restored {
		log.Warn("an interrupted write had swapped out a save; the save is back in place", "root", r.Dir, "path", p)
	}
	for _, p := range c.Kept {
		log.Warn("a save that an interrupted write had swapped out is kept as a conflict copy: merge it by hand", "root", r.Dir, "copy", p)
	}
}
