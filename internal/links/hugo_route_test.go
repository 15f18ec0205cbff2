package links

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHugoRoute gives pages the URLs Hugo 0.111 wrote for them in a site
// built with these paths and front matter (testdata/hugo holds the same
// shapes, held to the build by TestSiteAgreesWithHugo).
func TestHugoRoute(t *testing.T) {
	s := HugoSite()
	for _, c := range []struct {
		p    string
		f    pageFields
		want string
	}{
		{"content/_index.md", pageFields{}, "/"},
		{"content/docs/_index.md", pageFields{slug: "sectionslug"}, "/docs/"}, // a section keeps its folder's URL
		{"content/docs/install.md", pageFields{}, "/docs/install/"},
		{"content/docs/install.md", pageFields{slug: "setup"}, "/docs/setup/"},
		{"content/docs/install.md", pageFields{slug: "Big Slug"}, "/docs/big-slug/"},
		{"content/posts/trip/index.md", pageFields{slug: "journey"}, "/posts/journey/"},
		{"content/docs/custom.md", pageFields{url: "/custom/path/"}, "/custom/path/"},
		{"content/docs/rel.md", pageFields{url: "relurl"}, "/relurl/"},
		{"content/blog/m.md", pageFields{url: "Mixed/Case"}, "/Mixed/Case/"}, // a url keeps its case
		{"content/docs/ext.md", pageFields{url: "/legacy/page.html"}, "/legacy/page.html"},
		{"content/docs/My Page.md", pageFields{}, "/docs/my-page/"},
		{"content/blog/Ünïcode Café & Co (2).md", pageFields{}, "/blog/ünïcode-café-co-2/"},
		{"content/My Docs/Sub Page.md", pageFields{}, "/my-docs/sub-page/"},
		{"content/x/a - b  c.md", pageFields{}, "/x/a-b-c/"},
		{"content/x/C++ & C#.md", pageFields{}, "/x/c++-c#/"},
		{"content/x/100%25 sure.md", pageFields{}, "/x/100%25-sure/"},
	} {
		got, ok := s.route(c.p, c.f)
		if !ok || got != c.want {
			t.Errorf("route(%q, %+v) = %q, %v; want %q", c.p, c.f, got, ok, c.want)
		}
	}
	s.Permalinks = map[string]string{"posts": "/:year/:month/:day/:title/", "notes": "/n/:sections/:filename/:slug",
		"odd": "/:monthname/:weekday/:weekdayname/:yearday/:slugorfilename/", "rel": ":section/:nope/:title"}
	for _, c := range []struct {
		p    string
		f    pageFields
		want string
	}{ // as Hugo 0.111 wrote them with these permalinks
		{"content/posts/hello.md", pageFields{title: "Hello, World & Co!", date: "2024-03-05 10:00:00"}, "/2024/03/05/hello-world-co/"},
		{"content/posts/2024/nested.md", pageFields{title: "Nested Post", date: "2024-12-31 00:00:00", slug: "Custom Slug"}, "/2024/12/31/nested-post/"},
		{"content/posts/nodate.md", pageFields{title: "No Date"}, "/1/01/01/no-date/"},
		{"content/posts/t.md", pageFields{title: "Toml Post", date: "2023-01-02 00:00:00", url: "/fixed/"}, "/fixed/"},
		{"content/posts/_index.md", pageFields{title: "Posts"}, "/posts/"},
		{"content/notes/My Note.md", pageFields{title: "A Note"}, "/n/notes/my-note/a-note/"},
		{"content/notes/b.md", pageFields{title: "B Note", slug: "bee"}, "/n/notes/b/bee/"},
		{"content/odd/hello.md", pageFields{date: "2024-03-05 10:00:00"}, "/march/2/tuesday/65/hello/"},
		{"content/odd/n.md", pageFields{date: "2024-12-31 00:00:00", slug: "Custom Slug"}, "/december/2/tuesday/366/custom-slug/"},
		{"content/odd/trip/index.md", pageFields{}, "/january/1/monday/1/trip/"},
		{"content/rel/a.md", pageFields{title: "A"}, "/rel/nope/a/"}, // Hugo fails the build on a token it does not know
		{"content/top.md", pageFields{title: "Top"}, "/top/"},        // no section
	} {
		got, ok := s.route(c.p, c.f)
		if !ok || got != c.want {
			t.Errorf("route(%q, %+v) = %q, %v; want %q", c.p, c.f, got, ok, c.want)
		}
	}
	for _, p := range []string{"README.md", "content/img.png", "static/x.md"} {
		if r, ok := s.route(p, pageFields{}); ok {
			t.Errorf("route(%q) = %q: no page", p, r)
		}
	}
}

func TestReadHugoSite(t *testing.T) {
	want := map[string]string{"posts": "/:year/:title/"}
	for name, cfg := range map[string]string{
		"hugo.toml":                       "title = 'x'\n[permalinks]\n  posts = '/:year/:title/'\n",
		"hugo.yaml":                       "permalinks:\n  posts: /:year/:title/\n",
		"config.json":                     `{"permalinks": {"posts": "/:year/:title/"}}`,
		"config/_default/hugo.toml":       "[permalinks.page]\nposts = '/:year/:title/'\n[permalinks.section]\nposts = '/p/'\n",
		"config/_default/permalinks.yaml": "posts: /:year/:title/\n",
	} {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "config/_default"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := ReadHugoSite(HugoSite(), osStat(dir), osRead(dir)).Permalinks; !maps.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	// A multilingual site as Docsy lays one out.
	dir := t.TempDir()
	cfg := "contentDir = 'content/en'\ndefaultContentLanguage = 'en'\n[languages.en]\nweight = 1\n" +
		"[languages.fr]\ncontentDir = 'content/fr'\n[languages.de]\nweight = 3\n"
	if err := os.WriteFile(filepath.Join(dir, "hugo.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s := ReadHugoSite(HugoSite(), osStat(dir), osRead(dir))
	if s.Content != "content/en" || s.DefaultLanguage != "en" || s.DefaultInSubdir || !maps.Equal(s.Languages, map[string]string{"fr": "content/fr", "de": ""}) {
		t.Errorf("read %+v", s)
	}
	// The default language's own folder, in config/_default/languages.yaml.
	dir = t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "config/_default"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config/_default/languages.yaml"), []byte("ja:\n  contentDir: content/ja\nen:\n  contentDir: content/en\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config/_default/hugo.yaml"), []byte("defaultContentLanguage: ja\ndefaultContentLanguageInSubdir: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = ReadHugoSite(HugoSite(), osStat(dir), osRead(dir))
	if s.Content != "content/ja" || s.DefaultLanguage != "ja" || !s.DefaultInSubdir || !maps.Equal(s.Languages, map[string]string{"en": "content/en"}) {
		t.Errorf("read %+v", s)
	}
	for cfg, why := range map[string]string{"title = 'x'\n": "no settings", "[permalinks\n": "does not parse"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "hugo.toml"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		if s := ReadHugoSite(HugoSite(), osStat(dir), osRead(dir)); s.Permalinks != nil || s.Languages != nil || s.Content != "content" {
			t.Errorf("%s: %+v", why, s)
		}
	}
}

// TestHugoLanguages gives a multilingual site's pages the URLs Hugo 0.111
// wrote for them: a language's own content folder under its code, a
// translation by its file's name beside the default language's pages.
func TestHugoLanguages(t *testing.T) {
	s := HugoSite()
	s.Languages = map[string]string{"fr": "content-fr", "de": ""}
	s.Permalinks = map[string]string{"news": "/:year/:slug/"}
	for p, want := range map[string]string{
		"content/docs/install.md":    "/docs/install/",
		"content-fr/docs/install.md": "/fr/docs/install/",
		"content/docs/about.de.md":   "/de/docs/about/",
		"content/docs/page.en.md":    "/docs/page/",
		"content/docs/_index.de.md":  "/de/docs/",
		"content-fr/_index.md":       "/fr/",
		"content/docs/v1.2.md":       "/docs/v1.2/", // no language of the site
	} {
		if got, ok := s.route(p, pageFields{}); !ok || got != want {
			t.Errorf("route(%q) = %q, %v; want %q", p, got, ok, want)
		}
	}
	if got, _ := s.route("content-fr/news/n.md", pageFields{title: "Nouvelle", date: "2024-01-02 00:00:00"}); got != "/fr/2024/nouvelle/" {
		t.Errorf("a translation's permalink: %q", got)
	}
	g := NewGraph(Options{Site: s})
	g.Update("content-fr/docs/install.md", []byte("## Étapes\n"))
	g.Update("content/docs/install.md", []byte("## Steps\n"))
	src := "[a](/fr/docs/install/#étapes) [b](../install/) [c]({{< ref \"install\" >}}) [d](/fr/docs/nowhere/)\n"
	g.Update("content-fr/docs/guide.md", []byte(src))
	probs := g.Check("content-fr/docs/guide.md", Parse([]byte(src)), nil)
	if len(probs) != 1 || probs[0].Link.Raw != "[d](/fr/docs/nowhere/)" {
		t.Errorf("problems %v", probs)
	}
	if r := g.Resolve("content-fr/docs/guide.md", Link{Kind: Inline, Target: `{{< ref "install" >}}`}); r.Path != "content-fr/docs/install.md" {
		t.Errorf("a ref from a French page: %q", r.Path)
	}

	// A language's home (/fr/) is served while its folder holds a page: a
	// link to it is checked again when the folder's first page comes and
	// its last one goes.
	g = NewGraph(Options{Site: s})
	home := "[fr](/fr/)\n"
	g.Update("content/index.md", []byte(home))
	check := func(when string, broken bool) {
		t.Helper()
		if probs := g.Check("content/index.md", Parse([]byte(home)), nil); (len(probs) > 0) != broken {
			t.Errorf("%s: problems %v, want broken %v", when, probs, broken)
		}
	}
	check("no French page", true)
	if aff := g.Update("content-fr/docs/a.md", []byte("# A\n")); !slices.Contains(aff, "content/index.md") {
		t.Errorf("the first French page: affected %v", aff)
	}
	check("a French page", false)
	if aff := g.Remove("content-fr/docs/a.md"); !slices.Contains(aff, "content/index.md") {
		t.Errorf("the last French page gone: affected %v", aff)
	}
	check("the French page gone", true)
}

// TestCheckHugoElsewhere: a link to a page by its file's path, which its
// slug or its section's permalinks serve elsewhere, says so, and suggests
// the page's URL in the link's style.
func TestCheckHugoElsewhere(t *testing.T) {
	s := HugoSite()
	s.Permalinks = map[string]string{"news": "/:year/:slug/"}
	g := NewGraph(Options{Site: s})
	g.Update("content/news/first.md", []byte("---\ntitle: First Story\ndate: 2024-03-05\n---\n"))
	g.Update("content/docs/a.md", []byte("---\nslug: start\n---\n"))
	src := "[x](/news/first/) [y](../../news/first/) [z](../a/) [w](/docs/a)\n"
	g.Update("content/docs/b.md", []byte(src))
	want := map[string]string{
		"[x](/news/first/)":      "[x](/2024/first-story/)",
		"[y](../../news/first/)": "[y](../../2024/first-story/)",
		"[z](../a/)":             "[z](../start/)",
		"[w](/docs/a)":           "[w](/docs/start/)",
	}
	probs := g.Check("content/docs/b.md", Parse([]byte(src)), nil)
	if len(probs) != len(want) {
		t.Fatalf("%d problems, want %d: %v", len(probs), len(want), probs)
	}
	for _, p := range probs {
		if p.Suggestion != want[p.Link.Raw] || p.Elsewhere == "" || !strings.Contains(p.Message(), "is served at another URL") {
			t.Errorf("%s: %q, suggestion %q; want %q", p.Link.Raw, p.Message(), p.Suggestion, want[p.Link.Raw])
		}
	}
}

// TestCheckDrafts: a draft (front matter draft: true), which hugo and a
// Docusaurus production build leave out, serves nothing, and a link to
// it says so; a ref to it names no page; it is served again when it is
// no longer a draft.
func TestCheckDrafts(t *testing.T) {
	g := NewGraph(Options{Site: HugoSite()})
	g.Update("content/docs/wip.md", []byte("---\ndraft: true\n---\n## Notes\n"))
	src := "[a](/docs/wip/) [b]({{< ref \"docs/wip.md\" >}}) [c](../wip/#notes)\n"
	g.Update("content/docs/guide.md", []byte(src))
	var got []string
	for _, p := range g.Check("content/docs/guide.md", Parse([]byte(src)), nil) {
		got = append(got, p.Message())
	}
	want := []string{
		`broken link [a](/docs/wip/): no page of the site is at "/docs/wip/" (content/docs/wip.md is a draft, which the site's build leaves out)`,
		`broken link [b]({{< ref "docs/wip.md" >}}): no page is at "docs/wip.md" (Hugo's build fails on this ref)`,
		`broken link [c](../wip/#notes): no page of the site is at "/docs/wip/" (content/docs/wip.md is a draft, which the site's build leaves out)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A draft's own links are read as the page's will be.
	draft := "---\ndraft: true\n---\n## Notes\n\n[guide](/docs/guide/) [up](../guide/) [gone](/docs/gone/)\n"
	g.Update("content/docs/wip.md", []byte(draft))
	if probs := g.Check("content/docs/wip.md", Parse([]byte(draft)), nil); len(probs) != 1 || probs[0].Link.Raw != "[gone](/docs/gone/)" {
		t.Errorf("the draft's own links: %v", probs)
	}
	if aff := g.Update("content/docs/wip.md", []byte("## Notes\n")); !slices.Contains(aff, "content/docs/guide.md") {
		t.Errorf("no longer a draft: affected %v", aff)
	}
	if probs := g.Check("content/docs/guide.md", Parse([]byte(src)), nil); len(probs) != 0 {
		t.Errorf("no longer a draft: %v", probs)
	}

	d := NewGraph(Options{Docusaurus: DocusaurusSite()})
	d.Update("docs/wip.md", []byte("---\ndraft: true\n---\n# WIP\n"))
	d.Update("docs/intro.md", []byte("[wip](/docs/wip)\n"))
	if r := d.Resolve("docs/intro.md", Link{Kind: Inline, Target: "/docs/wip"}); r.OK() {
		t.Errorf("a Docusaurus draft's route: %+v", r)
	}
}
