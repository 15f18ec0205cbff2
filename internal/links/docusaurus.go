package links

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Docusaurus is the layout of a Docusaurus site, whose Markdown links are
// either files (a ".md" or ".mdx" path, or "@site/..." from the site's
// folder) or the URLs of the site's routes, which Docusaurus makes from
// the documents' paths and front matter:
//
//   - a doc of the Docs folder is at /DocsURL/ and its path, number prefixes
//     dropped from every folder and file name ("01-guides/02-setup.md" is
//     /docs/guides/setup); its front matter's id replaces the file name, a
//     slug the whole URL (from the root when it starts with '/', else from
//     the doc's folder); an index.md, a README.md or a file named as its
//     folder is the folder's URL (/docs/guides/);
//   - a post of the Blog folder is at /BlogURL/ and the date its path begins
//     with ("2021-08-26-welcome/index.md" is /blog/2021/08/26/welcome), or
//     its path, or its front matter's slug;
//   - a page of the Pages folder is at its path from the site's root
//     (src/pages/help.md is /help), a folder's index at the folder's URL;
//   - files of the Static folders are served at the root (static/img/a.png
//     is /img/a.png).
//
// Routes match ignoring case and a trailing '/', as Docusaurus's router
// matches them; a relative URL is read from the linking page's URL, as a
// browser reads it (from /docs/guides/setup, "install" is
// /docs/guides/install). Generated lists Docusaurus's routes without a
// document behind them (tags, blog lists, feeds), which are not checked.
type Docusaurus struct {
	// Docs, Blog and Pages are the folders of the three content plugins,
	// relative to the root; DocsURL and BlogURL the base paths of their
	// routes, without slashes ("" for the root).
	Docs, Blog, Pages string
	DocsURL, BlogURL  string
	// Static are the folders whose files are served at the root.
	Static []string
	// Generated are doublestar globs of route paths (without the leading
	// '/') that Docusaurus makes with no document behind them.
	Generated []string
	// Dir is the site's folder, relative to the root ("" for the root
	// itself), which "@site/" paths and a doc's file links start from.
	Dir string
}

// DocusaurusSite returns the layout of a Docusaurus site with the classic
// preset's defaults.
func DocusaurusSite() *Docusaurus {
	return NewDocusaurus("docs", "docs", "blog", "blog", "src/pages", []string{"static"})
}

// In returns d for a site whose folder is dir, a folder of the root (a
// repository's website/): its content and static folders, relative to the
// site's folder in d, under dir.
func (d *Docusaurus) In(dir string) *Docusaurus {
	out := *d
	out.Dir = path.Join(dir, d.Dir)
	out.Docs, out.Blog, out.Pages = path.Join(dir, d.Docs), path.Join(dir, d.Blog), path.Join(dir, d.Pages)
	out.Static = joinAll(dir, d.Static)
	return &out
}

// joinAll returns the paths ps joined to dir.
func joinAll(dir string, ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = path.Join(dir, p)
	}
	return out
}

// NewDocusaurus returns the layout of a Docusaurus site whose docs are in
// the folder docs with routes under docsURL ("" for the root, as a
// docs-only site has them), its blog in blog under blogURL, its pages in
// pages and its static files in static; Generated are the routes of the
// tags, categories, blog lists and feeds those make.
func NewDocusaurus(docs, docsURL, blog, blogURL, pages string, static []string) *Docusaurus {
	under := func(base string, globs ...string) []string {
		for i, g := range globs {
			globs[i] = strings.TrimPrefix(path.Join(base, g), "/")
		}
		return globs
	}
	gen := under(docsURL, "tags", "tags/**", "category/**")
	gen = append(gen, under(blogURL, ".", "page/**", "tags", "tags/**", "archive", "authors", "authors/**", "rss.xml", "atom.xml", "feed.json")...)
	return &Docusaurus{
		Docs: docs, Blog: blog, Pages: pages, DocsURL: docsURL, BlogURL: blogURL, Static: static,
		Generated: append(gen, "search"),
	}
}

// IsDocusaurusSite reports whether a folder is the top of a Docusaurus
// site, stat answering for the names in it: it holds docusaurus.config.js
// (or .ts, .mjs, .cjs, .mts, .cts).
func IsDocusaurusSite(stat func(name string) (fs.FileInfo, error)) bool {
	return DocusaurusConfig(stat) != ""
}

// DocusaurusConfig returns the name of the configuration file of the
// Docusaurus site at the top of a folder, stat answering for the names in
// it; "" when it holds none.
func DocusaurusConfig(stat func(name string) (fs.FileInfo, error)) string {
	for _, ext := range []string{".js", ".ts", ".mjs", ".cjs", ".mts", ".cts"} {
		if fi, err := stat("docusaurus.config" + ext); err == nil && fi.Mode().IsRegular() {
			return "docusaurus.config" + ext
		}
	}
	return ""
}

// Route returns the route of the document p (a path from the root) whose
// front matter's slug and id are given ("" when absent), with its leading
// '/' and, for a folder's index, its trailing one; false when p is no
// document of the site: outside the content folders, or left out as
// Docusaurus leaves out files and folders whose names start with '_'.
func (d *Docusaurus) Route(p, slug, id string) (string, bool) {
	if !hasDocExt(p) {
		return "", false
	}
	for _, c := range []struct {
		dir  string
		kind byte
	}{{d.Docs, 'd'}, {d.Blog, 'b'}, {d.Pages, 'p'}} {
		rel, ok := strings.CutPrefix(p, c.dir+"/")
		if !ok || excludedContent(rel) {
			continue
		}
		switch c.kind {
		case 'd':
			return joinRoute(d.DocsURL, docRoute(rel, slug, id)), true
		case 'b':
			return joinRoute(d.BlogURL, blogRoute(rel, slug)), true
		default:
			return joinRoute("", pageRoute(rel, slug)), true
		}
	}
	return "", false
}

func (d *Docusaurus) route(p string, f pageFields) (string, bool) {
	if f.draft {
		return "", false // left out of the production build
	}
	return d.Route(p, f.slug, f.id)
}

// excludedContent reports whether the path rel of a content folder is one
// Docusaurus leaves out by default: a file or folder whose name starts with
// '_' (__tests__ among them).
func excludedContent(rel string) bool {
	for seg := range strings.SplitSeq(rel, "/") {
		if strings.HasPrefix(seg, "_") {
			return true
		}
	}
	return false
}

func hasDocExt(p string) bool {
	return hasMDExt(p) || len(p) >= 4 && strings.EqualFold(p[len(p)-4:], ".mdx")
}

func trimDocExt(p string) string {
	if len(p) >= 4 && strings.EqualFold(p[len(p)-4:], ".mdx") {
		return p[:len(p)-4]
	}
	return trimMDExt(p)
}

// docRoute is the route of the doc at rel in the docs folder, from the
// docs' base URL, as Docusaurus's getSlug makes it.
func docRoute(rel, slug, id string) string {
	dir, file := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	name := trimDocExt(file)
	dirSlug := "/"
	if dir != "" {
		parts := strings.Split(dir, "/")
		for i, s := range parts {
			parts[i] = stripNumberPrefix(s)
		}
		dirSlug = "/" + strings.Join(parts, "/") + "/"
	}
	switch {
	case strings.HasPrefix(slug, "/"):
		return slug
	case slug == "" && isCategoryIndex(name, path.Base(dir)):
		return dirSlug
	case slug == "":
		slug = id
		if slug == "" {
			slug = stripNumberPrefix(name)
		}
	}
	return resolveRoute(dirSlug, slug)
}

// isCategoryIndex reports whether a doc named name (as written, without its
// extension) in the folder dir is the folder's index: index, README or the
// folder's own name, ignoring case.
func isCategoryIndex(name, dir string) bool {
	n := strings.ToLower(name)
	return n == "index" || n == "readme" || dir != "" && dir != "." && n == strings.ToLower(dir)
}

// resolveRoute resolves the relative route to from the folder route base
// (ending in '/'), as a URL is resolved: ".." stops at the root, and a
// trailing '/' stays.
func resolveRoute(base, to string) string {
	r := path.Join(base, to)
	if strings.HasSuffix(to, "/") && r != "/" {
		r += "/"
	}
	return r
}

// resolveURL resolves the URL t, written in the page whose route is base,
// as a browser does: from the site's root when t starts with '/', else
// from base's folder (base itself when it ends in '/'); ".." stops at the
// root, and a URL that names a folder ("guide/", or a relative ".", "..")
// keeps its trailing '/'.
func resolveURL(base, t string) string {
	from, folder := "/", strings.HasSuffix(t, "/")
	if !strings.HasPrefix(t, "/") {
		from = routeFolder(base)
		b := path.Base(t)
		folder = folder || b == "." || b == ".."
	}
	u := path.Join(from, t) // rooted: ".." stops at "/"
	if folder && u != "/" {
		u += "/"
	}
	return u
}

// routeFolder is the folder a relative URL is read from in the page at
// route: route itself when it names a folder ("/docs/install/"), else
// its parent ("/legacy" for "/legacy/page.html").
func routeFolder(route string) string {
	if strings.HasSuffix(route, "/") {
		return route
	}
	return path.Dir(route)
}

// joinRoute joins a base path (without slashes) and a route.
func joinRoute(base, route string) string {
	if base == "" {
		return "/" + strings.TrimPrefix(route, "/")
	}
	if route == "/" || route == "" {
		return "/" + base + "/"
	}
	return "/" + base + "/" + strings.TrimPrefix(route, "/")
}

// numberPrefix is a file or folder name's number prefix ("01-", "2 - "),
// which Docusaurus drops from URLs; dateOrVersion are names it leaves alone
// though they look like one ("2021-01-31 Doc", "7.0-release").
var (
	numberPrefix  = regexp.MustCompile(`^\d+\s*[-_.]+\s*(.*)$`)
	dateOrVersion = regexp.MustCompile(`^((\d{2}|\d{4})[-_.]\d{2}([-_.](\d{2}|\d{4}))?)|^(\d+[-_.]\d+)`)
)

// stripNumberPrefix drops a name's number prefix, as Docusaurus's default
// number prefix parser does.
func stripNumberPrefix(name string) string {
	if name == "" || name[0] < '0' || name[0] > '9' || dateOrVersion.MatchString(name) {
		return name
	}
	if m := numberPrefix.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return name
}

// blogDate is a blog post's date, the last one its path holds
// ("2021-08-26-welcome/index.md", "2019-05-28-first-post.md"), with the
// folders before it and the text after it, as Docusaurus reads it.
var blogDate = regexp.MustCompile(`^(.*)(\d{4}[-/]\d{1,2}[-/]\d{1,2})[-/]?(.*?)(?:/index)?\.mdx?$`)

// blogRoute is the route of the post at rel in the blog folder, from the
// blog's base URL.
func blogRoute(rel, slug string) string {
	if slug != "" {
		return "/" + strings.TrimPrefix(slug, "/")
	}
	if m := blogDate.FindStringSubmatch(rel); m != nil {
		return "/" + strings.ReplaceAll(m[2], "-", "/") + "/" + m[1] + m[3]
	}
	r := trimDocExt(rel)
	if strings.EqualFold(path.Base(r), "index") {
		r = path.Dir(r)
		if r == "." {
			return "/"
		}
	}
	return "/" + r
}

// pageRoute is the route of the Markdown page at rel in the pages folder.
func pageRoute(rel, slug string) string {
	if slug != "" {
		return "/" + strings.TrimPrefix(slug, "/")
	}
	r := trimDocExt(rel)
	if strings.EqualFold(path.Base(r), "index") {
		if d := path.Dir(r); d != "." {
			return "/" + d + "/"
		}
		return "/"
	}
	return "/" + r
}

// routeKey is the key of a route in Index.routes: folded, without its
// leading and trailing '/' (routes match ignoring both).
func routeKey(route string) string {
	return fold(strings.Trim(route, "/"))
}

// routeNameKey is the name key of the links that may name route: the key
// their targets are found under in a Graph's refs (see Index.targetKey).
func routeNameKey(route string) string {
	return NameKey(path.Clean(strings.TrimSuffix(route, "/")))
}

// IsFileLink reports whether a Markdown link target of a Docusaurus site's
// document names a file rather than a route: a ".md" or ".mdx" path, or a
// path from the site's folder ("@site/...").
func IsFileLink(t string) bool {
	return hasDocExt(t) || strings.HasPrefix(t, "@site/")
}

// docusaurusHeadings returns doc with its headings' anchors as Docusaurus
// makes them: its slugger numbers repeated headings without counting the
// explicit ids ("## Setup {#setup}" then "## Setup" are two #setup, where
// Hugo makes the second #setup-1), and a page's h1, its title, has no
// anchor though it counts. doc is not changed.
func docusaurusHeadings(doc *Document) *Document {
	if len(doc.Headings) == 0 {
		return doc
	}
	d := *doc
	d.Headings = make([]Heading, 0, len(doc.Headings))
	var s slugger
	for _, h := range doc.Headings {
		if !h.Explicit {
			h.Slug = s.unique(Slug(h.Text))
		}
		if h.Level != 1 {
			d.Headings = append(d.Headings, h)
		}
	}
	return &d
}

// folder returns the content folder of the site that holds p, and whether
// it is the pages folder; "" when p is in none.
func (d *Docusaurus) folder(p string) (string, bool) {
	for _, f := range []string{d.Docs, d.Blog, d.Pages} {
		if strings.HasPrefix(p, f+"/") {
			return f, f == d.Pages
		}
	}
	return "", false
}

// resolveDocusaurus resolves a Markdown link of a Docusaurus site's
// document as the site's build does: "@site/..." is a file from the site's
// folder; in a doc or a post, a ".md" or ".mdx" path is a file (see
// resolveDocFile); anything else is a URL, of one of the site's routes or
// of a static file. A document outside the content folders (a README
// beside the site, which GitHub shows) has its links read as relative
// reads them.
func (x *Index) resolveDocusaurus(src, t string) Resolution {
	d := x.opts.Docusaurus
	base, ok := x.routeOf[src]
	if !ok {
		if base, ok = d.Route(src, "", ""); !ok {
			return x.resolveMarkdown(src, t)
		}
	}
	if rest, ok := strings.CutPrefix(t, "@site/"); ok {
		return x.resolveMarkdown(src, "/"+path.Join(d.Dir, rest))
	}
	content, pages := d.folder(src)
	if IsFileLink(t) && !pages { // pages leave such links as URLs
		return x.resolveDocFile(src, content, t)
	}
	var probe []string
	if LooksLikeAttachment(t) {
		// A file: from the static folders, or beside the document; else
		// the build leaves it a URL, which must be a route.
		if strings.HasPrefix(t, "/") {
			for _, st := range d.Static {
				probe = append(probe, path.Join(st, t))
			}
		} else if p, ok := joinClean(path.Dir(src), t); ok {
			probe = append(probe, p)
		}
	}
	u := path.Clean(resolveURL(base, t)) // routes match without a trailing '/'
	k := routeKey(u)
	if ps := x.routes[k]; len(ps) > 0 {
		return Resolution{Path: minPath(ps)}
	}
	for _, g := range d.Generated {
		if ok, _ := doublestar.Match(g, k); ok {
			return Resolution{External: true} // made by Docusaurus: nothing to check
		}
	}
	return Resolution{Probe: append(probe, d.routeFiles(u)...), URL: u, Route: true}
}

// resolveDocFile resolves a link to a ".md" or ".mdx" file of the document
// src in the content folder content, where Docusaurus looks for it: from
// src's folder, then (unless it starts with "./" or "../") from the
// content folder and the site's, a path starting with '/' from those two
// only. MDX files are not indexed: they are probed.
func (x *Index) resolveDocFile(src, content, t string) Resolution {
	var cands []string
	add := func(from, t string) {
		if p, ok := joinClean(from, t); ok && !slices.Contains(cands, p) {
			cands = append(cands, p)
		}
	}
	site := path.Join(".", x.opts.Docusaurus.Dir)
	switch {
	case strings.HasPrefix(t, "/"):
		add(content, t[1:])
		add(site, t[1:])
	case strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../"):
		add(path.Dir(src), t)
	default:
		add(path.Dir(src), t)
		add(content, t)
		add(site, t)
	}
	if len(cands) == 0 {
		return Resolution{Outside: true}
	}
	// Docusaurus resolves a file link to a document of the linking
	// document's own plugin only (a doc's link to a blog post's file, or
	// to the repository's README, stays a URL that serves nothing).
	var elsewhere, pageless string
	var probe []string // MDX files, which are not indexed
	for _, c := range cands {
		hit, ok := x.lookupPath(c, false)
		switch {
		case !ok && inFolder(content, c):
			probe = append(probe, c)
		case !ok:
		case !inFolder(content, hit):
			if elsewhere == "" {
				elsewhere = hit
			}
		case x.routeOf[hit] != "":
			return Resolution{Path: hit}
		case pageless == "":
			pageless = hit // a draft, a partial
		}
	}
	switch {
	case pageless != "":
		return Resolution{Draft: pageless}
	case elsewhere != "":
		return Resolution{Unbuilt: elsewhere, BuiltFrom: content}
	case len(probe) == 0:
		return Resolution{Unbuilt: cands[0], BuiltFrom: content}
	}
	return Resolution{Probe: probe}
}

// routeFiles are the files Scribe does not read that could serve the route
// u: an MDX doc or page named as the route, a React page.
func (d *Docusaurus) routeFiles(u string) []string {
	rel := strings.Trim(u, "/")
	var out []string
	if r, ok := strings.CutPrefix(rel+"/", d.DocsURL+"/"); ok || d.DocsURL == "" {
		if d.DocsURL == "" {
			r = rel + "/"
		}
		if r = strings.TrimSuffix(r, "/"); r != "" {
			out = append(out, path.Join(d.Docs, r)+".mdx")
		}
		out = append(out, path.Join(d.Docs, r, "index.mdx"))
	}
	for _, ext := range []string{".mdx", ".js", ".jsx", ".ts", ".tsx"} {
		if rel != "" {
			out = append(out, path.Join(d.Pages, rel)+ext)
		}
		out = append(out, path.Join(d.Pages, rel, "index"+ext))
	}
	return out
}
