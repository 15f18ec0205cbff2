package links

import (
	"context"
	"hash/maphash"
	"path"
	"slices"
	"strings"
	"sync"
)

// Graph is the link graph of one root: each document's parsed links,
// headings and block identifiers, the Index links resolve against, and a
// reverse index of which documents refer to which names. It is safe for
// concurrent use: Update and Remove parse outside the lock and hold the write
// lock only to splice the result in; Check and the other readers share a read
// lock.
type Graph struct {
	mu    sync.RWMutex
	idx   *Index
	notes map[string]*entry
	refs  map[string]map[string]struct{} // name key -> documents whose links use it

	// sug memoises the closest name of a missing target; it is dropped
	// whenever a path is added or removed.
	sugMu sync.Mutex
	sug   map[string]string
	trie  *nameTrie // the index's names, for closest-name searches
}

// nameEntry is one name key and the path suggestions would name for it.
type nameEntry struct{ key, path string }

type entry struct {
	hash    uint64
	doc     *Document // nil for a file that is not parsed (an attachment)
	anchors uint64    // hash of heading slugs and block ids: what linkers see
	hkeys   []string  // HeadingKey of each heading
	keys    []string  // name keys this document's links use
}

var seed = maphash.MakeSeed()

// Hash returns the content hash Graph uses to skip unchanged documents. It
// is only meaningful within one process.
func Hash(content []byte) uint64 { return maphash.Bytes(seed, content) }

// NewGraph returns an empty graph.
func NewGraph(opts Options) *Graph {
	return &Graph{idx: NewIndex(opts), notes: map[string]*entry{}, refs: map[string]map[string]struct{}{}}
}

// Update records document p's content and returns the paths whose check
// results may have changed, sorted: p itself, and the documents referring to
// p's name when p is new (a broken link may now resolve, an ambiguous name
// resolve elsewhere) or when its headings or block ids changed (only those
// whose links resolve to p). It returns nil when the content is unchanged.
func (g *Graph) Update(p string, content []byte) []string {
	affected, _ := g.UpdateContext(context.Background(), p, content)
	return affected
}

// UpdateContext is Update that gives up, changing nothing, when ctx ends
// before the content is parsed. The document is parsed within the graph's
// Options.Limits.
func (g *Graph) UpdateContext(ctx context.Context, p string, content []byte) ([]string, error) {
	h := Hash(content)
	g.mu.RLock()
	old := g.notes[p]
	g.mu.RUnlock()
	if old != nil && old.doc != nil && old.hash == h {
		return nil, nil
	}
	doc, err := ParseContext(ctx, content, g.idx.opts.Limits)
	if err != nil {
		return nil, err
	}
	ne := newEntry(h, doc)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.put(p, ne), nil
}

// AddFile records a file that links may point at but that is not parsed
// (an image, a PDF). It returns the documents whose results may change.
func (g *Graph) AddFile(p string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.notes[p]; ok {
		return nil
	}
	return g.put(p, &entry{})
}

func (g *Graph) put(p string, ne *entry) []string {
	old := g.notes[p]
	if old != nil && old.doc != nil && ne.doc != nil && old.hash == ne.hash {
		return nil // an equal update won the race
	}
	g.notes[p] = ne
	if old != nil {
		g.unref(p, old.keys)
	}
	g.ref(p, ne.keys)
	affected := map[string]struct{}{}
	if ne.doc != nil {
		affected[p] = struct{}{}
	}
	switch {
	case old == nil:
		g.idx.Add(p)
		g.dropSuggestions()
		for s := range g.refs[NameKey(p)] {
			affected[s] = struct{}{}
		}
	case old.anchors != ne.anchors:
		for s := range g.refs[NameKey(p)] {
			if _, done := affected[s]; !done && g.linksTo(s, p) {
				affected[s] = struct{}{}
			}
		}
	}
	return sortedKeys(affected)
}

// Remove forgets p and returns the documents that referred to its name,
// sorted: their links may now be broken or resolve elsewhere.
func (g *Graph) Remove(p string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	old, ok := g.notes[p]
	if !ok {
		return nil
	}
	delete(g.notes, p)
	g.unref(p, old.keys)
	g.idx.Remove(p)
	g.dropSuggestions()
	affected := map[string]struct{}{}
	for s := range g.refs[NameKey(p)] {
		affected[s] = struct{}{}
	}
	return sortedKeys(affected)
}

func (g *Graph) dropSuggestions() {
	g.sugMu.Lock()
	g.sug, g.trie = nil, nil
	g.sugMu.Unlock()
}

func (g *Graph) ref(p string, keys []string) {
	for _, k := range keys {
		m := g.refs[k]
		if m == nil {
			m = map[string]struct{}{}
			g.refs[k] = m
		}
		m[p] = struct{}{}
	}
}

func (g *Graph) unref(p string, keys []string) {
	for _, k := range keys {
		if m := g.refs[k]; m != nil {
			delete(m, p)
			if len(m) == 0 {
				delete(g.refs, k)
			}
		}
	}
}

// linksTo reports whether some link of s resolves to p. Callers hold mu.
func (g *Graph) linksTo(s, p string) bool {
	e := g.notes[s]
	if e == nil || e.doc == nil {
		return false
	}
	for _, l := range e.doc.Links {
		if l.Target != "" && g.idx.Resolve(s, l).Path == p {
			return true
		}
	}
	return false
}

// Linkers returns the documents other than p with a link that resolves to
// p, sorted.
func (g *Graph) Linkers(p string) []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []string
	for s := range g.refs[NameKey(p)] {
		if s != p && g.linksTo(s, p) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// Has reports whether p is in the graph.
func (g *Graph) Has(p string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	_, ok := g.notes[p]
	return ok
}

// Hash returns the content hash recorded for p (false for unknown paths
// and unparsed files).
func (g *Graph) Hash(p string) (uint64, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	e := g.notes[p]
	if e == nil || e.doc == nil {
		return 0, false
	}
	return e.hash, true
}

// Document returns p's parsed document (nil when unknown or not parsed).
// The result is shared: do not modify it.
func (g *Graph) Document(p string) *Document {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if e := g.notes[p]; e != nil {
		return e.doc
	}
	return nil
}

// Paths returns every path in the graph, sorted.
func (g *Graph) Paths() []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]string, 0, len(g.notes))
	for p := range g.notes {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Absent returns the paths of list that are not in the graph, and how many
// of list are.
func (g *Graph) Absent(list []string) (absent []string, present int) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	for _, p := range list {
		if _, ok := g.notes[p]; ok {
			present++
		} else {
			absent = append(absent, p)
		}
	}
	return absent, present
}

// Len returns the number of paths in the graph.
func (g *Graph) Len() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.notes)
}

// Index returns a copy of the graph's index.
func (g *Graph) Index() *Index {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.idx.Clone()
}

// Resolve resolves link l of document src against the graph.
func (g *Graph) Resolve(src string, l Link) Resolution {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.idx.Resolve(src, l)
}

func newEntry(h uint64, doc *Document) *entry {
	e := &entry{hash: h, doc: doc}
	var mh maphash.Hash
	mh.SetSeed(seed)
	if len(doc.Headings) > 0 {
		e.hkeys = make([]string, len(doc.Headings))
	}
	for i, hd := range doc.Headings {
		e.hkeys[i] = HeadingKey(hd.Text)
		mh.WriteString(hd.Slug)
		mh.WriteByte(0)
	}
	mh.WriteByte(1)
	for _, b := range doc.Blocks {
		mh.WriteString(b.ID)
		mh.WriteByte(0)
	}
	e.anchors = mh.Sum64()
	var seen map[string]struct{}
	if len(doc.Links) > 16 {
		seen = make(map[string]struct{}, len(doc.Links))
	}
	for _, l := range doc.Links {
		if l.Target == "" {
			continue
		}
		k := NameKey(path.Clean(strings.TrimSuffix(l.Target, "/")))
		if seen != nil {
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
		} else if slices.Contains(e.keys, k) {
			continue
		}
		e.keys = append(e.keys, k)
	}
	return e
}

func sortedKeys(m map[string]struct{}) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
