package links

import (
	"path"
	"slices"
	"strings"
)

// Redirects. A site keeps a page's old URLs working with pages that
// redirect to it: Hugo writes one at each URL of a page's front matter
// aliases, jekyll-redirect-from at each of its redirect_from. A link to
// such a URL resolves to the page (Resolution.Redirect); its fragment does
// not, for the redirect pages send the browser to the page's URL alone.

// redirectFiles returns the files at which the site writes pages that
// redirect to the document p, as resolution looks them up: in a Hugo site
// (Options.Site) those of its front matter's aliases (doc.Names), in a
// Jekyll site with jekyll-redirect-from (Jekyll.Redirects) those of its
// redirect_from URLs; when it is a page (pl, its place among the routes).
// Sorted, without duplicates.
func (x *Index) redirectFiles(p string, doc *Document, pl permalink) []string {
	var out []string
	switch {
	case x.opts.Jekyll != nil:
		if !x.opts.Jekyll.Redirects || pl.route == "" || pl.fields.redirects == "" {
			return nil
		}
		for u := range strings.SplitSeq(pl.fields.redirects, "\n") {
			// As jekyll-redirect-from does: the URL from the site's root
			// (with a leading '/'), written as Jekyll writes a page whose
			// permalink it is.
			out = append(out, jekyllFile("/"+strings.TrimLeft(u, "/")))
		}
	case x.hugo() != nil:
		if pl.route == "" {
			return nil
		}
		page := strings.Trim(pl.route, "/")
		for _, a := range doc.Names {
			u, ok := hugoAlias(page, a)
			switch {
			case !ok:
			case x.hugo().UglyURLs && path.Ext(strings.TrimSuffix(u, "/")) == "":
				// Written as a page is: old/install.html.
				out = append(out, x.foldUnlessCase(strings.TrimSuffix(u, "/")+".html"))
			default:
				out = append(out, x.hugoAliasFile(u))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// hugoAlias returns the URL path (without a leading '/') of the alias a of
// the page at URL page (its route without the slashes), as Hugo reads it: from the
// site's root when it starts with '/', else from the page's parent
// (docs/install's "old-install" is docs/old-install). False when it is no
// URL path of the site (a full URL, or one that climbs above its root).
func hugoAlias(page, a string) (string, bool) {
	if a == "" || isExternal(a) || isTemplate(a) {
		return "", false
	}
	u := a
	if !strings.HasPrefix(a, "/") {
		u = path.Join(path.Dir(page), a)
	}
	u = strings.Trim(path.Clean("/"+u), "/")
	if u == "" {
		return "", false
	}
	if strings.HasSuffix(a, "/") {
		u += "/"
	}
	return u, true
}

// hugoAliasFile is the file Hugo writes the alias u (a URL path without its
// leading '/') to, the key of x.redirects: u itself when it has an
// extension ("old/install.html"), else the index.html of a folder
// ("old/install/index.html" for "old/install" and "old/install/"; with
// uglyURLs Hugo writes "old/install.html" instead); folded unless the index
// matches case. A URL a link names is looked up as the same key, so
// "/old/install" and "/old/install/" find the latter.
func (x *Index) hugoAliasFile(u string) string {
	f := strings.TrimSuffix(u, "/")
	if f == "." {
		f = ""
	}
	if path.Ext(f) == "" || strings.HasSuffix(u, "/") {
		f = path.Join(f, "index.html")
	}
	return x.foldUnlessCase(f)
}

// redirectKeys are the keys in refs of the links that may name the
// redirect file f (see redirectFiles), whose results change when it comes
// or goes: those of its URL, with and without a folder's index.html, and
// of the links whose target has no name of its own ("./", "../").
func (x *Index) redirectKeys(f string) []string {
	if x.opts.Jekyll != nil {
		return []string{jekyllKey(f), anyRoute}
	}
	keys := []string{NameKey(f), ".", ".."}
	if d, ok := strings.CutSuffix(f, "/index.html"); ok {
		keys = append(keys, NameKey(d))
	}
	return keys
}

// redirect moves p from the redirect files of its old entry to those of
// its new one, and adds to affected the documents whose links may name a
// file that came or went. Callers hold mu.
func (g *Graph) redirect(p string, old, ne packed, affected map[string]struct{}) {
	diff(old, ne, func(f string, add bool) {
		if add {
			addTo(g.idx.redirects, f, p)
		} else {
			removeFrom(g.idx.redirects, f, p)
		}
		g.dropSuggestions()
		for _, k := range g.idx.redirectKeys(f) {
			for _, s := range g.refs[k] {
				affected[g.notes[s].path] = struct{}{}
			}
		}
	})
}
