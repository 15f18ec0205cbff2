package links

import (
	"fmt"
	"strings"
	"testing"
)

// TestStripNumberPrefix holds the number prefix parser to Docusaurus's own
// expectations (its numberPrefix.test.ts).
func TestStripNumberPrefix(t *testing.T) {
	for _, in := range []string{
		"1-My Doc", "01-My Doc", "001-My Doc", "001 - My Doc", "001      -    My Doc", "999      -        My Doc",
		"1---My Doc", "001 --- My Doc", "1___My Doc", "001 ___ My Doc", "1.My Doc", "001 . My Doc", "0046036 - My Doc",
	} {
		if got := stripNumberPrefix(in); got != "My Doc" {
			t.Errorf("stripNumberPrefix(%q) = %q, want %q", in, got, "My Doc")
		}
	}
	for _, in := range []string{
		"MyDoc", "a1-My Doc", "My Doc-000", "My Doc - 1", "Hey - 03 - My Doc", "00abc01-My Doc", "My 001- Doc", "My -001 Doc",
		"2021-01-31 - Doc", "31-01-2021 - Doc", "2021_01_31 - Doc", "2021.01.31 - Doc", "2021-01 - Doc", "01-2021 - Doc",
		"2021-01-31", "21-01", "01_31", "01", "2021", "8.0", "8.0.0", "14.2.16", "8.0 - Doc", "8_0_0", "18_2",
	} {
		if got := stripNumberPrefix(in); got != in {
			t.Errorf("stripNumberPrefix(%q) = %q, want it unchanged", in, got)
		}
	}
}

// TestDocusaurusRoute holds routes to what Docusaurus makes of each
// document (its slug.test.ts, docs.test.ts and blogUtils.test.ts shapes).
func TestDocusaurusRoute(t *testing.T) {
	d := DocusaurusSite()
	for _, tc := range []struct{ path, slug, id, want string }{
		{"docs/intro.md", "", "", "/docs/intro"},
		{"docs/tutorial-basics/create-a-page.md", "", "", "/docs/tutorial-basics/create-a-page"},
		{"docs/0-MyRootFolder0/1 - MySubFolder1/2.  MyDeepFolder2/3 _MyDoc3.md", "", "", "/docs/MyRootFolder0/MySubFolder1/MyDeepFolder2/MyDoc3"},
		{"docs/3-API/01_Core APIs/0 --- Client API.md", "", "", "/docs/API/Core APIs/Client API"},
		{"docs/doc with space.md", "", "", "/docs/doc with space"},
		{"docs/index.md", "", "", "/docs/"},
		{"docs/guides/inDEx.mdx", "", "", "/docs/guides/"},
		{"docs/guides/reADMe.mdx", "", "", "/docs/guides/"},
		{"docs/subdir/suBDir.mdx", "", "", "/docs/subdir/"},
		{"docs/01-guides/01-guides.md", "", "", "/docs/guides/"},
		{"docs/01-guides/guides.md", "", "", "/docs/guides/guides"}, // the raw folder name is 01-guides
		{"docs/guides/index.md", "", "other", "/docs/guides/"},      // an id does not undo an index
		{"docs/guides/index.md", "start", "", "/docs/guides/start"},
		{"docs/dir/doc.md", "", "my-id", "/docs/dir/my-id"},
		{"docs/dir/doc.md", "abc/def", "", "/docs/dir/abc/def"},
		{"docs/dir/subdir/doc.md", "../abc/def", "", "/docs/dir/abc/def"},
		{"docs/dir/doc.md", "../../../../x", "", "/docs/x"},
		{"docs/dir/doc.md", "/abs/slug", "", "/docs/abs/slug"},
		{"docs/dir/doc.md", "/", "", "/docs/"},
		{"docs/dir/doc.md", "trailing/", "", "/docs/dir/trailing/"},
		{"docs/2021-01-31 - Doc.md", "", "", "/docs/2021-01-31 - Doc"},
		{"docs/8.0-release.md", "", "", "/docs/8.0-release"},
		{"blog/2021-08-26-welcome/index.md", "", "", "/blog/2021/08/26/welcome"},
		{"blog/2019-05-28-first-blog-post.md", "", "", "/blog/2019/05/28/first-blog-post"},
		{"blog/2021-08-26-welcome/index.md", "welcome", "", "/blog/welcome"},
		{"blog/2021/08/26/post.md", "", "", "/blog/2021/08/26/post"},
		{"blog/2020/2020-08-03-folder.md", "", "", "/blog/2020/08/03/2020/folder"},
		{"blog/no-date.md", "", "", "/blog/no-date"},
		{"blog/2021-01-01-x/2022-02-02-y.md", "", "", "/blog/2022/02/02/2021-01-01-x/y"},
		{"blog/folder/index.md", "", "", "/blog/folder"},
		{"src/pages/markdown-page.md", "", "", "/markdown-page"},
		{"src/pages/index.md", "", "", "/"},
		{"src/pages/help/index.md", "", "", "/help/"},
		{"src/pages/help.md", "/support", "", "/support"},
	} {
		got, ok := d.Route(tc.path, tc.slug, tc.id)
		if !ok || got != tc.want {
			t.Errorf("Route(%q, slug %q, id %q) = %q, %v; want %q", tc.path, tc.slug, tc.id, got, ok, tc.want)
		}
	}
	for _, p := range []string{"README.md", "docs/_partial.md", "docs/_drafts/a.md", "docs/__tests__/a.md", "docs/a.txt", "website/docs/a.md"} {
		if r, ok := d.Route(p, "", ""); ok {
			t.Errorf("Route(%q) = %q; want no route", p, r)
		}
	}
}

// TestCheckDocusaurus checks a site laid out as create-docusaurus's classic
// template lays one out: links by URL and by file, static images, blog
// posts by date, React pages, numbered folders, ids and slugs.
func TestCheckDocusaurus(t *testing.T) {
	files := map[string]string{
		"docs/intro.md":                         "---\nsidebar_position: 1\n---\n# Tutorial Intro\n\n## Getting Started\n\nRead [Create a page](./tutorial-basics/create-a-page.md).\n",
		"docs/tutorial-basics/create-a-page.md": "---\nsidebar_position: 1\n---\n# Create a Page\n\n## Create your first React Page\n",
		"docs/tutorial-basics/markdown-features.md": strings.Join([]string{
			"# Markdown Features",
			"Let's see how to [Create a page](/docs/tutorial-basics/create-a-page).",
			"Let's see how to [Create a page](./create-a-page.md#create-your-first-react-page).",
			"Let's see how to [Create a page](create-a-page) and [back](../intro#getting-started).",
			"![Docusaurus logo](/img/docusaurus.png) ![gone](/img/missing.png) [file](@site/static/img/docusaurus.png)",
			"[typo](/docs/tutorial-basics/create-a-pag) [bad anchor](/docs/intro#getting-startd) [tags](/docs/tags/demo)",
			"## Headings {#custom-id}",
			"[own](#custom-id) [guide](/docs/guides/) [guide setup](/docs/guides/setup) [home](/) [blog](/blog) [post](/blog/welcome)",
			"[old post](/blog/2019/05/28/first-blog-post) [page](/markdown-page) [mdx](/docs/api)",
		}, "\n") + "\n",
		"docs/02-guides/02-guides.md":        "# Guides\n[setup](setup) [intro](../intro) [self](./)\n",
		"docs/02-guides/01-install.md":       "---\nid: setup\n---\n# Setup\n[back](./) [sibling](02-guides.md)\n",
		"blog/2021-08-26-welcome/index.md":   "---\nslug: welcome\n---\nRead the [intro](/docs/intro) and [the first post](../2019-05-28-first-blog-post.md).\n",
		"blog/2019-05-28-first-blog-post.md": "# First\n",
		"src/pages/markdown-page.md":         "# Markdown page example\n\nGo [home](/) or [to a doc](./intro.md).\n",
		"README.md":                          "See [the docs](docs/intro.md) and [nothing](docs/nothing.md).\n",
	}
	g := vault(t, Options{Docusaurus: DocusaurusSite()}, files)
	onDisk := map[string]bool{"static/img/docusaurus.png": true, "src/pages/index.js": true, "docs/api.mdx": true}
	exists := func(p string) bool { return onDisk[p] }
	var got strings.Builder
	for _, p := range []string{"docs/tutorial-basics/markdown-features.md", "docs/02-guides/02-guides.md", "docs/02-guides/01-install.md",
		"blog/2021-08-26-welcome/index.md", "src/pages/markdown-page.md", "README.md"} {
		for _, pr := range check(g, p, files[p], exists) {
			fmt.Fprintf(&got, "%s:%d:%d %s %s", p, pr.Link.Line, pr.Link.Column, pr.Kind, pr.Message())
			if pr.Suggestion != "" {
				fmt.Fprintf(&got, " => %s", pr.Suggestion)
			}
			got.WriteByte('\n')
		}
	}
	want := `docs/tutorial-basics/markdown-features.md:5:41 missing-target broken embed ![gone](/img/missing.png): the site serves nothing at "/img/missing.png" (no page has that URL, and there is no file static/img/missing.png)
docs/tutorial-basics/markdown-features.md:6:1 missing-target broken link [typo](/docs/tutorial-basics/create-a-pag): no page of the site is at "/docs/tutorial-basics/create-a-pag" => [typo](/docs/tutorial-basics/create-a-page)
docs/tutorial-basics/markdown-features.md:6:44 missing-heading broken link [bad anchor](/docs/intro#getting-startd): "docs/intro.md" has no heading with anchor #getting-startd => [bad anchor](/docs/intro#getting-started)
src/pages/markdown-page.md:3:17 missing-target broken link [to a doc](./intro.md): no page of the site is at "/intro.md"
README.md:1:35 missing-target broken link [nothing](docs/nothing.md): "docs/nothing.md" does not exist
`
	if got.String() != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got.String(), want)
	}
}
