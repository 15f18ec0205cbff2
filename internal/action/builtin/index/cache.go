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
	// seen maps a path to 1 + the generation of the documents
	// (action.Generationer) in which a Stat or a read last showed its entry
	// current: while the generation stays, the entry is used without a
	// Stat. The index and catalog actions finishing one batch look at the
	// same documents one after the other, with nothing in between.
	seen map[string]uint64
}

// generation returns 1 + the generation of docs, or 0 when docs does not
// number them.
func generation(docs action.Docs) uint64 {
	if g, ok := docs.(action.Generationer); ok {
		return g.Generation() + 1
	}
	return 0
}

// current returns p's entry when it was seen current in generation gen (1 +
// the documents' generation; 0 never matches).
func (c *cache) current(p string, gen uint64) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == 0 || c.seen[p] != gen {
		return nil
	}
	return c.entries[p]
}

// saw records that a load in generation gen found e, p's entry, current.
func (c *cache) saw(p string, e *entry, gen uint64) {
	if gen == 0 || e == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[p] != e {
		return // replaced meanwhile by another load
	}
	if c.seen == nil {
		c.seen = map[string]uint64{}
	}
	c.seen[p] = gen
}

// held returns the entry the cache holds for p, or nil.
func (c *cache) held(p string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[p]
}

// needsStat says whether loading p, whose held entry is e, starts with a
// Stat: to compare it with e, or because docs reads only without info.
func (c *cache) needsStat(docs action.Docs, e *entry, force bool) bool {
	_, info := docs.(action.InfoReader)
	return !info || (e != nil && !force)
}

// check finishes a load that began with a Stat of p (fi, err): e, the held
// entry, while the Stat matches it, else p read again.
func (c *cache) check(docs action.Docs, p string, e *entry, force bool, fi fs.FileInfo, err error) (*entry, error) {
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if e != nil && !force && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e, nil
	}
	return c.read(docs, p, fi)
}

// read reads p into a new entry: with its info where docs can (fi is then
// not needed), else after the Stat that gave fi.
func (c *cache) read(docs action.Docs, p string, fi fs.FileInfo) (*entry, error) {
	dialect := action.DialectOf(docs)
	var e *entry
	if r, ok := docs.(action.InfoReader); ok {
		err := r.ReadFileInfo(p, func(b []byte, fi fs.FileInfo) {
			e = newEntry(b, fi.ModTime(), dialect) // keeps no part of b
		})
		if err != nil {
			return nil, err
		}
	} else {
		b, err := docs.ReadFile(p)
		if err != nil {
			return nil, err
		}
		e = newEntry(b, fi.ModTime(), dialect)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*entry{}
	}
	c.entries[p] = e
	return e, nil
}

// loadAll loads the entries of paths on up to GOMAXPROCS
// goroutines, each taking a run of loadChunk paths at a time: an index's
// or a catalog's first look reads every document, each later one Stats
// every document again, and Finish runs after each batch. The Stats of a
// run go through action.EachStater where docs has it, so that a folder is
// opened once for its documents in the run rather than once for each.
// es[i] and errs[i] are paths[i]'s; force, when not nil, says which paths
// to read again whatever their stat. It stops when ctx ends, and returns
// ctx's error.
func (c *cache) loadAll(ctx context.Context, docs action.Docs, paths []string, force func(string) bool) (es []*entry, errs []error, err error) {
	es, errs = make([]*entry, len(paths)), make([]error, len(paths))
	var next atomic.Int64
	work := func() {
		for {
			a := int(next.Add(loadChunk) - loadChunk)
			if a >= len(paths) || ctx.Err() != nil {
				return
			}
			b := min(a+loadChunk, len(paths))
			c.loadRun(docs, paths[a:b], es[a:b], errs[a:b], force)
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(paths)/loadChunk) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return es, errs, nil
}

// loadChunk is the run of paths a goroutine of loadAll takes at a time,
// and the fewest that get a goroutine of their own.
const loadChunk = 64

// loadRun loads the entries of paths into es and errs (loadAll): an entry
// seen current in this generation of the documents as it is; one not held,
// or forced, read at once where docs reads with the file's info
// (action.InfoReader); the others after a Stat, which shows whether they
// changed in size or modification time.
func (c *cache) loadRun(docs action.Docs, paths []string, es []*entry, errs []error, force func(string) bool) {
	forced := func(p string) bool { return force != nil && force(p) }
	statEach := func(ps []string, fn func(int, fs.FileInfo, error)) {
		for i, p := range ps {
			fi, err := docs.Stat(p)
			fn(i, fi, err)
		}
	}
	if each, ok := docs.(action.EachStater); ok {
		statEach = each.StatEach
	}
	gen := generation(docs)
	var stat []string
	var at []int // stat[j] is paths[at[j]]
	held := make([]*entry, len(paths))
	for i, p := range paths {
		if e := c.current(p, gen); e != nil && !forced(p) {
			es[i] = e
			continue
		}
		held[i] = c.held(p)
		if c.needsStat(docs, held[i], forced(p)) {
			stat, at = append(stat, p), append(at, i)
		} else {
			es[i], errs[i] = c.read(docs, p, nil)
			c.saw(p, es[i], gen)
		}
	}
	statEach(stat, func(j int, fi fs.FileInfo, err error) {
		i := at[j]
		es[i], errs[i] = c.check(docs, paths[i], held[i], forced(paths[i]), fi, err)
		c.saw(paths[i], es[i], gen)
	})
}

// forget drops the entries of paths not in list (sorted): documents that
// are gone. Entries of listed documents stay, whichever action loaded them.
func (c *cache) forget(list []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.entries {
		if _, ok := slices.BinarySearch(list, p); !ok {
			delete(c.entries, p)
			delete(c.seen, p)
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
