package links

import (
	"path"
	"strings"
	"unicode"
)

// route gives a page of a Hugo site (see Site) its URL, as Hugo makes it
// without permalinks in its configuration: the page's path under Content,
// its file name replaced by its front matter slug (a bundle's folder name
// for its index.md; a section's _index.md keeps its folder), sanitized and
// lower-cased as Hugo's paths are (hugoPath), as a folder; or the front
// matter url, from the site's root, as written. False for files that are
// no page (outside Content, not Markdown).
func (s *Site) route(p string, f pageFields) (string, bool) {
	page, ok := pageURL(s.Content, p)
	if !ok {
		return "", false
	}
	if u := strings.Trim(path.Clean("/"+f.url), "/"); f.url != "" && !isExternal(f.url) && u != "" && u != ".." {
		if path.Ext(u) != "" {
			return "/" + u, true // a file: url: /legacy/page.html
		}
		return "/" + u + "/", true
	}
	if f.slug != "" && !strings.EqualFold(path.Base(p), "_index.md") && page != "" {
		page = path.Join(path.Dir(page), f.slug)
	}
	if page = hugoPath(page); page == "" || page == "." {
		return "/", true
	}
	return "/" + page + "/", true
}

// hugoPath is the URL path Hugo makes of a content path or slug (its
// MakePathSanitized, with the defaults): letters, digits, marks and
// ".", "/", "\", "_", "#", "+", "~", "-", "@" kept, a "%" before two hex
// digits too, a run of white space between kept characters turned into
// one "-" (none next to a "-"), anything else dropped, then lower-cased:
// "My Docs/Café & Co (2)" is "my-docs/café-co-2".
func hugoPath(s string) string {
	src := []rune(s)
	out := make([]rune, 0, len(src))
	hyphen, wasHyphen := false, false
	for i, r := range src {
		keep := strings.ContainsRune("./\\_#+~-@", r) || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
			r == '%' && i+2 < len(src) && isHex(src[i+1]) && isHex(src[i+2])
		switch {
		case keep:
			wasHyphen = r == '-'
			if hyphen && !wasHyphen {
				out = append(out, '-')
			}
			hyphen = false
			out = append(out, r)
		case len(out) > 0 && !wasHyphen && unicode.IsSpace(r):
			hyphen = true
		}
	}
	return strings.ToLower(string(out))
}

func isHex(r rune) bool {
	return '0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'
}

// siteDir is the key in siteDirs of the folder d (a path from the root) in
// a Hugo site: the URL path Hugo gives its section (hugoPath of its path
// under Content), folded unless the index matches case; false for a
// folder outside Content, or any folder elsewhere than a Hugo site.
func (x *Index) siteDir(d string) (string, bool) {
	s := x.opts.Site
	if s == nil || x.router() != s {
		return "", false
	}
	rel := d
	if s.Content != "." {
		var ok bool
		if rel, ok = strings.CutPrefix(d, s.Content+"/"); !ok {
			return "", false
		}
	}
	return x.foldUnlessCase(hugoPath(rel)), true
}

// foldUnlessCase is s folded, unless the index matches case.
func (x *Index) foldUnlessCase(s string) string {
	if x.opts.CaseSensitive {
		return s
	}
	return fold(s)
}
