package links

import (
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"
)

// Jekyll is the layout of a Jekyll site as GitHub Pages builds it, whose
// Markdown links are either files (a Markdown path, which GitHub Pages'
// jekyll-relative-links plugin turns into the file's URL) or the URLs
// Jekyll writes its pages to, made from the documents' paths, front matter
// and the site's permalink setting:
//
//   - a page (a Markdown file outside the folders Jekyll leaves out, those
//     whose names start with '_' or '.') is at its path with ".html"
//     (about.md is /about.html), or with '/' under the "pretty" style; an
//     index.md, or a README.md (jekyll-readme-index), is its folder's URL;
//   - a post (_posts/2024-01-15-welcome.md, or blog/_posts/..., whose folders
//     are categories) is at the site's permalink template, "date" by default:
//     /:categories/:year/:month/:day/:title.html, its date and title from its
//     file name unless its front matter gives a date or a slug, its
//     categories from its folders and front matter;
//   - a document of a collection that is output (_config.yml's collections)
//     is at the collection's template, /:collection/:path.html by default;
//   - a front matter permalink gives the URL, its placeholders filled, or
//     else one that _config.yml's front matter defaults give the
//     document's scope (see JekyllDefault);
//   - any other file is served at its path (assets/logo.png), a Sass file
//     as the CSS it makes.
//
// A URL is served as GitHub Pages and `jekyll serve` serve it: "/about"
// is /about.html or /about/index.html, "/about/" only the latter; a site
// with a baseurl (a project's site, /project) is served under it, and a
// URL from the root must start with it. Relative URLs are read from the
// linking page's URL. Jekyll's link tags ({% link about.md %},
// {% post_url 2024-01-15-welcome %}) name a file and a post (see
// resolveLiquid). Generated lists the files plugins and themes make
// without a source (feeds, the sitemap, the theme's styles), which are not
// checked.
type Jekyll struct {
	// Permalink is the site's permalink style (date, pretty, ordinal,
	// weekdate, none) or template.
	Permalink string
	// BaseURL is the path the site is served under ("" or "/project").
	BaseURL string
	// Collections maps each collection that is output, posts included, to
	// its permalink template ("" for the default).
	Collections map[string]string
	// CollectionsDir is the folder of the collections' folders ("" for
	// the site's).
	CollectionsDir string
	// Exclude are the paths (prefixes) and globs Jekyll leaves out, its
	// defaults (Gemfile, node_modules, vendor/...) included; Include those
	// it reads though their names start with '_' or '.'.
	Exclude, Include []string
	// Generated are doublestar globs of URL paths (without the leading
	// '/') made with no file behind them.
	Generated []string
	// Redirects is true when the site uses jekyll-redirect-from (among its
	// plugins): a page's front matter redirect_from URLs are pages that
	// redirect to it (see redirectFiles).
	Redirects bool
	// Defaults are the permalinks _config.yml's front matter defaults give
	// the documents of a scope, in its order.
	Defaults []JekyllDefault
	// Source is the site's folder, relative to the root ("" for the root
	// itself): docs/ for a site GitHub Pages builds from a repository's
	// docs/ folder. Every other path of the site (Exclude, Include,
	// CollectionsDir, Defaults) is relative to it.
	Source string
}

// rel returns the path in the site's folder of p, a path from the root;
// false when p is outside it.
func (j *Jekyll) rel(p string) (string, bool) {
	if j.Source == "" {
		return p, true
	}
	return strings.CutPrefix(p, j.Source+"/")
}

// abs returns the path from the root of p, a path in the site's folder.
func (j *Jekyll) abs(p string) string {
	if j.Source == "" {
		return p
	}
	return j.Source + "/" + p
}

// JekyllDefault is a front matter default of a Jekyll site's _config.yml
// that gives a permalink: the documents under Path (a path from the
// site's folder, "" for all, or a glob) and of Type ("pages", "posts",
// another collection's label; "" for any) have it unless their own front
// matter gives one.
type JekyllDefault struct {
	Path, Type, Permalink string
}

// defaultPermalink returns the permalink the site's defaults give the
// document p of type typ: that of the most specific scope that matches it
// (the longest path, then one with a type, then the last), as Jekyll's
// FrontMatterDefaults merges them; "" for none.
func (j *Jekyll) defaultPermalink(p, typ string) string {
	best, bestLen, bestTyped := "", -1, false
	for _, d := range j.Defaults {
		if d.Type != "" && d.Type != typ || !inScope(p, d.Path) {
			continue
		}
		n, typed := len(strings.TrimPrefix(d.Path, "/")), d.Type != ""
		if n > bestLen || n == bestLen && (typed || !bestTyped) {
			best, bestLen, bestTyped = d.Permalink, n, typed
		}
	}
	return best
}

// inScope reports whether p is in the scope path scope as Jekyll reads
// one: p starts with it (as a string: "guides" takes guides-old/ too,
// "guides/" does not), or it is a glob that matches p or a folder above it.
func inScope(p, scope string) bool {
	scope = strings.TrimPrefix(scope, "/")
	if !strings.Contains(scope, "*") {
		return strings.HasPrefix(p, scope)
	}
	q := p
	if strings.HasSuffix(scope, "/") {
		q = path.Dir(p) // a glob of folders: "notes/*/"
	}
	for scope = strings.TrimSuffix(scope, "/"); q != "." && q != "/"; q = path.Dir(q) {
		if ok, _ := doublestar.Match(scope, q); ok {
			return true
		}
	}
	return false
}

// JekyllConfig is the name of a Jekyll site's configuration file.
const JekyllConfig = "_config.yml"

// jekyllExcludes are the paths Jekyll 4 leaves out whatever the site's
// configuration says, and its destination folder.
var jekyllExcludes = []string{".sass-cache", ".jekyll-cache", "gemfiles", "Gemfile", "Gemfile.lock", "node_modules", "vendor/bundle/", "vendor/cache/", "vendor/gems/", "vendor/ruby/", "_site"}

// JekyllSite returns the layout of a Jekyll site with Jekyll's defaults.
func JekyllSite() *Jekyll {
	return &Jekyll{
		Permalink:   "date",
		Collections: map[string]string{"posts": ""},
		Exclude:     jekyllExcludes,
		// jekyll-feed, jekyll-sitemap, GitHub Pages' robots.txt and
		// redirects, jekyll-paginate's pages, the styles the themes of
		// GitHub Pages and minima make.
		Generated: []string{"feed.xml", "feed/**", "sitemap.xml", "robots.txt", "redirects.json", "page[0-9]*", "page[0-9]*/**", "assets/main.css", "assets/css/style.css", "assets/minima-social-icons.svg"},
	}
}

// IsJekyllSite reports whether a folder is the top of a Jekyll site, stat
// answering for the names in it: it holds _config.yml.
func IsJekyllSite(stat func(name string) (fs.FileInfo, error)) bool {
	fi, err := stat(JekyllConfig)
	return err == nil && fi.Mode().IsRegular()
}

// ReadJekyllSite returns the layout of the Jekyll site at a folder, stat
// and read answering for the names in it, or nil when the folder is none
// (see IsJekyllSite). A _config.yml that cannot be read or parsed leaves
// Jekyll's defaults, as do the settings it does not give.
func ReadJekyllSite(stat func(name string) (fs.FileInfo, error), read func(name string) ([]byte, error)) *Jekyll {
	if !IsJekyllSite(stat) {
		return nil
	}
	j := JekyllSite()
	b, err := read(JekyllConfig)
	if err != nil {
		return j
	}
	var c struct {
		Permalink      string      `yaml:"permalink"`
		BaseURL        string      `yaml:"baseurl"`
		CollectionsDir string      `yaml:"collections_dir"`
		Collections    yaml.Node   `yaml:"collections"`
		Exclude        []string    `yaml:"exclude"`
		Include        []string    `yaml:"include"`
		Plugins        []string    `yaml:"plugins"`
		Gems           []string    `yaml:"gems"` // plugins' name before Jekyll 3.5
		Defaults       []yaml.Node `yaml:"defaults"`
	}
	if yaml.Unmarshal(b, &c) != nil {
		return j
	}
	if c.Permalink != "" {
		j.Permalink = c.Permalink
	}
	j.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	if j.BaseURL != "" && !strings.HasPrefix(j.BaseURL, "/") {
		j.BaseURL = "/" + j.BaseURL
	}
	j.Redirects = slices.Contains(c.Plugins, "jekyll-redirect-from") || slices.Contains(c.Gems, "jekyll-redirect-from")
	for _, n := range c.Defaults {
		var d struct {
			Scope struct {
				Path string `yaml:"path"`
				Type string `yaml:"type"`
			} `yaml:"scope"`
			Values struct {
				Permalink string `yaml:"permalink"`
			} `yaml:"values"`
		}
		if n.Decode(&d) == nil && d.Values.Permalink != "" { // one that does not decode gives nothing
			j.Defaults = append(j.Defaults, JekyllDefault{Path: d.Scope.Path, Type: d.Scope.Type, Permalink: d.Values.Permalink})
		}
	}
	j.CollectionsDir = strings.Trim(c.CollectionsDir, "/")
	j.Exclude = append(append([]string(nil), jekyllExcludes...), c.Exclude...)
	j.Include = c.Include
	switch c.Collections.Kind {
	case yaml.SequenceNode: // a list of labels: none is output
		for _, n := range c.Collections.Content {
			if n.Value != "posts" {
				delete(j.Collections, n.Value)
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(c.Collections.Content); i += 2 {
			label := c.Collections.Content[i].Value
			var meta struct {
				Output    *bool  `yaml:"output"`
				Permalink string `yaml:"permalink"`
			}
			_ = c.Collections.Content[i+1].Decode(&meta)
			out := label == "posts" // posts are output unless told not
			if meta.Output != nil {
				out = *meta.Output
			}
			if out {
				j.Collections[label] = meta.Permalink
			} else {
				delete(j.Collections, label)
			}
		}
	}
	return j
}

// jekyllStyles are the templates of Jekyll's permalink styles.
var jekyllStyles = map[string]string{
	"none":     "/:categories/:title:output_ext",
	"date":     "/:categories/:year/:month/:day/:title:output_ext",
	"ordinal":  "/:categories/:year/:y_day/:title:output_ext",
	"pretty":   "/:categories/:year/:month/:day/:title/",
	"weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
}

// style is the site's permalink template.
func (j *Jekyll) style() string {
	if t, ok := jekyllStyles[j.Permalink]; ok {
		return t
	}
	return j.Permalink
}

// suffixed adds to template the ending the site's permalink style gives
// its URLs: a '/', ":output_ext" or nothing (Jekyll's
// add_permalink_suffix).
func (j *Jekyll) suffixed(template string) string {
	switch s := j.style(); {
	case j.Permalink == "pretty" || strings.HasSuffix(s, "/"):
		return template + "/"
	case strings.HasSuffix(s, ":output_ext"):
		return template + ":output_ext"
	}
	return template
}

// isJekyllMarkdown reports whether p has one of the extensions Jekyll
// converts as Markdown (its markdown_ext default).
func isJekyllMarkdown(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".md", ".markdown", ".mkdown", ".mkdn", ".mkd":
		return true
	}
	return false
}

// special reports whether Jekyll leaves out a file or folder of this name
// unless the site includes it: its name starts with '.', '_', '#' or '~',
// or ends with '~'.
func special(name string) bool {
	return name != "" && (strings.ContainsRune("._#~", rune(name[0])) || strings.HasSuffix(name, "~"))
}

// excluded reports whether the site leaves p out: a path under one of its
// excludes, or matched by one as a glob.
func (j *Jekyll) excluded(p string) bool {
	for _, e := range j.Exclude {
		e = strings.Trim(e, "/")
		if e == "" {
			continue
		}
		if p == e || strings.HasPrefix(p, e+"/") {
			return true
		}
		if ok, _ := doublestar.Match(e, p); ok {
			return true
		}
	}
	return false
}

// included reports whether the site reads the file or folder named name
// though it is special.
func (j *Jekyll) included(name string) bool {
	for _, in := range j.Include {
		if strings.Trim(in, "/") == name {
			return true
		}
	}
	return false
}

// route returns the URL of the Markdown document p (a path from the root)
// with front matter f, with its leading '/'; false when Jekyll writes no
// page for it: p is excluded, a draft, unpublished, in a collection that is
// not output, or in a folder Jekyll leaves out.
func (j *Jekyll) route(p string, f pageFields) (string, bool) {
	p, in := j.rel(p)
	if !in || !isJekyllMarkdown(p) || j.excluded(p) || f.unpublished {
		return "", false
	}
	segs := strings.Split(p, "/")
	coll := segs
	if j.CollectionsDir != "" {
		if rest, ok := strings.CutPrefix(p, j.CollectionsDir+"/"); ok {
			coll = strings.Split(rest, "/")
		} else {
			coll = nil
		}
	}
	// Posts: a _posts folder, its parents' names categories.
	for i, s := range coll {
		if s == "_posts" {
			if _, ok := j.Collections["posts"]; !ok || i == len(coll)-1 {
				return "", false
			}
			for _, c := range coll[:i] {
				if special(c) {
					return "", false
				}
			}
			if f.permalink == "" {
				f.permalink = j.defaultPermalink(p, "posts")
			}
			return j.postRoute(coll[:i], strings.Join(coll[i+1:], "/"), f)
		}
	}
	// Another collection's document.
	if len(coll) > 1 && strings.HasPrefix(coll[0], "_") {
		label := coll[0][1:]
		tmpl, ok := j.Collections[label]
		if !ok || label == "posts" || special(coll[len(coll)-1]) {
			return "", false
		}
		if f.permalink == "" {
			f.permalink = j.defaultPermalink(p, label)
		}
		return j.docRoute(label, tmpl, strings.Join(coll[1:], "/"), f), true
	}
	// A page.
	for _, s := range segs {
		if special(s) && !j.included(s) {
			return "", false
		}
	}
	if f.permalink == "" {
		f.permalink = j.defaultPermalink(p, "pages")
	}
	return j.pageRoute(p, f), true
}

// pageRoute is the URL of the page p.
func (j *Jekyll) pageRoute(p string, f pageFields) string {
	dir, file := path.Split(p)
	base := strings.TrimSuffix(file, path.Ext(file))
	tmpl := j.suffixed("/:path/:basename")
	if base == "index" || strings.EqualFold(base, "readme") {
		tmpl = "/:path/"
	}
	if f.permalink != "" {
		tmpl = f.permalink
	}
	return jekyllURL(tmpl, map[string]string{"path": dir, "basename": base, "output_ext": ".html"})
}

// jekyllDate is a post's date at the start of its file name.
var jekyllDate = regexp.MustCompile(`^(\d{2,4}-\d{1,2}-\d{1,2})-(.*)$`)

// postRoute is the URL of the post rel (its path in the _posts folder)
// whose categories from its folders are dirs.
func (j *Jekyll) postRoute(dirs []string, rel string, f pageFields) (string, bool) {
	file := path.Base(rel)
	m := jekyllDate.FindStringSubmatch(strings.TrimSuffix(file, path.Ext(file)))
	if m == nil {
		return "", false // Jekyll reads only dated files as posts
	}
	date := parseJekyllDate(m[1])
	if f.date != "" {
		if d, ok := frontMatterDate(f.date); ok {
			date = d
		}
	}
	slug := strings.TrimRight(m[2], ".")
	if f.slug != "" {
		slug = f.slug
	}
	cats := append([]string(nil), dirs...)
	if f.categories != "" {
		cats = append(cats, strings.Split(f.categories, "\n")...)
	}
	tmpl := j.Collections["posts"]
	if tmpl == "" {
		tmpl = j.style()
	}
	if f.permalink != "" {
		tmpl = f.permalink
	}
	ph := docPlaceholders(datePlaceholders(date), "posts", "/"+strings.TrimSuffix(rel, path.Ext(rel)), file, slug)
	ph["categories"] = joinCategories(cats, strings.ToLower)
	ph["slugified_categories"] = joinCategories(cats, func(s string) string { return jekyllSlug(s, false, false) })
	return jekyllURL(tmpl, ph), true
}

// docRoute is the URL of the document rel (its path in the collection's
// folder) of the collection label whose permalink template is tmpl.
func (j *Jekyll) docRoute(label, tmpl, rel string, f pageFields) string {
	if tmpl == "" {
		tmpl = j.suffixed("/:collection/:path")
	}
	if f.permalink != "" {
		tmpl = f.permalink
	}
	file := path.Base(rel)
	slug := strings.TrimSuffix(file, path.Ext(file))
	if f.slug != "" {
		slug = f.slug
	}
	ph := map[string]string{}
	if f.date != "" {
		if d, ok := frontMatterDate(f.date); ok {
			ph = datePlaceholders(d)
		}
	}
	return jekyllURL(tmpl, docPlaceholders(ph, label, "/"+strings.TrimRight(strings.TrimSuffix(rel, path.Ext(rel)), "."), file, slug))
}

// docPlaceholders adds to ph the placeholders of the document file (its
// name) of the collection label, a post among them: :collection, :path,
// :name from the file's name, :title and :slug from slug (the file's, or
// its front matter's), :output_ext.
func docPlaceholders(ph map[string]string, label, docPath, file, slug string) map[string]string {
	ph["collection"] = label
	ph["path"] = docPath
	ph["name"] = jekyllSlug(strings.TrimSuffix(file, path.Ext(file)), false, false)
	ph["title"] = jekyllSlug(slug, true, true)
	ph["slug"] = jekyllSlug(slug, false, false)
	ph["output_ext"] = ".html"
	return ph
}

// joinCategories joins a post's categories for its URL: each as conv
// makes it, each once.
func joinCategories(cats []string, conv func(string) string) string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cats {
		if c = conv(strings.TrimSpace(c)); c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return strings.Join(out, "/")
}

func parseJekyllDate(s string) time.Time {
	parts := strings.Split(s, "-")
	y, _ := strconv.Atoi(parts[0])
	m, _ := strconv.Atoi(parts[1])
	d, _ := strconv.Atoi(parts[2])
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
}

// frontMatterDate reads the date a post's front matter gives: its calendar
// day and time as written (Jekyll converts it to the building machine's
// time zone, or the site's timezone setting, which Scribe does not follow).
func frontMatterDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if len(s) >= len(layout) {
			if t, err := time.Parse(layout, s[:len(layout)]); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// datePlaceholders are the placeholders of a document's date.
func datePlaceholders(t time.Time) map[string]string {
	y, w := t.ISOWeek()
	return map[string]string{
		"year": t.Format("2006"), "month": t.Format("01"), "day": t.Format("02"),
		"hour": t.Format("15"), "minute": t.Format("04"), "second": t.Format("05"),
		"i_day": strconv.Itoa(t.Day()), "i_month": strconv.Itoa(int(t.Month())),
		"short_year": t.Format("06"), "short_month": t.Format("Jan"), "long_month": t.Format("January"),
		"y_day": t.Format("002"), "week": strconv.Itoa(w/10) + strconv.Itoa(w%10),
		"w_year": strconv.Itoa(y), "w_day": strconv.Itoa((int(t.Weekday())+6)%7 + 1),
		"short_day": t.Format("Mon"), "long_day": t.Format("Monday"),
	}
}

// jekyllPlaceholder is a permalink template's placeholder.
var jekyllPlaceholder = regexp.MustCompile(`:([a-z_]+)`)

// jekyllURL fills the placeholders of tmpl (an unknown one is left as
// written) and cleans the result as Jekyll's URL class does: a leading
// '/', ".." and "./" dropped, runs of '/' made one.
func jekyllURL(tmpl string, ph map[string]string) string {
	u := jekyllPlaceholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[1:]
		v, ok := ph[name]
		if !ok && strings.HasSuffix(name, "_") {
			v, ok = ph[strings.TrimSuffix(name, "_")]
		}
		if !ok {
			return m
		}
		return escapeJekyllPath(v)
	})
	u = strings.ReplaceAll("/"+u, "..", "/")
	u = strings.ReplaceAll(u, "./", "")
	for strings.Contains(u, "//") {
		u = strings.ReplaceAll(u, "//", "/")
	}
	// The URL names the file; links are compared unescaped.
	if v, err := url.PathUnescape(u); err == nil {
		u = v
	}
	return u
}

// escapeJekyllPath is a placeholder's value in a URL; links are compared
// with routes unescaped, so only what changes the path is kept: '#' would
// end it.
func escapeJekyllPath(s string) string { return strings.ReplaceAll(s, "#", "%23") }

// jekyllSlug is Jekyll's slugify in its default mode (runs of anything
// but letters, marks and digits made one '-') or, pretty, its pretty mode
// (which keeps ._~!$&'()+,;=@ too); the ends' '-' trimmed, lower-cased
// unless cased.
func jekyllSlug(s string, pretty, cased bool) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		keep := unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) ||
			pretty && strings.ContainsRune("._~!$&'()+,;=@", r)
		if !keep {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
	}
	if cased {
		return b.String()
	}
	return strings.ToLower(b.String())
}

// jekyllFile is the file the URL u (a route, with its leading '/') is
// written to, relative to the site's output: a URL ending in '/' is its
// index.html, one without ".html" gets it.
func jekyllFile(u string) string {
	f := strings.TrimPrefix(u, "/")
	switch {
	case f == "" || strings.HasSuffix(f, "/"):
		return f + "index.html"
	case strings.HasSuffix(f, ".html"):
		return f
	}
	return f + ".html"
}

// served are the files that may answer a request for the URL path u
// (with its leading '/'), as GitHub Pages serves a site: a folder's URL
// its index.html, another URL the file, the file with ".html" or the
// folder's index.html it redirects to.
func served(u string) []string {
	f := strings.TrimPrefix(u, "/")
	if f == "" || strings.HasSuffix(f, "/") {
		return []string{f + "index.html"}
	}
	return []string{f, f + ".html", f + "/index.html"}
}

// jekyllKey is the name key of the links that may name the URL or file u
// in a Jekyll site: its last name, its extension and a folder's
// index.html dropped (about.html, about/ and about/index.html all have
// "about"), so that a page or file coming or going re-checks them.
func jekyllKey(u string) string {
	u = strings.TrimSuffix(u, "/")
	if path.Base(u) == "index.html" {
		u = path.Dir(u)
	}
	u = path.Clean(u)
	if b := path.Base(u); b != "." && b != ".." && b != "/" {
		u = strings.TrimSuffix(u, path.Ext(b))
	}
	return NameKey(u)
}

// liquidLink is a link target that is one of Jekyll's link tags, after
// an optional output such as {{ site.baseurl }}: {% link PATH %} names a
// file of the site by its path, {% post_url NAME %} a post by its file's
// name without the extension, after the folders around its _posts
// (2024-01-15-welcome; blog/2024-02-01-news for blog/_posts/2024-02-01-news.md).
var liquidLink = regexp.MustCompile(`^(\{\{[^{}]*\}\})?\{%-?\s*(link|post_url)\s+([^\s{}%]+)\s*-?%\}$`)

// findLiquid matches liquidLink, without running the regular expression on
// the targets that hold no tag: every other link of a Jekyll site.
func findLiquid(t string) []string {
	if !strings.Contains(t, "{%") {
		return nil
	}
	return liquidLink.FindStringSubmatch(t)
}

// resolveLiquid resolves a Jekyll link tag (see liquidLink); false when t
// is none. Jekyll's build fails on a tag that names nothing.
func (x *Index) resolveLiquid(t string) (Resolution, bool) {
	m := findLiquid(t)
	if m == nil {
		return Resolution{}, false
	}
	j := x.opts.Jekyll
	name := strings.TrimPrefix(m[3], "/")
	if m[2] == "link" {
		p, ok := joinClean(".", name)
		if !ok {
			return Resolution{Outside: true}, true
		}
		p = j.abs(p)
		if _, ok := x.exact[p]; ok {
			return Resolution{Path: p}, true
		}
		return Resolution{Probe: []string{p}}, true
	}
	var posts []string
	for _, k := range liquidKeys(t) {
		for _, p := range x.names[k] {
			if post, ok := j.postName(p); ok && post == name {
				posts = append(posts, p)
			}
		}
	}
	if len(posts) > 0 {
		return Resolution{Path: minPath(posts)}, true
	}
	return Resolution{Probe: []string{j.abs(path.Join("_posts", name) + ".md")}}, true
}

// liquidKeys are the name keys a Jekyll link tag's file may be found
// under: that of the path it names, or those of the post it names with
// each Markdown extension; none when t is no such tag.
func liquidKeys(t string) []string {
	m := findLiquid(t)
	if m == nil {
		return nil
	}
	if m[2] == "link" {
		return []string{NameKey(m[3])}
	}
	base := path.Base(m[3])
	keys := []string{NameKey(base + ".md")}
	for _, ext := range []string{".markdown", ".mkdown", ".mkdn", ".mkd"} {
		keys = append(keys, NameKey(base+ext))
	}
	return keys
}

// postName returns the name post_url knows the post p (a path from the
// root) by, as Jekyll's PostComparer matches it: its path in the site's
// folder without its extension and its "_posts/" (_posts/2024-01-15-a.md
// is 2024-01-15-a, blog/_posts/2024-01-15-a.md blog/2024-01-15-a).
func (j *Jekyll) postName(p string) (string, bool) {
	p, in := j.rel(p)
	i := strings.LastIndex("/"+p, "/_posts/")
	if !in || i < 0 || !isJekyllMarkdown(p) {
		return "", false
	}
	stem := strings.TrimSuffix(p, path.Ext(p))
	return stem[:i] + stem[i+len("_posts/"):], true
}

// RewriteLiquid returns the Jekyll link tag target t with the file it
// names moved to np (a path from the root); false when t is no such tag,
// or np no post of the site for a post_url, or no file of its folder.
func (j *Jekyll) RewriteLiquid(t, np string) (string, bool) {
	m := liquidLink.FindStringSubmatchIndex(t)
	if m == nil {
		return "", false
	}
	name, in := j.rel(np)
	if !in {
		return "", false
	}
	if t[m[4]:m[5]] == "post_url" {
		post, ok := j.postName(np)
		if !ok {
			return "", false
		}
		name = post
	} else if strings.HasPrefix(t[m[6]:m[7]], "/") {
		name = "/" + name
	}
	return t[:m[6]] + name + t[m[7]:], true
}

// IsJekyllFileLink reports whether a Markdown link target of a Jekyll
// site's document names a Markdown file, which jekyll-relative-links
// turns into the file's URL, rather than a URL.
func IsJekyllFileLink(t string) bool { return isJekyllMarkdown(t) }

// resolveJekyll resolves a Markdown link of a Jekyll site's document src
// as GitHub Pages serves the built site: a Markdown path is a file, read as
// relative reads it; anything else is a URL, of a page Jekyll writes or a
// file it copies. A document Jekyll writes no page for (a draft, an
// include) has its relative URLs read from the site's root; one the site
// excludes (vendor/bundle/, _site/) is no part of it, and has its links
// read as relative reads them.
func (x *Index) resolveJekyll(src, t string) Resolution {
	j := x.opts.Jekyll
	base, ok := x.routeOf[src]
	if !ok {
		if rel, in := j.rel(src); !in || j.excluded(rel) {
			return x.resolveMarkdown(src, t) // no part of the site
		}
		// A draft, an include, a layout: shown at URLs of their own or
		// of other pages, all on the site.
		base = "/"
	}
	if IsJekyllFileLink(t) {
		// jekyll-relative-links makes a URL of a file of the site only.
		return built(j.Source, src, x.resolveMarkdown(src, t))
	}
	u := t
	if b := j.BaseURL; b != "" && strings.HasPrefix(u, "/") {
		if u != b && !strings.HasPrefix(u, b+"/") {
			// The site is served under its base URL: nothing is here.
			return Resolution{URL: u, Route: true}
		}
		u = "/" + strings.TrimPrefix(u[len(b):], "/")
	}
	u = resolveURL(base, u)
	var probe []string
	for _, f := range served(u) {
		if ps := x.routes[f]; len(ps) > 0 {
			return Resolution{Path: folderPage(ps)}
		}
		for _, c := range j.sources(f) {
			c = j.abs(c)
			if _, ok := x.exact[c]; ok {
				return Resolution{Path: c}
			}
			probe = append(probe, c)
		}
		if ps := x.redirects[f]; len(ps) > 0 {
			return Resolution{Path: minPath(ps), URL: u, Redirect: true}
		}
	}
	for _, g := range j.Generated {
		if ok, _ := doublestar.Match(g, strings.Trim(u, "/")); ok {
			return Resolution{External: true} // made by a plugin or the theme
		}
	}
	return Resolution{Probe: probe, URL: u, Route: true}
}

// Publishes reports whether Jekyll copies the file p (a path from the
// site's folder, not a page) into the site it builds: a scribe.yaml
// beside _config.yml is served at /scribe.yaml unless excluded.
func (j *Jekyll) Publishes(p string) bool { return len(j.sources(p)) > 0 }

// folderPage picks the page of ps, documents with one URL, that Jekyll
// writes there: a folder's index.md rather than its README.md, which
// jekyll-readme-index makes the folder's page only when it has no index.
func folderPage(ps []string) string {
	pages := slices.DeleteFunc(slices.Clone(ps), func(p string) bool {
		return strings.EqualFold(strings.TrimSuffix(path.Base(p), path.Ext(p)), "readme")
	})
	if len(pages) == 0 {
		pages = ps
	}
	return minPath(pages)
}

// sources are the files of the site that Jekyll would write to the output
// file f without making a page of them: f itself (an image, an HTML page),
// or for a CSS file the Sass file it is made from; none where Jekyll
// leaves such files out.
func (j *Jekyll) sources(f string) []string {
	if isJekyllMarkdown(f) || j.excluded(f) {
		return nil
	}
	for _, s := range strings.Split(f, "/") {
		if special(s) && !j.included(s) {
			return nil
		}
	}
	if stem, ok := strings.CutSuffix(f, ".css"); ok {
		return []string{f, stem + ".scss", stem + ".sass"}
	}
	return []string{f}
}

// jekyllHeadings returns doc with its headings' anchors as kramdown's GFM
// parser, Jekyll's default, makes them: the text lower-cased, anything
// but letters, marks, digits, '_', '-', spaces and tabs removed, each
// space or tab a '-', a repeat numbered "-1", "-2"... after the first; an
// explicit id ({#id}) is kept. doc is not changed.
func jekyllHeadings(doc *Document) *Document {
	if len(doc.Headings) == 0 {
		return doc
	}
	d := *doc
	d.Headings = make([]Heading, len(doc.Headings))
	copy(d.Headings, doc.Headings)
	count := map[string]int{}
	for i, h := range d.Headings {
		if h.Explicit {
			continue
		}
		// kramdown reads "---" and "--" as dashes, which are not kept.
		text := strings.ReplaceAll(strings.ReplaceAll(h.Text, "---", "\u2014"), "--", "\u2013")
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case r == ' ' || r == '\t':
				b.WriteByte('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || unicode.Is(unicode.Pc, r):
				b.WriteRune(r)
			}
		}
		id := b.String()
		n := count[id]
		count[id] = n + 1
		if n > 0 {
			id += "-" + strconv.Itoa(n)
		}
		d.Headings[i].Slug = id
	}
	return &d
}
