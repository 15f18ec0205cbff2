package links

import (
	"cmp"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// Options set how links resolve, and how much of a document a Graph keeps.
type Options struct {
	// CaseSensitive makes paths and names match only with the same case. By
	// default they match ignoring case (Unicode lower-casing), as Obsidian
	// does on every platform; among several candidates an exact-case one
	// still wins.
	CaseSensitive bool
	// MarkdownByName lets a Markdown link that does not resolve as a relative
	// path fall back to Obsidian's rules: ".md" may be omitted and the name is
	// looked up anywhere in the vault. Off, Markdown links resolve the way
	// GitHub renders them: relative to the linking file, or to the root when
	// they start with '/'.
	MarkdownByName bool
	// AttachmentFolders are folders (relative to the root, or to the linking
	// note's folder when they start with "./") where a wiki link to a file
	// that is not an indexed document may also be found, like Obsidian's
	// attachment folder setting. The root and the linking note's own folder
	// are always looked in.
	AttachmentFolders []string
	// Site, when set, makes Markdown links resolve as a static site
	// generator serves them (see Site); MarkdownByName is then ignored.
	Site *Site
	// Logseq, when set, makes wiki links name the pages of a Logseq graph
	// (see Logseq) rather than files.
	Logseq *Logseq
	// MkDocs, when set, gives headings the anchors MkDocs makes: Python-
	// Markdown's slugs, numbered "_1", and attr_list's "{: #id}" (see
	// mkdocsHeadings). Markdown links resolve as relative paths, as MkDocs
	// reads them, and a page's link to a file outside the docs folder
	// names nothing of the built site (Resolution.Unbuilt).
	MkDocs *MkDocs
	// Docusaurus, when set, makes Markdown links resolve as a Docusaurus
	// site's build resolves them (see Docusaurus); Site and MarkdownByName
	// are then ignored.
	Docusaurus *Docusaurus
	// Jekyll, when set, makes Markdown links resolve as GitHub Pages
	// serves a Jekyll site (see Jekyll), and headings have the anchors
	// kramdown makes; Site and MarkdownByName are then ignored.
	Jekyll *Jekyll
	// VitePress, when set, makes Markdown links resolve as a VitePress
	// site's build reads them (see VitePress), and headings have the
	// anchors VitePress makes; Site and MarkdownByName are then ignored.
	VitePress *VitePress
	// SiteDir is the folder of the root that holds the site of Docusaurus,
	// Jekyll or VitePress, for a site in a folder of the root (a
	// repository's docs/; "" for the root itself): the site's anchors are
	// only its documents', a document outside it has GitHub's.
	SiteDir string
	// Limits bound what a Graph keeps of each document (zero: the
	// defaults). A document past them is marked; see Document.MoreLinks.
	Limits Limits
}

// Site is a static site (Hugo's layout) whose pages are the documents under
// Content: a page's URL is its path there without ".md", as a folder
// (content/docs/install.md is /docs/install/), and a folder's page is its
// _index.md or index.md (content/docs/_index.md is /docs/); Hugo sanitizes
// and lower-cases it, and a front matter slug or url changes it (see
// Site.route). Files of the Static folders are served at the site's root
// (static/img/a.png is /img/a.png), files beside a page bundle's index.md
// under its URL. A page's front matter aliases are URLs Hugo writes a page
// at that redirects to it (see hugoAlias).
type Site struct {
	// Content is the folder of the pages, relative to the root ("." for
	// the root itself).
	Content string
	// Static are folders, relative to the root, whose files are served at
	// the site's root.
	Static []string
	// Generated are doublestar globs of URL paths (without the leading
	// '/') that the generator makes with no file behind them, such as
	// Hugo's taxonomy pages ("tags/**") and feeds ("**/index.xml"): links
	// to them are not checked.
	Generated []string
	// Permalinks maps a section (a folder of Content) to the URL pattern
	// of its pages, the site configuration's permalinks
	// ("/:year/:month/:title/"; see ReadHugoSite).
	Permalinks map[string]string
	// Languages maps the code of each language of a multilingual site but
	// the default one to its content folder ("" when it has none: its
	// pages are translations beside the default language's, about.fr.md).
	// A language's pages are served under /code/.
	Languages map[string]string
	// DefaultLanguage is the code of the default language ("en" unless
	// the configuration says otherwise), whose pages are served at the
	// site's root unless DefaultInSubdir.
	DefaultLanguage string
	DefaultInSubdir bool
	// UglyURLs serves a page at its URL with ".html" (/docs/install.html,
	// a section at /docs.html) rather than as a folder, the configuration's
	// uglyURLs; KeepCase keeps the case of paths in URLs
	// (disablePathToLower); RemoveAccents drops their accents (é is e:
	// removePathAccents).
	UglyURLs, KeepCase, RemoveAccents bool
}

// HugoSite returns Hugo's layout: pages in content/, static files in
// static/, taxonomy pages and feeds generated.
func HugoSite() *Site {
	return &Site{Content: "content", Static: []string{"static"}, DefaultLanguage: "en",
		Generated: []string{"tags/**", "categories/**", "**/index.xml", "sitemap.xml"}}
}

// IsHugoSite reports whether a folder is the top of a Hugo site, stat
// answering for the names in it: a content/ folder beside Hugo's
// configuration (hugo.toml, or config.toml as older sites name it, in any of
// its formats, or a config/_default/ folder).
func IsHugoSite(stat func(name string) (fs.FileInfo, error)) bool {
	isDir := func(name string) bool { fi, err := stat(name); return err == nil && fi.IsDir() }
	if !isDir("content") {
		return false
	}
	for _, name := range []string{"hugo", "config"} {
		for _, ext := range []string{".toml", ".yaml", ".yml", ".json"} {
			if fi, err := stat(name + ext); err == nil && fi.Mode().IsRegular() {
				return true
			}
		}
	}
	return isDir("config/_default")
}

// IsObsidianVault reports whether a folder is an Obsidian vault, stat
// answering for the names in it: it holds the .obsidian folder of the
// vault's settings.
func IsObsidianVault(stat func(name string) (fs.FileInfo, error)) bool {
	fi, err := stat(".obsidian")
	return err == nil && fi.IsDir()
}

// Resolution is where a link points.
type Resolution struct {
	// Path is the document the link resolves to; "" when it does not
	// resolve to a known document.
	Path string
	// Self is true for a link within the same document ("#heading").
	Self bool
	// Dir is true when the link names a directory that holds documents.
	Dir bool
	// Folder is that directory, relative to the root, when the link names
	// it by its path (not by a site's URL).
	Folder string
	// External is true for URLs (a scheme such as https: or mailto:), for
	// template expressions (isTemplate) and for empty links: they are not
	// checked.
	External bool
	// Outside is true when a relative path climbs above the root: it cannot
	// be checked.
	Outside bool
	// Candidates lists every matching document when a name was ambiguous;
	// Path is the one chosen.
	Candidates []string
	// Probe lists paths (relative to the root) where a file that is not an
	// indexed document, such as an image, would have to be for the link to
	// resolve.
	Probe []string
	// URL is the site URL path a link was looked up as (Options.Site,
	// Options.Docusaurus, Options.Jekyll, Options.VitePress), for messages.
	URL string
	// Route is true when URL was looked up among a Docusaurus, Jekyll or
	// VitePress site's pages; Probe then holds the files that could have
	// served it.
	Route bool
	// Page is true for a wiki link that names no page of a Logseq graph
	// (Options.Logseq); Probe holds the file such a page would be.
	Page bool
	// Redirect is true when URL is a page the site writes to redirect to
	// Path (a Hugo page's aliases, jekyll-redirect-from's redirect_from):
	// the browser lands on Path, without the link's fragment.
	Redirect bool
	// Ref is true for a Hugo ref or relref shortcode that names no page
	// (URL holds its path): Hugo's build fails on it.
	Ref bool
	// Elsewhere is the page of a Hugo site a URL names by its file's path
	// when the site serves it at another URL (its slug, url or section's
	// permalinks), for messages and suggestions; the link does not
	// resolve.
	Elsewhere string
	// Draft is the page of a Hugo site a URL names by its file's path
	// when it is a draft, which the site is built without, or the
	// document a Docusaurus file link names when it has no page (a draft,
	// a partial); the link does not resolve.
	Draft string
	// Unbuilt is the file a page of a site links to outside BuiltFrom,
	// the folder the site's build looks for the link's file in (an MkDocs
	// site's docs folder, a Jekyll site's in a folder of the root, a
	// Docusaurus document's plugin's); the link does not resolve.
	Unbuilt, BuiltFrom string
}

// OK reports whether the link resolved (or needs no check).
func (r Resolution) OK() bool {
	return r.Path != "" || r.Self || r.Dir || r.External || r.Outside
}

// Index is the set of paths links may point at, with the lookups that
// resolution needs. It is not safe for concurrent mutation; Graph guards
// the one it owns.
type Index struct {
	opts     Options
	exact    map[string]struct{}
	fold     map[string][]string // lower-cased path -> paths
	names    map[string][]string // name key -> paths
	blocks   map[string][]string // a Logseq block's uuid (lower case) -> paths of the pages that give it
	dirs     map[string]int      // directory -> number of paths under it
	foldDirs map[string]int      // lower-cased directory -> number of paths under it
	// siteDirs counts the paths under each folder of a Hugo site's
	// content by the URL Hugo gives the folder's section (siteDir).
	siteDirs map[string]int
	// routes and routeOf map a Docusaurus, Jekyll or Hugo site's routes to
	// its documents (routeKey -> paths) and back (path -> route); see
	// setRoute. permalinks keeps the front matter fields of those that
	// have some, for Move and to tell when they change.
	routes     map[string][]string
	routeOf    map[string]string
	permalinks map[string]pageFields
	// redirects maps the files a site writes redirect pages to, as
	// resolution looks them up (see redirectFiles), to the documents they
	// redirect to.
	redirects map[string][]string
}

// NewIndex returns an empty index.
func NewIndex(opts Options) *Index {
	return &Index{
		opts:       opts,
		exact:      map[string]struct{}{},
		fold:       map[string][]string{},
		names:      map[string][]string{},
		blocks:     map[string][]string{},
		dirs:       map[string]int{},
		foldDirs:   map[string]int{},
		siteDirs:   map[string]int{},
		routes:     map[string][]string{},
		routeOf:    map[string]string{},
		permalinks: map[string]pageFields{},
		redirects:  map[string][]string{},
	}
}

// Options returns the index's options.
func (x *Index) Options() Options { return x.opts }

// Len returns the number of paths.
func (x *Index) Len() int { return len(x.exact) }

// Has reports whether p is in the index (exact case).
func (x *Index) Has(p string) bool { _, ok := x.exact[p]; return ok }

// Add adds p (a slash path relative to the root); it reports whether p was new.
func (x *Index) Add(p string) bool {
	if _, ok := x.exact[p]; ok {
		return false
	}
	x.exact[p] = struct{}{}
	f := fold(p)
	x.fold[f] = append(x.fold[f], p)
	x.addName(x.nameKey(p), p)
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		x.dirs[d]++
		x.foldDirs[fold(d)]++
		if k, ok := x.siteDir(d); ok {
			x.siteDirs[k]++
		}
	}
	return true
}

// newDirs returns the folders of p (its parent, its parent's, ...) that
// hold nothing in the index, with or without case: those p makes when it is
// added, or that are empty once it is removed.
func (x *Index) newDirs(p string) []string {
	var out []string
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if x.dirs[d] == 0 || x.foldDirs[fold(d)] == 0 {
			out = append(out, d)
		}
	}
	return out
}

// Remove removes p; it reports whether p was there.
func (x *Index) Remove(p string) bool {
	if _, ok := x.exact[p]; !ok {
		return false
	}
	delete(x.exact, p)
	f := fold(p)
	x.fold[f] = deleteString(x.fold[f], p)
	if len(x.fold[f]) == 0 {
		delete(x.fold, f)
	}
	x.removeName(x.nameKey(p), p)
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		decr(x.dirs, d)
		decr(x.foldDirs, fold(d))
		if k, ok := x.siteDir(d); ok {
			decr(x.siteDirs, k)
		}
	}
	return true
}

// Clone returns an independent copy, for resolving links in a world that is
// about to change (a rename being planned).
func (x *Index) Clone() *Index {
	c := &Index{
		opts:       x.opts,
		exact:      make(map[string]struct{}, len(x.exact)),
		fold:       make(map[string][]string, len(x.fold)),
		names:      make(map[string][]string, len(x.names)),
		blocks:     make(map[string][]string, len(x.blocks)),
		dirs:       make(map[string]int, len(x.dirs)),
		foldDirs:   make(map[string]int, len(x.foldDirs)),
		siteDirs:   maps.Clone(x.siteDirs),
		routes:     make(map[string][]string, len(x.routes)),
		routeOf:    maps.Clone(x.routeOf),
		permalinks: maps.Clone(x.permalinks),
		redirects:  make(map[string][]string, len(x.redirects)),
	}
	for k, v := range x.routes {
		c.routes[k] = slices.Clone(v)
	}
	for k, v := range x.redirects {
		c.redirects[k] = slices.Clone(v)
	}
	for k := range x.exact {
		c.exact[k] = struct{}{}
	}
	for k, v := range x.fold {
		c.fold[k] = slices.Clone(v)
	}
	for k, v := range x.names {
		c.names[k] = slices.Clone(v)
	}
	for k, v := range x.blocks {
		c.blocks[k] = slices.Clone(v)
	}
	for k, v := range x.dirs {
		c.dirs[k] = v
	}
	for k, v := range x.foldDirs {
		c.foldDirs[k] = v
	}
	return c
}

// KeysOf returns the keys of the links that may name p (see Referrers):
// its name key (in a Logseq graph the folded name of the page it is,
// elsewhere NameKey(p)) and, in a Docusaurus, Jekyll or Hugo site, that of the
// URL it is served at.
func (x *Index) KeysOf(p string) []string {
	keys := []string{x.nameKey(p)}
	if r := x.routeOf[p]; r != "" {
		keys = append(keys, x.routeNameKey(r))
	}
	if x.opts.Jekyll != nil {
		keys = append(keys, jekyllKey(p)) // a file served at its path
	}
	if x.hugo() != nil {
		if b := strings.ToLower(path.Base(p)); b == "index.md" || b == "_index.md" {
			keys = append(keys, NameKey(path.Dir(p))) // a Hugo ref names its folder
		}
	}
	return keys
}

// LinkKey is the name key l's target is looked up under (see Referrers):
// in a Jekyll site, a URL's (about.html and about/ are "about").
func (x *Index) LinkKey(l Link) string {
	if x.opts.Jekyll != nil && tag(l.Kind) == 'm' && !IsJekyllFileLink(l.Target) {
		return jekyllKey(l.Target)
	}
	return x.targetKey(tag(l.Kind), l.Target)
}

// Move renames p to np in the index, with the names, blocks and redirects
// that documents' content gives p (a Logseq page's aliases and block ids,
// a site's redirect pages); it reports whether p was there.
func (x *Index) Move(p, np string) bool {
	if !x.Remove(p) {
		return false
	}
	x.Add(np)
	if rt := x.router(); rt != nil && x.routeOf[p] != "" {
		pl := x.permalink(p)
		x.setRoute(p, permalink{})
		if r, ok := rt.route(np, pl.fields); ok {
			pl.route = r
			x.setRoute(np, pl)
		}
	}
	for _, m := range []map[string][]string{x.names, x.blocks, x.redirects} {
		for _, ps := range m {
			if i := slices.Index(ps, p); i >= 0 {
				ps[i] = np
			}
		}
	}
	return true
}

// nameKey is the key p is found under by name: in a Logseq graph, the
// folded name of the page it is; elsewhere NameKey.
func (x *Index) nameKey(p string) string {
	if lq := x.opts.Logseq; lq != nil {
		if name, ok := lq.PageName(p); ok {
			return fold(name)
		}
	}
	return NameKey(p)
}

// targetKey is the name key the target t of a link is looked up under:
// kind is 'w' for a wiki link, 'b' for a block reference, 'm' for a
// Markdown link.
func (x *Index) targetKey(kind byte, t string) string {
	switch {
	case kind == 'b':
		return blockKey(t)
	case kind == 'w' && x.opts.Logseq != nil:
		return fold(strings.TrimSpace(t))
	}
	return NameKey(path.Clean(strings.TrimSuffix(t, "/")))
}

// blockKey is the key under which the documents using a Logseq block
// reference to id are found; no name key starts with "((".
func blockKey(id string) string { return "((" + strings.ToLower(id) }

// PageURL returns the URL path at which a static site serves the document
// p, with its leading '/': its route in a Docusaurus, Jekyll or Hugo site
// (Options.Docusaurus, Options.Jekyll, Options.Site; a Hugo page's with
// the trailing '/' Hugo gives it); false when p is no page of a site.
func (x *Index) PageURL(p string) (string, bool) {
	if x.router() != nil {
		r, ok := x.routeOf[p]
		return r, ok
	}
	return "", false
}

// pageFields are the front matter fields that place a document among a
// site's URLs: a Docusaurus document's slug and id, a Jekyll page's
// permalink, a post's slug, date and categories (one a line), whether it
// is left unpublished, the URLs jekyll-redirect-from redirects to it
// (redirect_from, one a line), a Hugo page's slug, url and title (for
// its permalinks), whether a Hugo page or a Docusaurus document is a
// draft, which the site's build leaves out.
type pageFields struct {
	slug, id, permalink, date, categories, redirects, url, title string
	unpublished, draft                                           bool
}

// router gives a site's documents their routes (Options.Docusaurus,
// Options.Jekyll, Options.Site): the URL of the document p with front
// matter f, false when the site makes no page of it.
type router interface {
	route(p string, f pageFields) (string, bool)
}

// router returns the site layout that gives documents routes, or nil.
func (x *Index) router() router {
	switch {
	case x.opts.Docusaurus != nil:
		return x.opts.Docusaurus
	case x.opts.Jekyll != nil:
		return x.opts.Jekyll
	case x.hugo() != nil:
		return x.opts.Site
	}
	return nil
}

// hugo returns the layout of the Hugo site whose links the index reads
// (Options.Site, unless a Docusaurus, Jekyll or VitePress site's options
// take precedence), or nil.
func (x *Index) hugo() *Site {
	if x.opts.Docusaurus != nil || x.opts.Jekyll != nil || x.opts.VitePress != nil {
		return nil
	}
	return x.opts.Site
}

// routeKey is the key of route in routes: a Jekyll site's pages by the
// file each is written to (URLs match as GitHub Pages serves them, see
// served), a Docusaurus site's folded, without slashes at either end, a
// Hugo site's likewise, folded unless the index matches case.
func (x *Index) routeKey(route string) string {
	switch {
	case x.opts.Jekyll != nil:
		return jekyllFile(route)
	case x.opts.Docusaurus == nil && (x.opts.CaseSensitive || x.hugo() != nil && x.hugo().KeepCase):
		return strings.Trim(route, "/")
	}
	return routeKey(route)
}

// routeNameKey is the name key of the links that may name route.
func (x *Index) routeNameKey(route string) string {
	if x.opts.Jekyll != nil {
		return jekyllKey(route)
	}
	return routeNameKey(route)
}

// permalink is a document's place in a site: its route, and the front
// matter fields it was made from.
type permalink struct {
	route  string
	fields pageFields
}

// permalink returns what setRoute recorded of p.
func (x *Index) permalink(p string) permalink {
	return permalink{x.routeOf[p], x.permalinks[p]}
}

// setRoute records that the document p is served at pl.route ("" for
// none), and returns the route it had.
func (x *Index) setRoute(p string, pl permalink) string {
	if pl.fields != (pageFields{}) {
		x.permalinks[p] = pl.fields
	} else {
		delete(x.permalinks, p)
	}
	route := pl.route
	old := x.routeOf[p]
	if old == route {
		return old
	}
	if old != "" {
		k := x.routeKey(old)
		if x.routes[k] = deleteString(x.routes[k], p); len(x.routes[k]) == 0 {
			delete(x.routes, k)
		}
		delete(x.routeOf, p)
	}
	if route != "" {
		addTo(x.routes, x.routeKey(route), p)
		x.routeOf[p] = route
	}
	return old
}

// addName records that p is found under the name key k (once).
func (x *Index) addName(k, p string) { addTo(x.names, k, p) }

// removeName undoes addName.
func (x *Index) removeName(k, p string) { removeFrom(x.names, k, p) }

func addTo(m map[string][]string, k, p string) {
	if !slices.Contains(m[k], p) {
		m[k] = append(m[k], p)
	}
}

func removeFrom(m map[string][]string, k, p string) {
	m[k] = deleteString(m[k], p)
	if len(m[k]) == 0 {
		delete(m, k)
	}
}

// Named returns the paths whose name key is key.
func (x *Index) Named(key string) []string { return slices.Clone(x.names[key]) }

// Resolve finds where link l, written in document src, points.
//
// Wiki links resolve as Obsidian does: a target starting with "./" or "../"
// is relative to src's directory; otherwise an exact path from the root
// (".md" optional), else a note whose file name matches, anywhere (a target
// with folders must match the end of the note's path). When several match,
// the winner is, in order: the one whose name has the exact case written,
// one in src's own directory, the shortest path (fewest folders, then
// fewest bytes), the first in byte order.
//
// In a Logseq graph (Options.Logseq) a wiki link names a page: the page or
// journal file of that name, or the page whose alias:: or title:: property
// gives it (Graph records those), ignoring case; several match: the
// shortest path. A block reference resolves to the page that gives the
// block its id (Graph records those too); outside a Logseq graph it is not
// checked (External).
//
// Markdown links resolve relative to src's directory, or to the root when
// they start with '/'; see Options.MarkdownByName.
func (x *Index) Resolve(src string, l Link) Resolution {
	if l.Target == "" {
		return Resolution{Path: src, Self: true}
	}
	if l.Kind == BlockRef {
		if x.opts.Logseq == nil {
			return Resolution{External: true} // not a Logseq graph: not checked
		}
		if ps := x.blocks[strings.ToLower(l.Target)]; len(ps) > 0 {
			return Resolution{Path: minPath(ps)}
		}
		return Resolution{}
	}
	if x.opts.Jekyll != nil && !l.Kind.IsWiki() {
		if r, ok := x.resolveLiquid(l.Target); ok {
			return r
		}
	}
	if x.hugo() != nil && !l.Kind.IsWiki() {
		if ref, _, ok := hugoRef(l.Target); ok {
			return x.resolveHugoRef(src, ref)
		}
	}
	if isTemplate(l.Target) {
		return Resolution{External: true} // filled in when the page is made
	}
	if l.Kind.IsWiki() {
		if strings.Contains(l.Target, "://") {
			return Resolution{External: true}
		}
		return x.resolveWiki(src, l.Target)
	}
	if isExternal(l.Target) {
		return Resolution{External: true}
	}
	if x.opts.Docusaurus != nil {
		return x.resolveDocusaurus(src, l.Target)
	}
	if x.opts.Jekyll != nil {
		return x.resolveJekyll(src, l.Target)
	}
	if x.opts.VitePress != nil {
		return x.resolveVitePress(src, l.Target)
	}
	if x.opts.Site != nil {
		return x.resolveSite(src, l.Target)
	}
	if m := x.opts.MkDocs; m != nil {
		return built(m.DocsDir, src, x.resolveMarkdown(src, l.Target))
	}
	return x.resolveMarkdown(src, l.Target)
}

// resolveSite resolves a Markdown link of a page as the site serves it: a
// target starting with '/' is a URL path from the site's root; a relative
// one naming a .md file is a file path from the linking document (as Hugo's
// link render hook and GitHub read it); any other relative target is a URL
// relative to the linking page's own URL, which for content/docs/install.md
// is /docs/install/, not its folder. A document that is not a page of the
// site (a README beside it, which GitHub shows) has its links read as
// relative reads them.
func (x *Index) resolveSite(src, t string) Resolution {
	s := x.opts.Site
	from, ok := x.routeOf[src]
	if !ok {
		// A draft's links are read from the URL it will have (its
		// front matter's slug or url aside).
		if from, ok = s.route(src, pageFields{}); !ok {
			return x.resolveMarkdown(src, t)
		}
	}
	page := strings.Trim(routeFolder(from), "/")
	var u string
	switch {
	case strings.HasPrefix(t, "/"):
		u = t[1:]
	case hasMDExt(strings.TrimSuffix(t, "/")):
		return x.resolveMarkdown(src, t)
	default:
		u = path.Join(page, t)
	}
	// As a browser reads a URL: ".." at the site's root stays there; and
	// as a server, a folder's index.html is the folder's URL.
	if u = strings.TrimPrefix(path.Clean("/"+u), "/"); u == "" {
		u = "."
	}
	if path.Base(u) == "index.html" {
		u = path.Dir(u)
	}
	if s.generated(u) {
		return Resolution{External: true} // made by the generator: nothing to check
	}
	at := s.contentAt(u)
	route := "/" + u
	if u == "." {
		route = "/"
	}
	if ps := x.routes[x.routeKey(route)]; len(ps) > 0 {
		return Resolution{Path: minPath(ps)} // a page's URL
	}
	if hit, ok := x.lookupPath(at, false); ok {
		if b := x.draftBundle(hit); b != "" {
			return Resolution{URL: "/" + u, Draft: b} // a draft bundle's file: not published
		}
		return Resolution{Path: hit} // a file by its path: a bundle's, or a page's .md
	}
	url := "/" + u
	if u == "." {
		url = "/"
	} else if strings.HasSuffix(t, "/") {
		url += "/"
	}
	if ps := x.redirects[x.hugoAliasFile(u)]; len(ps) > 0 {
		return Resolution{Path: minPath(ps), URL: url, Redirect: true}
	}
	// The page the URL names by its file's path: a draft (its section or
	// bundle is not built either), or one served at another URL.
	var draft, elsewhere string
	for _, p := range hugoPageFiles(at) {
		if hit, ok := x.lookupPath(p, false); ok {
			switch {
			case x.routeOf[hit] != "":
				elsewhere = cmp.Or(elsewhere, hit)
			case s.isPage(hit):
				draft = cmp.Or(draft, hit)
			}
		}
	}
	if draft != "" {
		return Resolution{URL: url, Draft: draft}
	}
	if s.UglyURLs {
		// A section's page is its URL with ".html", a folder's URL
		// answers only at a home (the site's, a language's).
		if stem, ok := strings.CutSuffix(u, ".html"); ok && (x.isDir(s.contentAt(stem)) || x.siteDirs[x.foldUnlessCase(stem)] > 0) {
			return Resolution{Dir: true}
		}
		if u == "." || s.isHome(u) && x.isDir(at) {
			return Resolution{Dir: true}
		}
	} else if u == "." || x.isDir(at) || x.siteDirs[x.foldUnlessCase(u)] > 0 { // a section is served without an _index.md too
		return Resolution{Dir: true}
	}
	if elsewhere != "" {
		return Resolution{URL: url, Elsewhere: elsewhere} // a page at another URL
	}
	r := Resolution{URL: url}
	switch {
	case s.UglyURLs && path.Ext(u) == "":
		r.Route = true // a folder's URL, which with uglyURLs no page has
	case s.UglyURLs && path.Ext(u) == ".html":
		r.Route = true // a page's URL, or a file's
		r.Probe = append(r.Probe, at)
	default:
		r.Probe = append(r.Probe, at)
	}
	for _, st := range s.Static {
		r.Probe = append(r.Probe, path.Join(st, u))
	}
	return r
}

// pageURL returns the URL path of the page doc (without the leading and
// trailing '/': "docs/install", "" for the site's home page) when doc is a
// page of the site whose pages are under content.
func pageURL(content, doc string) (string, bool) {
	rel := doc
	if content != "." {
		var ok bool
		if rel, ok = strings.CutPrefix(doc, content+"/"); !ok {
			return "", false
		}
	}
	if !hasMDExt(rel) {
		return "", false
	}
	switch strings.ToLower(path.Base(rel)) {
	case "index.md", "_index.md":
		if d := path.Dir(rel); d != "." {
			return d, true
		}
		return "", true
	}
	return trimMDExt(rel), true
}

func (x *Index) resolveWiki(src, t string) Resolution {
	if lq := x.opts.Logseq; lq != nil {
		// A page, whatever folder the link is in; Logseq has no relative
		// names.
		name := strings.TrimSpace(t)
		if all := x.names[fold(name)]; len(all) > 0 {
			return Resolution{Path: minPath(all)}
		}
		return Resolution{Page: true, Probe: []string{lq.PageFile(name)}}
	}
	if strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../") {
		p, ok := joinClean(path.Dir(src), t)
		if !ok {
			return Resolution{Outside: true}
		}
		if hit, ok := x.lookupPath(p, true); ok {
			return Resolution{Path: hit}
		}
		return Resolution{Probe: []string{p}}
	}
	t = path.Clean(strings.TrimPrefix(t, "/"))
	if t == ".." || strings.HasPrefix(t, "../") {
		return Resolution{Outside: true}
	}
	if strings.Contains(t, "/") {
		if hit, ok := x.lookupPath(t, true); ok {
			return Resolution{Path: hit}
		}
	}
	if r, ok := x.byName(src, t); ok {
		return r
	}
	probe := []string{t}
	if !strings.Contains(t, "/") {
		dir := path.Dir(src)
		if dir != "." {
			probe = append(probe, dir+"/"+t)
		}
		for _, f := range x.opts.AttachmentFolders {
			if rel, ok := strings.CutPrefix(f, "./"); ok {
				f = path.Join(dir, rel)
			}
			if p := path.Join(f, t); !slices.Contains(probe, p) && !strings.HasPrefix(p, "../") {
				probe = append(probe, p)
			}
		}
	}
	return Resolution{Probe: probe}
}

func (x *Index) resolveMarkdown(src, t string) Resolution {
	var p string
	if strings.HasPrefix(t, "/") {
		p = path.Clean(t[1:])
		if p == ".." || strings.HasPrefix(p, "../") {
			return Resolution{Outside: true}
		}
	} else {
		var ok bool
		if p, ok = joinClean(path.Dir(src), t); !ok {
			return Resolution{Outside: true}
		}
	}
	if p == "." || p == "" {
		return Resolution{Dir: true}
	}
	if hit, ok := x.lookupPath(p, x.opts.MarkdownByName); ok {
		return Resolution{Path: hit}
	}
	if x.isDir(p) {
		return Resolution{Dir: true, Folder: p}
	}
	if x.opts.MarkdownByName {
		name := path.Clean(t)
		for strings.HasPrefix(name, "../") {
			name = name[3:]
		}
		if r, ok := x.byName(src, strings.TrimPrefix(name, "/")); ok {
			return r
		}
	}
	return Resolution{Probe: []string{p}}
}

// lookupPath finds p exactly (then ignoring case unless case-sensitive),
// trying p+".md" too when md is set and p has no ".md" extension.
func (x *Index) lookupPath(p string, md bool) (string, bool) {
	if _, ok := x.exact[p]; ok {
		return p, true
	}
	withMD := md && !hasMDExt(p)
	if withMD {
		if _, ok := x.exact[p+".md"]; ok {
			return p + ".md", true
		}
	}
	if x.opts.CaseSensitive {
		return "", false
	}
	if l := x.fold[fold(p)]; len(l) > 0 {
		return minPath(l), true
	}
	if withMD {
		if l := x.fold[fold(p+".md")]; len(l) > 0 {
			return minPath(l), true
		}
	}
	return "", false
}

func (x *Index) isDir(p string) bool {
	if x.dirs[p] > 0 {
		return true
	}
	return !x.opts.CaseSensitive && x.foldDirs[fold(p)] > 0
}

// byName resolves t by file name (t may carry folders that must match the
// end of the path).
func (x *Index) byName(src, t string) (Resolution, bool) {
	all := x.names[NameKey(t)]
	if len(all) == 0 {
		return Resolution{}, false
	}
	stem := trimMDExt(t)
	var cands []string
	for _, c := range all {
		if x.matchesSuffix(trimMDExt(c), stem) {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return Resolution{}, false
	}
	best := x.pick(src, stem, cands)
	r := Resolution{Path: best}
	if len(cands) > 1 {
		slices.Sort(cands)
		r.Candidates = cands
	}
	return r, true
}

// matchesSuffix reports whether the path p (without .md) ends with the
// segments of stem.
func (x *Index) matchesSuffix(p, stem string) bool {
	if !x.opts.CaseSensitive {
		p, stem = fold(p), fold(stem)
	}
	return p == stem || strings.HasSuffix(p, "/"+stem)
}

// pick chooses among candidates; see Resolve.
func (x *Index) pick(src, stem string, cands []string) string {
	base := path.Base(stem)
	dir := path.Dir(src)
	best := cands[0]
	less := func(a, b string) bool {
		ea, eb := path.Base(trimMDExt(a)) == base, path.Base(trimMDExt(b)) == base
		if ea != eb {
			return ea
		}
		da, db := path.Dir(a) == dir, path.Dir(b) == dir
		if da != db {
			return da
		}
		sa, sb := strings.Count(a, "/"), strings.Count(b, "/")
		if sa != sb {
			return sa < sb
		}
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	}
	for _, c := range cands[1:] {
		if less(c, best) {
			best = c
		}
	}
	return best
}

// NameKey is the key a file is found by in name lookups: its base name
// lower-cased, without a ".md" extension (other extensions are part of the
// name: "diagram.png").
func NameKey(p string) string {
	return fold(path.Base(trimMDExt(p)))
}

// Fold is the case folding used when matching ignores case.
func Fold(s string) string { return fold(s) }

func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func hasMDExt(p string) bool {
	return len(p) >= 3 && strings.EqualFold(p[len(p)-3:], ".md")
}

func trimMDExt(p string) string {
	if hasMDExt(p) {
		return p[:len(p)-3]
	}
	return p
}

// joinClean joins rel to dir and cleans the result; ok is false when it
// climbs above the root.
func joinClean(dir, rel string) (string, bool) {
	p := path.Join(dir, rel)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

// built returns r, a file link's resolution from the document src, as a
// site's build reads it when it looks for the link's file in folder only
// ("" or "." for the root): from a document in that folder, a file outside
// it is none (Unbuilt).
func built(folder, src string, r Resolution) Resolution {
	if !inFolder(folder, src) {
		return r
	}
	switch {
	case r.Path != "" && !r.Self && !inFolder(folder, r.Path):
		return Resolution{Unbuilt: r.Path, BuiltFrom: folder}
	case r.Path == "" && len(r.Probe) > 0 && !inFolder(folder, r.Probe[0]):
		return Resolution{Unbuilt: r.Probe[0], BuiltFrom: folder}
	}
	return r
}

// inFolder reports whether p is in the folder ("" or "." for the root).
func inFolder(folder, p string) bool {
	return folder == "" || folder == "." || strings.HasPrefix(p, folder+"/")
}

// isTemplate reports whether a link target holds a template expression
// that something fills in before the page is read: Jekyll's Liquid
// ("{{site.baseurl}}/about", "{% link ... %}"), Hugo's shortcodes, an
// Obsidian template's "{{date}}" or Templater's "<% tp.file.title %>".
func isTemplate(t string) bool {
	return strings.Contains(t, "{{") || strings.Contains(t, "{%") || strings.Contains(t, "<%")
}

// isExternal reports whether a Markdown destination is a URL (it has a
// scheme such as https: or mailto:, or starts with //).
func isExternal(t string) bool {
	if strings.HasPrefix(t, "//") {
		return true
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':' && i > 0:
			return true
		default:
			return false
		}
	}
	return false
}

func minPath(l []string) string {
	m := l[0]
	for _, s := range l[1:] {
		if s < m {
			m = s
		}
	}
	return m
}

func deleteString(l []string, s string) []string {
	if i := slices.Index(l, s); i >= 0 {
		return slices.Delete(l, i, i+1)
	}
	return l
}

func decr(m map[string]int, k string) {
	if m[k] <= 1 {
		delete(m, k)
		return
	}
	m[k]--
}
