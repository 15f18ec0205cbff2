package links

import (
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/unicode/norm"
)

// route gives a page of a Hugo site (see Site) its URL, as Hugo makes it:
// the front matter url, from the site's root, as written; else, for a
// page in a section with a permalink pattern (Site.Permalinks), the
// pattern filled (Site.permalink); else the page's path under Content, its
// file name replaced by its front matter slug (a bundle's folder name for
// its index.md; a section's _index.md keeps its folder); sanitized and
// lower-cased as Hugo's paths are (urlPath), as a folder, or with uglyURLs
// as a file with ".html" (but the site's and a language's home). False
// for files that are no page (outside Content, not Markdown) and for
// drafts, which hugo leaves out unless told to build them.
func (s *Site) route(p string, f pageFields) (string, bool) {
	loc, ok := s.locate(p)
	if !ok || f.draft {
		return "", false
	}
	page, _ := pageURL(".", loc.rel)
	if u := strings.Trim(path.Clean("/"+f.url), "/"); f.url != "" && !isExternal(f.url) && u != "" && u != ".." {
		if path.Ext(u) != "" {
			return "/" + u, true // a file: url: /legacy/page.html
		}
		return "/" + u + "/", true
	}
	regular := !strings.EqualFold(path.Base(loc.rel), "_index.md") // not a section's own page
	home := page == ""
	if pattern, ok := s.Permalinks[strings.SplitN(page, "/", 2)[0]]; ok && regular && strings.Contains(page, "/") {
		page = s.permalink(pattern, page, loc.rel, f)
	} else if f.slug != "" && regular && page != "" {
		page = path.Join(path.Dir(page), f.slug)
	}
	page = path.Join(s.langPrefix(loc.lang), page)
	if page = strings.Trim(s.urlPath(page), "/"); page == "" || page == "." {
		return "/", true
	}
	if s.UglyURLs && !home {
		return "/" + page + ".html", true
	}
	return "/" + page + "/", true // a language's home too, with uglyURLs
}

// urlPath is the URL path Hugo makes of a content path or slug with the
// site's settings: hugoPath's, its accents dropped first when
// RemoveAccents, its case kept when KeepCase.
func (s *Site) urlPath(p string) string {
	if s.RemoveAccents {
		p = removeAccents(p)
	}
	return hugoPath(p, !s.KeepCase)
}

// sectionPath is the URL path of a section Hugo makes of a folder that
// has no _index.md: urlPath's, in lower case whatever KeepCase says.
func (s *Site) sectionPath(p string) string {
	return strings.ToLower(s.urlPath(p))
}

// removeAccents drops the combining marks of s's decomposed form, as
// Hugo's removePathAccents does (é is e, ñ n).
func removeAccents(s string) string {
	d := norm.NFD.String(s)
	return norm.NFC.String(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, d))
}

// hugoPage is where a file of a Hugo site is among its pages: its
// language ("" for the default one), the content folder it is in, and
// its path there, the language's code dropped from its name (about.fr.md
// is about.md).
type hugoPage struct{ lang, dir, rel string }

// locate returns where the Markdown file p is among the site's pages:
// under the content folder of a language that has one (Languages), or
// under Content, a translation when its name ends in a language's code;
// false for a file that is no page.
func (s *Site) locate(p string) (hugoPage, bool) {
	loc := hugoPage{dir: s.Content}
	for code, d := range s.Languages {
		if d != "" && strings.HasPrefix(p, d+"/") && (loc.lang == "" || len(d) > len(loc.dir)) {
			loc = hugoPage{lang: code, dir: d} // the innermost language folder
		}
	}
	loc.rel = p
	if loc.dir != "." {
		var ok bool
		if loc.rel, ok = strings.CutPrefix(p, loc.dir+"/"); !ok {
			return hugoPage{}, false
		}
	}
	if !hasMDExt(loc.rel) {
		return hugoPage{}, false
	}
	stem := trimMDExt(loc.rel)
	if i := strings.LastIndexByte(stem, '.'); i > strings.LastIndexByte(stem, '/')+1 {
		code := stem[i+1:]
		if _, ok := s.Languages[code]; ok || code == s.DefaultLanguage {
			loc.rel = stem[:i] + loc.rel[len(stem):]
			if code != s.DefaultLanguage {
				loc.lang = code
			}
		}
	}
	return loc, true
}

// langPrefix is the folder of the URLs of the language lang ("" for the
// default one, which has none unless DefaultInSubdir).
func (s *Site) langPrefix(lang string) string {
	if lang == "" && s.DefaultInSubdir {
		return s.DefaultLanguage
	}
	return lang
}

// generated reports whether the generator makes the URL path u (without
// its leading '/', a folder's index.html dropped) with no file behind it
// (Generated): a taxonomy's page is a folder (tags/intro/), or with
// uglyURLs its URL with ".html" (tags/intro.html).
func (s *Site) generated(u string) bool {
	switch {
	case s.UglyURLs && path.Ext(u) == "":
		return false
	case s.UglyURLs && path.Ext(u) == ".html":
		u = strings.TrimSuffix(u, ".html")
	case path.Ext(u) == ".html":
		return false // a page is a folder: tags/intro/
	}
	for _, g := range s.Generated {
		if ok, _ := doublestar.Match(g, u); ok {
			return true
		}
	}
	return false
}

// draftBundle returns the index.md of the leaf bundle the file p (not a
// page) belongs to when that page is a draft, whose files Hugo does not
// publish either; "" when p is in no bundle, or in one that is no draft.
func (x *Index) draftBundle(p string) string {
	s := x.hugo()
	if s == nil || hasMDExt(p) {
		return ""
	}
	for d := path.Dir(p); d != "." && d != s.Content; d = path.Dir(d) {
		if hit, ok := x.lookupPath(path.Join(d, "index.md"), false); ok {
			if x.routeOf[hit] == "" && s.isPage(hit) {
				return hit
			}
			return "" // the innermost bundle's
		}
	}
	return ""
}

// isPage reports whether the file p is among the site's pages (a draft
// too: Site.route gives it no URL).
func (s *Site) isPage(p string) bool { _, ok := s.locate(p); return ok }

// isHome reports whether the URL path u (without its slashes) is the home
// of a language that has a content folder of its own (fr, for /fr/), or
// of the default one when it is served in its subfolder.
func (s *Site) isHome(u string) bool {
	return s.Languages[u] != "" || s.DefaultInSubdir && u == s.DefaultLanguage
}

// contentAt returns the path, under a content folder, of the file that
// may serve the URL path u (without its leading '/'): under the content
// folder of the language whose code starts it, else under Content.
func (s *Site) contentAt(u string) string {
	code, rest, _ := strings.Cut(u, "/")
	if d := s.Languages[code]; d != "" {
		return path.Join(d, rest)
	}
	if s.DefaultInSubdir && code == s.DefaultLanguage {
		return path.Join(s.Content, rest)
	}
	return path.Join(s.Content, u)
}

// permalink fills the permalink pattern of the section of the page at
// path page (pageURL's: without Content, as a folder), the file p, with
// front matter f, as Hugo 0.111 does: the date's :year, :month, :monthname,
// :day, :weekday, :weekdayname and :yearday (of the front matter date,
// else January 1 of the year 1), :section (its first folder), :sections
// (its folders), :title (urlized), :slug (the slug, else the title),
// :filename (the file's name, a bundle's folder's), :slugorfilename. A
// token Hugo does not know (its build fails) is left without its colon.
// :sections is the page's folders, which Hugo's is where each nested
// folder is a section (has an _index.md).
func (s *Site) permalink(pattern, page, p string, f pageFields) string {
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
		"title": s.urlPath(f.title), "slug": s.urlPath(slug), "filename": s.urlPath(name), "slugorfilename": s.urlPath(slugOrFile),
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
// Hugo reads them (the first one of hugo.* and config.*, then those of
// config/_default/), each in TOML, YAML or JSON; a file of
// config/_default/ named for a setting (permalinks.toml) holds that
// setting alone.
var hugoConfigs = []string{"hugo", "config", "config/_default/hugo", "config/_default/config",
	"config/_default/permalinks", "config/_default/languages"}

// ReadHugoSite returns the layout of the Hugo site at a folder, stat and
// read answering for the names in it: s (HugoSite's, or one a
// configuration gave) with what the site's configuration says of its
// content folder (contentDir, where s has Hugo's default), its
// permalinks (section to pattern; Hugo 0.120's [permalinks.page] too) and
// its languages (defaultContentLanguage, defaultContentLanguageInSubdir,
// and each language's contentDir). A configuration that cannot be read
// leaves s as it is.
func ReadHugoSite(s *Site, stat func(name string) (fs.FileInfo, error), read func(name string) ([]byte, error)) *Site {
	cfg := map[string]any{}
	readHugo := false
	for _, base := range hugoConfigs {
		for _, ext := range []string{".toml", ".yaml", ".yml", ".json"} {
			if fi, err := stat(base + ext); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if !strings.Contains(base, "/") {
				if readHugo {
					continue // hugo.toml, else config.toml
				}
				readHugo = true
			}
			b, err := read(base + ext)
			if err != nil {
				return s
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
				return s
			}
			if name := path.Base(base); name == "permalinks" || name == "languages" {
				m = map[string]any{name: m}
			}
			for k, v := range m {
				if _, set := cfg[strings.ToLower(k)]; !set {
					cfg[strings.ToLower(k)] = v
				}
			}
		}
	}
	out := *s
	str := func(m map[string]any, k string) string {
		for key, v := range m {
			if strings.EqualFold(key, k) {
				v, _ := v.(string)
				return strings.Trim(path.Clean(v), "/")
			}
		}
		return ""
	}
	if table, ok := cfg["permalinks"].(map[string]any); ok {
		if page, ok := table["page"].(map[string]any); ok {
			table = page
		}
		out.Permalinks = map[string]string{}
		for k, v := range table {
			if p, ok := v.(string); ok {
				out.Permalinks[k] = p
			}
		}
	}
	if d := str(cfg, "defaultContentLanguage"); d != "" && d != "." {
		out.DefaultLanguage = d
	}
	out.DefaultInSubdir, _ = cfg["defaultcontentlanguageinsubdir"].(bool)
	out.UglyURLs, _ = cfg["uglyurls"].(bool)
	out.KeepCase, _ = cfg["disablepathtolower"].(bool)
	out.RemoveAccents, _ = cfg["removepathaccents"].(bool)
	content := str(cfg, "contentDir")
	if langs, ok := cfg["languages"].(map[string]any); ok {
		out.Languages = map[string]string{}
		for code, v := range langs {
			l, _ := v.(map[string]any)
			dir := str(l, "contentDir")
			if dir == "." {
				dir = ""
			}
			if code == out.DefaultLanguage {
				if content == "" {
					content = dir
				}
				continue
			}
			out.Languages[code] = dir
		}
	}
	if content != "" && content != "." && s.Content == HugoSite().Content {
		out.Content = content
	}
	return &out
}

// In returns s for a site whose folder is dir, a folder of the root (a
// repository's docs/ or site/): its content, static and language folders,
// relative to the site's folder in s, under dir.
func (s *Site) In(dir string) *Site {
	out := *s
	out.Content = path.Join(dir, s.Content)
	out.Static = joinAll(dir, s.Static)
	if s.Languages != nil {
		out.Languages = make(map[string]string, len(s.Languages))
		for code, d := range s.Languages {
			if d != "" {
				d = path.Join(dir, d)
			}
			out.Languages[code] = d
		}
	}
	return &out
}

// hugoPath is the URL path Hugo makes of a content path or slug (its
// MakePathSanitized, with the defaults): letters, digits, marks and
// ".", "/", "\", "_", "#", "+", "~", "-", "@" kept, a "%" before two hex
// digits too, a run of white space between kept characters turned into
// one "-" (none next to a "-"), anything else dropped, then lower-cased
// when lower: "My Docs/Café & Co (2)" is "my-docs/café-co-2".
func hugoPath(s string, lower bool) string {
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
	if lower {
		return strings.ToLower(string(out))
	}
	return string(out)
}

func isHex(r rune) bool {
	return '0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'
}

// siteDir is the key in siteDirs of the folder d (a path from the root) in
// a Hugo site: the URL path Hugo gives its section (hugoPath of its path
// under its content folder, under its language's folder), folded unless
// the index matches case, or for the content folder of a language served
// under its code, the code; false for a folder outside the content
// folders, the default language's content folder, or any folder elsewhere
// than a Hugo site.
func (x *Index) siteDir(d string) (string, bool) {
	s := x.hugo()
	if s == nil {
		return "", false
	}
	loc, ok := s.locate(d + "/_.md") // a page in it
	if !ok {
		return "", false
	}
	if path.Dir(loc.rel) == "." {
		// A content folder itself: its language's home (/fr/) is served
		// while it holds something, like a section.
		if code := s.langPrefix(loc.lang); code != "" && loc.dir == d {
			return x.foldUnlessCase(code), true
		}
		return "", false
	}
	return x.foldUnlessCase(s.sectionPath(path.Join(s.langPrefix(loc.lang), path.Dir(loc.rel)))), true
}

// foldUnlessCase is s folded, unless the index matches case or the Hugo
// site keeps the case of its URLs (KeepCase), which servers then match.
func (x *Index) foldUnlessCase(s string) string {
	if x.opts.CaseSensitive || x.hugo() != nil && x.hugo().KeepCase {
		return s
	}
	return fold(s)
}

// hugoPageFiles are the files of the page that the path at (without its
// extension) names: at.md, or the _index.md of a section or the index.md
// of a bundle at that folder.
func hugoPageFiles(at string) []string {
	return []string{at + ".md", path.Join(at, "_index.md"), path.Join(at, "index.md")}
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
// src as Hugo looks its path up (its page finder): the linking page
// itself for a fragment alone; a path from the content folder when it
// starts with '/'; else first from the linking page's folder (a bundle's
// own), then from the content folder; then, for a name alone or right
// under the content folder ("install", "/install.md"), the page of that
// name anywhere when only one has it (hugoRefName, hugoPagesNamed). ".md"
// may be left out; a section's _index.md and a bundle's index.md answer
// for their folder. Hugo's build fails on a ref that names nothing, or
// several pages.
func (x *Index) resolveHugoRef(src, ref string) Resolution {
	s := x.opts.Site
	if ref == "" {
		return Resolution{Path: src, Self: true}
	}
	loc, ok := s.locate(src)
	if !ok {
		loc = hugoPage{dir: s.Content} // a file beside the pages
	}
	var dirs []string
	if !strings.HasPrefix(ref, "/") && ok {
		dirs = append(dirs, path.Dir(src))
	}
	dirs = append(dirs, loc.dir) // the content folder of its language
	for _, d := range dirs {
		at, ok := joinClean(d, strings.TrimPrefix(ref, "/"))
		if !ok {
			continue
		}
		cands := append([]string{at}, hugoPageFiles(at)...)
		if loc.lang != "" {
			// The page in the linking page's language first.
			cands = append([]string{at + "." + loc.lang + ".md", path.Join(at, "_index."+loc.lang+".md"), path.Join(at, "index."+loc.lang+".md")}, cands...)
		}
		for _, c := range cands {
			if hit, ok := x.lookupPath(c, false); ok && x.routeOf[hit] != "" {
				return Resolution{Path: hit}
			}
		}
	}
	if name, ok := hugoRefName(ref); ok {
		if pages := x.hugoPagesNamed(name, loc.lang); len(pages) > 0 {
			return Resolution{Path: minPath(pages), Candidates: pages}
		}
	}
	return Resolution{URL: ref, Ref: true}
}

// hugoRefName returns the name Hugo's page finder looks a ref up by once
// its path found no page: a name alone, or right under the content folder
// ("install", "install.md", "/install.md", "/docs/"); false for a longer
// path or one from the linking page ("./x.md").
func hugoRefName(ref string) (string, bool) {
	r := strings.TrimSuffix(ref, "/")
	if strings.HasPrefix(r, ".") {
		return "", false
	}
	switch strings.Count(r, "/") {
	case 0:
	case 1:
		if r[0] != '/' {
			return "", false
		}
		r = r[1:]
	default:
		return "", false
	}
	r = trimMDExt(r)
	return r, r != ""
}

// hugoPagesNamed returns the pages of the language lang that Hugo knows by
// name, in order: those whose file is name.md (or name.<lang>.md), and the
// sections and bundles whose folder is name.
func (x *Index) hugoPagesNamed(name, lang string) []string {
	keys := []string{name, "_index", "index"}
	if lang != "" {
		keys = append(keys, name+"."+lang, "_index."+lang, "index."+lang)
	}
	var pages []string
	for _, k := range keys {
		for _, p := range x.names[NameKey(k)] {
			if pl, ok := x.opts.Site.locate(p); ok && pl.lang == lang && x.routeOf[p] != "" && strings.EqualFold(hugoName(pl.rel), name) {
				pages = append(pages, p)
			}
		}
	}
	slices.Sort(pages)
	return slices.Compact(pages)
}

// hugoName is the name Hugo's page finder knows the page at rel (its path
// under the content folder) by: a section's or a bundle's folder, else the
// file's name without ".md"; "" for the home page.
func hugoName(rel string) string {
	switch strings.ToLower(path.Base(rel)) {
	case "_index.md", "index.md":
		if d := path.Dir(rel); d != "." {
			return path.Base(d)
		}
		return ""
	}
	return trimMDExt(path.Base(rel))
}

// RewriteHugoRef returns the ways t, a Hugo ref or relref shortcode, may
// name the page p (a path from the root) of the Hugo site s, in t's
// style, preferred first: from the content folder with a
// leading '/' when t's path had one, by the file's name when it had no
// '/', else from the content folder; ".md" where t had it; a section's or
// a bundle's page by its folder; t's fragment kept. None when t is no such
// shortcode or p no page there.
func RewriteHugoRef(t string, s *Site, p string) []string {
	ref, hash, ok := hugoRef(t)
	if !ok || ref == "" {
		return nil
	}
	loc, ok := s.locate(p)
	if !ok {
		return nil
	}
	rel := loc.rel
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
