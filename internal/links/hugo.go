package links

import (
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"
)

// route gives a page of a Hugo site (see Site) its URL, as Hugo makes it:
// the front matter url, from the site's root, as written; else, for a
// page in a section with a permalink pattern (Site.Permalinks), the
// pattern filled (hugoPermalink); else the page's path under Content, its
// file name replaced by its front matter slug (a bundle's folder name for
// its index.md; a section's _index.md keeps its folder); sanitized and
// lower-cased as Hugo's paths are (hugoPath), as a folder. False for files
// that are no page (outside Content, not Markdown).
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
	regular := !strings.EqualFold(path.Base(p), "_index.md") // not a section's own page
	if pattern, ok := s.Permalinks[strings.SplitN(page, "/", 2)[0]]; ok && regular && strings.Contains(page, "/") {
		page = hugoPermalink(pattern, page, p, f)
	} else if f.slug != "" && regular && page != "" {
		page = path.Join(path.Dir(page), f.slug)
	}
	if page = strings.Trim(hugoPath(page), "/"); page == "" || page == "." {
		return "/", true
	}
	return "/" + page + "/", true
}

// hugoPermalink fills the permalink pattern of the section of the page at
// path page (pageURL's: without Content, as a folder), the file p, with
// front matter f, as Hugo 0.111 does: the date's :year, :month, :monthname,
// :day, :weekday, :weekdayname and :yearday (of the front matter date,
// else January 1 of the year 1), :section (its first folder), :sections
// (its folders), :title (urlized), :slug (the slug, else the title),
// :filename (the file's name, a bundle's folder's), :slugorfilename. A
// token Hugo does not know (its build fails) is left without its colon.
// :sections is the page's folders, which Hugo's is where each nested
// folder is a section (has an _index.md).
func hugoPermalink(pattern, page, p string, f pageFields) string {
	t, _ := frontMatterDate(f.date)
	dir, name := path.Split(page)
	dir = strings.Trim(dir, "/")
	if !strings.EqualFold(path.Base(p), "index.md") {
		name = path.Base(trimMDExt(p))
	}
	slug := f.slug
	if slug == "" {
		slug = f.title
	}
	slugOrFile := f.slug
	if slugOrFile == "" {
		slugOrFile = name
	}
	tokens := map[string]string{
		"year": strconv.Itoa(t.Year()), "month": t.Format("01"), "monthname": t.Format("January"),
		"day": t.Format("02"), "weekday": strconv.Itoa(int(t.Weekday())), "weekdayname": t.Format("Monday"),
		"yearday": strconv.Itoa(t.YearDay()), "section": strings.SplitN(dir, "/", 2)[0], "sections": dir,
		"title": hugoPath(f.title), "slug": hugoPath(slug), "filename": hugoPath(name), "slugorfilename": hugoPath(slugOrFile),
	}
	return hugoToken.ReplaceAllStringFunc(pattern, func(m string) string {
		if v, ok := tokens[m[1:]]; ok {
			return v
		}
		return m
	})
}

// hugoToken is a token of a permalink pattern.
var hugoToken = regexp.MustCompile(`:[a-z]+`)

// hugoConfigs are the files of a Hugo site's configuration, in the order
// Hugo looks for them; permalinks.* only in config/_default, where it
// holds the permalinks table alone.
var hugoConfigs = []string{"hugo", "config", "config/_default/hugo", "config/_default/config", "config/_default/permalinks"}

// ReadHugoPermalinks returns the permalinks of the configuration of the
// Hugo site at a folder, stat and read answering for the names in it: its
// hugo.toml (or config.toml, or those of config/_default/, in TOML, YAML or
// JSON) permalinks table, section name to pattern (the page patterns of
// Hugo 0.120's [permalinks.page] too); nil when it has none, or cannot be
// read.
func ReadHugoPermalinks(stat func(name string) (fs.FileInfo, error), read func(name string) ([]byte, error)) map[string]string {
	for _, base := range hugoConfigs {
		for _, ext := range []string{".toml", ".yaml", ".yml", ".json"} {
			if fi, err := stat(base + ext); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			b, err := read(base + ext)
			if err != nil {
				return nil
			}
			var m map[string]any
			switch ext {
			case ".toml":
				err = toml.Unmarshal(b, &m)
			case ".json":
				err = json.Unmarshal(b, &m)
			default:
				err = yaml.Unmarshal(b, &m)
			}
			if err != nil {
				return nil
			}
			table, ok := m["permalinks"].(map[string]any)
			if path.Base(base) == "permalinks" {
				table, ok = m, true
			}
			if page, isMap := table["page"].(map[string]any); isMap {
				table = page
			}
			out := map[string]string{}
			for k, v := range table {
				if s, isString := v.(string); isString {
					out[k] = s
				}
			}
			if ok && len(out) > 0 {
				return out
			}
		}
	}
	return nil
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

// hugoRefLink is a link target that is one of Hugo's ref and relref
// shortcodes, whose path names a page: {{< ref "docs/install.md" >}},
// {{% relref "/docs/install#usage" %}}, {{< ref path="install" >}}.
var hugoRefLink = regexp.MustCompile(`^\{\{([<%])-?\s*(?:ref|relref)\s+(?:path=)?(?:"([^"]*)"|([^\s"<>%{}]+))(?:\s+[a-zA-Z]+="[^"]*")*\s*-?([>%])\}\}$`)

// hugoRef returns the path a Hugo ref or relref shortcode names, and the
// offset in t of its '#' ("" and -1 for none); false when t is no such
// shortcode.
func hugoRef(t string) (ref string, hash int, ok bool) {
	start, end, ok := hugoRefAt(t)
	if !ok {
		return "", -1, false
	}
	ref = t[start:end]
	if h := strings.IndexByte(ref, '#'); h >= 0 {
		return ref[:h], start + h, true
	}
	return ref, -1, true
}

// hugoRefAt returns where in t, a Hugo ref or relref shortcode, its path
// is (its fragment included); false when t is no such shortcode.
func hugoRefAt(t string) (start, end int, ok bool) {
	if !strings.HasPrefix(t, "{{") {
		return 0, 0, false
	}
	m := hugoRefLink.FindStringSubmatchIndex(t)
	if m == nil || (t[m[2]] == '<') != (t[m[8]] == '>') { // {{< ... >}} or {{% ... %}}
		return 0, 0, false
	}
	if m[4] >= 0 {
		return m[4], m[5], true
	}
	return m[6], m[7], true
}

// hugoRefFragment returns l with the fragment its Hugo ref shortcode
// names ({{< ref "install.md#usage" >}}), when it names one.
func hugoRefFragment(l Link) Link {
	_, h, ok := hugoRef(l.Target)
	if !ok || h < 0 || l.HasFragment {
		return l
	}
	ref := l.Target[h+1:]
	end := strings.IndexAny(ref, `" `)
	if end < 0 {
		end = strings.Index(ref, "}}") - 1
	}
	if end <= 0 {
		return l
	}
	l.Fragment, l.HasFragment = ref[:end], true
	if raw := l.Raw[l.TargetStart-l.Start : l.TargetEnd-l.Start]; raw == l.Target {
		l.FragmentStart = l.TargetStart + h + 1
		l.FragmentEnd = l.FragmentStart + end
	}
	return l
}

// resolveHugoRef resolves a Hugo ref or relref shortcode of the document
// src as Hugo 0.111 looks its path up (its page finder): the linking page
// itself for a fragment alone; a path from the content folder when it
// starts with '/'; else first from the linking page's folder (a bundle's
// own), then from the content folder, then, without a '/', a page by its
// file name anywhere when only one has it. ".md" may be left out; a
// section's _index.md and a bundle's index.md answer for their folder.
// Hugo's build fails on a ref that names nothing, or several pages.
func (x *Index) resolveHugoRef(src, ref string) Resolution {
	s := x.opts.Site
	if ref == "" {
		return Resolution{Path: src, Self: true}
	}
	var dirs []string
	if !strings.HasPrefix(ref, "/") {
		d := path.Dir(src)
		if _, ok := x.routeOf[src]; ok || strings.HasPrefix(src, s.Content+"/") {
			dirs = append(dirs, d)
		}
	}
	dirs = append(dirs, s.Content)
	for _, d := range dirs {
		at, ok := joinClean(d, strings.TrimPrefix(ref, "/"))
		if !ok {
			continue
		}
		cands := []string{at, at + ".md", path.Join(at, "_index.md"), path.Join(at, "index.md")}
		for _, c := range cands {
			if hit, ok := x.lookupPath(c, false); ok && x.routeOf[hit] != "" {
				return Resolution{Path: hit}
			}
		}
	}
	if !strings.Contains(ref, "/") {
		var pages []string
		for _, p := range x.names[NameKey(ref)] {
			if x.routeOf[p] != "" && strings.EqualFold(path.Base(trimMDExt(p)), trimMDExt(ref)) {
				pages = append(pages, p)
			}
		}
		if len(pages) > 0 {
			return Resolution{Path: minPath(pages), Candidates: pages}
		}
	}
	return Resolution{URL: ref, Ref: true}
}

// RewriteHugoRef returns the ways t, a Hugo ref or relref shortcode, may
// name the page p (a path from the root) of a site whose pages are under
// content, in t's style, preferred first: from the content folder with a
// leading '/' when t's path had one, by the file's name when it had no
// '/', else from the content folder; ".md" where t had it; a section's or
// a bundle's page by its folder; t's fragment kept. None when t is no such
// shortcode or p no page there.
func RewriteHugoRef(t, p, content string) []string {
	ref, hash, ok := hugoRef(t)
	if !ok || ref == "" {
		return nil
	}
	rel := p
	if content != "." {
		if rel, ok = strings.CutPrefix(p, content+"/"); !ok {
			return nil
		}
	}
	switch b := strings.ToLower(path.Base(rel)); {
	case b == "index.md" || b == "_index.md":
		rel = path.Dir(rel)
	case !hasMDExt(ref):
		rel = trimMDExt(rel)
	}
	var forms []string
	switch {
	case strings.HasPrefix(ref, "/"):
		forms = []string{"/" + rel}
	case !strings.Contains(ref, "/"):
		forms = []string{path.Base(rel), rel}
	default:
		forms = []string{rel, "/" + rel}
	}
	start, end, _ := hugoRefAt(t)
	if hash >= 0 {
		end = hash
	}
	out := make([]string, 0, len(forms))
	for _, f := range forms {
		out = append(out, t[:start]+f+t[end:])
	}
	return out
}
