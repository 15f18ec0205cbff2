package vault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
	"github.com/scribe-md/scribe/internal/safefile"
)

func TestNamingConvert(t *testing.T) {
	for _, tc := range []struct{ in, kebab, snake string }{
		{"My Note", "my-note", "my_note"},
		{"myOtherNote", "my-other-note", "my_other_note"},
		{"HTTPServer Setup", "http-server-setup", "http_server_setup"},
		{"Old_File", "old-file", "old_file"},
		{"2024-01-01 Daily", "2024-01-01-daily", "2024_01_01_daily"},
		{"Don't Panic!", "dont-panic", "dont_panic"},
		{"Thé Vert", "thé-vert", "thé_vert"},
		{"v1.2 release", "v1-2-release", "v1_2_release"},
		{"日本語 ノート", "日本語-ノート", "日本語_ノート"},
		{"already-kebab", "already-kebab", "already_kebab"},
		{"___", "", ""},
		{"Version2Notes", "version2-notes", "version2_notes"},
	} {
		if got := convert(tc.in, "-"); got != tc.kebab {
			t.Errorf("kebab(%q) = %q, want %q", tc.in, got, tc.kebab)
		}
		if got := convert(tc.in, "_"); got != tc.snake {
			t.Errorf("snake(%q) = %q, want %q", tc.in, got, tc.snake)
		}
		// A converted name is conventional: fixing twice changes nothing.
		if k := convert(tc.in, "-"); convert(k, "-") != k {
			t.Errorf("kebab not idempotent on %q", tc.in)
		}
	}
}

// TestNamingKeepsLeadingUnderscore: a name's leading '_', which site
// generators read (_posts, _index.md), survives the conversion.
func TestNamingKeepsLeadingUnderscore(t *testing.T) {
	for _, style := range []string{"", "{style: snake_case}"} {
		n := mustNew(t, "naming", style).(*naming)
		for _, tc := range []struct {
			name      string
			dir       bool
			kebab     string
			snakeWant string
		}{
			{"_posts", true, "_posts", "_posts"},
			{"_My Posts", true, "_my-posts", "_my_posts"},
			{"__Init__.md", false, "__init.md", "__init.md"},
			{"_index.md", false, "_index.md", "_index.md"},
			{"2024-01-15-Big_News.md", false, "2024-01-15-big-news.md", "2024_01_15_big_news.md"},
			{"___", true, "", ""},
		} {
			want := tc.kebab
			if style != "" {
				want = tc.snakeWant
			}
			got, ok := n.conventional(tc.name, tc.dir)
			if got != want || ok != (got == tc.name) {
				t.Errorf("%s conventional(%q) = %q, %v; want %q", n.style, tc.name, got, ok, want)
			}
		}
	}
}

func TestNamingReportGolden(t *testing.T) {
	for _, tc := range []struct{ golden, params string }{
		{"naming-report.golden", ""},
		{"naming-report-snake.golden", "{style: snake_case, severity: error, ignore: ['archive/**', 'Café Notes'], directories: true}"},
		{"naming-report-regex.golden", "{style: regex, pattern: '^[a-z0-9-]+$', directories: false, ignore_defaults: false}"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			d := copyNoteDir(t, "testdata/naming/vault")
			before := d.snapshot(t)
			got, _ := d.runAll(t, mustNew(t, "naming", tc.params))
			golden(t, tc.golden, got)
			if !same(before, d.snapshot(t)) {
				t.Error("report mode changed files")
			}
		})
	}
}

func same(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// fixAll runs a fix-mode action over every document, then over what it
// reports as affected (the files under their new names), as a one-shot run
// does. It returns the rendered findings and the first error.
func (d *noteDir) fixAll(t *testing.T, a action.Action, dry bool) (string, error) {
	t.Helper()
	var lines []string
	queue := d.List()
	for round := 0; round < 4 && len(queue) > 0; round++ {
		var next []string
		for _, p := range queue {
			if _, err := d.Stat(p); err != nil {
				continue // moved by an earlier rename
			}
			in := d.input(t, p)
			in.DryRun = dry
			if dry {
				in.Host.Writer = &recorder{}
			}
			out, err := a.Run(context.Background(), in)
			if err != nil {
				return strings.Join(lines, ""), err
			}
			lines = append(lines, render(p, out.Findings)...)
			next = append(next, out.Affected...)
		}
		queue = next
	}
	return strings.Join(lines, ""), nil
}

// dump renders a whole tree for golden comparison.
func dump(files map[string]string) string {
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&b, "=== %s\n%s", p, files[p])
		if !strings.HasSuffix(files[p], "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func TestNamingFixGolden(t *testing.T) {
	d := copyNoteDir(t, "testdata/naming/vault")
	a := mustNew(t, "naming", "{mode: fix}")
	findings, err := d.fixAll(t, a, false)
	if err != nil {
		t.Fatalf("fix: %v", err)
	}
	golden(t, "naming-fix-findings.golden", findings)
	after := d.snapshot(t)
	golden(t, "naming-fix-tree.golden", dump(after))

	// Every link that resolved before still resolves after the renames.
	check := mustNew(t, "links.check", "{attachment_folders: [./images]}")
	broken, _ := d.runAll(t, check)
	if broken != "" {
		t.Errorf("links broken by the renames:\n%s", broken)
	}

	// A second pass has nothing left to do (except the unnameable file).
	again, err := d.fixAll(t, mustNew(t, "naming", "{mode: fix}"), false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(again, "\n") != 1 || !strings.Contains(again, "rename it by hand") {
		t.Errorf("second pass: %q", again)
	}
	if !same(after, d.snapshot(t)) {
		t.Error("second pass changed files")
	}
}

func TestNamingFixCaseOnly(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		"Note.md":  "# Note\n",
		"other.md": "[[Note]] [n](Note.md) [[Note#Note]]\n",
	})
	if _, err := d.fixAll(t, mustNew(t, "naming", "{mode: fix}"), false); err != nil {
		t.Fatal(err)
	}
	got := d.snapshot(t)
	want := map[string]string{"note.md": "# Note\n", "other.md": "[[note]] [n](note.md) [[note#Note]]\n"}
	if !same(got, want) {
		t.Errorf("case-only rename:\n%s\nwant:\n%s", dump(got), dump(want))
	}
}

// TestNamingFixLogseqGraph: in a Logseq graph a page is linked by the name
// its file gives it, so a renamed page's links take its new name (a
// namespace's too), and links through an alias, or to a block, stay.
func TestNamingFixLogseqGraph(t *testing.T) {
	const id = "64f1a2b3-0c4d-4e5f-8a9b-0c1d2e3f4a5b"
	d := newNoteDir(t, map[string]string{
		"logseq/config.edn":        "{:meta/version 1 :file/name-format :triple-lowbar}\n",
		"pages/My Page.md":         "alias:: Mine\n\n- a block\n  id:: " + id + "\n",
		"pages/Proj___Sub Page.md": "- sub\n",
		"pages/index.md":           "- [[My Page]], [[my page]], [[Mine]], ((" + id + ")) and [[Proj/Sub Page]]\n",
	})
	if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix, directories: false}`), false); err != nil {
		t.Fatal(err)
	}
	got := d.snapshot(t)
	if j, want := got["pages/index.md"], "- [[my-page]], [[my-page]], [[Mine]], (("+id+")) and [[proj-sub-page]]\n"; j != want {
		t.Errorf("the linking page:\n%s\nwant:\n%s\n(tree:\n%s)", j, want, dump(got))
	}
	if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
		t.Errorf("links broken by the renames:\n%s", broken)
	}
}

// TestNamingFixDocusaurusSite: in a Docusaurus site a renamed doc's links
// by URL take its new route, and its links by file its new path; a doc
// whose front matter gives its route keeps its links.
func TestNamingFixDocusaurusSite(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		"docusaurus.config.js":       "module.exports = {};\n",
		"docs/My_Guides/Odd Name.md": "# Odd\n\n## Part\n",
		"docs/My_Guides/Pinned.md":   "---\nslug: /pinned\n---\n# Pinned\n",
		"docs/links.md": "[odd](/docs/My_Guides/Odd%20Name#part) [file](./My_Guides/Odd%20Name.md) [angle](</docs/My_Guides/Odd Name/>)\n" +
			"[rel](My_Guides/Odd%20Name) [pinned](/docs/pinned) [pinned file](My_Guides/Pinned.md)\n",
	})
	if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix}`), false); err != nil {
		t.Fatal(err)
	}
	got := d.snapshot(t)
	want := "[odd](/docs/my-guides/odd-name#part) [file](./my-guides/odd-name.md) [angle](</docs/my-guides/odd-name/>)\n" +
		"[rel](/docs/my-guides/odd-name) [pinned](/docs/pinned) [pinned file](my-guides/pinned.md)\n"
	if j := got["docs/links.md"]; j != want {
		t.Errorf("the linking doc:\n%s\nwant:\n%s\n(tree:\n%s)", j, want, dump(got))
	}
	if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
		t.Errorf("links broken by the renames:\n%s", broken)
	}
}

// TestNamingFixJekyllSite: in a Jekyll site a renamed page's and post's
// URL links take the new URLs in the style they were written in (with
// ".html" or without, relative to the linking page's URL, with the site's
// base URL), and links by file the new file; the _posts folder keeps its
// name.
func TestNamingFixJekyllSite(t *testing.T) {
	files := map[string]string{
		"_config.yml":           "title: Site\n",
		"docs/Install_Guide.md": "# Install\n\n## Usage\n",
		"_posts/2024-01-15-Big_News.md": "---\ncategories: news\n---\n# News\n\n" +
			"[g](../../../../docs/Install_Guide#usage) [h](../../../../docs/Install_Guide.html)\n",
		"docs/Pinned_Page.md": "---\npermalink: /pinned/\n---\n# Pinned\n",
		"index.md": "[a](/docs/Install_Guide.html#usage) [b](docs/Install_Guide) [c](docs/Install_Guide.md)\n" +
			"[d](/news/2024/01/15/Big_News.html) [e](/pinned/) [f](docs/Pinned_Page.md)\n" +
			"[g]({% link docs/Install_Guide.md %}#usage) [h]({{ site.baseurl }}{% post_url 2024-01-15-Big_News %})\n",
	}
	d := newNoteDir(t, files)
	if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix}`), false); err != nil {
		t.Fatal(err)
	}
	got := d.snapshot(t)
	want := map[string]string{
		"index.md": "[a](/docs/install-guide.html#usage) [b](docs/install-guide) [c](docs/install-guide.md)\n" +
			"[d](/news/2024/01/15/big-news.html) [e](/pinned/) [f](docs/pinned-page.md)\n" +
			"[g]({% link docs/install-guide.md %}#usage) [h]({{ site.baseurl }}{% post_url 2024-01-15-big-news %})\n",
		"_posts/2024-01-15-big-news.md": "---\ncategories: news\n---\n# News\n\n" +
			"[g](../../../../docs/install-guide#usage) [h](../../../../docs/install-guide.html)\n",
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s:\n%s\nwant:\n%s\n(tree:\n%s)", p, got[p], w, dump(got))
		}
	}
	if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
		t.Errorf("links broken by the renames:\n%s", broken)
	}

	// A project's site: its URLs start with its base URL.
	files["_config.yml"] = "title: Site\nbaseurl: /project\n"
	files["index.md"] = "[a](/project/docs/Install_Guide.html#usage) [d](/project/news/2024/01/15/Big_News)\n"
	d = newNoteDir(t, files)
	if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix}`), false); err != nil {
		t.Fatal(err)
	}
	if got, want := d.snapshot(t)["index.md"], "[a](/project/docs/install-guide.html#usage) [d](/project/news/2024/01/15/big-news)\n"; got != want {
		t.Errorf("a project's site:\n%s\nwant:\n%s", got, want)
	}
}

// TestNamingFixHugoSite: in a Hugo site a renamed page's links by URL take
// its new URL, its refs its new path or name, and a page whose front matter
// slug or url sets its URL keeps it, and its links.
func TestNamingFixHugoSite(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		"hugo.toml":                  "title = 'Site'\n",
		"content/docs/Odd_Name.md":   "## Part\n",
		"content/docs/Pinned_One.md": "---\nslug: pinned\n---\n",
		"content/docs/Moved_One.md":  "+++\nurl = '/elsewhere/'\n+++\n",
		"content/links.md": "[a](/docs/odd_name/#part) [b](../docs/odd_name/) [c](/docs/pinned/) [d](/elsewhere/) [e](docs/Odd_Name.md)\n" +
			`[f]({{< ref "docs/Odd_Name.md#part" >}}) [g]({{< relref "/docs/Odd_Name" >}}) [h]({{% ref "Odd_Name" %}})` + "\n",
	})
	if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix}`), false); err != nil {
		t.Fatal(err)
	}
	got := d.snapshot(t)
	want := "[a](/docs/odd-name/#part) [b](/docs/odd-name/) [c](/docs/pinned/) [d](/elsewhere/) [e](docs/odd-name.md)\n" +
		`[f]({{< ref "docs/odd-name.md#part" >}}) [g]({{< relref "/docs/odd-name" >}}) [h]({{% ref "odd-name" %}})` + "\n"
	if got["content/links.md"] != want {
		t.Errorf("the linking page:\n%s\nwant:\n%s\n(tree:\n%s)", got["content/links.md"], want, dump(got))
	}
	if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
		t.Errorf("links broken by the renames:\n%s", broken)
	}

	// With uglyURLs the pages' URLs end in .html, and keep it (a relative
	// URL, as above, becomes one from the site's root).
	d = newNoteDir(t, map[string]string{
		"hugo.toml":                "uglyURLs = true\n",
		"content/docs/Odd_Name.md": "## Part\n",
		"content/links.md":         "[a](/docs/odd_name.html#part) [b](docs/odd_name.html) [c](/docs.html)\n",
	})
	if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix}`), false); err != nil {
		t.Fatal(err)
	}
	if got, want := d.snapshot(t)["content/links.md"], "[a](/docs/odd-name.html#part) [b](/docs/odd-name.html) [c](/docs.html)\n"; got != want {
		t.Errorf("uglyURLs: the linking page:\n%s\nwant:\n%s", got, want)
	}
	if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
		t.Errorf("uglyURLs: links broken by the renames:\n%s", broken)
	}
}

// TestNamingFixRedirects: a link to an old URL of a renamed page, which a
// redirect page of the site (Hugo's aliases, jekyll-redirect-from's
// redirect_from) answers, is left as written: the redirect moves with the
// page's front matter. Its links by its own URL take the new one.
func TestNamingFixRedirects(t *testing.T) {
	for name, c := range map[string]struct {
		files       map[string]string
		links, want string
	}{
		"hugo": {
			files: map[string]string{
				"hugo.toml":                     "title = 'Site'\n",
				"content/docs/Install_Guide.md": "+++\ntitle = 'Install'\naliases = ['/old/install/', 'setup']\n+++\n## Usage\n",
			},
			links: "content/links.md",
			want:  "[a](/old/install/) [b](/docs/setup) [c](/docs/install-guide/#usage)\n",
		},
		"jekyll": {
			files: map[string]string{
				"_config.yml":           "plugins: [jekyll-redirect-from]\n",
				"docs/Install_Guide.md": "---\nredirect_from: [/old/install/, /setup.html]\n---\n## Usage\n",
			},
			links: "links.md",
			want:  "[a](/old/install/) [b](/setup) [c](/docs/install-guide.html#usage)\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			src := "[a](/old/install/) [b](/docs/setup) [c](/docs/Install_Guide/#usage)\n"
			if name == "jekyll" {
				src = "[a](/old/install/) [b](/setup) [c](/docs/Install_Guide.html#usage)\n"
			}
			c.files[c.links] = src
			d := newNoteDir(t, c.files)
			if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix}`), false); err != nil {
				t.Fatal(err)
			}
			got := d.snapshot(t)
			if got[c.links] != c.want {
				t.Errorf("the linking page:\n%s\nwant:\n%s\n(tree:\n%s)", got[c.links], c.want, dump(got))
			}
			if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
				t.Errorf("links broken by the renames:\n%s", broken)
			}
		})
	}
}

// TestNamingFixVitePressSite: in a VitePress site a renamed page's links
// keep their style, without ".md" or with it, from the site's root or
// relative.
func TestNamingFixVitePressSite(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		".vitepress/config.mts":    "export default {}\n",
		"guide/Getting_Started.md": "# Getting started\n\n## Install\n",
		"index.md":                 "[a](/guide/Getting_Started#install) [b](./guide/Getting_Started) [c](guide/Getting_Started.md) [d](/guide/Getting_Started.html)\n",
	})
	if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix}`), false); err != nil {
		t.Fatal(err)
	}
	got := d.snapshot(t)
	if want := "[a](/guide/getting-started#install) [b](./guide/getting-started) [c](guide/getting-started.md) [d](/guide/getting-started.html)\n"; got["index.md"] != want {
		t.Errorf("index.md:\n%s\nwant:\n%s\n(tree:\n%s)", got["index.md"], want, dump(got))
	}
	if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
		t.Errorf("links broken by the rename:\n%s", broken)
	}
}

// TestNamingFixReadsLinksAsTheRoot: naming reads a root's links as
// links.check does by default, so that a rename keeps them resolving: a
// Hugo site's URLs take the page's new URL, and an Obsidian vault's
// Markdown links by name (the shortest path, from any folder) its new name.
func TestNamingFixReadsLinksAsTheRoot(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		"hugo.toml":                     "title = 'Site'\n",
		"content/docs/Install_Guide.md": "# Install\n\n## Usage\n",
		"content/docs/_index.md":        "[a](/docs/install_guide/#usage) [b](Install_Guide.md) [c](/docs/Install_Guide)\n",
	})
	if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix}`), false); err != nil {
		t.Fatal(err)
	}
	if got, want := d.snapshot(t)["content/docs/_index.md"], "[a](/docs/install-guide/#usage) [b](install-guide.md) [c](/docs/install-guide)\n"; got != want {
		t.Errorf("Hugo site:\n%s\nwant:\n%s", got, want)
	}
	if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
		t.Errorf("Hugo site: links broken by the rename:\n%s", broken)
	}

	d = newNoteDir(t, map[string]string{
		".obsidian/app.json": "{}",
		"notes/My Note.md":   "# Note\n",
		"daily/today.md":     "[n](My%20Note.md) [[My Note]]\n",
	})
	if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix, directories: false}`), false); err != nil {
		t.Fatal(err)
	}
	if got, want := d.snapshot(t)["daily/today.md"], "[n](my-note.md) [[my-note]]\n"; got != want {
		t.Errorf("Obsidian vault:\n%s\nwant:\n%s", got, want)
	}
	if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
		t.Errorf("Obsidian vault: links broken by the rename:\n%s", broken)
	}
}

func TestNamingFixConflict(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		"My Note.md": "a\n",
		"my-note.md": "b\n",
		"x.md":       "[[My Note]]\n",
	})
	before := d.snapshot(t)
	out, err := d.fixAll(t, mustNew(t, "naming", "{mode: fix}"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "My Note.md:0:0: error: cannot rename My Note.md to my-note.md: my-note.md already exists") {
		t.Errorf("findings: %q", out)
	}
	if !same(before, d.snapshot(t)) {
		t.Error("a blocked rename changed files")
	}
}

func TestNamingFixAmbiguousAfterRename(t *testing.T) {
	// After the rename two notes are named my-note: the by-name link must
	// become a path so that it keeps pointing at the renamed one.
	d := newNoteDir(t, map[string]string{
		"a/My Note.md":   "a\n",
		"b/c/my-note.md": "b\n",
		"x.md":           "[[My Note]] [[my-note]]\n",
	})
	if _, err := d.fixAll(t, mustNew(t, "naming", "{mode: fix}"), false); err != nil {
		t.Fatal(err)
	}
	// The renamed note is the shortest my-note now: the link that pointed at
	// the other one gets its path.
	if got := d.snapshot(t)["x.md"]; got != "[[my-note]] [[b/c/my-note]]\n" {
		t.Errorf("x.md = %q", got)
	}
}

func TestNamingFixRollback(t *testing.T) {
	for _, tc := range []struct {
		name        string
		failWrite   string
		failRename  string
		wantInError string
	}{
		// The directory and the file are renamed, then a linker's rewrite fails.
		{"write fails", "README.md", "", "README.md: injected failure"},
		// The directory is renamed, then the file's rename fails.
		{"second rename fails", "", "my-dir/My Note.md", "injected failure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newNoteDir(t, map[string]string{
				"My Dir/My Note.md": "# H\n[[Other]]\n",
				"My Dir/Other.md":   "[[My Note]]\n",
				"README.md":         "[[My Note]] [d](My%20Dir/My%20Note.md)\n",
				"zz.md":             "[[My Note#H]]\n",
			})
			d.failWrite, d.failRename = tc.failWrite, tc.failRename
			before := d.snapshot(t)
			a := mustNew(t, "naming", "{mode: fix}")
			_, err := a.Run(context.Background(), d.input(t, "My Dir/My Note.md"))
			if err == nil || !strings.Contains(err.Error(), tc.wantInError) || !strings.Contains(err.Error(), "every change undone") {
				t.Fatalf("err = %v", err)
			}
			if after := d.snapshot(t); !same(before, after) {
				t.Errorf("vault not restored:\n%s\nwant:\n%s", dump(after), dump(before))
			}
			// With the fault gone the same run succeeds.
			d.failWrite, d.failRename = "", ""
			if _, err := a.Run(context.Background(), d.input(t, "My Dir/My Note.md")); err != nil {
				t.Fatal(err)
			}
			got := d.snapshot(t)
			if got["README.md"] != "[[my-note]] [d](my-dir/my-note.md)\n" || got["zz.md"] != "[[my-note#H]]\n" {
				t.Errorf("after retry:\n%s", dump(got))
			}
		})
	}
}

// recorder is the dry-run Writer: it records and writes nothing.
type recorder struct {
	mu  sync.Mutex
	ops []string
}

func (r *recorder) WriteFile(_ context.Context, p string, _ []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, "write "+p)
	return nil
}

func (r *recorder) Rename(_ context.Context, from, to string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, "rename "+from+" -> "+to)
	return nil
}

// conflictWriter refuses every ReplaceFile of one path, as if a user had
// just edited it.
type conflictWriter struct {
	*noteDir
	path string
}

func (w conflictWriter) ReplaceFile(ctx context.Context, p string, old, content []byte) error {
	if p == w.path {
		return &safefile.ConflictError{Path: p}
	}
	return w.noteDir.ReplaceFile(ctx, p, old, content)
}

// A note edited between the plan and its rewrite keeps the edit: what was
// done is undone, and the error says so, for the engine to redo the file.
// When the undo cannot be completed, the error no longer does: the engine
// must not redo a file on a tree left half renamed.
func TestNamingFixConflictUndone(t *testing.T) {
	files := map[string]string{"My Note.md": "# H\n", "README.md": "[[My Note]]\n"}
	d := newNoteDir(t, files)
	in := d.input(t, "My Note.md")
	in.Host.Writer = conflictWriter{d, "README.md"}
	_, err := mustNew(t, "naming", "{mode: fix}").Run(context.Background(), in)
	var conflict *safefile.ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "every change undone") {
		t.Fatalf("err = %v, want a conflict, everything undone", err)
	}
	if got := d.snapshot(t); !same(got, files) {
		t.Errorf("not undone:\n%s", dump(got))
	}

	d.failRename = "my-note.md" // the undo's rename back fails
	_, err = mustNew(t, "naming", "{mode: fix}").Run(context.Background(), in)
	if err == nil || errors.As(err, &conflict) || !strings.Contains(err.Error(), "undo incomplete") {
		t.Fatalf("err = %v, want an incomplete undo that is no conflict", err)
	}
}

func TestNamingFixDryRun(t *testing.T) {
	d := newNoteDir(t, map[string]string{"My Note.md": "x\n", "a.md": "[[My Note]]\n"})
	before := d.snapshot(t)
	a := mustNew(t, "naming", "{mode: fix}")
	rec := &recorder{}
	in := d.input(t, "My Note.md")
	in.DryRun, in.Host.Writer = true, rec
	out, err := a.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.ops, []string{"rename My Note.md -> my-note.md", "write a.md"}) {
		t.Errorf("recorded %q", rec.ops)
	}
	if len(out.Findings) != 1 || !strings.HasPrefix(out.Findings[0].Message, "would rename My Note.md to my-note.md") {
		t.Errorf("findings %+v", out.Findings)
	}
	if !same(before, d.snapshot(t)) {
		t.Error("dry run changed files")
	}
}

func TestNamingFixKeepsEarlierActionsContent(t *testing.T) {
	// An earlier action of the rule changed the content: it must follow the
	// file to its new name.
	d := newNoteDir(t, map[string]string{"My Note.md": "old\n"})
	in := d.input(t, "My Note.md")
	in.Content = []byte("new [[My Note]]\n")
	if _, err := mustNew(t, "naming", "{mode: fix}").Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if got := d.snapshot(t); !same(got, map[string]string{"my-note.md": "new [[my-note]]\n"}) {
		t.Errorf("got %s", dump(got))
	}
}

// TestNamingFixLeavesCodeFolders: in a code repository a package's README
// makes its folder a folder of notes; renaming it would move the code that
// other files import by its path, so it is reported and left as it is. A
// folder of notes and attachments is renamed, and links to the folder
// itself follow it.
func TestNamingFixLeavesCodeFolders(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		"imports/README.md":                        "[W](wasi_snapshot_preview1) [a](wasi_snapshot_preview1/args.go)\n",
		"imports/wasi_snapshot_preview1/README.md": "# WASI\n",
		"imports/wasi_snapshot_preview1/args.go":   "package wasi\n",
		"Project_Docs/guide.md":                    "# Guide\n![d](diagram.png)\n",
		"Project_Docs/diagram.png":                 "png",
		"Project_Docs/.DS_Store":                   "x",
		"Project_Docs/data/table.csv":              "a,b\n",
		"index.md":                                 "[d](./Project_Docs/) [D](Project_Docs) [g](Project_Docs/guide.md) [t](Project_Docs/data/table.csv)\n",
		"with_link/note.md":                        "# n\n",
	})
	if err := os.Symlink("../index.md", filepath.Join(d.dir, "with_link/index.md.lnk")); err != nil {
		t.Fatal(err)
	}
	findings, err := d.fixAll(t, mustNew(t, "naming", "{mode: fix}"), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`imports/wasi_snapshot_preview1:0:0: warning: directory name "wasi_snapshot_preview1" is not kebab-case; left as it is: it holds imports/wasi_snapshot_preview1/args.go, which is neither a note nor an attachment`,
		`with_link:0:0: warning: directory name "with_link" is not kebab-case; left as it is: it holds with_link/index.md.lnk, a symbolic link`,
	} {
		if !strings.Contains(findings, want) {
			t.Errorf("findings lack %q:\n%s", want, findings)
		}
	}
	got := d.snapshot(t)
	for p, want := range map[string]string{
		"imports/README.md":                      "[W](wasi_snapshot_preview1) [a](wasi_snapshot_preview1/args.go)\n",
		"imports/wasi_snapshot_preview1/args.go": "package wasi\n",
		"project-docs/guide.md":                  "# Guide\n![d](diagram.png)\n",
		"project-docs/diagram.png":               "png",
		"project-docs/data/table.csv":            "a,b\n",
		"with_link/note.md":                      "# n\n",
		"index.md":                               "[d](./project-docs/) [D](project-docs) [g](project-docs/guide.md) [t](project-docs/data/table.csv)\n",
	} {
		if got[p] != want {
			t.Errorf("%s = %q, want %q\n%s", p, got[p], want, dump(got))
		}
	}
}

// TestNamingDefaultIgnores: names in capitals (a repository's top-level
// documents, the names tools look for) and what hidden folders hold (GitHub's
// templates) are left alone unless ignore_defaults is false.
func TestNamingDefaultIgnores(t *testing.T) {
	paths := []string{
		"ADOPTERS.md", "CHANGELOG-1.5.md", "README_GITHUB.md", "skills/SKILL.md",
		".github/ISSUE_TEMPLATE/bug_report.md", ".github/pull_request_template.md",
		"docs/PULL_REQUEST_TEMPLATE/Feature.md",
	}
	for _, p := range paths {
		out, err := mustNew(t, "naming", "").Run(context.Background(), action.Input{Path: p})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if p == "docs/PULL_REQUEST_TEMPLATE/Feature.md" {
			want = 1 // the folder is in capitals; the file is not
		}
		if len(out.Findings) != want {
			t.Errorf("%s: %d findings, want %d: %+v", p, len(out.Findings), want, out.Findings)
		}
		out, err = mustNew(t, "naming", "{ignore_defaults: false}").Run(context.Background(), action.Input{Path: p})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Findings) == 0 {
			t.Errorf("%s: no finding with ignore_defaults: false", p)
		}
	}
	// A name in capitals with lower-case letters is an ordinary name.
	if out, _ := mustNew(t, "naming", "").Run(context.Background(), action.Input{Path: "API Reference.md"}); len(out.Findings) != 1 {
		t.Errorf("API Reference.md: %+v", out.Findings)
	}
}

func TestNamingNotPermitted(t *testing.T) {
	a := mustNew(t, "naming", "{mode: fix}")
	_, err := a.Run(context.Background(), action.Input{Path: "My Note.md"})
	if !errors.Is(err, action.ErrNotPermitted) {
		t.Fatalf("err = %v", err)
	}
	// Report mode needs nothing.
	out, err := mustNew(t, "naming", "").Run(context.Background(), action.Input{Path: "A Dir/My Note.md"})
	if err != nil || len(out.Findings) != 2 {
		t.Fatalf("report without Docs: %+v %v", out, err)
	}
}

func TestNamingParams(t *testing.T) {
	for _, bad := range []string{
		"{style: regex}", // pattern missing
		"{style: regex, pattern: 'x', mode: fix}", // fix cannot derive names
		"{style: kebab-case, pattern: 'x'}",       // pattern without regex
		"{style: camelCase}",                      //
		"{mode: rename}",                          //
		"{ignore: [1]}",                           //
		"{extra: true}",                           //
	} {
		if _, err := action.New("naming", actiontest.YAML(t, bad), action.Build{}); err == nil {
			t.Errorf("params %s accepted", bad)
		}
	}
	for _, tc := range []struct{ params, want string }{
		{"{style: regex, pattern: '('}", "invalid RE2 pattern"},
		{"{ignore: ['[']}", "invalid glob"},
	} {
		_, err := action.New("naming", actiontest.YAML(t, tc.params), action.Build{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.params, err, tc.want)
		}
	}
}

// FuzzNamingConvert checks that the conventional form of any name is
// conventional (fixing twice changes nothing) and never panics.
func FuzzNamingConvert(f *testing.F) {
	for _, s := range []string{"My Note", "myOtherNote", "HTTPServer", "Thé Vert", "日本語", "a--b", "___", "\xff\xfe", "Ǆemal"} {
		f.Add(s)
	}
	n := mustNew(f, "naming", "").(*naming)
	f.Fuzz(func(t *testing.T, s string) {
		for _, sep := range []string{"-", "_"} {
			c := convert(s, sep)
			if convert(c, sep) != c {
				t.Fatalf("convert(%q) = %q is not a fixed point", s, c)
			}
		}
		if nn, ok := n.conventional(s+".md", false); nn != "" {
			if again, ok2 := n.conventional(nn, false); !ok2 || again != nn {
				t.Fatalf("conventional(%q) = %q (ok %v), which is not conventional", s, nn, ok)
			}
		}
	})
}
