package links

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/markdown"
)

// FuzzExtractLinks checks that Parse never panics, that every link's spans
// lie inside the content and match Raw, and that line and column point inside
// the line; then that resolving and checking the links of any input is safe.
func FuzzExtractLinks(f *testing.F) {
	files, _ := filepath.Glob("testdata/parse/*.md")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "[[", "]]", "[[a|b]]", "![[a#^b]]", "[a](b)", "[a](<b c>)", "`[[a]]`",
		"---\n[[fm]]\n---\n[[body]]", "> ```\n> [[q]]\n[[out]]", "[x]: y.md", "[^1]: [[f]]",
		"# H\n[[#H]]", "\ufeff---\na: b\n---\n", "a\r\n[[b]]\r\n", "\xff[[\xfe]]", "[[a\\|b]]",
		"[![i](a.png)](b.md)", "[a [b](c) d](e)", "%%[[x]]%%", "<!--[[x]]-->",
		"[a]({% link a b.md %}#x)", "[a]({{ site.baseurl }}{% post_url 2024-01-01-x %})", "[a]({% link\nx %})", "[r]: {% link a.md %} \"t\"",
		"alias:: A, [[B]]\ntitle:: C\n\n- ((64f1a2b3-0c4d-4e5f-8a9b-0c1d2e3f4a5b))\n  id:: 64f1a2b3-0c4d-4e5f-8a9b-0c1d2e3f4a5b\n",
		"- {{embed ((64f1a2b3-0c4d-4e5f-8a9b-0c1d2e3f4a5b))}} `((64f1a2b3-0c4d-4e5f-8a9b-0c1d2e3f4a5b))` #[[a/b]]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		d := Parse(content)
		checkInvariants(t, content, d)
		g := NewGraph(Options{})
		g.Update("dir/a.md", content)
		g.Update("b.md", content)
		for _, p := range g.Check("dir/a.md", d, func(string) bool { return false }) {
			_ = p.Message()
		}
		if len(g.Remove("dir/a.md")) > 2 {
			t.Fatal("more affected paths than documents")
		}
		// The same in a Logseq graph, whose pages answer to the names and
		// blocks their content gives them.
		lg := NewGraph(Options{Logseq: LogseqGraph()})
		for _, p := range []string{"pages/a.md", "journals/2024_01_15.md", "pages/b___c.md"} {
			lg.Update(p, content)
		}
		for _, p := range lg.Check("pages/a.md", d, func(string) bool { return false }) {
			_ = p.Message()
		}
		lg.Linkers("pages/a.md")
		if len(lg.Remove("pages/a.md")) > 3 || len(lg.Remove("journals/2024_01_15.md")) > 2 {
			t.Fatal("more affected paths than documents")
		}
	})
}

// FuzzResolveSite resolves any link target as a site link from pages of
// every kind (a page, a section's _index.md, a bundle, a draft, a file
// outside the site), with any alias, slug and url, in a site as Hugo
// lays it out by default and in one with uglyURLs, disablePathToLower
// and removePathAccents: it never panics, a page's URL starts with '/', a
// resolved path is one the graph holds, and the problem's message and
// suggestion are safe to make.
func FuzzResolveSite(f *testing.F) {
	for _, s := range []string{
		"/", "/docs/", "/docs", "docs/install/", "../", "../../x/", "/../x", "/docs/install.md",
		"install.md", "/img.png", "#a", "/tags/x/", "//x", "https://x/", "%2e%2e/", "/a/./b/../c/", "",
		"/old/", "old#a", "../old/index.html", "/old.html", ".", "/\x00",
		`{{< ref "docs/install.md#b" >}}`, `{{% relref "install" %}}`, `{{< ref path="/docs" >}}`, `{{< ref "#a" >}}x`,
	} {
		f.Add(s, "")
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, target, alias string) {
		for _, ugly := range []bool{false, true} {
			resolveSite(t, target, alias, ugly)
		}
	})
}

// resolveSite is FuzzResolveSite's check of one target and alias, in a
// site with uglyURLs, its case kept and its accents dropped when ugly.
func resolveSite(t *testing.T, target, alias string, ugly bool) {
	s := &Site{Content: "content", Static: []string{"static"}, Generated: []string{"tags/**"}, UglyURLs: ugly, KeepCase: ugly, RemoveAccents: ugly}
	g := vault(t, Options{Site: s}, map[string]string{
		"content/_index.md": "", "content/docs/_index.md": "# A\n", "content/posts/trip/index.md": "", "content/posts/trip/map.png": "",
		"content/docs/install.md": "---\naliases: [" + strconv.Quote(alias) + "]\n---\n# B\n", "static/img.png": "", "README.md": "",
		"content/docs/slug.md": "+++\nslug = " + strconv.Quote(alias) + "\n+++\n", "content/url.md": "---\nurl: " + strconv.Quote(alias) + "\n---\n",
		"content/docs/draft.md": "---\ndraft: true\n---\n[d](" + target + ")\n",
	})
	for _, p := range []string{"content/docs/slug.md", "content/url.md"} {
		if r, ok := g.Index().PageURL(p); !ok || !strings.HasPrefix(r, "/") {
			t.Fatalf("PageURL(%q) = %q, %v", p, r, ok)
		}
	}
	content := "[x](" + target + ") [y](<" + target + ">)"
	for _, src := range []string{"content/_index.md", "content/docs/install.md", "content/docs/_index.md", "content/posts/trip/index.md", "README.md", "content/docs/draft.md"} {
		d := Parse([]byte(content))
		for _, l := range d.Links {
			if r := g.Resolve(src, l); r.Path != "" && !g.Has(r.Path) {
				t.Fatalf("%s from %s resolved to %q, which the graph does not hold", l.Raw, src, r.Path)
			}
		}
		for _, p := range g.Check(src, d, func(string) bool { return false }) {
			_ = p.Message()
		}
	}
}

// FuzzResolveDocusaurus resolves any link target and any front matter
// slug and id in a Docusaurus site: a route starts with '/', and what a
// link resolves to is a document the graph holds.
func FuzzResolveDocusaurus(f *testing.F) {
	for _, s := range []string{
		"/", "/docs/", "/docs/intro", "intro", "../", "./", "/../x", "/docs/intro.md", "intro.md", "@site/docs/intro.md",
		"@site/../x.md", "/img.png", "#a", "/blog/tags/x", "//x", "%2e%2e/", "/a/./b/../c/", "", "../../../../x.md",
	} {
		f.Add(s, "", "")
		f.Add("x", s, s)
	}
	f.Fuzz(func(t *testing.T, target, slug, id string) {
		d := DocusaurusSite()
		files := map[string]string{
			"docs/intro.md": "# A\n", "docs/01-guides/index.md": "---\nslug: " + strconv.Quote(slug) + "\nid: " + strconv.Quote(id) + "\n---\n",
			"blog/2024-01-15-hello.md": "", "src/pages/help.md": "", "static/img.png": "", "README.md": "",
		}
		for _, p := range []string{"docs/intro.md", "docs/01-guides/index.md", "blog/2024-01-15-hello.md", "src/pages/help.md"} {
			if r, ok := d.Route(p, slug, id); !ok || !strings.HasPrefix(r, "/") {
				t.Fatalf("Route(%q, %q, %q) = %q, %v", p, slug, id, r, ok)
			}
		}
		g := vault(t, Options{Docusaurus: d}, files)
		content := "[x](" + target + ") [y](<" + target + ">)"
		resolveEverywhere(t, g, files, content)
	})
}

// resolveEverywhere resolves and checks the links of content as if it
// were each of files: a link resolves only to a document or file the graph
// holds, or to nothing, and every problem has a message.
func resolveEverywhere(t *testing.T, g *Graph, files map[string]string, content string) {
	t.Helper()
	doc := Parse([]byte(content))
	for src := range files {
		for _, l := range doc.Links {
			if r := g.Resolve(src, l); r.Path != "" && !g.Has(r.Path) {
				t.Fatalf("%s from %s resolved to %q, which the graph does not hold", l.Raw, src, r.Path)
			}
		}
		for _, p := range g.Check(src, doc, func(string) bool { return false }) {
			_ = p.Message()
		}
	}
}

// FuzzResolveJekyll resolves any link target in a Jekyll site whose post
// has any permalink, slug, date and categories, and whose defaults give
// any scope any permalink: routes start with '/', and a link resolves only
// to a document or file the graph holds, or to nothing.
func FuzzResolveJekyll(f *testing.F) {
	for _, s := range []string{
		"/", "/about", "/about/", "/about.html", "about.md", "../", "./", "/../x", "index.html", "/assets/site.css",
		"/2024/01/15/hello.html", ":title/", "/:categories/:year/:nope", "//x", "%2e%2e/", "/a/./b/../c/", "", "2024-13-45",
		"a b\nc d", "#", "/project/about", "{% link about.md %}", "{% post_url 2024-01-15-hello %}", "{{ site.baseurl }}{% link /x %}",
		"{%- post_url a/b -%}", "{% link ../x.md %}",
	} {
		f.Add(s, "", "", "")
		f.Add("x", s, s, s)
	}
	f.Fuzz(func(t *testing.T, target, permalink, date, cats string) {
		j := JekyllSite()
		j.BaseURL, j.Redirects = "/project", true
		j.Defaults = []JekyllDefault{{Path: cats, Permalink: date}, {Path: "*", Type: "pages", Permalink: permalink}}
		fm := "---\npermalink: " + strconv.Quote(permalink) + "\ndate: " + strconv.Quote(date) + "\ncategories: " + strconv.Quote(cats) +
			"\nredirect_from: [" + strconv.Quote(target) + ", " + strconv.Quote(permalink) + "]\n---\n"
		files := map[string]string{
			"index.md": "# A\n", "about.md": fm, "_posts/2024-01-15-hello.md": fm, "_drafts/d.md": "",
			"assets/site.scss": "", "plain.html": "", "docs/README.md": "",
		}
		g := vault(t, Options{Jekyll: j}, files)
		f := Parse([]byte(fm)).pageFields()
		for _, p := range []string{"index.md", "about.md", "_posts/2024-01-15-hello.md"} {
			if r, ok := j.route(p, f); !ok || !strings.HasPrefix(r, "/") {
				t.Fatalf("route(%q, %+v) = %q, %v", p, f, r, ok)
			}
		}
		content := "[x](" + target + ") [y](<" + target + ">)"
		resolveEverywhere(t, g, files, content)
	})
}

// FuzzResolveVitePress resolves any link target and slugs any heading in
// a VitePress site whose pages are in a source folder: a link resolves
// only to a document or file the graph holds, or to nothing.
func FuzzResolveVitePress(f *testing.F) {
	for _, s := range []string{
		"/", "/guide/", "/guide", "intro", "./intro.md", "../", "./", "/../x", "index.md", "/Index.MD", "/logo.png",
		"intro.html?x=1", "//x", "%2e%2e/", "/a/./b/../c/", "", "v1.2", "a.PDF", "../../..", "C++ & C# 1. ü",
	} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, target, heading string) {
		files := map[string]string{
			"docs/index.md": "# A\n", "docs/guide/index.md": "## " + heading + "\n", "docs/guide/intro.md": "",
			"docs/public/logo.png": "", "docs/.hidden/x.md": "", "README.md": "",
		}
		g := vault(t, Options{VitePress: &VitePress{SrcDir: "docs"}}, files)
		content := "[x](" + target + ") [y](<" + target + ">) [z](" + target + "#" + vitepressSlug(heading) + ")"
		resolveEverywhere(t, g, files, content)
	})
}

// FuzzAliasesFast holds the line reader of aliases to the YAML parser: where
// it reads a block and the parser reads the block too, they agree.
func FuzzAliasesFast(f *testing.F) {
	for _, s := range []string{
		"---\naliases:\n  - a\n  - b c\n", "---\naliases: [x, y]\n", "---\nalias: z\ntitle: t\n",
		"---\naliases:\n  - 1\n", "---\naliases: [\"q\"]\n", "---\naliases:\n- a\n", "---\nalias: a\nalias: b\n",
		"---\naliases:\n  - a\n  -\n", "---\naliases: ~\n", "---\nx:\n  aliases: [a]\n", "---\naliases:\n  - a # c\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fm string) {
		if !strings.HasPrefix(fm, "---\n") || !strings.HasSuffix(fm, "\n") || strings.Contains(fm[4:], "\n---") || strings.Contains(fm[4:], "\n...") {
			return // not a front matter block up to its closing fence, as Parse hands them over
		}
		fast, ok := aliasesFast(fm)
		if !ok {
			return
		}
		m, err := markdown.ParseFields([]byte(fm+"---\n"), []string{"aliases", "alias"})
		if err != nil {
			return
		}
		want := aliasNames(m)
		got := slices.Clone(fast)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: the line reader reads %q, the parser %q", fm, fast, want)
		}
	})
}
