package links

import (
	"strings"
	"testing"
)

func TestHugoAlias(t *testing.T) {
	for _, c := range []struct{ page, alias, want string }{
		{"docs/install", "/old/setup/", "old/setup/"},
		{"docs/install", "/legacy/install.html", "legacy/install.html"},
		{"docs/install", "installing", "docs/installing"}, // from the page's parent, as Hugo reads it
		{"docs/install", "../up", "up"},
		{"docs", "gone/", "gone/"},
		{"", "/Caps/Path", "Caps/Path"},
		{"docs/install", "../../../above", "above"}, // Hugo's URLs stop at the root
		{"docs/install", "https://example.org/x", ""},
		{"docs/install", "/", ""},
		{"docs/install", "", ""},
	} {
		got, ok := hugoAlias(c.page, c.alias)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("hugoAlias(%q, %q) = %q, %v; want %q", c.page, c.alias, got, ok, c.want)
		}
	}
	x := NewIndex(Options{Site: HugoSite()})
	for u, want := range map[string]string{"old/setup/": "old/setup/index.html", "old/setup": "old/setup/index.html",
		"legacy/install.html": "legacy/install.html", "Caps/Path": "caps/path/index.html", "v1.2/": "v1.2/index.html"} {
		if got := x.hugoAliasFile(u); got != want {
			t.Errorf("hugoAliasFile(%q) = %q, want %q", u, got, want)
		}
	}
}

// TestCheckRedirect reads links to a page's old URLs as the redirect pages
// Hugo and jekyll-redirect-from write there serve them: the page, not its
// headings, and suggests the page's own URL for a link with a fragment.
func TestCheckRedirect(t *testing.T) {
	j := JekyllSite()
	j.BaseURL, j.Redirects = "/project", true
	for _, c := range []struct {
		name       string
		opts       Options
		page, body string
		src        string
		broken     map[string]string // raw link -> suggestion
	}{
		{
			name: "hugo",
			opts: Options{Site: HugoSite()},
			page: "content/docs/install.md",
			body: "+++\ntitle = \"Install\"\naliases = [\"/old/\", \"setup\"]\n+++\n## Usage\n",
			src:  "content/links.md",
			broken: map[string]string{
				"[b](/old/#usage)":       "[b](/docs/install/#usage)",
				"[d](/docs/nowhere/)":    "",
				"[e](/docs/setup/#more)": "[e](/docs/install/#more)",
			},
		},
		{
			name: "jekyll",
			opts: Options{Jekyll: j},
			page: "about.md",
			body: "---\npermalink: /about/\nredirect_from:\n  - /old/\n  - setup\n---\n## Usage\n",
			src:  "index.md",
			broken: map[string]string{
				"[b](/project/old/#usage)":   "[b](/project/about/#usage)",
				"[d](/project/docs/nowhere)": "",
				"[e](/project/setup#more)":   "[e](/project/about/#more)",
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := NewGraph(c.opts)
			g.Update(c.page, []byte(c.body))
			var links []string
			for raw := range c.broken {
				links = append(links, raw)
			}
			switch c.name {
			case "hugo":
				links = append(links, "[a](/old/)", "[a2](/old)", "[c](/docs/setup/)", "[c2](../docs/setup/)")
			case "jekyll":
				links = append(links, "[a](/project/old/)", "[a2](/project/old)", "[c](/project/setup.html)", "[c2](setup)")
			}
			src := strings.Join(links, " ") + "\n"
			g.Update(c.src, []byte(src))
			got := map[string]string{}
			for _, p := range g.Check(c.src, Parse([]byte(src)), nil) {
				got[p.Link.Raw] = p.Suggestion
				if p.Redirect && (p.Kind != MissingHeading || !strings.Contains(p.Message(), "redirects to")) {
					t.Errorf("%s: %s %q", p.Link.Raw, p.Kind, p.Message())
				}
			}
			if len(got) != len(c.broken) {
				t.Errorf("broken %v, want %v", got, c.broken)
			}
			for raw, sug := range c.broken {
				if s, ok := got[raw]; !ok || s != sug {
					t.Errorf("%s: suggestion %q (reported %v), want %q", raw, s, ok, sug)
				}
			}
			if l := g.Linkers(c.page); len(l) != 1 || l[0] != c.src {
				t.Errorf("Linkers(%s) = %q", c.page, l)
			}
			// The page gives up its old URLs: the links to them break.
			g.Update(c.page, []byte("## Usage\n"))
			if n := len(g.Check(c.src, Parse([]byte(src)), nil)); n != len(links) {
				t.Errorf("%d of %d links broken once the redirects are gone", n, len(links))
			}
		})
	}
}
