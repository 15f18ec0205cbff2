package links

import (
	"bytes"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestJekyllAgreesWithJekyll holds Jekyll sites (Options.Jekyll) to
// Jekyll itself: it builds testdata/jekyll, configured as GitHub Pages
// builds a site (kramdown's GFM input, jekyll-relative-links,
// jekyll-optional-front-matter, jekyll-readme-index) with
// jekyll-redirect-from, and checks each link of its links.md with Scribe
// and by looking in the built site for what GitHub Pages would serve at the
// link's URL as Jekyll wrote it into links.html (the page or file, the
// heading's id; a redirect page has none). It skips when jekyll or one of
// those plugins is not installed, unless SCRIBE_REQUIRE_JEKYLL is set (CI
// installs Debian's jekyll and those plugins).
func TestJekyllAgreesWithJekyll(t *testing.T) {
	jekyll, err := exec.LookPath("jekyll")
	if err != nil {
		if os.Getenv("SCRIBE_REQUIRE_JEKYLL") != "" {
			t.Fatal("jekyll is not installed (SCRIBE_REQUIRE_JEKYLL is set)")
		}
		t.Skip("jekyll is not installed")
	}
	site, out := t.TempDir(), t.TempDir()
	if err := os.CopyFS(site, os.DirFS("testdata/jekyll")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(jekyll, "build", "--quiet", "--source", site, "--destination", out, "--disable-disk-cache")
	cmd.Dir = site
	if b, err := cmd.CombinedOutput(); err != nil {
		if bytes.Contains(b, []byte("Dependency Error")) && os.Getenv("SCRIBE_REQUIRE_JEKYLL") == "" {
			t.Skipf("a plugin the fixture uses is not installed (.ci/run installs them):\n%s", b)
		}
		t.Fatalf("jekyll build: %v\n%s", err, b)
	}
	built, err := os.ReadFile(filepath.Join(out, "links.html"))
	if err != nil {
		t.Fatal(err)
	}
	// The links as Jekyll wrote them, in order: its plugins turn links to
	// Markdown files into the files' URLs.
	var hrefs []string
	for _, m := range regexp.MustCompile(`<(?:a href|img src)="([^"]*)"`).FindAllSubmatch(built, -1) {
		hrefs = append(hrefs, html.UnescapeString(string(m[1])))
	}

	j := ReadJekyllSite(osStat(site), osRead(site))
	_, doc, scribe := checkSite(t, Options{Jekyll: j}, site, "links.md", 60)
	if len(hrefs) != len(doc.Links) {
		t.Fatalf("links.html has %d links, links.md %d", len(hrefs), len(doc.Links))
	}
	base, _ := url.Parse("https://example.org/links.html")
	for i, l := range doc.Links {
		u, err := base.Parse(hrefs[i])
		if err != nil {
			t.Fatalf("%s: %v", hrefs[i], err)
		}
		jekyllOK := false
		for _, f := range served(u.Path) {
			b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(f)))
			if err != nil {
				continue
			}
			jekyllOK = u.Fragment == "" || bytes.Contains(b, []byte(`id="`+u.Fragment+`"`))
			break
		}
		if scribeOK := !scribe[l.Raw]; scribeOK != jekyllOK {
			t.Errorf("%s: Scribe says resolved %v, Jekyll built %s: %v", l.Raw, scribeOK, path.Clean(u.Path), jekyllOK)
		}
	}
	t.Logf("%d links, %d broken", len(doc.Links), len(scribe))
}

func osStat(dir string) func(string) (os.FileInfo, error) {
	return func(name string) (os.FileInfo, error) { return os.Stat(filepath.Join(dir, name)) }
}

func osRead(dir string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
}

// TestJekyllRoute holds the URLs of a Jekyll site's documents to those
// Jekyll 4.3 writes (the first group as its build of testdata/jekyll
// wrote them).
func TestJekyllRoute(t *testing.T) {
	def := JekyllSite()
	def.Collections["docs"] = ""
	pretty := JekyllSite()
	pretty.Permalink = "pretty"
	custom := JekyllSite()
	custom.Permalink = "/blog/:year/:title/"
	custom.CollectionsDir = "content"
	for _, tc := range []struct {
		j    *Jekyll
		path string
		f    pageFields
		want string // "" for none
	}{
		{def, "index.md", pageFields{}, "/"},
		{def, "about.md", pageFields{permalink: "/about/"}, "/about/"},
		{def, "contact.markdown", pageFields{}, "/contact.html"},
		{def, "docs/README.md", pageFields{}, "/docs/"},
		{def, "docs/install.md", pageFields{}, "/docs/install.html"},
		{def, "notes/old.md", pageFields{permalink: "/archive/old-notes.html"}, "/archive/old-notes.html"},
		{def, "_posts/2024-01-15-welcome.md", pageFields{categories: "news"}, "/news/2024/01/15/welcome.html"},
		{def, "blog/_posts/2024-02-01-second-post.md", pageFields{slug: "custom-slug"}, "/blog/2024/02/01/custom-slug.html"},
		{def, "_posts/2024-03-01-dated.md", pageFields{date: "2024-03-05 10:00:00", categories: "Release Notes"}, "/release notes/2024/03/05/dated.html"},
		{def, "_posts/2024-04-01-unpublished.md", pageFields{unpublished: true}, ""},
		{def, "_docs/intro.md", pageFields{}, "/docs/intro.html"},
		{def, "_drafts/draft.md", pageFields{}, ""},
		{def, "_includes/note.md", pageFields{}, ""},
		{def, "_posts/undated.md", pageFields{}, ""},
		{def, "node_modules/pkg/README.md", pageFields{}, ""},
		{def, "_site/about.md", pageFields{}, ""},
		{def, "docs/Index.md", pageFields{}, "/docs/Index.html"},
		{def, "_posts/2024-01-15-a b.md", pageFields{}, "/2024/01/15/a-b.html"}, // :title is slugified
		{def, "_posts/2024-01-15-post.md", pageFields{categories: "a\nA\nb"}, "/a/b/2024/01/15/post.html"},
		{def, "_posts/2024-01-15-post.md", pageFields{permalink: "/:categories/:title/"}, "/post/"},
		{pretty, "about.md", pageFields{}, "/about/"},
		{pretty, "docs/index.md", pageFields{}, "/docs/"},
		{pretty, "_posts/2024-01-15-welcome.md", pageFields{}, "/2024/01/15/welcome/"},
		{pretty, "_docs/intro.md", pageFields{}, ""}, // docs not output here
		{custom, "content/_posts/2024-01-15-welcome.md", pageFields{}, "/blog/2024/welcome/"},
		{custom, "_posts/2024-01-15-welcome.md", pageFields{}, "/_posts/2024-01-15-welcome/"[:0]},
		{custom, "about.md", pageFields{}, "/about/"},
	} {
		got, ok := tc.j.route(tc.path, tc.f)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("route(%q, %+v) = %q, %v; want %q", tc.path, tc.f, got, ok, tc.want)
		}
	}
}

// TestReadJekyllSite reads the settings of a site's _config.yml that
// place its pages.
func TestReadJekyllSite(t *testing.T) {
	dir := t.TempDir()
	if ReadJekyllSite(osStat(dir), osRead(dir)) != nil {
		t.Fatal("a folder without _config.yml is no Jekyll site")
	}
	cfg := "baseurl: /project/\npermalink: pretty\ncollections_dir: content\ncollections:\n  recipes:\n    output: true\n    permalink: /r/:name/\n  staff:\n    output: false\n  posts:\n    permalink: /p/:title/\nexclude: [drafts/]\n"
	if err := os.WriteFile(filepath.Join(dir, JekyllConfig), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	j := ReadJekyllSite(osStat(dir), osRead(dir))
	if j.BaseURL != "/project" || j.Permalink != "pretty" || j.CollectionsDir != "content" {
		t.Errorf("read %+v", j)
	}
	if j.Collections["recipes"] != "/r/:name/" || j.Collections["posts"] != "/p/:title/" {
		t.Errorf("collections %v", j.Collections)
	}
	if _, ok := j.Collections["staff"]; ok {
		t.Errorf("staff is not output: %v", j.Collections)
	}
	if !j.excluded("drafts/x.md") || !j.excluded("node_modules/x.md") || j.excluded("docs/x.md") {
		t.Errorf("excludes %v", j.Exclude)
	}
	if j.Redirects || j.Defaults != nil {
		t.Errorf("redirects or defaults the configuration does not give: %+v", j)
	}
	defaults := "defaults:\n  - scope: {path: guides/}\n    values: {permalink: /g/:basename/, layout: x}\n" +
		"  - scope: {path: '', type: posts}\n    values: {layout: post}\n  - scope: {type: pages}\n    values: {permalink: /:basename/}\n"
	if err := os.WriteFile(filepath.Join(dir, JekyllConfig), []byte(defaults), 0o644); err != nil {
		t.Fatal(err)
	}
	defaults += "  - scope: {path: odd}\n    values: {permalink: [not, a, string]}\n"
	want := []JekyllDefault{{Path: "guides/", Permalink: "/g/:basename/"}, {Type: "pages", Permalink: "/:basename/"}}
	if j := ReadJekyllSite(osStat(dir), osRead(dir)); !slices.Equal(j.Defaults, want) {
		t.Errorf("defaults %+v, want %+v", j.Defaults, want)
	}
	for _, cfg := range []string{"plugins: [jekyll-feed, jekyll-redirect-from]\n", "gems:\n  - jekyll-redirect-from\n"} {
		if err := os.WriteFile(filepath.Join(dir, JekyllConfig), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		if j := ReadJekyllSite(osStat(dir), osRead(dir)); !j.Redirects {
			t.Errorf("%q: no redirects", cfg)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, JekyllConfig), []byte("permalink: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if j := ReadJekyllSite(osStat(dir), osRead(dir)); j == nil || j.Permalink != "date" {
		t.Errorf("a _config.yml that does not parse leaves the defaults: %+v", j)
	}
}

// TestCheckJekyllBaseURL reads links written with a project site's base
// URL as the site serves them.
func TestCheckJekyllBaseURL(t *testing.T) {
	j := JekyllSite()
	j.BaseURL = "/project"
	g := NewGraph(Options{Jekyll: j})
	g.Update("about.md", []byte("# About\n"))
	src := "[a](/project/about.html) [b](/project/about) [c](/about.html) [d](/project/nowhere) [e]({{ site.baseurl }}/about.html)\n"
	g.Update("index.md", []byte(src))
	doc := Parse([]byte(src))
	var broken []string
	for _, p := range g.Check("index.md", doc, func(string) bool { return false }) {
		broken = append(broken, p.Link.Raw+" "+p.Suggestion)
	}
	want := []string{"[c](/about.html) [c](/project/about.html)", "[d](/project/nowhere) "}
	if strings.Join(broken, "|") != strings.Join(want, "|") {
		t.Errorf("broken %q, want %q", broken, want)
	}
}

// TestCheckJekyllGenerated: the files plugins and themes make are not
// checked, and nothing else is taken for one.
func TestCheckJekyllGenerated(t *testing.T) {
	g := NewGraph(Options{Jekyll: JekyllSite()})
	src := "[a](/feed.xml) [b](/page2/) [c](/page10/index.html) [d](/pages/x.html) [e](/sitemap.xml) [f](/assets/main.css) [g](/assets/other.css)\n"
	g.Update("index.md", []byte(src))
	doc := Parse([]byte(src))
	var broken []string
	for _, p := range g.Check("index.md", doc, func(string) bool { return false }) {
		broken = append(broken, p.Link.Raw)
	}
	if want := []string{"[d](/pages/x.html)", "[g](/assets/other.css)"}; !slices.Equal(broken, want) {
		t.Errorf("broken %q, want %q", broken, want)
	}
}

// TestCheckJekyllIndexOverReadme: a folder's URL is its index.md's page
// when it has a README.md too, as jekyll-readme-index leaves it.
func TestCheckJekyllIndexOverReadme(t *testing.T) {
	g := NewGraph(Options{Jekyll: JekyllSite()})
	g.Update("docs/README.md", []byte("# Readme\n\n## Only in the README\n"))
	g.Update("docs/index.md", []byte("# Docs\n\n## Only in the index\n"))
	src := "[a](/docs/#only-in-the-index) [b](/docs/#only-in-the-readme)\n"
	g.Update("links.md", []byte(src))
	var broken []string
	for _, p := range g.Check("links.md", Parse([]byte(src)), nil) {
		broken = append(broken, p.Link.Raw)
	}
	if want := []string{"[b](/docs/#only-in-the-readme)"}; !slices.Equal(broken, want) {
		t.Errorf("broken %q, want %q", broken, want)
	}
}

// TestCheckJekyllLiquid: Jekyll's link tags name files and posts, which
// must exist (Jekyll's build fails on one that names nothing); outside a
// Jekyll site they are templates, not checked.
func TestCheckJekyllLiquid(t *testing.T) {
	src := "[a]({% link about.md %}#team) [b]({% link missing.md %}) [c]({% post_url 2024-01-15-hello %}) [d]({% post_url 2024-01-15-nope %})\n" +
		"[e]({{ site.baseurl }}{% post_url blog/2024-02-01-news %}#more) [f]({% post_url 2024-02-01-news %}) [g]({%- link /about.md -%}#nowhere)\n"
	files := map[string]string{
		"about.md": "# About\n\n## Team\n", "_posts/2024-01-15-hello.markdown": "# Hello\n", "blog/_posts/2024-02-01-news.md": "# News\n\n## More\n",
		"index.md": src,
	}
	for _, opts := range []Options{{Jekyll: JekyllSite()}, {}} {
		g := vault(t, opts, files)
		var broken []string
		for _, p := range g.Check("index.md", Parse([]byte(src)), func(string) bool { return false }) {
			broken = append(broken, p.Link.Raw)
		}
		want := []string{"[b]({% link missing.md %})", "[d]({% post_url 2024-01-15-nope %})", "[f]({% post_url 2024-02-01-news %})", "[g]({%- link /about.md -%}#nowhere)"}
		if opts.Jekyll == nil {
			want = nil
		}
		if !slices.Equal(broken, want) {
			t.Errorf("Jekyll %v: broken %q, want %q", opts.Jekyll != nil, broken, want)
		}
	}
	for _, tc := range []struct{ t, np, want string }{
		{"{% link about.md %}", "docs/about-us.md", "{% link docs/about-us.md %}"},
		{"{{ site.baseurl }}{%- link /about.md -%}", "about-us.md", "{{ site.baseurl }}{%- link /about-us.md -%}"},
		{"{% post_url 2024-01-15-Hello %}", "_posts/2024-01-15-hello.md", "{% post_url 2024-01-15-hello %}"},
		{"{% post_url 2024-01-15-hello %}", "blog/_posts/2024-01-15-hello.md", "{% post_url blog/2024-01-15-hello %}"},
		{"{% post_url 2024-01-15-hello %}", "drafts/hello.md", ""},
		{"/about.html", "about-us.md", ""},
	} {
		got, ok := JekyllSite().RewriteLiquid(tc.t, tc.np)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("RewriteLiquid(%q, %q) = %q, want %q", tc.t, tc.np, got, tc.want)
		}
	}
}

// TestJekyllDefaults picks the permalink of the most specific scope, as
// Jekyll's FrontMatterDefaults merges them, and never over the page's own.
func TestJekyllDefaults(t *testing.T) {
	j := JekyllSite()
	j.Defaults = []JekyllDefault{
		{Path: "", Type: "pages", Permalink: "/p/:basename/"},
		{Path: "guides", Permalink: "/g/:basename/"},
		{Path: "guides/deep", Type: "pages", Permalink: "/deep/:basename/"},
		{Path: "guides/deep", Permalink: "/untyped/:basename/"}, // the typed one wins at the same length
		{Path: "notes/*/", Permalink: "/n/:basename/"},
		{Type: "posts", Permalink: "/blog/:title/"},
	}
	for _, c := range []struct {
		p    string
		f    pageFields
		want string
	}{
		{"about.md", pageFields{}, "/p/about/"},
		{"guides/setup.md", pageFields{}, "/g/setup/"},
		{"guides-old/setup.md", pageFields{}, "/g/setup/"}, // a scope path is a prefix of the path's text
		{"guides/deep/page.md", pageFields{}, "/deep/page/"},
		{"guides/own.md", pageFields{permalink: "/own/"}, "/own/"},
		{"notes/a/b.md", pageFields{}, "/n/b/"},
		{"notes/b.md", pageFields{}, "/p/b/"},
		{"_posts/2024-01-15-hello.md", pageFields{}, "/blog/hello/"},
	} {
		if got, ok := j.route(c.p, c.f); !ok || got != c.want {
			t.Errorf("route(%q, %+v) = %q, %v; want %q", c.p, c.f, got, ok, c.want)
		}
	}
}

// TestJekyllSource: a Jekyll site in a folder of the root (GitHub Pages
// building docs/) has its pages, posts and link tags read from that
// folder; a page's link to a Markdown file outside it, which
// jekyll-relative-links cannot make a URL of, is reported; the README
// beside it reads its links as relative paths.
func TestJekyllSource(t *testing.T) {
	j := JekyllSite()
	j.Source = "docs"
	g := NewGraph(Options{Jekyll: j, SiteDir: "docs"})
	g.Update("README.md", []byte("# Project\n\n[docs](docs/index.md) [about](docs/about.md#about)\n"))
	g.Update("CONTRIBUTING.md", []byte("# Contributing\n"))
	g.Update("docs/about.md", []byte("# About\n"))
	g.Update("docs/_posts/2024-01-15-hello.md", []byte("# Hello\n"))
	src := "[a](/about.html) [b](about.md) [c]({% link about.md %}) [d]({% post_url 2024-01-15-hello %}) [e](/2024/01/15/hello.html)\n" +
		"[f](../CONTRIBUTING.md) [g](/docs/about.html) [h]({% link docs/about.md %})\n"
	g.Update("docs/index.md", []byte(src))
	var got []string
	for _, p := range g.Check("docs/index.md", Parse([]byte(src)), nil) {
		got = append(got, p.Message())
	}
	want := []string{
		`broken link [f](../CONTRIBUTING.md): "CONTRIBUTING.md" is outside docs/, where the site's build looks for this link's file`,
		`broken link [g](/docs/about.html): the site serves nothing at "/docs/about.html" (no page has that URL, and there is no file docs/docs/about.html)`,
		`broken link [h]({% link docs/about.md %}): "docs/docs/about.md" does not exist`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	readme := "# Project\n\n[docs](docs/index.md) [about](docs/about.md#about)\n"
	if probs := g.Check("README.md", Parse([]byte(readme)), nil); len(probs) != 0 {
		t.Errorf("the README's links: %v", probs)
	}
	if got, ok := j.RewriteLiquid("{% link about.md %}", "docs/guide/about.md"); !ok || got != "{% link guide/about.md %}" {
		t.Errorf("RewriteLiquid to docs/guide/about.md = %q, %v", got, ok)
	}
	if _, ok := j.RewriteLiquid("{% link about.md %}", "about.md"); ok {
		t.Error("RewriteLiquid to a file outside the site's folder: want false")
	}
}
