package vault

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/links"
)

// vault is a links.Graph kept in step with one root's documents, shared
// by the calls of one links.check or naming action on that root.
//
// Reading every document costs a walk of the vault, so it happens once, on
// the first call. After that the graph follows the files the engine hands to
// Run (their content is authoritative) and refreshes other documents lazily,
// at most once per generation each: a Stat, and a read and re-parse only when
// size or modification time moved and the content hash really changed. The
// document list is reconciled with Docs.List at most once per generation
// too, when a link does not resolve (a note may have been created) and in
// Finish. A generation ends at every Finish (a batch boundary in the daemon,
// the end of a one-shot run) and, in the daemon, after generationAge.
type vault struct {
	g *links.Graph

	load chan struct{} // a one-slot semaphore: one full load or list sync at a time

	mu       sync.Mutex // guards what follows
	docs     action.Docs
	loaded   bool
	gen      uint64
	genStart time.Time
	listed   uint64 // 1 + the generation of the last list sync; 0: never
	meta     map[string]meta
	stats    map[string]bool // Stat answers for non-documents, this generation
	// excluded are link targets that are not documents (action.Targets):
	// their links and headings count, but they are never named Affected,
	// so nothing processes them.
	excluded map[string]struct{}
}

// meta is what a document's last Stat showed.
type meta struct {
	size    int64
	mod     time.Time
	checked uint64 // 1 + the generation of that Stat; 0: never
}

// generationAge bounds how stale a refreshed entry can get when Finish is
// not called for a long time, in the daemon (see oneShot).
const generationAge = 2 * time.Second

func newVault(opts links.Options) *vault {
	return &vault{
		g:     links.NewGraph(opts),
		load:  make(chan struct{}, 1),
		meta:  map[string]meta{},
		stats: map[string]bool{},
	}
}

// vaults maps each root (its Docs) to its vault.
type vaults struct {
	opts links.Options
	// markdownByRoot lets each root say how its Markdown links resolve (the
	// action's markdown_links left it to the root): as Obsidian resolves
	// them in an Obsidian vault (Options.MarkdownByName), as Hugo serves
	// them in a Hugo site (Options.Site), as Docusaurus builds them in a
	// Docusaurus site (Options.Docusaurus), as GitHub Pages serves a Jekyll
	// site (Options.Jekyll), as VitePress builds a VitePress site
	// (Options.VitePress), else relative.
	markdownByRoot bool
	// docusaurus is the layout of a root that is a Docusaurus site (nil:
	// the classic preset's).
	docusaurus *links.Docusaurus
	// jekyll reads every root's Markdown links as GitHub Pages serves a
	// Jekyll site (markdown_links: jekyll), with the layout its
	// _config.yml gives.
	jekyll bool
	// vitepress is the layout of a root that is a VitePress site (nil:
	// its source folder the root).
	vitepress *links.VitePress
	mu        sync.Mutex
	m         map[any]*vault
}

func (vs *vaults) get(d action.Docs) *vault {
	k := rootKey(d)
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if vs.m == nil {
		vs.m = map[any]*vault{}
	}
	v := vs.m[k]
	if v == nil {
		opts := vs.opts
		if opts.AttachmentFolders == nil {
			opts.AttachmentFolders = obsidianAttachments(d)
		}
		opts.Logseq = logseqLayout(d)
		// An MkDocs site's anchors are its own, however its links are read.
		if d != nil {
			opts.MkDocs = links.ReadMkDocsSite(d.Stat, d.ReadFile)
		}
		if vs.markdownByRoot && d != nil {
			switch {
			case links.IsHugoSite(d.Stat):
				// First: a Hugo site opened as an Obsidian vault still
				// publishes its links as URLs.
				opts.Site = links.HugoSite()
			case links.IsDocusaurusSite(d.Stat):
				opts.Docusaurus = vs.docusaurus
				if opts.Docusaurus == nil {
					opts.Docusaurus = links.DocusaurusSite()
				}
			case links.IsJekyllSite(d.Stat):
				opts.Jekyll = links.ReadJekyllSite(d.Stat, d.ReadFile)
			case links.IsVitePressSite(d.Stat):
				opts.VitePress = vs.vitepress
				if opts.VitePress == nil {
					opts.VitePress = links.VitePressSite()
				}
			case links.IsObsidianVault(d.Stat):
				// Obsidian writes Markdown links by the shortest path
				// that names the note ([x](Note.md) from any folder).
				opts.MarkdownByName = true
			default:
				vs.nested(&opts, d, "")
			}
		}
		if !vs.markdownByRoot && d != nil {
			// markdown_links: docusaurus or vitepress in a repository
			// whose folder is such a site.
			switch {
			case opts.Docusaurus != nil && !links.IsDocusaurusSite(d.Stat):
				vs.nested(&opts, d, "docusaurus")
			case opts.VitePress != nil && !links.IsVitePressSite(d.Stat):
				vs.nested(&opts, d, "vitepress")
			}
		}
		if opts.Site != nil && d != nil && opts.SiteDir == "" {
			// The site's content folders, languages and permalinks, as
			// its configuration lays them out.
			opts.Site = links.ReadHugoSite(opts.Site, d.Stat, d.ReadFile)
		}
		if vs.jekyll {
			if d != nil {
				opts.Jekyll = links.ReadJekyllSite(d.Stat, d.ReadFile)
				if opts.Jekyll == nil {
					vs.nested(&opts, d, "jekyll")
				}
			}
			if opts.Jekyll == nil {
				opts.Jekyll, opts.SiteDir = links.JekyllSite(), ""
			}
		}
		v = newVault(opts)
		vs.m[k] = v
	}
	return v
}

// nested sets opts to read the links of a site in a folder right under
// the root of d, which holds none itself: a repository whose docs/ (or
// website/, site/) is a Hugo, Docusaurus, Jekyll or VitePress site, of the
// kind only when the action's markdown_links names one. The site's
// documents have their links read as its build reads them, from its
// folder (Options.SiteDir), and the folders the action's docusaurus or
// vitepress parameters give are in the site's folder; the other documents
// (a README, which GitHub shows) have their links read as relative paths.
// With several such folders, none is read as a site: which site a path
// like /guide/ names is then anyone's guess.
func (vs *vaults) nested(opts *links.Options, d action.Docs, only string) {
	dir := nestedSite(d)
	if dir == "" {
		return
	}
	stat, read := folderFS(d, dir)
	kind := siteKind(stat)
	if only != "" && kind != only {
		return
	}
	switch kind {
	case "site":
		opts.Site = links.ReadHugoSite(links.HugoSite(), stat, read).In(dir)
	case "docusaurus":
		if opts.Docusaurus = vs.docusaurus; opts.Docusaurus == nil {
			opts.Docusaurus = links.DocusaurusSite()
		}
		opts.Docusaurus = opts.Docusaurus.In(dir)
	case "jekyll":
		opts.Jekyll = links.ReadJekyllSite(stat, read)
		opts.Jekyll.Source = dir
	case "vitepress":
		src := ""
		if vs.vitepress != nil {
			src = vs.vitepress.SrcDir
		}
		opts.VitePress = &links.VitePress{SrcDir: path.Join(dir, src)}
	}
	opts.SiteDir = dir
}

// folderFS returns a stat and a read that answer for names in the folder
// dir of d's root, as the links package asks what a folder is.
func folderFS(d action.Docs, dir string) (stat func(string) (fs.FileInfo, error), read func(string) ([]byte, error)) {
	return func(name string) (fs.FileInfo, error) { return d.Stat(path.Join(dir, name)) },
		func(name string) ([]byte, error) { return d.ReadFile(path.Join(dir, name)) }
}

// siteKind returns the markdown_links value that reads the site at the
// folder stat answers for (site for Hugo's, docusaurus, jekyll, vitepress);
// "" when it is none of those.
func siteKind(stat func(name string) (fs.FileInfo, error)) string {
	switch {
	case links.IsHugoSite(stat):
		return "site"
	case links.IsDocusaurusSite(stat):
		return "docusaurus"
	case links.IsJekyllSite(stat):
		return "jekyll"
	case links.IsVitePressSite(stat):
		return "vitepress"
	}
	return ""
}

// nestedSite returns the one folder right under the root of d, among those
// holding its documents, that is a Hugo, Docusaurus, Jekyll or VitePress
// site; "" when none or several are. Folders whose names start with '.',
// and node_modules, are not looked at. (An MkDocs site's links are
// relative paths wherever it is.)
func nestedSite(d action.Docs) string {
	found := ""
	var last string
	for _, p := range d.List() {
		dir, _, ok := strings.Cut(p, "/")
		if !ok || dir == last || strings.HasPrefix(dir, ".") || dir == "node_modules" {
			continue
		}
		last = dir
		if stat, _ := folderFS(d, dir); siteKind(stat) == "" {
			continue
		}
		if found != "" {
			return ""
		}
		found = dir
	}
	return found
}

// obsidianAttachments returns the attachment folder an Obsidian vault at
// the root of d names in its settings (.obsidian/app.json,
// attachmentFolderPath), for an action that names none: "attachments" (a
// folder of the vault) or "./assets" (a folder beside each note). The
// vault's root ("/") and the note's own folder ("./"), Obsidian's other
// choices, are always looked in. Read once, when the root's graph is made.
func obsidianAttachments(d action.Docs) []string {
	const settings = ".obsidian/app.json"
	if d == nil {
		return nil
	}
	if _, err := d.Stat(settings); err != nil {
		return nil // not an Obsidian vault (a stat, not a failed read, says so)
	}
	b, err := d.ReadFile(settings)
	if err != nil {
		return nil
	}
	var app struct {
		Folder string `json:"attachmentFolderPath"`
	}
	if json.Unmarshal(b, &app) != nil {
		return nil
	}
	f := strings.TrimSuffix(app.Folder, "/")
	switch {
	case f == "" || f == ".":
		return nil
	case strings.HasPrefix(f, "./"):
		return []string{f}
	}
	return []string{strings.TrimPrefix(f, "/")}
}

// logseqLayout returns the layout of the Logseq graph at the root of d (see
// links.ReadLogseqGraph), or nil. Read once, when the root's graph is made.
func logseqLayout(d action.Docs) *links.Logseq {
	if d == nil {
		return nil
	}
	return links.ReadLogseqGraph(d.Stat, d.ReadFile)
}

// lookup returns the vault of d if one exists.
func (vs *vaults) lookup(d action.Docs) *vault {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return vs.m[rootKey(d)]
}

// rootKey identifies a root by its Docs: the engine keeps one Docs value
// per root. Values that cannot serve as map keys share one vault.
func rootKey(d action.Docs) any {
	if d == nil || !reflect.TypeOf(d).Comparable() {
		return nil
	}
	return d
}

// isNote reports whether p is parsed as Markdown; other documents are link
// targets only.
func isNote(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".md" || ext == ".markdown" || ext == ".mdx"
}

func (v *vault) lock(ctx context.Context) error {
	select {
	case v.load <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (v *vault) unlock() { <-v.load }

// ensure loads every document of docs on the first call.
func (v *vault) ensure(ctx context.Context, docs action.Docs, now time.Time) error {
	v.mu.Lock()
	v.docs = docs
	if !v.genStart.IsZero() && now.Sub(v.genStart) > generationAge && !oneShot(docs) {
		v.nextGenLocked(now)
	} else if v.genStart.IsZero() {
		v.genStart = now
	}
	loaded := v.loaded
	v.mu.Unlock()
	if loaded {
		return nil
	}
	if err := v.lock(ctx); err != nil {
		return err
	}
	defer v.unlock()
	v.mu.Lock()
	loaded = v.loaded
	v.mu.Unlock()
	if loaded {
		return nil
	}
	if _, err := v.syncList(ctx, docs, true); err != nil {
		return err
	}
	v.mu.Lock()
	v.loaded = true
	v.mu.Unlock()
	return nil
}

// nextGeneration starts a new generation: entries are Stat-ed again on use.
func (v *vault) nextGeneration(now time.Time) {
	v.mu.Lock()
	v.nextGenLocked(now)
	v.mu.Unlock()
}

// oneShot says whether docs serves a one-shot run (action.OneShot). Its
// generation then lasts until Finish: the documents are taken as the run
// found them, and a generation that aged every 2 s made a check of 100,000
// notes Stat every link target again and again (537,857 Stats in one run).
func oneShot(docs action.Docs) bool {
	o, ok := docs.(action.OneShot)
	return ok && o.OneShot()
}

func (v *vault) nextGenLocked(now time.Time) {
	v.gen++
	v.genStart = now
	clear(v.stats)
}

// listIfStale reconciles the document list unless that was done in this
// generation. Callers must not hold the load semaphore.
func (v *vault) listIfStale(ctx context.Context, docs action.Docs) ([]string, error) {
	v.mu.Lock()
	fresh := v.listed == v.gen+1
	v.mu.Unlock()
	if fresh {
		return nil, nil
	}
	if err := v.lock(ctx); err != nil {
		return nil, err
	}
	defer v.unlock()
	return v.syncList(ctx, docs, false)
}

// syncList makes the graph hold exactly the documents Docs lists: new ones
// are read (in parallel), vanished ones removed. With all, every listed
// document is also refreshed. It returns the affected paths. Callers hold
// the load semaphore.
func (v *vault) syncList(ctx context.Context, docs action.Docs, all bool) ([]string, error) {
	list := docs.List()
	var excluded map[string]struct{}
	if t, ok := docs.(action.Targets); ok {
		if targets := t.Targets(); len(targets) > len(list) {
			excluded = make(map[string]struct{}, len(targets)-len(list))
			for _, p := range targets {
				if _, found := slices.BinarySearch(list, p); !found {
					excluded[p] = struct{}{}
				}
			}
			list = targets
		}
	}
	v.mu.Lock()
	v.excluded = excluded
	v.mu.Unlock()
	todo, present := v.g.Absent(list)
	if all {
		todo = list
	}
	affected := map[string]struct{}{}
	var amu sync.Mutex
	add := func(ps []string) {
		amu.Lock()
		for _, p := range ps {
			affected[p] = struct{}{}
		}
		amu.Unlock()
	}
	if present < v.g.Len() {
		// Some documents of the graph are not listed: gone, or so new the
		// list does not show them yet (the engine may hand a file to Run
		// before its list catches up).
		listed := make(map[string]struct{}, len(list))
		for _, p := range list {
			listed[p] = struct{}{}
		}
		for _, p := range v.g.Paths() {
			if _, ok := listed[p]; ok {
				continue
			}
			if _, err := docs.Stat(p); errors.Is(err, fs.ErrNotExist) {
				add(v.g.Remove(p))
				v.mu.Lock()
				delete(v.meta, p)
				v.mu.Unlock()
			}
		}
	}
	if err := parallel(ctx, todo, func(p string) {
		add(v.refreshPath(ctx, docs, p, true))
	}); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // a document was given up half-way: not in sync
	}
	v.mu.Lock()
	v.listed = v.gen + 1
	v.mu.Unlock()
	return slices.Sorted(maps.Keys(affected)), nil
}

// refresh brings p's entry up to date, at most once per generation.
func (v *vault) refresh(ctx context.Context, docs action.Docs, p string) []string {
	v.mu.Lock()
	m, ok := v.meta[p]
	done := ok && m.checked == v.gen+1
	v.mu.Unlock()
	if done {
		return nil
	}
	return v.refreshPath(ctx, docs, p, false)
}

// refreshPath Stats p and re-reads it when it changed (or when it is not in
// the graph yet). A vanished document is removed.
func (v *vault) refreshPath(ctx context.Context, docs action.Docs, p string, listed bool) []string {
	if r, ok := docs.(action.InfoReader); ok && isNote(p) && !v.g.Has(p) {
		// Not in the graph yet (a first load reads every note): nothing to
		// compare a Stat with, so read at once, and keep the read's info.
		var affected []string
		err := r.ReadFileInfo(p, func(content []byte, fi fs.FileInfo) {
			affected = v.update(ctx, p, content, fi, nil) // the graph keeps no part of content
		})
		if err != nil {
			return v.update(ctx, p, nil, nil, err)
		}
		return affected
	}
	fi, err := docs.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			v.mu.Lock()
			delete(v.meta, p)
			v.mu.Unlock()
			return v.g.Remove(p)
		}
		return nil // unreadable now; keep what we had
	}
	v.mu.Lock()
	old, ok := v.meta[p]
	gen := v.gen
	v.meta[p] = meta{size: fi.Size(), mod: fi.ModTime(), checked: gen + 1}
	v.mu.Unlock()
	if ok && v.g.Has(p) && old.size == fi.Size() && old.mod.Equal(fi.ModTime()) {
		return nil
	}
	if !isNote(p) {
		if fi.IsDir() {
			return nil
		}
		return v.g.AddFile(p)
	}
	content, err := docs.ReadFile(p)
	return v.update(ctx, p, content, nil, err)
}

// update puts p's content, just read, into the graph. fi, when not nil, is
// the file info of that read, recorded as p's (refreshPath recorded its
// Stat before reading); err is the read's error.
func (v *vault) update(ctx context.Context, p string, content []byte, fi fs.FileInfo, err error) []string {
	if err != nil {
		v.mu.Lock()
		delete(v.meta, p) // try again next time
		v.mu.Unlock()
		if errors.Is(err, fs.ErrNotExist) {
			return v.g.Remove(p)
		}
		return nil
	}
	if fi != nil {
		v.mu.Lock()
		v.meta[p] = meta{size: fi.Size(), mod: fi.ModTime(), checked: v.gen + 1}
		v.mu.Unlock()
	}
	affected, err := v.g.UpdateContext(ctx, p, content)
	if err != nil { // cancelled: the graph keeps the old version
		v.mu.Lock()
		delete(v.meta, p)
		v.mu.Unlock()
		return nil
	}
	return affected
}

// exists answers whether a non-document path exists (an attachment), once
// per generation per path.
func (v *vault) exists(docs action.Docs, p string) bool {
	v.mu.Lock()
	ok, known := v.stats[p]
	v.mu.Unlock()
	if known {
		return ok
	}
	_, err := docs.Stat(p)
	ok = err == nil
	v.mu.Lock()
	v.stats[p] = ok
	v.mu.Unlock()
	return ok
}

// input records the content the engine handed to Run, and returns it
// parsed (the graph keeps no document's links: the caller checks them). That
// content may be ahead of the disk (an earlier action of the rule changed
// it), so p is not re-read from disk in this generation; the next one
// compares hashes.
func (v *vault) input(ctx context.Context, p string, content []byte) ([]string, *links.Document, error) {
	doc, err := links.ParseContext(ctx, content, v.g.Options().Limits)
	if err != nil {
		return nil, nil, err
	}
	h := links.Hash(content)
	if old, ok := v.g.Hash(p); ok && old == h {
		return nil, doc, nil // what the graph has: the Stat on record stays valid
	}
	v.mu.Lock()
	v.meta[p] = meta{size: -1, checked: v.gen + 1}
	v.mu.Unlock()
	return v.g.UpdateDocument(p, h, doc), doc, nil
}

// parallel calls fn for every item on up to GOMAXPROCS goroutines and
// waits for all of them; it stops handing out work when ctx ends.
func parallel(ctx context.Context, items []string, fn func(string)) error {
	workers := min(runtime.GOMAXPROCS(0), len(items))
	if workers <= 1 {
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				return err
			}
			fn(it)
		}
		return nil
	}
	next := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				fn(it)
			}
		}()
	}
	var err error
feed:
	for _, it := range items {
		select {
		case next <- it:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return err
}

// onlyDocs drops from ps the link targets that are not documents.
func (v *vault) onlyDocs(ps []string) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.excluded) == 0 {
		return ps
	}
	return slices.DeleteFunc(ps, func(p string) bool {
		_, ok := v.excluded[p]
		return ok
	})
}
