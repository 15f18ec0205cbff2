package links

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// check parses content and checks it as document src of g.
func check(g *Graph, src, content string, exists func(string) bool) []Problem {
	return g.Check(src, Parse([]byte(content)), exists)
}

// vault builds a graph from path -> content.
func vault(t testing.TB, opts Options, files map[string]string) *Graph {
	t.Helper()
	g := NewGraph(opts)
	for p, c := range files {
		if strings.HasSuffix(p, ".md") {
			g.Update(p, []byte(c))
		} else {
			g.AddFile(p)
		}
	}
	return g
}

// outcome is where a resolution points, for the resolve tables: the path,
// or <outside>, <external> or <dir>.
func outcome(r Resolution) string {
	switch {
	case r.Outside:
		return "<outside>"
	case r.External:
		return "<external>"
	case r.Dir:
		return "<dir>"
	}
	return r.Path
}

func TestResolve(t *testing.T) {
	g := vault(t, Options{}, map[string]string{
		"Index.md":                "",
		"notes/Project Plan.md":   "",
		"notes/deep/Note.md":      "",
		"archive/Note.md":         "",
		"a/b/c/Note.md":           "",
		"other/note.md":           "",
		"docs/setup.md":           "",
		"docs/sub/page.md":        "",
		"img/diagram.png":         "",
		"v1.2 release.md":         "",
		"Daily/2024-01-01.md":     "",
		"same/Dup.md":             "",
		"elsewhere/short/Dup.md":  "",
		"x/Dup.md":                "",
		"Unicode/Café Crème.md":   "",
		"with space/My Note.md":   "",
		"cased/Readme.md":         "",
		"cased/deeper/README.md":  "",
		"notes/sibling.md":        "",
		"notes/deep/deeper/z.md":  "",
		"notes/deep/deeper/y.txt": "",
	})
	wiki := func(t string) Link { return Link{Kind: Wiki, Target: t} }
	md := func(t string) Link { return Link{Kind: Inline, Target: t} }
	for _, tc := range []struct {
		src  string
		link Link
		want string // resolved path, or "" / a marker
	}{
		{"Index.md", wiki("Project Plan"), "notes/Project Plan.md"},
		{"Index.md", wiki("project plan"), "notes/Project Plan.md"},                    // case-insensitive
		{"Index.md", wiki("Project Plan.md"), "notes/Project Plan.md"},                 // .md optional
		{"Index.md", wiki("notes/Project Plan"), "notes/Project Plan.md"},              // exact path
		{"Index.md", wiki("/notes/Project Plan"), "notes/Project Plan.md"},             // vault-absolute
		{"Index.md", wiki("deep/Note"), "notes/deep/Note.md"},                          // partial path suffix
		{"Index.md", wiki("Note"), "archive/Note.md"},                                  // exact case, then shortest path
		{"Index.md", wiki("note"), "other/note.md"},                                    // exact case wins over shorter
		{"x/Dup.md", wiki("Dup"), "x/Dup.md"},                                          // same directory wins
		{"Index.md", wiki("Dup"), "x/Dup.md"},                                          // fewest folders, then bytes
		{"notes/sibling.md", wiki("./deep/Note"), "notes/deep/Note.md"},                // relative
		{"notes/deep/Note.md", wiki("../sibling"), "notes/sibling.md"},                 // relative up
		{"Index.md", wiki("diagram.png"), "img/diagram.png"},                           // attachment by name
		{"Index.md", wiki("v1.2 release"), "v1.2 release.md"},                          // dots in names
		{"Index.md", wiki("café crème"), "Unicode/Café Crème.md"},                      // Unicode folding
		{"Index.md", wiki("Missing"), ""},                                              //
		{"Index.md", wiki("wrong/Project Plan"), ""},                                   // folders must match
		{"Index.md", md("docs/setup.md"), "docs/setup.md"},                             // relative to src dir (root)
		{"docs/sub/page.md", md("../setup.md"), "docs/setup.md"},                       //
		{"docs/sub/page.md", md("/docs/setup.md"), "docs/setup.md"},                    // root-absolute
		{"docs/sub/page.md", md("setup.md"), ""},                                       // not by name by default
		{"docs/setup.md", md("sub/page"), ""},                                          // no implicit .md by default
		{"Index.md", md("with space/My Note.md"), "with space/My Note.md"},             //
		{"Index.md", md("DOCS/SETUP.md"), "docs/setup.md"},                             // case-insensitive
		{"notes/deep/deeper/z.md", md("y.txt"), "notes/deep/deeper/y.txt"},             //
		{"Index.md", md("../outside.md"), "<outside>"},                                 //
		{"Index.md", md("https://example.com/x.md"), "<external>"},                     //
		{"Index.md", md("mailto:someone@example.com"), "<external>"},                   //
		{"Index.md", md("docs"), "<dir>"},                                              //
		{"Index.md", md("docs/"), "<dir>"},                                             //
		{"Index.md", Link{Kind: Inline, Fragment: "x", HasFragment: true}, "Index.md"}, // same file
	} {
		if got := outcome(g.Resolve(tc.src, tc.link)); got != tc.want {
			t.Errorf("Resolve(%s, %s %q) = %q, want %q", tc.src, tc.link.Kind, tc.link.Target, got, tc.want)
		}
	}
	// Ambiguity is reported with every candidate.
	r := g.Resolve("Index.md", wiki("Note"))
	if want := []string{"a/b/c/Note.md", "archive/Note.md", "notes/deep/Note.md", "other/note.md"}; !slices.Equal(r.Candidates, want) {
		t.Errorf("candidates = %q, want %q", r.Candidates, want)
	}
}

func TestResolveCaseSensitive(t *testing.T) {
	g := vault(t, Options{CaseSensitive: true}, map[string]string{"Note.md": "", "docs/Setup.md": ""})
	if r := g.Resolve("x.md", Link{Kind: Wiki, Target: "note"}); r.Path != "" {
		t.Errorf("case-sensitive [[note]] resolved to %q", r.Path)
	}
	if r := g.Resolve("x.md", Link{Kind: Inline, Target: "docs/setup.md"}); r.Path != "" {
		t.Errorf("case-sensitive docs/setup.md resolved to %q", r.Path)
	}
	if r := g.Resolve("x.md", Link{Kind: Wiki, Target: "Note"}); r.Path != "Note.md" {
		t.Errorf("[[Note]] = %q", r.Path)
	}
}

func TestResolveMarkdownByName(t *testing.T) {
	g := vault(t, Options{MarkdownByName: true}, map[string]string{"notes/Setup Guide.md": "", "a/b.md": ""})
	for _, target := range []string{"Setup Guide.md", "Setup Guide", "../Setup Guide.md"} {
		if r := g.Resolve("a/b.md", Link{Kind: Inline, Target: target}); r.Path != "notes/Setup Guide.md" {
			t.Errorf("vault-mode %q = %q", target, r.Path)
		}
	}
}

// TestResolveSite resolves Markdown links as Hugo serves a site: URL paths
// from the site's root, a page's URL being its path without .md as a
// folder, sections by their _index.md, bundles by their index.md, and
// static files at the root.
func TestResolveSite(t *testing.T) {
	g := vault(t, Options{Site: &Site{Content: "content", Static: []string{"static"}, Generated: []string{"tags/**", "**/index.xml"}}}, map[string]string{
		"content/_index.md":              "",
		"content/docs/_index.md":         "",
		"content/docs/install.md":        "# Usage\n",
		"content/blog/first-post.md":     "",
		"content/posts/bundle/index.md":  "",
		"content/posts/bundle/cover.jpg": "",
		"content/nosection/page.md":      "",
		"README.md":                      "",
	})
	md := func(t string) Link { return Link{Kind: Inline, Target: t} }
	for _, tc := range []struct {
		src, target, want string
	}{
		{"content/_index.md", "/", "content/_index.md"},
		{"content/_index.md", "/docs/", "content/docs/_index.md"},
		{"content/_index.md", "/docs", "content/docs/_index.md"},
		{"content/_index.md", "/docs/install/", "content/docs/install.md"},
		{"content/_index.md", "/DOCS/Install/", "content/docs/install.md"}, // Hugo lower-cases URLs
		{"content/_index.md", "/docs/install.md", "content/docs/install.md"},
		{"content/_index.md", "/posts/bundle/", "content/posts/bundle/index.md"},
		{"content/_index.md", "/posts/bundle/cover.jpg", "content/posts/bundle/cover.jpg"},
		{"content/_index.md", "/nosection/", "<dir>"},
		{"content/_index.md", "/docs/instal/", ""},
		{"content/_index.md", "docs/install/", "content/docs/install.md"},                   // relative to the home page's URL
		{"content/docs/install.md", "../../blog/first-post/", "content/blog/first-post.md"}, // from /docs/install/
		{"content/docs/install.md", "../blog/first-post/", ""},                              // /docs/blog/first-post/
		{"content/docs/install.md", "../_index.md", "content/_index.md"},                    // .md: a file path, as the render hook reads it
		{"content/docs/_index.md", "install/", "content/docs/install.md"},                   // a section's URL is its folder
		{"content/posts/bundle/index.md", "cover.jpg", "content/posts/bundle/cover.jpg"},
		{"content/docs/install.md", "cover.jpg", ""},                                           // /docs/install/cover.jpg
		{"README.md", "content/docs/install.md", "content/docs/install.md"},                    // not a page: a file path
		{"README.md", "/content/docs/install.md", "content/docs/install.md"},                   // root-absolute, as GitHub reads it
		{"README.md", "/docs/install/", ""},                                                    // not a URL there
		{"content/_index.md", "/../x/", ""},                                                    // /x/: a browser keeps ".." at the site's root
		{"content/docs/install.md", "../../../blog/first-post/", "content/blog/first-post.md"}, // /blog/first-post/
		{"content/_index.md", "https://example.org/docs/", "<external>"},
		{"content/_index.md", "/tags/", "<external>"}, // generated: not checked
		{"content/_index.md", "/tags/go/", "<external>"},
		{"content/docs/install.md", "../index.xml", "<external>"},
		{"content/_index.md", "/tagsx/", ""},
	} {
		if got := outcome(g.Resolve(tc.src, md(tc.target))); got != tc.want {
			t.Errorf("Resolve(%s, %q) = %q, want %q", tc.src, tc.target, got, tc.want)
		}
	}
	if r := g.Resolve("content/docs/install.md", md("/img/logo.png")); r.OK() || !slices.Equal(r.Probe, []string{"content/img/logo.png", "static/img/logo.png"}) || r.URL != "/img/logo.png" {
		t.Errorf("static file: %+v", r)
	}
}

// TestCheckSite reports a site's broken URL links with where they were
// looked for, and suggests the URL of the closest page.
func TestCheckSite(t *testing.T) {
	src := "[a](/docs/instal/) [b](/docs/install/#usage) [c](/docs/install/#usag) [d](/img/logo.png) [e](/img/log.png) [f](../instal/)"
	g := vault(t, Options{Site: &Site{Content: "content", Static: []string{"static"}}}, map[string]string{
		"content/docs/install.md": "# Usage\n",
		"content/docs/other.md":   src,
	})
	want := `1:1 missing-target broken link [a](/docs/instal/): the site serves nothing at "/docs/instal/" (no page content/docs/instal.md, content/docs/instal/index.md or content/docs/instal/_index.md, no file static/docs/instal) => [a](/docs/install/)
1:46 missing-heading broken link [c](/docs/install/#usag): "content/docs/install.md" has no heading with anchor #usag => [c](/docs/install/#usage)
1:90 missing-target broken link [e](/img/log.png): the site serves nothing at "/img/log.png" (no file content/img/log.png or static/img/log.png)
1:108 missing-target broken link [f](../instal/): the site serves nothing at "/docs/instal/" (no page content/docs/instal.md, content/docs/instal/index.md or content/docs/instal/_index.md, no file static/docs/instal) => [f](../install/)
`
	probs := check(g, "content/docs/other.md", src, func(p string) bool { return p == "static/img/logo.png" })
	var b strings.Builder
	for _, p := range probs {
		fmt.Fprintf(&b, "%d:%d %s %s", p.Link.Line, p.Link.Column, p.Kind, p.Message())
		if p.Suggestion != "" {
			fmt.Fprintf(&b, " => %s", p.Suggestion)
		}
		b.WriteByte('\n')
	}
	if b.String() != want {
		t.Errorf("problems:\n%s\nwant:\n%s", b.String(), want)
	}
}

func problems(g *Graph, src, content string) string {
	var b strings.Builder
	for _, p := range check(g, src, content, nil) {
		fmt.Fprintf(&b, "%d:%d %s %s", p.Link.Line, p.Link.Column, p.Kind, p.Message())
		if p.Suggestion != "" {
			fmt.Fprintf(&b, " => %s", p.Suggestion)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	src := strings.Join([]string{
		"[[Project Plan]] [[Project Plann]] [[Project Plan#goals & risks]] [[Project Plan#Timelin]]",
		"[[Project Plan#^para-1]] [[Project Plan#^para-2]] ![[logo.png]] ![[logo.jpg]]",
		"[ok](docs/setup.md#install-step-1) [bad](docs/setup.md#install-stepp) [gone](docs/setp.md)",
		"[[#Local]] [[#Locl]] [x](#local) [y](#lokal) [[Dup]] `[[Ignored]]`",
		"# Local",
	}, "\n")
	g := vault(t, Options{}, map[string]string{
		"notes/Project Plan.md": "# Goals & Risks\n## Timeline\nA paragraph ^para-1\n",
		"docs/setup.md":         "# Install step\n# Install step\n",
		"img/logo.png":          "",
		"a/Dup.md":              "",
		"b/c/Dup.md":            "",
		"src.md":                src,
	})
	got := problems(g, "src.md", src)
	want := `1:18 missing-target broken link [[Project Plann]]: no note named "Project Plann" => [[Project Plan]]
1:67 missing-heading broken link [[Project Plan#Timelin]]: "notes/Project Plan.md" has no heading "Timelin" => [[Project Plan#Timeline]]
2:26 missing-block broken link [[Project Plan#^para-2]]: "notes/Project Plan.md" has no block ^para-2 => [[Project Plan#^para-1]]
2:65 missing-target broken embed ![[logo.jpg]]: no document named "logo.jpg", and no such file at the root, beside this note or in the attachment folders => ![[logo.png]]
3:36 missing-heading broken link [bad](docs/setup.md#install-stepp): "docs/setup.md" has no heading with anchor #install-stepp => [bad](docs/setup.md#install-step)
3:71 missing-target broken link [gone](docs/setp.md): "docs/setp.md" does not exist => [gone](docs/setup.md)
4:12 missing-heading broken link [[#Locl]]: this file has no heading "Locl" => [[#Local]]
4:34 missing-heading broken link [y](#lokal): this file has no heading with anchor #lokal => [y](#local)
4:46 ambiguous ambiguous link [[Dup]]: 2 notes match "Dup"; it resolves to "a/Dup.md" (shortest path) => [[a/Dup]]
`
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
	// The exists callback is asked about attachments that are not indexed.
	var asked []string
	const pics = "![](shots/one.png) ![[two.png]]"
	g.Update("pics.md", []byte(pics))
	probs := check(g, "pics.md", pics, func(p string) bool { asked = append(asked, p); return p == "shots/one.png" })
	if len(probs) != 1 || probs[0].Link.Target != "two.png" {
		t.Errorf("with exists: %+v", probs)
	}
	if !slices.Equal(asked, []string{"shots/one.png", "two.png"}) {
		t.Errorf("exists asked %q", asked)
	}
}

func TestIncremental(t *testing.T) {
	const a = "[[Target]] [[Target#One]]"
	g := vault(t, Options{}, map[string]string{
		"a.md":      a,
		"b.md":      "[see](Target.md)",
		"c.md":      "[[Unrelated]]",
		"Target.md": "# One\n",
		"d.md":      "[[target]]",
	})
	eq := func(name string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: affected = %q, want %q", name, got, want)
		}
	}
	eq("unchanged", g.Update("Target.md", []byte("# One\n")))
	eq("body edit", g.Update("Target.md", []byte("# One\nmore text\n")), "Target.md")
	eq("heading edit", g.Update("Target.md", []byte("# Two\n")), "Target.md", "a.md", "b.md", "d.md")
	eq("remove", g.Remove("Target.md"), "a.md", "b.md", "d.md")
	if got := problems(g, "a.md", a); !strings.Contains(got, "missing-target") {
		t.Errorf("after remove, a.md problems = %q", got)
	}
	eq("re-add", g.Update("Target.md", []byte("# One\n")), "Target.md", "a.md", "b.md", "d.md")
	if got := problems(g, "a.md", a); got != "" {
		t.Errorf("after re-add, a.md problems = %q", got)
	}
	// A linker that changes its links moves in the reverse index.
	eq("relink", g.Update("c.md", []byte("[[Target]]")), "c.md")
	eq("linkers", g.Linkers("Target.md"), "a.md", "b.md", "c.md", "d.md")
	g.Update("c.md", []byte("no links"))
	eq("linkers after unlink", g.Linkers("Target.md"), "a.md", "b.md", "d.md")
	eq("remove unknown", g.Remove("nope.md"))
}

// TestIncrementalSite: a site's URL of a folder (/docs/, /posts/trip/) is
// answered by the folder's _index.md or index.md, whose coming, going and
// heading changes re-check the links to it, as any page's do.
func TestIncrementalSite(t *testing.T) {
	const a = "[docs](/docs/#overview) [trip](/posts/trip/) [install](/docs/install/#usage)"
	g := vault(t, Options{Site: &Site{Content: "content"}}, map[string]string{
		"content/a.md":            a,
		"content/docs/install.md": "# Usage\n",
		"content/other.md":        "[b](/blog/)",
	})
	eq := func(name string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: affected = %q, want %q", name, got, want)
		}
	}
	// A folder holding pages is served without its own page (a list);
	// one holding none is nothing.
	if got := problems(g, "content/a.md", a); strings.Count(got, "\n") != 1 || !strings.Contains(got, "[trip](/posts/trip/)") {
		t.Errorf("folders without their page: %q", got)
	}
	eq("a section's page comes", g.Update("content/docs/_index.md", []byte("# Intro\n")), "content/a.md", "content/docs/_index.md", "content/other.md")
	if got := problems(g, "content/a.md", a); !strings.Contains(got, "#overview") {
		t.Errorf("after _index.md came: %q", got)
	}
	eq("its heading changes", g.Update("content/docs/_index.md", []byte("# Overview\n")), "content/a.md", "content/docs/_index.md")
	eq("a bundle's page comes", g.Update("content/posts/trip/index.md", []byte("x\n")), "content/a.md", "content/other.md", "content/posts/trip/index.md")
	if got := problems(g, "content/a.md", a); got != "" {
		t.Errorf("with both pages: %q", got)
	}
	eq("linkers of a section's page", g.Linkers("content/docs/_index.md"), "content/a.md")
	eq("a page's heading changes", g.Update("content/docs/install.md", []byte("# Setup\n")), "content/a.md", "content/docs/install.md")
}

func TestGraphConcurrent(t *testing.T) {
	g := NewGraph(Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	last := map[string]string{}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				p := fmt.Sprintf("n%d.md", (w*31+i)%50)
				c := fmt.Sprintf("# H%d\n[[n%d]] [[n%d#H%d]]", i, (i+1)%50, (i+2)%50, i)
				g.Update(p, []byte(c))
				mu.Lock()
				last[p] = c
				mu.Unlock()
				check(g, p, c, nil)
				if i%7 == 0 {
					g.Remove(fmt.Sprintf("n%d.md", (i+3)%50))
				}
				g.Linkers(p)
			}
		}()
	}
	wg.Wait()
	for _, p := range g.Paths() {
		check(g, p, last[p], nil)
	}
}

func TestRelPathAndEncode(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{".", "a/b.md", "a/b.md"},
		{"a", "a/b.md", "b.md"},
		{"a/x", "a/b.md", "../b.md"},
		{"x/y", "a/b.md", "../../a/b.md"},
		{"a", "a", "../a"},
	} {
		if got := RelPath(tc.from, tc.to); got != tc.want {
			t.Errorf("RelPath(%q,%q) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
	if got := EncodeDest("my dir/a (1)#?.md", false); got != "my%20dir/a%20%281%29%23%3F.md" {
		t.Errorf("EncodeDest = %q", got)
	}
	if got := EncodeDest("my dir/é.md", true); got != "my dir/é.md" {
		t.Errorf("EncodeDest angle = %q", got)
	}
	if got := string(Apply([]byte("0123456789"), []Edit{{7, 8, "X"}, {1, 3, "ab"}, {2, 4, "overlap"}})); got != "0ab3456X89" {
		t.Errorf("Apply = %q", got)
	}
}

func TestDistance(t *testing.T) {
	var s scratch
	for _, tc := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"kitten", "sitting", 5, 3},
		{"kitten", "sitting", 2, 3},
		{"", "abc", 5, 3},
		{"café", "cafe", 3, 1},
		{"same", "same", 0, 0},
		{"abcdef", "a", 2, 3},
	} {
		if got := s.distance(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("distance(%q,%q,%d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}

func TestDistanceMatchesDP(t *testing.T) {
	alphabet := []rune("abcé日 -")
	r := newRand(7)
	var fast, slow scratch
	for i := 0; i < 20000; i++ {
		a := randString(r, alphabet, r.Intn(12))
		b := randString(r, alphabet, r.Intn(12))
		limit := r.Intn(6)
		got := fast.distance(a, b, limit)
		want := min(slow.dp(a, b, 100), limit+1)
		if got != want {
			t.Fatalf("distance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
		}
	}
	long := strings.Repeat("abcdefghij", 8) // 80 runes: the DP path
	if got := fast.distance(long, long+"x", 3); got != 1 {
		t.Fatalf("long distance = %d", got)
	}
}

func TestTrieMatchesScan(t *testing.T) {
	r := newRand(3)
	alphabet := []rune("abé 0-")
	var names []nameEntry
	seen := map[string]bool{}
	for i := 0; i < 400; i++ {
		k := randString(r, alphabet, 1+r.Intn(8))
		if !seen[k] {
			seen[k] = true
			names = append(names, nameEntry{k, fmt.Sprintf("d%d/%s.md", i%7, k)})
		}
	}
	trie := buildTrie(names)
	var sc scratch
	for i := 0; i < 2000; i++ {
		want := randString(r, alphabet, r.Intn(9))
		limit := maxEdits(want)
		best, bestD := "", limit+1
		for _, e := range names {
			if d := sc.distance(want, e.key, limit); d < bestD || d == bestD && d <= limit && pathLess(e.path, best) {
				best, bestD = e.path, d
			}
		}
		if got := trie.closest(want, limit); got != best {
			t.Fatalf("closest(%q) = %q, scan = %q (d=%d)", want, got, best, bestD)
		}
	}
}

// TestCheckHeadingIDs: a docs repository written for a generator that reads
// explicit heading ids (Docusaurus, MkDocs, Hugo, Jekyll) links to the ids;
// a link to the text's generated anchor is broken there, and is told the id.
func TestCheckHeadingIDs(t *testing.T) {
	src := "[a](setup.md#install) [b](setup.md#install-the-tool) [c](setup.md#configure) [d](#local-id) [e](setup.md#Install)\n" +
		"## Local {#local-id}\n"
	g := vault(t, Options{}, map[string]string{
		"docs/setup.md": "# Setup\n\n## Install the tool {#install}\n\n## Configure {.wide}\n",
		"docs/src.md":   src,
	})
	got := problems(g, "docs/src.md", src)
	want := `1:23 missing-heading broken link [b](setup.md#install-the-tool): "docs/setup.md" has no heading with anchor #install-the-tool => [b](setup.md#install)
`
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

// TestCheckTemplateTargets: a target holding a template expression is filled
// in before anyone follows it (Jekyll's Liquid, an Obsidian template's
// placeholders, Templater's commands): not checked, and not reported.
func TestCheckTemplateTargets(t *testing.T) {
	src := "[about]({{site.baseurl}}/about) [post](<{% link _posts/2024-01-15-a.md %}>) [[{{date}}]]\n" +
		"[[<% tp.file.title %>]] ![[{{title}}.png]] [gone](about.md) [[also gone]]\n"
	g := vault(t, Options{}, map[string]string{"_posts/src.md": src})
	got := problems(g, "_posts/src.md", src)
	want := `2:44 missing-target broken link [gone](about.md): "_posts/about.md" does not exist
2:61 missing-target broken link [[also gone]]: no note named "also gone"
`
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

// TestSuggestNearestOfAName: a broken Markdown link to a name many files
// share (README.md) is pointed at the one nearest the folder it meant, not
// at the first in order (which, in a tree of Go modules, was another
// project's README).
func TestSuggestNearestOfAName(t *testing.T) {
	src := "[a](sdk/metric/x/README.md) [b](../README.md#usage) [c](sdk/READM.md)"
	g := vault(t, Options{}, map[string]string{
		"github.com/chromedp/README.md":          "# Usage\n",
		"go.opentelemetry.io/otel/README.md":     "# Usage\n",
		"go.opentelemetry.io/otel/sdk/README.md": "# SDK\n",
		"go.opentelemetry.io/otel/CHANGELOG.md":  src,
	})
	got := problems(g, "go.opentelemetry.io/otel/CHANGELOG.md", src)
	want := `1:1 missing-target broken link [a](sdk/metric/x/README.md): "go.opentelemetry.io/otel/sdk/metric/x/README.md" does not exist => [a](sdk/README.md)
1:29 missing-target broken link [b](../README.md#usage): "go.opentelemetry.io/README.md" does not exist => [b](README.md#usage)
1:53 missing-target broken link [c](sdk/READM.md): "go.opentelemetry.io/otel/sdk/READM.md" does not exist => [c](sdk/README.md)
`
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

// TestContentPageHint: npm's docs link their pages by the URLs of the site
// built from docs/content ("/commands/npm-team"). Read as plain paths,
// those links are broken; the finding says which page the URL would be and
// how to tell links.check, rather than suggesting the file's path, which is
// not the link the site wants.
func TestContentPageHint(t *testing.T) {
	src := "[a](/commands/npm-team) [b](/guide/#usage) [c](/Commands/NPM-Team) [d](/nothing/here) [e](/commands/npm-tam) [f](/commands/npm-team.md)"
	g := vault(t, Options{}, map[string]string{
		"docs/content/commands/npm-team.md":     "# npm team\n",
		"docs/content/guide.md":                 "# Usage\n",
		"old/docs/content/commands/npm-team.md": "# old\n",
		"README.md":                             src,
	})
	got := problems(g, "README.md", src)
	want := `1:1 missing-target broken link [a](/commands/npm-team): "commands/npm-team" does not exist (it is docs/content/commands/npm-team.md's URL if docs/content/ holds a site's pages: set links.check's markdown_links: site and site: {content: docs/content})
1:25 missing-target broken link [b](/guide/#usage): "guide" does not exist (it is docs/content/guide.md's URL if docs/content/ holds a site's pages: set links.check's markdown_links: site and site: {content: docs/content})
1:44 missing-target broken link [c](/Commands/NPM-Team): "Commands/NPM-Team" does not exist (it is docs/content/commands/npm-team.md's URL if docs/content/ holds a site's pages: set links.check's markdown_links: site and site: {content: docs/content})
1:68 missing-target broken link [d](/nothing/here): "nothing/here" does not exist
1:87 missing-target broken link [e](/commands/npm-tam): "commands/npm-tam" does not exist => [e](/docs/content/commands/npm-team.md)
1:110 missing-target broken link [f](/commands/npm-team.md): "commands/npm-team.md" does not exist => [f](/docs/content/commands/npm-team.md)
`
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

func TestCommonFolders(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{".", "a", 0}, {"a", ".", 0}, {"a", "a", 1}, {"a/b", "a/c", 1},
		{"a/b/c", "a/b", 2}, {"ab", "a", 0}, {"a/b", "ab/b", 0},
	} {
		if got := commonFolders(c.a, c.b); got != c.want {
			t.Errorf("commonFolders(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
