package vault

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLinksCheckNestedSite: a repository whose handbook/ folder is a Hugo,
// Docusaurus, Jekyll or VitePress site (the fixtures the differential tests
// of package links hold to each generator's build) has the site's links
// read as the site builds them, with the same verdicts as when the site's
// folder is the root, and its README's links read as GitHub reads them.
func TestLinksCheckNestedSite(t *testing.T) {
	for _, tc := range []struct{ site, params, page string }{
		{"hugo", "", "content/links.md"},
		{"docusaurus", "", "docs/links.md"},
		{"jekyll", "", "links.md"},
		{"jekyll", "{markdown_links: jekyll}", "links.md"},
		{"vitepress/site", "", "links.md"},
	} {
		t.Run(strings.ReplaceAll(tc.site+tc.params, "/", "-"), func(t *testing.T) {
			src := filepath.Join("..", "..", "..", "links", "testdata", filepath.FromSlash(tc.site))
			alone, _ := copyNoteDir(t, src).runAll(t, mustNew(t, "links.check", tc.params))
			if alone == "" {
				t.Fatal("the site alone: no findings; the fixture has broken links to compare")
			}

			files := readTree(t, src, "handbook")
			files["README.md"] = "# Project\n\n## Café au lait\n\n" +
				"[gone](handbook/nowhere.md) [page](handbook/" + tc.page + ") [folder](/handbook/) [heading](#café-au-lait) [bad heading](#cafe-au-lait)\n"
			nested, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", tc.params))

			var site, outside []string
			for _, l := range strings.SplitAfter(nested, "\n") {
				switch {
				case l == "":
				case strings.HasPrefix(l, "handbook/"):
					site = append(site, strings.ReplaceAll(l, "handbook/", ""))
				default:
					outside = append(outside, l)
				}
			}
			if got := strings.Join(site, ""); got != alone {
				t.Errorf("the site's findings in handbook/ (the folder's name taken out):\n%s\nwant, as with the site at the root:\n%s", got, alone)
			}
			col := 101 + len(tc.page) - len("links.md")
			want := `README.md:5:1: error: broken link [gone](handbook/nowhere.md): "handbook/nowhere.md" does not exist
README.md:5:` + strconv.Itoa(col) + `: error: broken link [bad heading](#cafe-au-lait): this file has no heading with anchor #cafe-au-lait (did you mean [bad heading](#café-au-lait)?)
`
			if got := strings.Join(outside, ""); got != want {
				t.Errorf("README's findings:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestLinksCheckTwoNestedSites: with two sites in folders of the root,
// none is read as a site: a link's URL could be either's.
func TestLinksCheckTwoNestedSites(t *testing.T) {
	files := map[string]string{
		"docs/.vitepress/config.mts": "export default {}\n",
		"docs/guide.md":              "[intro](/intro)\n",
		"docs/intro.md":              "# Intro\n",
		"website/_config.yml":        "title: Site\n",
		"website/index.md":           "[about](about.md)\n",
	}
	got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", ""))
	if !strings.Contains(got, `docs/guide.md:1:1: error: broken link [intro](/intro)`) {
		t.Errorf("two sites: want docs/guide.md's /intro read as a path from the root; findings:\n%s", got)
	}
	delete(files, "website/_config.yml")
	if got, _ := newNoteDir(t, files).runAll(t, mustNew(t, "links.check", "")); strings.Contains(got, "docs/guide.md") {
		t.Errorf("one VitePress site in docs/: want /intro to name docs/intro.md; findings:\n%s", got)
	}
}

// TestNamingFixNestedSite: renaming a page of a site in a folder of the
// root rewrites its links as in a site at the root (TestNamingFixJekyllSite,
// TestNamingFixHugoSite: URLs, link tags, refs), and the README's links
// into the site as the relative paths they are.
func TestNamingFixNestedSite(t *testing.T) {
	for name, c := range map[string]struct {
		files     map[string]string
		page      string // the linking page in the site
		want      string // its content after the renames
		readmeWas string
		readme    string
	}{
		"jekyll": {
			files: map[string]string{
				"_config.yml":                   "title: Site\n",
				"docs/Install_Guide.md":         "# Install\n\n## Usage\n",
				"_posts/2024-01-15-Big_News.md": "---\ncategories: news\n---\n# News\n",
				"index.md": "[a](/docs/Install_Guide.html#usage) [b](docs/Install_Guide) [c](docs/Install_Guide.md)\n" +
					"[d](/news/2024/01/15/Big_News.html) [g]({% link docs/Install_Guide.md %}#usage) [h]({% post_url 2024-01-15-Big_News %})\n",
			},
			page: "index.md",
			want: "[a](/docs/install-guide.html#usage) [b](docs/install-guide) [c](docs/install-guide.md)\n" +
				"[d](/news/2024/01/15/big-news.html) [g]({% link docs/install-guide.md %}#usage) [h]({% post_url 2024-01-15-big-news %})\n",
			readmeWas: "[guide](handbook/docs/Install_Guide.md#usage)\n",
			readme:    "[guide](handbook/docs/install-guide.md#usage)\n",
		},
		"hugo": {
			files: map[string]string{
				"hugo.toml":                "title = 'Site'\n",
				"content/docs/Odd_Name.md": "## Part\n",
				"content/links.md": "[a](/docs/odd_name/#part) [b](../docs/odd_name/) [e](docs/Odd_Name.md)\n" +
					`[f]({{< ref "docs/Odd_Name.md#part" >}}) [g]({{< relref "/docs/Odd_Name" >}}) [h]({{% ref "Odd_Name" %}})` + "\n",
			},
			page: "content/links.md",
			want: "[a](/docs/odd-name/#part) [b](/docs/odd-name/) [e](docs/odd-name.md)\n" +
				`[f]({{< ref "docs/odd-name.md#part" >}}) [g]({{< relref "/docs/odd-name" >}}) [h]({{% ref "odd-name" %}})` + "\n",
			readmeWas: "[part](handbook/content/docs/Odd_Name.md#part)\n",
			readme:    "[part](handbook/content/docs/odd-name.md#part)\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			files := map[string]string{"README.md": c.readmeWas}
			for p, s := range c.files {
				files["handbook/"+p] = s
			}
			d := newNoteDir(t, files)
			if _, err := d.fixAll(t, mustNew(t, "naming", `{mode: fix}`), false); err != nil {
				t.Fatal(err)
			}
			got := d.snapshot(t)
			if got["handbook/"+c.page] != c.want {
				t.Errorf("the linking page:\n%s\nwant:\n%s\n(tree:\n%s)", got["handbook/"+c.page], c.want, dump(got))
			}
			if got["README.md"] != c.readme {
				t.Errorf("README.md:\n%s\nwant:\n%s", got["README.md"], c.readme)
			}
			if broken, _ := d.runAll(t, mustNew(t, "links.check", "")); broken != "" {
				t.Errorf("links broken by the renames:\n%s", broken)
			}
		})
	}
}

// TestLinksCheckNestedSiteParams: in a repository whose folder is a site,
// the docusaurus and vitepress parameters lay out the site's folder, with
// markdown_links given or not.
func TestLinksCheckNestedSiteParams(t *testing.T) {
	docs := map[string]string{
		"website/docusaurus.config.js": "module.exports = {presets: [['classic', {docs: {routeBasePath: '/'}, blog: false}]]};\n",
		"website/docs/index.md":        "# Home\n\nRead [the intro](/intro#start), [again](intro) and [the old URL](/docs/intro).\n",
		"website/docs/intro.md":        "# Intro\n\n## Start\n\n[Home](/) [Guide](/guides/setup) [Logo](/img/logo.png)\n",
		"website/docs/guides/setup.md": "# Setup\n\n[Back](../intro)\n",
		"website/static/img/logo.png":  "png",
		"README.md":                    "[docs](website/docs/index.md)\n",
	}
	want := `website/docs/index.md:3:52: error: broken link [the old URL](/docs/intro): no page of the site is at "/docs/intro"
`
	for _, params := range []string{"{docusaurus: {docs_url: /}}", "{markdown_links: docusaurus, docusaurus: {docs_url: /}}"} {
		if got, _ := newNoteDir(t, docs).runAll(t, mustNew(t, "links.check", params)); got != want {
			t.Errorf("%s: findings:\n%s\nwant:\n%s", params, got, want)
		}
	}

	vp := map[string]string{
		"docs/.vitepress/config.mts": "export default { srcDir: 'src' }\n",
		"docs/src/guide/index.md":    "# Guide\n\n[start](./start#c-c) [gone](/guide/gone) [logo](/logo.png)\n",
		"docs/src/guide/start.md":    "# Start\n\n## C++ & C#\n",
		"docs/src/public/logo.png":   "png",
		"README.md":                  "[guide](docs/src/guide/index.md)\n",
	}
	want = `docs/src/guide/index.md:3:22: error: broken link [gone](/guide/gone): no page of the site is at "/guide/gone"
`
	for _, params := range []string{"{vitepress: {src_dir: src}}", "{markdown_links: vitepress, vitepress: {src_dir: src}}"} {
		if got, _ := newNoteDir(t, vp).runAll(t, mustNew(t, "links.check", params)); got != want {
			t.Errorf("%s: findings:\n%s\nwant:\n%s", params, got, want)
		}
	}
}
