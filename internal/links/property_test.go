package links

import (
	"fmt"
	"math/rand"
	"path"
	"slices"
	"strings"
	"testing"
)

// TestIncrementalMatchesRebuild is the property the daemon relies on: after
// any sequence of edits, creations and deletions, re-checking only the
// documents Update, AddFile and Remove name as affected gives every
// document the problems a graph built from scratch finds. It also holds
// Linkers to a brute-force answer. The graph keeps only each document's
// distinct link targets, headings and block ids, so this is what shows that
// nothing it dropped was needed.
//
// Suggestions are left out of the comparison: a new note may become the
// closest name for a broken link elsewhere without that link's note being
// re-checked (a hint, not a result). Links to directories are not generated
// for the same reason: a directory that gains its first note does not
// affect the links naming it.
func TestIncrementalMatchesRebuild(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			incrementalMatchesRebuild(t, seed, 60, "", "")
		})
	}
}

// TestIncrementalMatchesRebuildSite is the same for a site's URL links
// (Options.Site), whose folders' pages (_index.md, index.md) answer URLs
// that do not name them.
func TestIncrementalMatchesRebuildSite(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			incrementalMatchesRebuild(t, seed, 60, "site", "")
		})
	}
}

// TestIncrementalMatchesRebuildHugoUgly is the same for a Hugo site with
// uglyURLs (its pages and sections at URLs with ".html"), some seeds with
// disablePathToLower and removePathAccents too.
func TestIncrementalMatchesRebuildHugoUgly(t *testing.T) {
	for seed := int64(1); seed <= 24; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			incrementalMatchesRebuild(t, seed, 60, "hugo-ugly", "")
		})
	}
}

// TestIncrementalMatchesRebuildLogseq is the same for a Logseq graph
// (Options.Logseq), whose pages answer to names their paths do not hold:
// namespaces, journal dates, aliases.
func TestIncrementalMatchesRebuildLogseq(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			incrementalMatchesRebuild(t, seed, 60, "logseq", "")
		})
	}
}

// TestIncrementalMatchesRebuildDocusaurus is the same for a Docusaurus
// site (Options.Docusaurus), whose documents answer routes their paths do
// not hold: number prefixes, folder indexes, and front matter ids and slugs
// that come and go.
func TestIncrementalMatchesRebuildDocusaurus(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			incrementalMatchesRebuild(t, seed, 60, "docusaurus", "")
		})
	}
}

func TestIncrementalMatchesRebuildVitePress(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			incrementalMatchesRebuild(t, seed, 60, "vitepress", "")
		})
	}
}

func TestIncrementalMatchesRebuildJekyll(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			incrementalMatchesRebuild(t, seed, 60, "jekyll", "")
		})
	}
}

// TestIncrementalMatchesRebuildNested is the same for each kind of site in
// a folder of the root (Options.SiteDir), beside notes of the root's own.
func TestIncrementalMatchesRebuildNested(t *testing.T) {
	for _, layout := range []string{"site", "docusaurus", "vitepress", "jekyll"} {
		for seed := int64(1); seed <= 10; seed++ {
			t.Run(fmt.Sprint(layout, seed), func(t *testing.T) {
				incrementalMatchesRebuild(t, seed, 60, layout, "web")
			})
		}
	}
}

// incrementalMatchesRebuild checks a graph kept by updates against one
// built afresh, on random edits of a vault of the layout, the site in
// the folder under when it is not "".
func incrementalMatchesRebuild(t *testing.T, seed int64, steps int, layout, under string) {
	r := newRand(seed)
	paths := []string{"N1.md", "a/N1.md", "a/b/N2.md", "N2.md", "b/N3.md", "b/n3.md", "c/Note Four.md", "N5.md"}
	files := []string{"img.png", "a/img.png", "pic.jpg"}
	opts := Options{MarkdownByName: r.Intn(2) == 0, CaseSensitive: r.Intn(4) == 0}
	randomNote := randomNote
	switch layout {
	case "logseq":
		paths = []string{"pages/Account.md", "pages/Account___User.md", "pages/Beyond%3A Chain.md", "pages/other.md",
			"journals/2024_01_15.md", "journals/2024_01_14.md", "journals/notes.md", "README.md"}
		files = []string{"assets/img.png", "pages/img.png"}
		opts = Options{Logseq: LogseqGraph(), CaseSensitive: r.Intn(4) == 0}
		randomNote = randomLogseqNote
	case "site", "hugo-ugly":
		paths = []string{"content/_index.md", "content/docs/_index.md", "content/docs/a.md", "content/docs/b/index.md",
			"content/blog/c.md", "content/blog/_index.md", "content/docs/b.md", "README.md", "content/My Docs/Page One.md",
			"content-fr/docs/a.md", "content/docs/c.de.md"}
		files = []string{"static/img.png", "content/docs/b/map.png", "content/img.png"}
		opts = Options{Site: &Site{Content: "content", Static: []string{"static"}}, CaseSensitive: r.Intn(4) == 0}
		if r.Intn(2) == 0 {
			opts.Site.Permalinks = map[string]string{"blog": "/:year/:slug/", "docs": ":section/:filename/"}
		}
		if r.Intn(2) == 0 {
			opts.Site.Languages, opts.Site.DefaultLanguage = map[string]string{"fr": "content-fr", "de": ""}, "en"
		}
		randomNote = randomSiteNote
		if layout == "hugo-ugly" {
			opts.Site.UglyURLs, opts.Site.KeepCase, opts.Site.RemoveAccents = true, seed%2 == 0, seed%3 == 0
			randomNote = randomUglySiteNote
		}
	case "docusaurus":
		paths = []string{"docs/intro.md", "docs/01-guides/02-setup.md", "docs/01-guides/index.md", "docs/01-guides/setup.md",
			"blog/2024-01-15-hello.md", "blog/2024-01-16-bye/index.md", "src/pages/help.md", "README.md"}
		files = []string{"static/img.png", "docs/01-guides/map.png", "src/pages/index.js"}
		opts = Options{Docusaurus: DocusaurusSite(), CaseSensitive: r.Intn(4) == 0}
		randomNote = randomDocusaurusNote
	case "vitepress":
		paths = []string{"index.md", "guide/index.md", "guide/intro.md", "guide/Intro.md", "api/ref.md", "api/index.md",
			".vitepress/theme/x.md", "guide/deep/page.md"}
		files = []string{"public/logo.png", "guide/img.png", "public/legacy.html", "public/guide/old.html"}
		opts = Options{VitePress: VitePressSite(), CaseSensitive: r.Intn(4) == 0}
		randomNote = randomVitePressNote
	case "jekyll":
		paths = []string{"index.md", "about.md", "docs/index.md", "docs/install.md", "_posts/2024-01-15-hello.md",
			"blog/_posts/2024-01-16-bye.md", "_drafts/draft.md", "docs/README.md"}
		files = []string{"assets/img.png", "contact.html", "assets/site.scss", "docs/index.html"}
		opts = Options{Jekyll: JekyllSite(), CaseSensitive: r.Intn(4) == 0}
		opts.Jekyll.Redirects = r.Intn(4) > 0
		if r.Intn(2) == 0 {
			opts.Jekyll.Defaults = []JekyllDefault{{Path: "docs/", Permalink: "/d/:basename/"}, {Type: "posts", Permalink: "/p/:title/"}}
		}
		randomNote = randomJekyllNote
	}
	if under != "" {
		for i := range paths {
			paths[i] = under + "/" + paths[i]
		}
		for i := range files {
			files[i] = under + "/" + files[i]
		}
		paths = append(paths, "README.md", "notes/index.md")
		files = append(files, "img.png")
		switch {
		case opts.Site != nil:
			opts.Site = opts.Site.In(under)
		case opts.Docusaurus != nil:
			opts.Docusaurus = opts.Docusaurus.In(under)
		case opts.VitePress != nil:
			opts.VitePress.SrcDir = under
		case opts.Jekyll != nil:
			opts.Jekyll.Source = under
		}
		opts.SiteDir = under
	}

	content := map[string]string{} // the vault: notes and files ("" content)
	g := NewGraph(opts)
	results := map[string]string{} // note -> problems at its last (re-)check
	recheck := func(ps []string) {
		for _, p := range ps {
			c, ok := content[p]
			if !ok {
				t.Fatalf("affected %q is not in the vault", p)
			}
			results[p] = render(g.Check(p, Parse([]byte(c)), nil))
		}
	}
	for step := range steps {
		var what string
		switch k := r.Intn(10); {
		case k < 6: // write a note
			p := paths[r.Intn(len(paths))]
			c := randomNote(r, p, paths, files)
			content[p] = c
			what = "write " + p
			recheck(g.Update(p, []byte(c)))
		case k < 8: // delete a note
			p := paths[r.Intn(len(paths))]
			if _, ok := content[p]; !ok {
				continue
			}
			delete(content, p)
			delete(results, p)
			what = "delete " + p
			recheck(g.Remove(p))
		case k == 8: // add an attachment
			f := files[r.Intn(len(files))]
			if _, ok := content[f]; ok {
				continue
			}
			content[f] = ""
			what = "add " + f
			recheck(g.AddFile(f))
		default: // delete an attachment
			f := files[r.Intn(len(files))]
			if _, ok := content[f]; !ok {
				continue
			}
			delete(content, f)
			what = "delete " + f
			recheck(g.Remove(f))
		}

		fresh := NewGraph(opts)
		for p, c := range content {
			if strings.HasSuffix(p, ".md") {
				fresh.Update(p, []byte(c))
			} else {
				fresh.AddFile(p)
			}
		}
		for p, c := range content {
			if !strings.HasSuffix(p, ".md") {
				continue
			}
			if want := render(fresh.Check(p, Parse([]byte(c)), nil)); results[p] != want {
				t.Fatalf("step %d (%s): %s\nincremental:\n%s\nrebuilt:\n%s\nvault: %q", step, what, p, results[p], want, content)
			}
		}
		for p := range content {
			var want []string
			for s, c := range content {
				if s == p || !strings.HasSuffix(s, ".md") {
					continue
				}
				for _, l := range Parse([]byte(c)).Links {
					if l.Target != "" && fresh.Resolve(s, l).Path == p {
						want = append(want, s)
						break
					}
				}
			}
			slices.Sort(want)
			if got := g.Linkers(p); !slices.Equal(got, want) {
				t.Fatalf("step %d (%s): Linkers(%s) = %q, want %q\nvault: %q", step, what, p, got, want, content)
			}
		}
	}
}

// randomLogseqNote writes a Logseq page with random aliases and links to
// the pages by their names, namespaces, journal dates and aliases (some to
// nothing).
func randomLogseqNote(r *rand.Rand, self string, paths, files []string) string {
	names := []string{"Accounts", "Other", "Chain", "Jan 14th, 2024", "account/user", "Notes"}
	targets := []string{"account", "Account/User", "Beyond: Chain", "beyond%3A chain", "Jan 15th, 2024", "jan 14th, 2024",
		"Accounts", "Chain", "Other", "notes", "Missing", "README"}
	var b strings.Builder
	if n := r.Intn(3); n > 0 {
		b.WriteString("alias:: ")
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			if r.Intn(2) == 0 {
				fmt.Fprintf(&b, "[[%s]]", names[r.Intn(len(names))])
			} else {
				b.WriteString(names[r.Intn(len(names))])
			}
		}
		b.WriteString("\n")
		if r.Intn(3) == 0 {
			fmt.Fprintf(&b, "title:: %s\n", names[r.Intn(len(names))])
		}
		b.WriteString("\n")
	}
	uuids := []string{"64f1a2b3-0c4d-4e5f-8a9b-0c1d2e3f4a5b", "64F1A2B3-0C4D-4E5F-8A9B-0C1D2E3F4A5C", "65000000-0000-4000-8000-000000000000"}
	for range r.Intn(6) {
		fmt.Fprintf(&b, "- see [[%s]]\n", targets[r.Intn(len(targets))])
		if r.Intn(3) == 0 {
			fmt.Fprintf(&b, "  id:: %s\n", uuids[r.Intn(len(uuids))])
		}
		if r.Intn(3) == 0 {
			fmt.Fprintf(&b, "- as ((%s)) said\n", strings.ToLower(uuids[r.Intn(len(uuids))]))
		}
	}
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, "- ![x](../%s)\n", files[r.Intn(len(files))])
	}
	return b.String()
}

// render is problems without suggestions, one per line.
func render(probs []Problem) string {
	var b strings.Builder
	for _, p := range probs {
		fmt.Fprintf(&b, "%d:%d %s %s %q\n", p.Link.Line, p.Link.Column, p.Kind, p.Message(), p.Candidates)
	}
	return b.String()
}

// randomSiteNote writes a page with random aliases (from the root or
// relative, some taken by a page), slug or url, title or date, in YAML or
// TOML front matter, headings and links to the URLs of a site's pages,
// folders, files and aliases, absolute and relative, and Hugo's refs (some
// to nothing).
// randomUglySiteNote is randomSiteNote with links to the URLs of a Hugo
// site with uglyURLs too.
func randomUglySiteNote(r *rand.Rand, self string, paths, files []string) string {
	urls := []string{"/docs.html", "/docs/a.html", "/docs/b.html", "/blog.html", "/blog/c.html", "/my-docs.html",
		"/My-Docs/Page-One.html", "/my-docs/page-one.html", "/fr/", "/fr/docs.html", "/fr/docs/a.html", "/old.html",
		"/legacy.html", "/docs/index.html", "/index.html", "a.html", "../docs.html", "/tags.html", "/tags/x.html", "/2024/start.html"}
	var b strings.Builder
	b.WriteString(randomSiteNote(r, self, paths, files))
	for range 1 + r.Intn(3) {
		fmt.Fprintf(&b, "[x](%s) ", urls[r.Intn(len(urls))])
	}
	return b.String()
}

func randomSiteNote(r *rand.Rand, self string, paths, files []string) string {
	urls := []string{"/", "/docs/", "/docs", "/docs/a/", "/docs/b/", "/docs/b/map.png", "/blog/", "/blog/c/",
		"/img.png", "/missing/", "../", "../a/", "../../blog/c/", "b/", "map.png", "/docs/a.md", "a.md", "../c.md",
		"/old/", "/old", "/old/index.html", "/docs/gone/", "../gone/", "/blog/gone", "/legacy.html", "/up/",
		"/my-docs/", "/my-docs/page-one/", "/My Docs/", "/docs/start/", "start/", "/elsewhere/", "/elsewhere/x.html",
		"/2024/start/", "/2024/c/", "/1/", "/1/c/", "/2023/docs/", "/docs/b/", "../start/",
		`{{< ref "a.md" >}}`, `{{< ref "/docs/b" >}}`, `{{% relref "c" %}}`, `{{< ref "docs" >}}`, `{{< ref "b#intro" >}}`,
		`{{< ref "#details" >}}`, `{{< ref "Page One.md" >}}`, `{{< relref "../blog/c.md" >}}`, `{{< ref "/blog" >}}`,
		"/fr/docs/a/", "/fr/", "/fr/docs/", "/de/docs/c/", "/docs/c.de/", `{{< ref "/docs/a" >}}`}
	aliases := []string{"/old/", "/Old", "gone", "../up", "/docs/a/", "/legacy.html", "https://example.org/x"}
	var fields []string
	if n := r.Intn(3); n > 0 {
		var as []string
		for range n {
			as = append(as, `"`+aliases[r.Intn(len(aliases))]+`"`)
		}
		fields = append(fields, "aliases", "["+strings.Join(as, ", ")+"]")
	}
	switch r.Intn(5) {
	case 0:
		fields = append(fields, "slug", `"`+[]string{"start", "Start Here", "a", "c"}[r.Intn(4)]+`"`)
	case 1:
		fields = append(fields, "url", `"`+[]string{"/elsewhere/", "elsewhere", "/elsewhere/x.html", "/docs/a/", "/"}[r.Intn(5)]+`"`)
	}
	switch r.Intn(4) {
	case 0:
		fields = append(fields, "title", `"`+[]string{"Start", "C", "Docs"}[r.Intn(3)]+`"`)
	case 1:
		fields = append(fields, "date", []string{"2024-01-15", "2023-06-01"}[r.Intn(2)])
	case 2:
		fields = append(fields, "draft", "true")
	}
	var b strings.Builder
	if len(fields) > 0 {
		yaml := r.Intn(2) == 0
		if yaml {
			b.WriteString("---\n")
		} else {
			b.WriteString("+++\n")
		}
		for i := 0; i < len(fields); i += 2 {
			if yaml {
				fmt.Fprintf(&b, "%s: %s\n", fields[i], fields[i+1])
			} else {
				fmt.Fprintf(&b, "%s = %s\n", fields[i], fields[i+1])
			}
		}
		if yaml {
			b.WriteString("---\n")
		} else {
			b.WriteString("+++\n")
		}
	}
	writeURLPage(r, &b, urls)
	return b.String()
}

// writeURLPage writes random headings, and links to urls with random
// fragments (some to nothing).
func writeURLPage(r *rand.Rand, b *strings.Builder, urls []string) {
	headings := []string{"Intro", "Set up", "Details"}
	for range r.Intn(3) {
		fmt.Fprintf(b, "## %s\n\n", headings[r.Intn(len(headings))])
	}
	for range r.Intn(8) {
		anchor := ""
		if r.Intn(2) == 0 {
			anchor = "#" + Slug(headings[r.Intn(len(headings))])
		}
		fmt.Fprintf(b, "[x](%s%s) ", urls[r.Intn(len(urls))], anchor)
	}
}

// randomDocusaurusNote writes a page of a Docusaurus site: a front matter
// id or slug at random, then headings and links to routes and files.
func randomDocusaurusNote(r *rand.Rand, self string, paths, files []string) string {
	urls := []string{"/", "/docs", "/docs/intro/", "/docs/guides", "/docs/guides/setup", "/docs/guides/set-up", "/docs/other",
		"/blog/2024/01/15/hello", "/blog/bye", "/blog/2024/01/16/bye/", "/help", "/img.png", "map.png", "setup", "../intro",
		"./", "02-setup.md", "/docs/intro.md", "@site/docs/intro.md", "../intro.md", "/blog/tags/x"}
	var b strings.Builder
	b.WriteString("---\n")
	switch r.Intn(4) {
	case 0:
		b.WriteString("slug: " + []string{"/other", "set-up", "/", "../bye", "/docs/guides/setup"}[r.Intn(5)] + "\n")
	case 1:
		b.WriteString("id: " + []string{"setup", "other", "intro"}[r.Intn(3)] + "\n")
	case 2:
		b.WriteString("draft: true\n")
	}
	b.WriteString("title: T\n---\n")
	writeURLPage(r, &b, urls)
	return b.String()
}

// randomVitePressNote writes a page of a VitePress site with random links
// to its pages (with and without ".md" or ".html", relative, to folders)
// and files.
func randomVitePressNote(r *rand.Rand, self string, paths, files []string) string {
	urls := []string{"/", "/guide/", "/guide", "/guide/intro", "/guide/intro.html", "/guide/Intro.md", "intro", "./intro.md",
		"../api/ref", "/api/", "./", "../", "deep/page", "/logo.png", "img.png", "/legacy", "/legacy.html", "/guide/old",
		"/missing", "index.md", "/api/index"}
	var b strings.Builder
	writeURLPage(r, &b, urls)
	return b.String()
}

// randomJekyllNote writes a page of a Jekyll site with a random
// permalink, slug, date, categories or none, redirect_from URLs or none,
// and random URL links to its pages, posts, files and redirects.
func randomJekyllNote(r *rand.Rand, self string, paths, files []string) string {
	urls := []string{"/", "/about", "/about.html", "/about/", "/docs/", "/docs", "/docs/install.html", "install",
		"/2024/01/15/hello.html", "/news/2024/01/15/hello.html", "/blog/2024/01/16/bye.html", "/blog/2024/01/20/later.html",
		"/other/", "/contact", "/assets/img.png", "/assets/site.css", "../", "./", "index.html", "about.md",
		"/feed.xml", "/missing", "/old/", "/old", "/old.html", "/gone", "gone.html", "/old/#intro", "/d/install/", "/d/index/",
		"/p/hello/", "/p/bye", "{% link about.md %}", "{% link docs/install.md %}", "{% post_url 2024-01-15-hello %}",
		"{{ site.baseurl }}{% post_url blog/2024-01-16-bye %}", "{% link assets/img.png %}"}
	var b strings.Builder
	b.WriteString("---\n")
	switch r.Intn(5) {
	case 0:
		b.WriteString("permalink: " + []string{"/other/", "/about/", "/docs/install.html", "/:categories/:title/"}[r.Intn(4)] + "\n")
	case 1:
		b.WriteString("slug: " + []string{"later", "hello", "bye"}[r.Intn(3)] + "\n")
	case 2:
		b.WriteString("date: 2024-01-" + []string{"15", "16", "20"}[r.Intn(3)] + "\n")
	case 3:
		b.WriteString("categories: " + []string{"news", "blog", "news blog"}[r.Intn(3)] + "\n")
	}
	switch r.Intn(3) {
	case 0:
		b.WriteString("redirect_from: " + []string{"/old/", "old", "/gone.html", "/about/"}[r.Intn(4)] + "\n")
	case 1:
		b.WriteString("redirect_from:\n  - /old\n  - /gone/\n")
	}
	b.WriteString("title: T\n---\n")
	writeURLPage(r, &b, urls)
	return b.String()
}

// randomNote writes a note with random headings, block ids and links of
// every kind to the other paths (and some to nothing).
func randomNote(r *rand.Rand, self string, paths, files []string) string {
	headings := []string{"Intro", "Set up", "Q: why?", "Intro", "Details"}
	var b strings.Builder
	for range r.Intn(3) {
		fmt.Fprintf(&b, "%s %s\n\n", strings.Repeat("#", 1+r.Intn(3)), headings[r.Intn(len(headings))])
	}
	for range r.Intn(3) {
		fmt.Fprintf(&b, "A line ^b%d\n\n", r.Intn(3))
	}
	for range r.Intn(8) {
		p := paths[r.Intn(len(paths))]
		stem := strings.TrimSuffix(path.Base(p), ".md")
		frag := ""
		switch r.Intn(4) {
		case 0:
			frag = "#" + headings[r.Intn(len(headings))]
		case 1:
			frag = fmt.Sprintf("#^b%d", r.Intn(3))
		}
		switch r.Intn(8) {
		case 0:
			fmt.Fprintf(&b, "[[%s%s]] ", strings.ToLower(stem), frag)
		case 1:
			fmt.Fprintf(&b, "[[%s%s|alias]] ", strings.TrimSuffix(p, ".md"), frag)
		case 2:
			rel := RelPath(path.Dir(self), p)
			anchor := ""
			if r.Intn(2) == 0 {
				anchor = "#" + Slug(headings[r.Intn(len(headings))])
			}
			if d := path.Dir(p); d != "." && r.Intn(3) == 0 {
				// A folder: it resolves while it holds something.
				rel, anchor = RelPath(path.Dir(self), d)+"/", ""
			}
			fmt.Fprintf(&b, "[x](%s%s) ", EncodeDest(rel, false), anchor)
		case 3:
			fmt.Fprintf(&b, "![[%s]] ", path.Base(files[r.Intn(len(files))]))
		case 4:
			fmt.Fprintf(&b, "[[Missing %d]] ", r.Intn(2))
		case 5:
			fmt.Fprintf(&b, "[[#%s]] ", headings[r.Intn(len(headings))])
		default:
			fmt.Fprintf(&b, "[[%s%s]] ", stem, frag)
		}
	}
	return b.String()
}
