package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// maxDepth bounds how deep a walk goes. Symbolic links are never followed,
// but os.Root resolves a directory that was swapped for a link after it was
// listed (safely, inside the root); a racing adversary could use that to build
// an endless path, and no real document tree is this deep.
const maxDepth = 255

// ctxCheckEvery is how many entries of one directory pass between two checks
// of the context.
const ctxCheckEvery = 256

// ErrTooDeep is reported through onErr for a directory deeper than the walk
// goes.
var ErrTooDeep = errors.New("directory nested too deeply: more than 255 levels below the root; is it a symbolic link loop?")

// Entry is one walked file.
type Entry struct {
	// Rel is the slash-separated path relative to the root.
	Rel string
	// Type is the entry's type bits as fs.DirEntry.Type reports them: 0 for
	// a regular file, fs.ModeSymlink, fs.ModeNamedPipe, fs.ModeSocket, ...
	Type fs.FileMode
}

// Walk lists every included non-directory entry under root, calling fn for
// each. Directories are read in parallel by workers goroutines (GOMAXPROCS
// when workers < 1), so fn and onErr are called from several goroutines at
// once and in no particular order.
//
// Symbolic links are never followed: a link is reported as an entry of Type
// fs.ModeSymlink (when the filter includes its path) and never descended
// into. Directories the filter excludes are not opened. No file is opened
// except ignore files, so FIFOs and devices cannot block the walk.
//
// A directory that cannot be read, or whose ignore file cannot be read, is
// reported through onErr (nil to drop) with its path and skipped with all it
// contains; this is not fatal. Walk returns the first error fn returns, or the
// context's error if ctx ended before the walk did, and nil otherwise. Every
// goroutine it started has exited when it returns.
//
// root must be the tree the filter was built for; the ignore files Walk reads
// are cached in f.
func Walk(ctx context.Context, root *os.Root, f *Filter, workers int, fn func(Entry) error, onErr func(rel string, err error)) error {
	if root == nil || f == nil || fn == nil {
		return errors.New("scan: walk needs a root, a filter and a callback")
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	if onErr == nil {
		onErr = func(string, error) {}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	w := &walker{ctx: ctx, cancel: cancel, root: root, f: f, fn: fn, onErr: onErr}
	w.cond.L = &w.mu
	w.stack = append(w.stack, dirJob{rel: ""})
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		w.stopped = true
		w.mu.Unlock()
		w.cond.Broadcast()
	})
	defer stop()

	var wg sync.WaitGroup
	for range workers {
		wg.Go(w.work)
	}
	wg.Wait()

	if err := w.fnErr; err != nil {
		return err
	}
	if w.aborted {
		if err := parent.Err(); err != nil {
			return err
		}
		return context.Canceled // Unreachable: only fn or ctx stop a walk.
	}
	return nil
}

// dirJob is a directory waiting to be read.
type dirJob struct {
	rel    string   // "" for the root
	parent *dirNode // nil for the root
}

// walker is the shared state of one Walk. The stack is depth-first, so the
// number of pending directories stays near depth × fan-out.
type walker struct {
	ctx    context.Context
	cancel context.CancelFunc // stops the other workers when fn fails
	root   *os.Root
	f      *Filter
	fn     func(Entry) error
	onErr  func(string, error)

	mu      sync.Mutex
	cond    sync.Cond
	stack   []dirJob
	active  int  // workers reading a directory
	stopped bool // ctx ended or fn failed
	aborted bool // some work was dropped because of stopped
	fnErr   error
}

// work reads directories until none are left or the walk stops.
func (w *walker) work() {
	sc := scratch{buf: make([]byte, direntBufSize)}
	w.mu.Lock()
	for {
		for len(w.stack) == 0 && w.active > 0 && !w.stopped {
			w.cond.Wait()
		}
		if w.stopped {
			if len(w.stack) > 0 {
				w.aborted = true
			}
			w.mu.Unlock()
			return
		}
		if len(w.stack) == 0 {
			// Nothing queued and nobody reading: the walk is over.
			w.mu.Unlock()
			w.cond.Broadcast()
			return
		}
		job := w.stack[len(w.stack)-1]
		w.stack = w.stack[:len(w.stack)-1]
		w.active++
		w.mu.Unlock()

		children, stop := w.readDir(job, &sc)

		w.mu.Lock()
		w.active--
		if stop {
			w.stopped = true
			w.aborted = true
			w.cond.Broadcast()
		}
		if len(children) > 0 {
			w.stack = append(w.stack, children...)
			if len(children) > 1 {
				w.cond.Broadcast()
			} else {
				w.cond.Signal()
			}
		} else if w.active == 0 && len(w.stack) == 0 {
			w.cond.Broadcast()
		}
	}
}

// scratch is one walk worker's memory, reused from one directory to the
// next: the buffer getdents fills and the entries listed.
type scratch struct {
	buf  []byte
	ents []dirent
}

// readDir lists one directory: it reports included entries and returns the
// subdirectories to read. stop is set when fn failed or ctx ended.
func (w *walker) readDir(job dirJob, sc *scratch) (children []dirJob, stop bool) {
	if w.ctx.Err() != nil {
		return nil, true
	}
	name := job.rel
	if name == "" {
		name = "."
	}
	if tooDeep(job.rel, maxDepth) {
		w.onErr(job.rel, ErrTooDeep)
		return nil, false
	}
	prefix := ""
	if job.rel != "" {
		prefix = job.rel + "/"
	}
	entries, err := listDir(w.root, name, prefix, sc.ents[:0], sc.buf)
	sc.ents = entries
	if err != nil {
		w.onErr(name, err)
		if len(entries) == 0 {
			return nil, false
		}
		// Keep what was listed; the rest of the directory is lost.
	}

	var hasGit, hasScribe bool
	for _, e := range entries {
		if e.typ.IsRegular() {
			switch e.name(prefix) {
			case gitignoreName:
				hasGit = true
			case scribeignoreName:
				hasScribe = true
			}
		}
	}
	node, err := w.f.buildNode(job.parent, job.rel, w.load, hasGit, hasScribe)
	if err != nil {
		w.onErr(name, fmt.Errorf("skipped: %w", err))
		return nil, false
	}
	node = w.f.store(job.rel, node)
	if node.excluded {
		return nil, false // Cached earlier by Included: a link or an unreadable ignore file.
	}

	for i, e := range entries {
		if i%ctxCheckEvery == ctxCheckEvery-1 && w.ctx.Err() != nil {
			return nil, true
		}
		rel, n, t := e.rel, e.name(prefix), e.typ
		if t.IsDir() {
			if !w.f.dirExcluded(node, rel, n) {
				children = append(children, dirJob{rel: rel, parent: node})
			}
			continue
		}
		if !w.f.fileIncluded(node, rel, n) {
			continue
		}
		if err := w.fn(Entry{Rel: rel, Type: t}); err != nil {
			w.mu.Lock()
			if w.fnErr == nil {
				w.fnErr = err
			}
			w.mu.Unlock()
			w.cancel()
			return nil, true
		}
	}
	return children, false
}

// load reads an ignore file the directory listing showed as regular.
func (w *walker) load(rel string) ([]byte, error) {
	return readIgnoreFile(w.root, rel)
}

// List is Walk collected and sorted by Rel. The second result holds the
// directories that could not be read (each error names its path), sorted; the
// third is Walk's error, with the entries found until then.
func List(ctx context.Context, root *os.Root, f *Filter, workers int) ([]Entry, []error, error) {
	var (
		mu      sync.Mutex
		entries []Entry
		errs    []error
	)
	err := Walk(ctx, root, f, workers, func(e Entry) error {
		mu.Lock()
		entries = append(entries, e)
		mu.Unlock()
		return nil
	}, func(rel string, err error) {
		mu.Lock()
		errs = append(errs, &fs.PathError{Op: "scan", Path: rel, Err: err})
		mu.Unlock()
	})
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Rel, b.Rel) })
	slices.SortFunc(errs, func(a, b error) int { return cmp.Compare(a.Error(), b.Error()) })
	return entries, errs, err
}
