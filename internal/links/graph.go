package links

import (
	"cmp"
	"context"
	"hash/maphash"
	"path"
	"slices"
	"strings"
	"sync"
)

// Graph is the link graph of one root: the Index links resolve against, each
// document's headings and block identifiers, and a reverse index of which
// documents refer to which names. It keeps no document's links or content:
// checking a document takes its parsed form (Check), and what the graph
// needs to say which documents a change affects is the list of distinct
// targets each document links to. It is safe for concurrent use: Update and
// Remove parse outside the lock and hold the write lock only to splice the
// result in; Check and the other readers share a read lock.
type Graph struct {
	mu    sync.RWMutex
	idx   *Index
	ids   map[string]int32 // path -> its slot in notes
	notes []entry          // by id; the slots of removed paths are reused
	free  []int32
	refs  map[string][]int32 // name key -> ids of the documents whose links use it, ascending
	// hints maps the folded names notes give themselves (Document.Names:
	// Obsidian's aliases) to those notes, outside a Logseq graph, where
	// they resolve nothing but make suggestions.
	hints map[string][]string

	// sug memoises the closest name of a missing target; it is dropped
	// whenever a path is added or removed.
	sugMu sync.Mutex
	sug   map[string]string
	trie  *nameTrie // the index's names, for closest-name searches
}

// nameEntry is one name key and the path suggestions would name for it.
type nameEntry struct{ key, path string }

// entry is what the graph keeps of one path: what links to it need
// (headings, block ids) and what says whom its changes affect (the targets
// it links to), about a hundred bytes for a typical note.
type entry struct {
	path      string
	hash      uint64 // of the content; 0 for a file that is not parsed
	anchors   uint64 // hash of heading slugs and block ids: what linkers see
	note      bool   // parsed (false: an attachment, which links may point at)
	moreLinks bool   // the document held more links than the limit kept
	texts     packed // each heading's plain text
	slugs     packed // each heading's GitHub slug
	hkeys     packed // each heading's HeadingKey
	blocks    packed // block ids
	names     packed // the folded names of Document.Names (Logseq's aliases)
	redirects packed // the files a site redirects to it from (Index.redirectFiles)
	route     string // its route in a Docusaurus, Jekyll or Hugo site
	// targets are the distinct targets of the document's links, each after
	// a byte saying how it resolves ('w' wiki, 'b' block reference, 'm'
	// Markdown).
	targets packed
}

var seed = maphash.MakeSeed()

// Hash returns the content hash Graph uses to skip unchanged documents. It
// is only meaningful within one process.
func Hash(content []byte) uint64 { return maphash.Bytes(seed, content) }

// NewGraph returns an empty graph.
func NewGraph(opts Options) *Graph {
	return &Graph{idx: NewIndex(opts), ids: map[string]int32{}, refs: map[string][]int32{}, hints: map[string][]string{}}
}

// Options returns the options the graph was made with.
func (g *Graph) Options() Options { return g.idx.opts }

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
	if old, ok := g.Hash(p); ok && old == h {
		return nil, nil
	}
	doc, err := ParseContext(ctx, content, g.idx.opts.Limits)
	if err != nil {
		return nil, err
	}
	return g.UpdateDocument(p, h, doc), nil
}

// UpdateDocument is Update for a document the caller parsed (within the
// graph's Options.Limits) from content whose Hash is hash: a caller that
// checks the document parses it once. The graph keeps nothing of doc.
func (g *Graph) UpdateDocument(p string, hash uint64, doc *Document) []string {
	if g.idx.opts.MkDocs != nil {
		doc = mkdocsHeadings(doc)
	}
	switch o := &g.idx.opts; {
	case !inFolder(o.SiteDir, p):
		// Beside a site in a folder of the root: a README GitHub shows.
	case o.Docusaurus != nil:
		doc = docusaurusHeadings(doc)
	case o.Jekyll != nil:
		doc = jekyllHeadings(doc)
	case o.VitePress != nil:
		doc = vitepressHeadings(doc)
	}
	var pl permalink
	if rt := g.idx.router(); rt != nil {
		f := doc.pageFields()
		if route, ok := rt.route(p, f); ok {
			pl = permalink{route, f}
		}
	}
	ne := newEntry(hash, doc)
	ne.route = pl.route
	var redirects packer
	for _, f := range g.idx.redirectFiles(p, doc, pl) {
		redirects.add(f)
	}
	ne.redirects = redirects.done()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.put(p, ne, pl)
}

// AddFile records a file that links may point at but that is not parsed
// (an image, a PDF). It returns the documents whose results may change.
func (g *Graph) AddFile(p string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.ids[p]; ok {
		return nil
	}
	return g.put(p, entry{}, permalink{})
}

// put records p's entry; pl is its place among a site's routes (the zero
// permalink for none). Callers hold mu.
func (g *Graph) put(p string, ne entry, pl permalink) []string {
	id, known := g.ids[p]
	var old entry
	if known {
		old = g.notes[id]
		if old.note && ne.note && old.hash == ne.hash {
			return nil // an equal update won the race
		}
		g.unref(id, old.targets)
	} else {
		id = g.alloc(p)
	}
	ne.path = g.notes[id].path
	g.notes[id] = ne
	g.ref(id, ne.targets)
	affected := map[string]struct{}{}
	if ne.note {
		affected[p] = struct{}{}
	}
	switch {
	case !known:
		dirs := g.idx.newDirs(p)
		g.idx.Add(p)
		g.dropSuggestions()
		g.fileReferrers(p, affected)
		g.folderReferrers(dirs, affected)
		if pl.route == "" && ne.note {
			g.bundleReferrers(p, affected) // a draft bundle: its files are not published
		}
	case old.anchors != ne.anchors:
		for _, k := range g.fileKeys(p) {
			for _, s := range g.refs[k] {
				sp := g.notes[s].path
				if _, done := affected[sp]; !done && g.linksTo(s, p) {
					affected[sp] = struct{}{}
				}
			}
		}
	}
	if old.names != ne.names || old.blocks != ne.blocks {
		g.rename(p, old, ne, affected)
	}
	if g.idx.permalink(p) != pl {
		g.reroute(p, pl, affected)
	}
	if old.redirects != ne.redirects {
		g.redirect(p, old.redirects, ne.redirects, affected)
	}
	if old.route == ne.route && known && old.anchors != ne.anchors && ne.route != "" {
		for _, k := range []string{g.idx.routeNameKey(ne.route), anyRoute} {
			for _, s := range g.refs[k] {
				sp := g.notes[s].path
				if _, done := affected[sp]; !done && g.linksTo(s, p) {
					affected[sp] = struct{}{}
				}
			}
		}
	}
	return sortedKeys(affected)
}

// anyRoute is the key in refs of the links of a Docusaurus, Jekyll or Hugo
// site whose route has no name of its own to be found under ("./",
// "../"): every route that comes or goes re-checks them. No name key is
// "/": NameKey gives a base name.
const anyRoute = "/"

// reroute moves p to pl's route in a site's routes ("" for none) and adds
// to affected the documents whose links may name its old or its new route.
// Callers hold mu.
func (g *Graph) reroute(p string, pl permalink, affected map[string]struct{}) {
	old := g.idx.setRoute(p, pl)
	if old == pl.route {
		return
	}
	if (old == "") != (pl.route == "") {
		// A page became a draft, or no longer is: the links naming its
		// file (a Hugo ref, its path as a URL) resolve differently, and
		// those naming its bundle's files.
		for _, k := range append(g.fileKeys(p), ".", anyRoute) {
			for _, s := range g.refs[k] {
				affected[g.notes[s].path] = struct{}{}
			}
		}
		g.bundleReferrers(p, affected)
	}
	for _, r := range []string{old, pl.route} {
		if r == "" {
			continue
		}
		g.dropSuggestions()
		for _, k := range []string{g.idx.routeNameKey(r), anyRoute} {
			for _, s := range g.refs[k] {
				affected[g.notes[s].path] = struct{}{}
			}
		}
	}
}

// rename moves p from the name keys of its old names (Document.Names) to
// those of its new ones, and from the uuids of its old blocks to those of
// its new ones, and adds to affected the documents whose links use a name
// or a block that came or went. Only a Logseq graph's pages answer to such
// names and blocks; elsewhere the names are kept as hints (see hints).
// Callers hold mu.
func (g *Graph) rename(p string, old, ne entry, affected map[string]struct{}) {
	if g.idx.opts.Logseq == nil {
		// Obsidian offers a note's aliases when a link is written, as
		// [[Note|alias]]; a bare [[alias]] resolves to nothing.
		diff(old.names, ne.names, func(k string, add bool) {
			if add {
				addTo(g.hints, k, p)
			} else {
				removeFrom(g.hints, k, p)
			}
		})
		return
	}
	own := g.idx.nameKey(p)
	diff(old.names, ne.names, func(k string, add bool) {
		if k == own {
			return
		}
		if add {
			g.idx.addName(k, p)
		} else {
			g.idx.removeName(k, p)
		}
		g.dropSuggestions()
		for _, s := range g.refs[k] {
			affected[g.notes[s].path] = struct{}{}
		}
	})
	diff(old.blocks, ne.blocks, func(id string, add bool) {
		if !isUUID(id) {
			return // an Obsidian ^block: found through its page
		}
		if add {
			addTo(g.idx.blocks, strings.ToLower(id), p)
		} else {
			removeFrom(g.idx.blocks, strings.ToLower(id), p)
		}
		for _, s := range g.refs[blockKey(id)] {
			affected[g.notes[s].path] = struct{}{}
		}
	})
}

// diff calls f with each string of b not in a (add true) and of a not in b
// (add false).
func diff(a, b packed, f func(s string, add bool)) {
	in := map[string]bool{}
	for s := range a.all() {
		in[s] = true
	}
	for s := range b.all() {
		if in[s] {
			delete(in, s)
		} else {
			f(s, true)
		}
	}
	for s := range in {
		f(s, false)
	}
}

// alloc gives p a slot. Callers hold mu.
func (g *Graph) alloc(p string) int32 {
	var id int32
	if n := len(g.free); n > 0 {
		id, g.free = g.free[n-1], g.free[:n-1]
	} else {
		id = int32(len(g.notes))
		g.notes = append(g.notes, entry{})
	}
	g.ids[p] = id
	g.notes[id].path = p
	return id
}

// Remove forgets p and returns the documents that referred to its name,
// sorted: their links may now be broken or resolve elsewhere.
func (g *Graph) Remove(p string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	id, ok := g.ids[p]
	if !ok {
		return nil
	}
	g.unref(id, g.notes[id].targets)
	affected := map[string]struct{}{}
	g.rename(p, g.notes[id], entry{}, affected)
	if g.notes[id].route != "" {
		g.reroute(p, permalink{}, affected)
	} else if g.notes[id].note {
		g.bundleReferrers(p, affected) // a draft bundle's files come back
	}
	g.redirect(p, g.notes[id].redirects, "", affected)
	g.notes[id] = entry{}
	delete(g.ids, p)
	g.free = append(g.free, id)
	g.idx.Remove(p)
	g.dropSuggestions()
	g.fileReferrers(p, affected)
	g.folderReferrers(g.idx.newDirs(p), affected)
	return sortedKeys(affected)
}

// bundleReferrers adds to affected, when p is a Hugo site's draft
// index.md coming, going or becoming one (or no longer), the documents
// with a link that may name a file of its bundle, which Hugo publishes
// only with a page that is no draft. Drafts are rare: the files are
// found by a pass over the index. Callers hold mu.
func (g *Graph) bundleReferrers(p string, affected map[string]struct{}) {
	if g.idx.hugo() == nil || !strings.EqualFold(path.Base(p), "index.md") {
		return
	}
	dir := path.Dir(p) + "/"
	for f := range g.idx.exact {
		if strings.HasPrefix(f, dir) && !hasMDExt(f) {
			g.fileReferrers(f, affected)
		}
	}
}

// fileReferrers adds to affected the documents with a link that may name
// the file p by its name or, in a Jekyll site, by the URL it is served at
// (about.html as /about). Callers hold mu.
func (g *Graph) fileReferrers(p string, affected map[string]struct{}) {
	for _, k := range g.fileKeys(p) {
		for _, s := range g.refs[k] {
			affected[g.notes[s].path] = struct{}{}
		}
	}
}

// fileKeys are the keys in refs of the links that may name the file p
// (Index.KeysOf), and those of "./" and "../" for a Jekyll site's
// folder's index.html, and of those and "/" for a Hugo page without a
// URL (a draft).
func (g *Graph) fileKeys(p string) []string {
	keys := g.idx.KeysOf(p)
	if s := g.idx.hugo(); s != nil && g.idx.routeOf[p] == "" && s.isPage(p) {
		// A draft (or a page on its way in or out): "./", "../" and "/"
		// may name its folder's URL, which it leaves unserved.
		keys = append(keys, ".", anyRoute)
	}
	if g.idx.opts.Jekyll != nil && path.Base(p) == "index.html" {
		keys = append(keys, anyRoute)
	}
	return keys
}

// folderReferrers adds to affected the documents with a link that may name
// one of dirs, folders that p's coming made or its going emptied: a link
// to a folder resolves only while the folder holds something. Callers hold
// mu.
func (g *Graph) folderReferrers(dirs []string, affected map[string]struct{}) {
	for _, d := range dirs {
		keys := []string{NameKey(d)}
		if k, ok := g.idx.siteDir(d); ok {
			keys = append(keys, NameKey(k)) // the URL of a Hugo site's section
			if g.idx.hugo().UglyURLs {
				keys = append(keys, NameKey(k+".html"))
			}
		}
		for _, k := range keys {
			for _, s := range g.refs[k] {
				affected[g.notes[s].path] = struct{}{}
			}
		}
	}
}

func (g *Graph) dropSuggestions() {
	g.sugMu.Lock()
	g.sug, g.trie = nil, nil
	g.sugMu.Unlock()
}

// sectionKeys are the name keys of the pages a site URL of a folder may
// resolve to (Options.Site): a section's _index.md, a bundle's index.md.
var sectionKeys = []string{"index", "_index"}

// keys calls f with each name key a packed target (its kind byte, then the
// target) is found under in refs: its own, and for a site's URL that may
// name a folder (/docs/, /posts/trip/), those of the folder's pages too, so
// that an _index.md coming, going or changing its headings re-checks the
// links to its folder's URL.
func (g *Graph) keys(t string, f func(k string)) {
	k := g.idx.targetKey(t[0], t[1:])
	f(k)
	if g.idx.opts.Jekyll != nil && t[0] == 'm' {
		if lks := liquidKeys(t[1:]); lks != nil {
			for _, lk := range lks {
				f(lk) // {% link about.md %}, {% post_url ... %}: their file's keys
			}
			return
		}
		if !IsJekyllFileLink(t[1:]) {
			// A URL: about/, about.html and about name one page.
			if jk := jekyllKey(t[1:]); jk != k {
				k = jk
				f(k)
			}
		}
	}
	if g.idx.hugo() != nil && t[0] == 'm' {
		if ref, _, ok := hugoRef(t[1:]); ok {
			f(NameKey(ref)) // {{< ref "docs/install.md" >}}: its page's file, or folder
			return
		}
	}
	if g.idx.router() != nil && t[0] == 'm' && (k == "." || k == "..") {
		// "./", "../": a folder's route, whose name only the linking
		// page's route says.
		f(anyRoute)
		return
	}
	if g.idx.opts.VitePress != nil && t[0] == 'm' {
		// A page by its URL (intro.html is intro.md), a folder's by its
		// index.md.
		if u, ok := strings.CutSuffix(t[1:], ".html"); ok {
			f(NameKey(u))
		}
		if k == "." || k == ".." || strings.HasSuffix(t[1:], "/") {
			f("index")
		}
		return
	}
	if g.idx.opts.Site != nil && t[0] == 'm' {
		if d, ok := strings.CutSuffix(t[1:], "index.html"); ok && (d == "" || strings.HasSuffix(d, "/")) && !isExternal(d) {
			g.keys("m"+d, f) // docs/index.html is docs/
			return
		}
	}
	if g.idx.opts.Site == nil || t[0] != 'm' || hasMDExt(strings.TrimSuffix(t[1:], "/")) || LooksLikeAttachment(t[1:]) {
		return
	}
	for _, s := range sectionKeys {
		if s != k {
			f(s)
		}
	}
}

func (g *Graph) ref(id int32, targets packed) {
	for t := range targets.all() {
		g.keys(t, func(k string) {
			ids := g.refs[k]
			if i, found := slices.BinarySearch(ids, id); !found {
				g.refs[k] = slices.Insert(ids, i, id)
			}
		})
	}
}

func (g *Graph) unref(id int32, targets packed) {
	for t := range targets.all() {
		g.keys(t, func(k string) {
			ids := g.refs[k]
			if i, found := slices.BinarySearch(ids, id); found {
				ids = slices.Delete(ids, i, i+1)
				if len(ids) == 0 {
					delete(g.refs, k)
				} else {
					g.refs[k] = ids
				}
			}
		})
	}
}

// linksTo reports whether some link of document s resolves to p. Callers
// hold mu.
func (g *Graph) linksTo(s int32, p string) bool {
	e := &g.notes[s]
	for t := range e.targets.all() {
		l := Link{Kind: Inline, Target: t[1:]}
		switch t[0] {
		case 'w':
			l.Kind = Wiki
		case 'b':
			l.Kind = BlockRef
		}
		if g.idx.Resolve(e.path, l).Path == p {
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
	seen := map[int32]bool{}
	look := func(k string) {
		for _, s := range g.refs[k] {
			if sp := g.notes[s].path; !seen[s] && sp != p && g.linksTo(s, p) {
				seen[s] = true
				out = append(out, sp)
			}
		}
	}
	for _, k := range g.fileKeys(p) {
		look(k) // its name, its URL in a site
	}
	if e := g.lookup(p); e != nil && e.route != "" {
		look(anyRoute)
	}
	if e := g.lookup(p); e != nil {
		for f := range e.redirects.all() {
			for _, k := range g.idx.redirectKeys(f) {
				look(k) // the URLs that redirect to it
			}
		}
	}
	if e := g.lookup(p); e != nil && g.idx.opts.Logseq != nil {
		for k := range e.names.all() {
			look(k) // a Logseq page's aliases
		}
		for id := range e.blocks.all() {
			if isUUID(id) {
				look(blockKey(id)) // and its blocks
			}
		}
	}
	slices.Sort(out)
	return out
}

// Referrers returns the documents with a link whose target has one of the
// name keys (see NameKey), whatever it resolves to, sorted: the documents
// whose links may change meaning when paths with those names come or go.
func (g *Graph) Referrers(keys []string) []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	set := map[string]struct{}{}
	for _, k := range keys {
		for _, s := range g.refs[k] {
			set[g.notes[s].path] = struct{}{}
		}
	}
	return sortedKeys(set)
}

// Has reports whether p is in the graph.
func (g *Graph) Has(p string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	_, ok := g.ids[p]
	return ok
}

// Hash returns the content hash recorded for p (false for unknown paths
// and unparsed files).
func (g *Graph) Hash(p string) (uint64, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	id, ok := g.ids[p]
	if !ok || !g.notes[id].note {
		return 0, false
	}
	return g.notes[id].hash, true
}

// MoreLinks reports whether document p held more links than the graph's
// Options.Limits keep: some of its links are unknown to the graph.
func (g *Graph) MoreLinks(p string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	id, ok := g.ids[p]
	return ok && g.notes[id].moreLinks
}

// Paths returns every path in the graph, sorted.
func (g *Graph) Paths() []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]string, 0, len(g.ids))
	for p := range g.ids {
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
		if _, ok := g.ids[p]; ok {
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
	return len(g.ids)
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

// lookup returns p's entry, or nil. Callers hold mu; the pointer is valid
// until they release it.
func (g *Graph) lookup(p string) *entry {
	if id, ok := g.ids[p]; ok {
		return &g.notes[id]
	}
	return nil
}

// target is a link target and how it resolves, for deduplication.
// target is a link's target with its kind's tag: 'w' wiki, 'b' block
// reference, 'm' Markdown.
type target struct {
	kind byte
	t    string
}

// tag is the tag of a link's kind in packed targets.
func tag(k Kind) byte {
	switch {
	case k.IsWiki():
		return 'w'
	case k == BlockRef:
		return 'b'
	}
	return 'm'
}

func newEntry(h uint64, doc *Document) entry {
	e := entry{hash: h, note: true, moreLinks: doc.MoreLinks}
	var mh maphash.Hash
	mh.SetSeed(seed)
	var texts, slugs, hkeys, blocks, names packer
	for _, hd := range doc.Headings {
		texts.add(hd.Text)
		slugs.add(fold(hd.Slug)) // an explicit id keeps its case in hd.Slug
		hkeys.add(HeadingKey(hd.Text))
		mh.WriteString(hd.Slug)
		mh.WriteByte(0)
	}
	mh.WriteByte(1)
	for _, b := range doc.Blocks {
		blocks.add(b.ID)
		mh.WriteString(b.ID)
		mh.WriteByte(0)
	}
	e.anchors = mh.Sum64()
	e.texts, e.slugs, e.hkeys, e.blocks = texts.done(), slugs.done(), hkeys.done(), blocks.done()
	keys := make([]string, 0, len(doc.Names))
	for _, n := range doc.Names {
		keys = append(keys, fold(n))
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		names.add(k)
	}
	e.names = names.done()

	ts := make([]target, 0, len(doc.Links))
	for _, l := range doc.Links {
		if l.Target != "" {
			ts = append(ts, target{tag(l.Kind), l.Target})
		}
	}
	slices.SortFunc(ts, func(a, b target) int {
		if c := cmp.Compare(a.kind, b.kind); c != 0 {
			return c
		}
		return cmp.Compare(a.t, b.t)
	})
	var tp packer
	for i, t := range ts {
		if i > 0 && t == ts[i-1] {
			continue
		}
		tp.addTagged(t.kind, t.t)
	}
	e.targets = tp.done()
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
