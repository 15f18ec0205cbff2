package vault

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
	"github.com/scribe-md/scribe/internal/safefile"
)

var update = flag.Bool("update", false, "rewrite the links.check and naming golden files")

// noteDir is a real action.Docs and action.Writer over a directory, the shape
// of the engine's: List returns the Markdown files (as `include: **/*.md`
// would), other files are reached through Stat only.
type noteDir struct {
	dir  string
	root *os.Root

	reads atomic.Int64 // ReadFile calls

	mu         sync.Mutex
	failWrite  string // WriteFile of this path fails (fault injection)
	failRename string // Rename from this path fails
	log        []string
}

var (
	_ action.Docs      = (*noteDir)(nil)
	_ action.Writer    = (*noteDir)(nil)
	_ action.DirReader = (*noteDir)(nil)
	_ action.Replacer  = (*noteDir)(nil)
)

// newNoteDir makes a directory with files (path -> content).
func newNoteDir(t testing.TB, files map[string]string) *noteDir {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return openNoteDir(t, dir)
}

// copyNoteDir copies the fixture tree src into a temporary directory.
func copyNoteDir(t testing.TB, src string) *noteDir {
	t.Helper()
	return newNoteDir(t, readTree(t, src, ""))
}

// readTree returns the files of the tree src (path -> content), their
// paths under the folder under.
func readTree(t testing.TB, src, under string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		files[path.Join(under, filepath.ToSlash(rel))] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func openNoteDir(t testing.TB, dir string) *noteDir {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return &noteDir{dir: dir, root: r}
}

func (d *noteDir) List() []string {
	var out []string
	filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && isNote(p) {
			rel, _ := filepath.Rel(d.dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func (d *noteDir) ReadFile(p string) ([]byte, error) {
	d.reads.Add(1)
	return d.root.ReadFile(p)
}

func (d *noteDir) Stat(p string) (fs.FileInfo, error) { return d.root.Lstat(p) }

func (d *noteDir) ReadDir(p string) ([]fs.DirEntry, error) { return fs.ReadDir(d.root.FS(), p) }

func (d *noteDir) WriteFile(ctx context.Context, p string, content []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if p == d.failWrite {
		return fmt.Errorf("write %s: injected failure", p)
	}
	if old, err := d.root.ReadFile(p); err == nil && bytes.Equal(old, content) {
		return nil
	}
	if dir := filepath.Dir(p); dir != "." {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	d.log = append(d.log, "write "+p)
	return d.root.WriteFile(p, content, 0o644)
}

// ReplaceFile writes p only if it holds old, as the engine's Writer does: a
// fix whose plan read a note wrongly fails here.
func (d *noteDir) ReplaceFile(ctx context.Context, p string, old, content []byte) error {
	if cur, err := d.root.ReadFile(p); err != nil || !bytes.Equal(cur, old) {
		return &safefile.ConflictError{Path: p}
	}
	return d.WriteFile(ctx, p, content)
}

func (d *noteDir) Rename(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if from == d.failRename {
		return fmt.Errorf("rename %s: injected failure", from)
	}
	if fi, err := d.root.Lstat(to); err == nil {
		ffi, ferr := d.root.Lstat(from)
		if !strings.EqualFold(from, to) || ferr != nil || !os.SameFile(fi, ffi) {
			return fmt.Errorf("rename %s to %s: %w", from, to, fs.ErrExist)
		}
	}
	if dir := filepath.Dir(to); dir != "." {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	d.log = append(d.log, "rename "+from+" -> "+to)
	return d.root.Rename(from, to)
}

// snapshot returns every file of the directory (path -> content).
func (d *noteDir) snapshot(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(d.dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

func (d *noteDir) write(t testing.TB, p, content string) {
	t.Helper()
	full := filepath.Join(d.dir, filepath.FromSlash(p))
	os.MkdirAll(filepath.Dir(full), 0o755)
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

var clock = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// input is what the engine would hand an action for p.
func (d *noteDir) input(t testing.TB, p string) action.Input {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return action.Input{
		Root: d.dir, Path: p, Content: b, FrontMatter: map[string]any{}, Rule: "r",
		Host: action.Host{Docs: d, Writer: d, Clock: func() time.Time { return clock }},
	}
}

func mustNew(t testing.TB, name, params string) action.Action {
	t.Helper()
	a, err := action.New(name, yamlOrNil(t, params), action.Build{})
	if err != nil {
		t.Fatalf("%s %s: %v", name, params, err)
	}
	return a
}

func yamlOrNil(t testing.TB, s string) any {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return actiontest.YAML(t, s)
}

// runAll runs a over every listed document, two at a time as the engine
// would, then Finish; it returns the findings rendered as golden lines.
func (d *noteDir) runAll(t testing.TB, a action.Action) (string, []string) {
	t.Helper()
	paths := d.List()
	lines := make([][]string, len(paths))
	affected := make([][]string, len(paths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out, err := a.Run(context.Background(), d.input(t, p))
			if err != nil {
				t.Errorf("Run(%s): %v", p, err)
				return
			}
			lines[i] = render(p, out.Findings)
			affected[i] = out.Affected
		}()
	}
	wg.Wait()
	var all []string
	for _, l := range lines {
		all = append(all, l...)
	}
	var aff []string
	for _, a := range affected {
		aff = append(aff, a...)
	}
	if f, ok := a.(action.Finisher); ok {
		out, err := f.Finish(context.Background(), action.Host{Docs: d, Writer: d, Clock: func() time.Time { return clock }})
		if err != nil {
			t.Fatalf("Finish: %v", err)
		}
		aff = append(aff, out.Affected...)
	}
	return strings.Join(all, ""), aff
}

// render renders findings as `scribe test` does.
func render(p string, fs []action.Finding) []string {
	var out []string
	for _, f := range fs {
		path := f.Path
		if path == "" {
			path = p
		}
		s := fmt.Sprintf("%s:%d:%d: %s: %s", path, f.Line, f.Column, f.Severity, f.Message)
		if f.Suggestion != "" {
			s += " (did you mean " + f.Suggestion + "?)"
		}
		out = append(out, s+"\n")
	}
	return out
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", "links", name)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

func TestLinksCheckGolden(t *testing.T) {
	for _, tc := range []struct{ golden, params string }{
		{"vault.golden", ""},
		{"vault-options.golden", "{severity: warning, ambiguous: warning, anchors: false, attachments: ignore, ignore_targets: ['^2023-']}"},
		{"vault-attachments.golden", "{attachment_folders: [img, ./assets]}"},
		{"vault-vault-mode.golden", "{markdown_links: vault, case_sensitive: true}"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			d := copyNoteDir(t, "testdata/links/vault")
			got, _ := d.runAll(t, mustNew(t, "links.check", tc.params))
			golden(t, tc.golden, got)
		})
	}
}

// An Obsidian vault's own attachment folder (.obsidian/app.json) is where
// embeds are looked for when the action names no attachment_folders; a
// folder the action names wins.
func TestLinksCheckObsidianAttachmentFolder(t *testing.T) {
	note := "![[x.png]] ![[y.png]]\n"
	broken := func(name string) string {
		return "a/n.md:1:" + map[string]string{"x": "1", "y": "12"}[name] + ": error: broken embed ![[" + name + ".png]]: no document named \"" + name + ".png\", and no such file at the root, beside this note or in the attachment folders\n"
	}
	for _, c := range []struct {
		name, app, params, want string
	}{
		{"a folder of the vault", `{"attachmentFolderPath": "Files"}`, "", broken("y")},
		{"with a slash", `{"attachmentFolderPath": "/Files/"}`, "", broken("y")},
		{"beside each note", `{"attachmentFolderPath": "./media"}`, "", broken("x")},
		{"the root", `{"attachmentFolderPath": "/"}`, "", broken("x") + broken("y")},
		{"no settings", ``, "", broken("x") + broken("y")},
		{"not JSON", `{`, "", broken("x") + broken("y")},
		{"the action's own wins", `{"attachmentFolderPath": "Files"}`, "{attachment_folders: [a/media]}", broken("x")},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"a/n.md": note, "Files/x.png": "png", "a/media/y.png": "png"}
			if c.app != "" {
				files[".obsidian/app.json"] = c.app
			}
			d := newNoteDir(t, files)
			got, _ := d.runAll(t, mustNew(t, "links.check", c.params))
			if got != c.want {
				t.Errorf("findings:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// TestLinksCheckHugoSite checks a Hugo site's links as Hugo serves them:
// URL paths to pages and sections, static files at the site's root, page
// bundles' resources, and relative .md paths.
func TestLinksCheckHugoSite(t *testing.T) {
	files := map[string]string{
		"content/_index.md":              "Read the [docs](/docs/) and [install](/docs/install/#usage), [tagged](/tags/go/).\n",
		"content/docs/_index.md":         "See [installation](install.md), [install](install/) and [gone](/docs/instal/).\n",
		"content/docs/install.md":        "![logo](/images/logo.png) ![missing](/images/logo.svg) [back](../_index.md)\n\n## Usage\n",
		"content/posts/bundle/index.md":  "![cover](cover.jpg) [home](/)\n",
		"content/posts/bundle/cover.jpg": "jpg",
		"static/images/logo.png":         "png",
	}
	d := newNoteDir(t, files)
	got, _ := d.runAll(t, mustNew(t, "links.check", "{markdown_links: site}"))
	want := `content/docs/_index.md:1:57: error: broken link [gone](/docs/instal/): the site serves nothing at "/docs/instal/" (no page content/docs/instal.md, content/docs/instal/index.md or content/docs/instal/_index.md, no file static/docs/instal) (did you mean [gone](/docs/install/)?)
content/docs/install.md:1:27: error: broken embed ![missing](/images/logo.svg): the site serves nothing at "/images/logo.svg" (no file content/images/logo.svg or static/images/logo.svg)
`
	if got != want {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
	// The same site checked as GitHub renders it reports the URLs.
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); !strings.Contains(got, `broken link [docs](/docs/)`) {
		t.Errorf("relative mode: %s", got)
	}
	// With Hugo's configuration beside content/, the root is a Hugo site:
	// its links are site links unless the action says otherwise.
	files["hugo.toml"] = "title = 'Site'\n"
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); got != want {
		t.Errorf("a Hugo site, markdown_links not given: findings:\n%s\nwant:\n%s", got, want)
	}
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "{markdown_links: relative}")); !strings.Contains(got, `broken link [docs](/docs/)`) {
		t.Errorf("a Hugo site, relative asked for: %s", got)
	}
	files[".obsidian/app.json"] = "{}" // a Hugo site opened as an Obsidian vault
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); got != want {
		t.Errorf("a Hugo site that is an Obsidian vault too: findings:\n%s\nwant:\n%s", got, want)
	}
}

// TestLinksCheckHugoPermalinks: a Hugo site's configuration lays out a
// section's pages by its permalinks, whether links.check finds the site
// by its root or is told markdown_links: site.
func TestLinksCheckHugoPermalinks(t *testing.T) {
	files := map[string]string{
		"hugo.toml":               "title = 'Site'\n[permalinks]\n  news = '/:year/:month/:slug/'\n",
		"content/news/first.md":   "---\ntitle: First Story\ndate: 2024-03-05\n---\n## Lede\n",
		"content/news/second.md":  "+++\ntitle = 'Second'\nslug = 'two'\ndate = 2024-04-01\n+++\n",
		"content/docs/install.md": "[a](/2024/03/first-story/#lede) [b](/2024/04/two/) [c](/news/first/)\n",
	}
	want := `content/docs/install.md:1:52: error: broken link [c](/news/first/): no page of the site is at "/news/first/" (content/news/first.md is served at another URL) (did you mean [c](/2024/03/first-story/)?)
`
	for _, params := range []string{"", "{markdown_links: site}"} {
		if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", params)); got != want {
			t.Errorf("%q: findings:\n%s\nwant:\n%s", params, got, want)
		}
	}
}

// TestLinksCheckDocusaurusSite: in a Docusaurus site (its configuration at
// the root), Markdown links are files or the URLs of the site's pages, as
// its build reads them, unless the action says otherwise; React pages and
// static files are found on disk.
func TestLinksCheckDocusaurusSite(t *testing.T) {
	files := map[string]string{
		"docs/intro.md":                  "Read [the setup](/docs/guides/setup#install), [by file](./01-guides/02-setup.md) and [gone](/docs/guides/setpu).\n",
		"docs/01-guides/02-setup.md":     "# Setup\n\n## Install\n\n![logo](/img/logo.png) ![missing](/img/logo.svg) [home](/) [intro](../intro)\n",
		"blog/2024-01-15-hello/index.md": "[setup](/docs/guides/setup) [tags](/blog/tags/hello) [self](/blog/2024/01/15/hello)\n",
		"src/pages/index.js":             "export default function Home() {}\n",
		"static/img/logo.png":            "png",
	}
	want := `docs/01-guides/02-setup.md:5:24: error: broken embed ![missing](/img/logo.svg): the site serves nothing at "/img/logo.svg" (no page has that URL, and there is no file static/img/logo.svg)
docs/intro.md:1:86: error: broken link [gone](/docs/guides/setpu): no page of the site is at "/docs/guides/setpu" (did you mean [gone](/docs/guides/setup)?)
`
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "{markdown_links: docusaurus}")); got != want {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
	// Without its configuration, the same folder is read as GitHub reads it.
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); !strings.Contains(got, `broken link [the setup](/docs/guides/setup#install)`) {
		t.Errorf("relative mode: %s", got)
	}
	files["docusaurus.config.ts"] = "export default {};\n"
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); got != want {
		t.Errorf("a Docusaurus site, markdown_links not given: findings:\n%s\nwant:\n%s", got, want)
	}
}

// TestLinksCheckDocusaurusDocsOnly: a docs-only Docusaurus site (its
// docs' routeBasePath '/', given as docusaurus.docs_url) serves its docs
// from the root.
func TestLinksCheckDocusaurusDocsOnly(t *testing.T) {
	files := map[string]string{
		"docusaurus.config.js": "module.exports = {presets: [['classic', {docs: {routeBasePath: '/'}, blog: false}]]};\n",
		"docs/index.md":        "# Home\n\nRead [the intro](/intro#start), [again](intro), [the tags](/tags/setup) and [the old URL](/docs/intro).\n",
		"docs/intro.md":        "# Intro\n\n## Start\n\n[Home](/) [Guide](/guides/setup)\n",
		"docs/guides/setup.md": "# Setup\n\n[Back](../intro)\n",
	}
	want := `docs/index.md:3:77: error: broken link [the old URL](/docs/intro): no page of the site is at "/docs/intro"
`
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "{docusaurus: {docs_url: /}}")); got != want {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "{markdown_links: docusaurus, docusaurus: {docs_url: /}}")); got != want {
		t.Errorf("markdown_links: docusaurus: findings:\n%s\nwant:\n%s", got, want)
	}
	// With the classic preset's layout, the docs are under /docs/.
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); !strings.Contains(got, `[the intro](/intro#start): no page of the site is at "/intro"`) {
		t.Errorf("the preset's layout: %s", got)
	}
}

// TestLinksCheckJekyllSite: in a Jekyll site (its _config.yml at the
// root), Markdown links are files or the URLs GitHub Pages serves the
// built site at, as its _config.yml lays it out, unless the action says
// otherwise; headings have kramdown's anchors; a site that `jekyll new`
// made writes its pages as .markdown.
func TestLinksCheckJekyllSite(t *testing.T) {
	files := map[string]string{
		"index.markdown": "---\nlayout: home\n---\n\n[about](/about/) [welcome](/jekyll/update/2024/01/15/welcome-to-jekyll.html#a-section) [feed](/feed.xml)\n" +
			"[by file](about.markdown) [recipe](/recipes/soup/) [gone](/abuot/) [base](/project/about/) [logo](/assets/logo.png)\n",
		"about.markdown": "---\nlayout: page\ntitle: About\npermalink: /about/\n---\n\n[home](/) [dashes](#a--b) [html](/plain)\n\n## a -- b\n",
		"_posts/2024-01-15-welcome-to-jekyll.markdown": "---\nlayout: post\ntitle: Welcome\ncategories: jekyll update\n---\n\n## A section\n\n[about](../../../../../about/)\n",
		"_recipes/soup.md":          "# Soup\n",
		"_drafts/draft.md":          "[about](/about/)\n",
		"plain.html":                "<p>plain</p>\n",
		"assets/logo.png":           "png",
		"_site/index.html":          "built",
		"_site/about.md":            "[a copy](/nowhere)\n",
		"vendor/bundle/x/README.md": "[vendored](/nowhere)\n",
	}
	config := "title: Site\ncollections:\n  recipes:\n    output: true\n    permalink: /:collection/:name/\n"
	// Folders Jekyll leaves out are no part of the site: their links are
	// read as relative reads them.
	want := `_site/about.md:1:1: error: broken link [a copy](/nowhere): "nowhere" does not exist
index.markdown:6:52: error: broken link [gone](/abuot/): no page of the site is at "/abuot/" (did you mean [gone](/about/)?)
index.markdown:6:68: error: broken link [base](/project/about/): no page of the site is at "/project/about/"
vendor/bundle/x/README.md:1:1: error: broken link [vendored](/nowhere): "nowhere" does not exist
`
	// Without its configuration, the same folder is read as GitHub reads it.
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); !strings.Contains(got, `broken link [about](/about/)`) {
		t.Errorf("relative mode: %s", got)
	}
	files["_config.yml"] = config
	for _, params := range []string{"", "{markdown_links: jekyll}"} {
		if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", params)); got != want {
			t.Errorf("a Jekyll site, %q: findings:\n%s\nwant:\n%s", params, got, want)
		}
	}
	// A project's site is served under its baseurl.
	files["_config.yml"] = config + "baseurl: /project\n"
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); !strings.Contains(got, `broken link [about](/about/): no page of the site is at "/about/" (did you mean [about](/project/about/)?)`) ||
		strings.Contains(got, "[base]") {
		t.Errorf("a project site: %s", got)
	}
}

// TestLinksCheckVitePressSite: in a VitePress site (its .vitepress/config
// at the root), Markdown links name pages as VitePress's build reads them,
// .md optional, and headings have VitePress's anchors, unless the action
// says otherwise; a srcDir is given as vitepress.src_dir.
func TestLinksCheckVitePressSite(t *testing.T) {
	files := map[string]string{
		"guide/index.md":           "# Guide\n\n[start](./getting-started#c-c) [home](/) [logo](/logo.png) [gone](./getting-stared) [folder](/guide)\n",
		"guide/getting-started.md": "# Getting started\n\n## C++ & C#\n\n[back](./) [api](../api/reference.md#_1-setup)\n",
		"api/reference.md":         "# Reference\n\n## 1. Setup\n",
		"index.md":                 "# Home\n",
		"public/logo.png":          "png",
	}
	want := `guide/index.md:3:60: error: broken link [gone](./getting-stared): no page of the site is at "/guide/getting-stared" (did you mean [gone](./getting-started)?)
guide/index.md:3:85: error: broken link [folder](/guide): no page of the site is at "/guide"
`
	// Without its configuration, the same folder is read as GitHub reads it.
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); !strings.Contains(got, `broken link [start](./getting-started#c-c)`) {
		t.Errorf("relative mode: %s", got)
	}
	files[".vitepress/config.mts"] = "export default { title: 'Docs' }\n"
	for _, params := range []string{"", "{markdown_links: vitepress}"} {
		if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", params)); got != want {
			t.Errorf("a VitePress site, %q: findings:\n%s\nwant:\n%s", params, got, want)
		}
	}
	// Its pages in docs/ (srcDir: 'docs'): /guide/ is docs/guide/index.md.
	moved := map[string]string{".vitepress/config.mts": "export default { srcDir: 'docs' }\n", "README.md": "[guide](docs/guide/index.md)\n"}
	for p, c := range files {
		if p != ".vitepress/config.mts" {
			moved["docs/"+p] = c
		}
	}
	want = strings.ReplaceAll(want, "guide/index.md:", "docs/guide/index.md:")
	if got, _ := newNoteDir(t, moved).runAll(t, mustNew(t, "links.check", "{vitepress: {src_dir: docs}}")); got != want {
		t.Errorf("src_dir docs: findings:\n%s\nwant:\n%s", got, want)
	}
}

// TestLinksCheckMkDocsSite: in an MkDocs site (its mkdocs.yml at the root)
// headings have the anchors MkDocs makes, whatever markdown_links says.
func TestLinksCheckMkDocsSite(t *testing.T) {
	files := map[string]string{
		"docs/index.md": "# Home\n\n## Ünïcödé Café\n\n## Set up {: #setup }\n",
		"docs/links.md": "[a](index.md#unicode-cafe) [b](index.md#ünïcödé-café) [c](index.md#setup)\n",
	}
	github := `docs/links.md:1:1: error: broken link [a](index.md#unicode-cafe): "docs/index.md" has no heading with anchor #unicode-cafe
docs/links.md:1:55: error: broken link [c](index.md#setup): "docs/index.md" has no heading with anchor #setup
`
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); got != github {
		t.Errorf("without mkdocs.yml: findings:\n%s\nwant:\n%s", got, github)
	}
	files["mkdocs.yml"] = "site_name: Docs\nmarkdown_extensions: [attr_list, toc]\n"
	mkdocs := `docs/links.md:1:28: error: broken link [b](index.md#ünïcödé-café): "docs/index.md" has no heading with anchor #ünïcödé-café (did you mean [b](index.md#unicode-cafe)?)
`
	for _, params := range []string{"", "{markdown_links: relative}"} {
		if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", params)); got != mkdocs {
			t.Errorf("an MkDocs site, %q: findings:\n%s\nwant:\n%s", params, got, mkdocs)
		}
	}
}

// TestLinksCheckLogseqGraph: in a Logseq graph (a logseq/config.edn at the
// root), wiki links name pages: namespaces, journals by their title in the
// graph's format, aliases; block references name blocks by their id::.
func TestLinksCheckLogseqGraph(t *testing.T) {
	files := map[string]string{
		"logseq/config.edn":       "{:meta/version 1\n ;; :journal/page-title-format \"yyyy-MM-dd\"\n :file/name-format :triple-lowbar\n :journal/page-title-format \"EEE, dd.MM.yyyy\"}\n",
		"pages/Account.md":        "alias:: Accounts\n\n- Record of ownership\n  id:: 65a4f0c2-1b2c-4d3e-8f40-5a6b7c8d9e0f\n",
		"pages/Account___User.md": "- A user's [[Account]]\n",
		"journals/2024_01_15.md":  "- met [[Account/User]], [[accounts]] and [[Acount/User]]\n- ![chart](../assets/chart.png)\n",
		"journals/2024_01_16.md":  "- after [[Mon, 15.01.2024]] came [[Jan 16th, 2024]]\n- {{embed ((65a4f0c2-1b2c-4d3e-8f40-5a6b7c8d9e0f))}}\n- ((65a4f0c2-1b2c-4d3e-8f40-5a6b7c8d9e01))\n",
		"assets/chart.png":        "png",
	}
	want := `journals/2024_01_15.md:1:42: error: broken link [[Acount/User]]: no page named "Acount/User" (no file pages/Acount___User.md, no journal and no page with that alias:: or title::) (did you mean [[Account/User]]?)
journals/2024_01_16.md:1:34: error: broken link [[Jan 16th, 2024]]: no page named "Jan 16th, 2024" (no file pages/Jan 16th, 2024.md, no journal and no page with that alias:: or title::)
journals/2024_01_16.md:3:3: error: broken block reference ((65a4f0c2-1b2c-4d3e-8f40-5a6b7c8d9e01)): no page of the graph has a block with id:: 65a4f0c2-1b2c-4d3e-8f40-5a6b7c8d9e01
`
	got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", ""))
	if got != want {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
	// The same files without Logseq's settings are a folder of notes:
	// names are file names.
	delete(files, "logseq/config.edn")
	got, _ = newNoteDir(t, files).runAll(t, mustNew(t, "links.check", ""))
	if !strings.Contains(got, `broken link [[Account/User]]`) || !strings.Contains(got, `broken link [[accounts]]`) {
		t.Errorf("not a Logseq graph: findings:\n%s", got)
	}
}

// TestLinksCheckAliasSuggestion: a bare [[alias]] resolves to nothing in
// Obsidian (its aliases are offered as [[Note|alias]] when a link is
// written); the finding says so.
func TestLinksCheckAliasSuggestion(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		"notes/Project Plan.md": "---\naliases:\n  - plan\n---\n# Goals\n",
		"a.md":                  "See [[plan]].\n",
	})
	got, _ := d.runAll(t, mustNew(t, "links.check", ""))
	if want := "a.md:1:5: error: broken link [[plan]]: no note named \"plan\" (did you mean [[Project Plan|plan]]?)\n"; got != want {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
}

// TestLinksCheckObsidianMarkdownLinks: Obsidian writes Markdown links by
// the shortest path that names the note ([x](Note.md) from any folder), so
// in an Obsidian vault they resolve as Obsidian resolves them unless the
// action says how.
func TestLinksCheckObsidianMarkdownLinks(t *testing.T) {
	files := map[string]string{
		"notes/Project Plan.md": "# Goals\n",
		"other/x.md":            "[plan](Project%20Plan.md#goals) [gone](Nothing.md)\n",
	}
	gone := "other/x.md:1:33: error: broken link [gone](Nothing.md): \"other/Nothing.md\" does not exist\n"
	shortest := "other/x.md:1:1: error: broken link [plan](Project%20Plan.md#goals): \"other/Project Plan.md\" does not exist (did you mean [plan](../notes/Project%20Plan.md#goals)?)\n"
	for _, c := range []struct {
		name, params string
		obsidian     bool
		want         string
	}{
		{"an Obsidian vault", "", true, gone},
		{"an Obsidian vault, relative asked for", "{markdown_links: relative}", true, shortest + gone},
		{"no vault", "", false, shortest + gone},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := maps.Clone(files)
			if c.obsidian {
				fs[".obsidian/app.json"] = "{}"
			}
			got, _ := newNoteDir(t, fs).runAll(t, mustNew(t, "links.check", c.params))
			if got != c.want {
				t.Errorf("findings:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestLinksCheckIncremental(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		"a.md":      "[[Target#One]]\n",
		"b.md":      "[b](Target.md#one)\n",
		"c.md":      "[[Other]]\n",
		"Target.md": "# One\n",
		"img/x.png": "png",
	})
	a := mustNew(t, "links.check", "")
	if got, aff := d.runAll(t, a); got != "c.md:1:1: error: broken link [[Other]]: no note named \"Other\"\n" || len(aff) != 0 {
		t.Fatalf("first pass: findings %q, affected %q", got, aff)
	}
	reads := d.reads.Load()

	// A second pass over an unchanged vault re-reads nothing.
	if got, _ := d.runAll(t, a); strings.Count(got, "\n") != 1 {
		t.Fatalf("second pass: %q", got)
	}
	if n := d.reads.Load() - reads; n != 0 {
		t.Errorf("second pass over an unchanged vault read %d files, want 0", n)
	}

	// Renaming a heading affects its linkers, and only them.
	d.write(t, "Target.md", "# Once\n")
	out, err := a.Run(context.Background(), d.input(t, "Target.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Affected, []string{"a.md", "b.md"}) {
		t.Errorf("heading change: affected %q, want [a.md b.md]", out.Affected)
	}
	out, _ = a.Run(context.Background(), d.input(t, "a.md"))
	if got := strings.Join(render("a.md", out.Findings), ""); !strings.Contains(got, `has no heading "One"`) || !strings.Contains(got, "(did you mean [[Target#Once]]?)") {
		t.Errorf("a.md after heading change: %q", got)
	}

	// A body-only edit affects nobody else.
	d.write(t, "Target.md", "# Once\nmore\n")
	if out, _ := a.Run(context.Background(), d.input(t, "Target.md")); len(out.Affected) != 0 {
		t.Errorf("body edit: affected %q", out.Affected)
	}

	// Creating the missing note: Finish reports its linkers.
	d.write(t, "Other.md", "x")
	_, aff := d.runAll(t, a)
	if !slices.Contains(aff, "c.md") {
		t.Errorf("new note: affected %q, want c.md among them", aff)
	}

	// Deleting a target: the next generation sees it gone.
	if err := os.Remove(filepath.Join(d.dir, "Target.md")); err != nil {
		t.Fatal(err)
	}
	out, err = a.(action.Finisher).Finish(context.Background(), action.Host{Docs: d})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Affected, []string{"a.md", "b.md"}) {
		t.Errorf("deleted target: Finish affected %q, want [a.md b.md]", out.Affected)
	}
	out, _ = a.Run(context.Background(), d.input(t, "b.md"))
	if len(out.Findings) != 1 || !strings.Contains(out.Findings[0].Message, "does not exist") {
		t.Errorf("b.md after delete: %+v", out.Findings)
	}

	// Content handed to Run wins over the disk (an earlier action changed it).
	in := d.input(t, "c.md")
	in.Content = []byte("[[Gone]]\n")
	out, _ = a.Run(context.Background(), in)
	if len(out.Findings) != 1 || out.Findings[0].Line != 1 || out.Findings[0].Column != 1 {
		t.Errorf("in.Content: %+v", out.Findings)
	}
}

// TestLinksCheckSeesChangedTargets: a target edited on disk, not through
// Run, is picked up in the next generation by Stat and hash.
func TestLinksCheckSeesChangedTargets(t *testing.T) {
	d := newNoteDir(t, map[string]string{"a.md": "[[T#Old]]", "T.md": "# Old\n"})
	a := mustNew(t, "links.check", "")
	d.runAll(t, a)
	d.write(t, "T.md", "# New heading, longer\n") // size changes: Stat sees it
	a.(action.Finisher).Finish(context.Background(), action.Host{Docs: d})
	out, _ := a.Run(context.Background(), d.input(t, "a.md"))
	if len(out.Findings) != 1 {
		t.Fatalf("findings %+v", out.Findings)
	}
}

// infoDir is an noteDir that also reads a file with its info
// (action.InfoReader), as the engine's Docs does, and counts the Stats of
// notes.
type infoDir struct {
	*noteDir
	infoReads, noteStats atomic.Int64
}

var _ action.InfoReader = (*infoDir)(nil)

func (d *infoDir) ReadFileInfo(p string, fn func([]byte, fs.FileInfo)) error {
	d.infoReads.Add(1)
	f, err := d.root.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	fn(b, fi)
	clear(b) // the content is fn's only until it returns, as the engine's is
	return nil
}

func (d *infoDir) Stat(p string) (fs.FileInfo, error) {
	if isNote(p) {
		d.noteStats.Add(1)
	}
	return d.noteDir.Stat(p)
}

// TestLinksCheckLoadsWithOneRead: with an InfoReader, the first load reads
// each note once and takes no Stat of it; the next generation compares the
// read's info with a Stat, as it does without one.
func TestLinksCheckLoadsWithOneRead(t *testing.T) {
	files := map[string]string{"a.md": "[[T#Old]]\n", "b.md": "[[Missing]]\n", "T.md": "# Old\n"}
	want, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", ""))

	d := &infoDir{noteDir: newNoteDir(t, files)}
	a := mustNew(t, "links.check", "")
	run := func(p string) string {
		in := d.input(t, p)
		in.Host.Docs = d
		out, err := a.Run(context.Background(), in)
		if err != nil {
			t.Fatalf("Run(%s): %v", p, err)
		}
		return strings.Join(render(p, out.Findings), "")
	}
	var got string
	for _, p := range d.List() {
		got += run(p)
	}
	if got != want {
		t.Errorf("findings with an InfoReader:\n%s\nwithout:\n%s", got, want)
	}
	if n, s, r := d.infoReads.Load(), d.noteStats.Load(), d.reads.Load(); n != 3 || s != 0 || r != 0 {
		t.Errorf("first load: %d reads with info, %d Stats of notes, %d plain reads; want 3, 0, 0", n, s, r)
	}

	// T.md grows on disk: the next generation's Stat sees it and reads it
	// again; the unchanged notes are not read.
	d.write(t, "T.md", "# New heading, longer\n")
	if _, err := a.(action.Finisher).Finish(context.Background(), action.Host{Docs: d}); err != nil {
		t.Fatal(err)
	}
	if got := run("a.md"); !strings.Contains(got, `has no heading "Old"`) {
		t.Errorf("a.md after T.md changed: %q", got)
	}
	if n, r := d.infoReads.Load(), d.reads.Load(); n != 3 || r != 1 {
		t.Errorf("next generation: %d reads with info, %d plain reads; want 3 and 1 (T.md)", n, r)
	}
}

func TestLinksCheckNotPermitted(t *testing.T) {
	a := mustNew(t, "links.check", "")
	_, err := a.Run(context.Background(), action.Input{Path: "a.md", Content: []byte("[[x]]")})
	if !errors.Is(err, action.ErrNotPermitted) {
		t.Fatalf("err = %v, want ErrNotPermitted", err)
	}
	if out, err := a.(action.Finisher).Finish(context.Background(), action.Host{}); err != nil || len(out.Affected) != 0 {
		t.Fatalf("Finish without Docs: %v %v", out, err)
	}
}

func TestLinksCheckCancelled(t *testing.T) {
	d := newNoteDir(t, map[string]string{"a.md": "[[b]]", "b.md": ""})
	a := mustNew(t, "links.check", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Run(ctx, d.input(t, "a.md")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// A later call loads normally.
	if out, err := a.Run(context.Background(), d.input(t, "a.md")); err != nil || len(out.Findings) != 0 {
		t.Fatalf("after cancel: %+v %v", out, err)
	}
}

func TestLinksCheckParams(t *testing.T) {
	for _, bad := range []string{
		"{severity: fatal}", "{markdown_links: github}", "{unknown: 1}", "{ambiguous: yes}",
		"{ignore_targets: ['']}", "{anchors: 'no'}",
		"{site: {content: content}}", "{markdown_links: site, site: {content: ../site}}",
		"{markdown_links: site, site: {static: [/srv/static]}}", "{markdown_links: site, site: {public: x}}",
		"{markdown_links: site, site: {generated: ['/tags/**']}}", "{markdown_links: site, site: {generated: ['tags/[']}}",
		"{markdown_links: relative, docusaurus: {docs_url: /}}", "{docusaurus: {docs: ../docs}}", "{docusaurus: {docs_url: 'a/../b'}}",
		"{docusaurus: {docs_url: ''}}", "{docusaurus: {static: [/srv]}}", "{docusaurus: {versions: true}}",
	} {
		if _, err := action.New("links.check", actiontest.YAML(t, bad), action.Build{}); err == nil {
			t.Errorf("params %s accepted", bad)
		}
	}
	_, err := action.New("links.check", actiontest.YAML(t, "{ignore_targets: ['(']}"), action.Build{})
	if err == nil || !strings.Contains(err.Error(), "ignore_targets[0]") {
		t.Errorf("invalid regex: %v", err)
	}
	for _, name := range []string{"links.check", "naming"} {
		s, ok := action.Lookup(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		ex := actiontest.YAML(t, s.Example).(map[string]any)[name]
		if errs := s.ValidateParams(ex); len(errs) > 0 {
			t.Errorf("%s example does not validate: %v", name, errs)
		}
		if s.Summary == "" {
			t.Errorf("%s has no summary", name)
		}
		if _, err := action.New(name, ex, action.Build{}); err != nil {
			t.Errorf("%s example: %v", name, err)
		}
	}
}

func TestLinksCheckDocExamples(t *testing.T) {
	for _, name := range []string{"links.check", "naming"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "doc", "actions", name+".md"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, block := range yamlBlocks(string(b)) {
			for _, params := range findKey(actiontest.YAML(t, block), name) {
				n++
				if _, err := action.New(name, params, action.Build{}); err != nil {
					t.Errorf("%s doc example %q: %v", name, block, err)
				}
			}
		}
		if n < 3 {
			t.Errorf("%s: only %d examples in its doc", name, n)
		}
	}
}

// findKey returns the values of every map key named key in v.
func findKey(v any, key string) []any {
	var out []any
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == key {
				out = append(out, e)
			} else {
				out = append(out, findKey(e, key)...)
			}
		}
	case []any:
		for _, e := range x {
			out = append(out, findKey(e, key)...)
		}
	}
	return out
}

// yamlBlocks returns the ```yaml blocks of a Markdown document.
func yamlBlocks(doc string) []string {
	var out []string
	for {
		i := strings.Index(doc, "```yaml\n")
		if i < 0 {
			return out
		}
		doc = doc[i+8:]
		j := strings.Index(doc, "```")
		if j < 0 {
			return out
		}
		out = append(out, doc[:j])
		doc = doc[j+3:]
	}
}
