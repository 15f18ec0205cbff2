package index

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
)

// entry is what the actions of this package (index, catalog) know of one
// document. Entries are immutable once cached.
type entry struct {
	size  int64
	mod   time.Time
	sum   [sha256.Size]byte // of the content
	fm    map[string]any    // never nil
	fmErr string            // why the front matter could not be read
	fmSum [sha256.Size]byte // of the front matter's value: index fingerprints
}

// cache maps one root's document paths to entries, re-reading a document
// only when its size or modification time changed (or when told to). The
// index and catalog actions of a configuration share it (caches), so a
// vault's front matter is held once however many of them read it. Safe for
// concurrent use.
type cache struct {
	mu      sync.Mutex
	entries map[string]*entry
}

// load returns p's entry, reading the file when it is new, changed by size
// or modification time, or force is set. A Docs that reads with the file's
// info (action.InfoReader) reads a file not yet cached, or forced, without
// a Stat first.
func (c *cache) load(docs action.Docs, p string, force bool) (*entry, error) {
	c.mu.Lock()
	e := c.entries[p]
	c.mu.Unlock()
	r, info := docs.(action.InfoReader)
	if !info || (e != nil && !force) {
		fi, err := docs.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
		}
		if e != nil && !force && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
			return e, nil
		}
		if !info {
			b, err := docs.ReadFile(p)
			if err != nil {
				return nil, err
			}
			return c.put(p, newEntry(b, fi.ModTime(), action.DialectOf(docs))), nil
		}
	}
	dialect := action.DialectOf(docs)
	err := r.ReadFileInfo(p, func(b []byte, fi fs.FileInfo) {
		e = newEntry(b, fi.ModTime(), dialect) // keeps no part of b
	})
	if err != nil {
		return nil, err
	}
	return c.put(p, e), nil
}

func (c *cache) put(p string, e *entry) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*entry{}
	}
	c.entries[p] = e
	return e
}

// loadAll loads the entries of paths, as load does, on up to GOMAXPROCS
// goroutines: an index's or a catalog's first look reads every document,
// and Finish runs alone, after the run's files. es[i] and errs[i] are
// paths[i]'s; force, when not nil, says which paths to read again
// whatever their stat. It stops when ctx ends, and returns ctx's error.
func (c *cache) loadAll(ctx context.Context, docs action.Docs, paths []string, force func(string) bool) (es []*entry, errs []error, err error) {
	es, errs = make([]*entry, len(paths)), make([]error, len(paths))
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(paths) || ctx.Err() != nil {
				return
			}
			es[i], errs[i] = c.load(docs, paths[i], force != nil && force(paths[i]))
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(paths)/loadsPerWorker) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return es, errs, nil
}

// loadsPerWorker is the fewest paths that loadAll gives a goroutine of its
// own: a few cached entries are a Stat each, cheaper than a goroutine.
const loadsPerWorker = 64

// forget drops the entries of paths not in list (sorted): documents that
// are gone. Entries of listed documents stay, whichever action loaded them.
func (c *cache) forget(list []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.entries {
		if _, ok := slices.BinarySearch(list, p); !ok {
			delete(c.entries, p)
		}
	}
}

func newEntry(content []byte, mod time.Time, dialect markdown.Dialect) *entry {
	// The size is the content's, not the stat's: if the file changed between
	// the two, the next stat differs and the entry is read again.
	e := &entry{size: int64(len(content)), mod: mod, sum: sha256.Sum256(content)}
	fm, err := markdown.ParseAs(content, dialect)
	if err != nil {
		e.fmErr = err.Error()
		fm = nil
	}
	// A map made for the size it has: the parser's, sized for any front
	// matter, would hold twice the memory for as long as the entry lives.
	e.fm = make(map[string]any, len(fm))
	for k, v := range fm {
		e.fm[k] = v
	}
	// %#v prints maps with sorted keys and values with their types, so equal
	// front matter gives equal digests and "1" differs from 1.
	e.fmSum = sha256.Sum256(fmt.Appendf(nil, "%#v\x00%s", e.fm, e.fmErr))
	return e
}

// caches holds the cache of each root, shared by the index and catalog
// actions of one configuration (action.Shared).
type caches struct {
	mu    sync.Mutex
	roots map[any]*cache
}

type cachesKey struct{}

func cachesOf(b action.Build) *caches {
	return b.Shared.Get(cachesKey{}, func() any { return &caches{roots: map[any]*cache{}} }).(*caches)
}

// of returns the cache of the root d belongs to (see rootKey).
func (cs *caches) of(d action.Docs) *cache {
	k := rootKey(d)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.roots[k]
	if c == nil {
		c = &cache{}
		cs.roots[k] = c
	}
	return c
}

// sortedList returns the document list of docs, sorted (the interface promises
// it; a result must never depend on the port).
func sortedList(docs action.Docs) []string {
	list := docs.List()
	if !slices.IsSorted(list) {
		list = slices.Sorted(slices.Values(list))
	}
	return list
}
