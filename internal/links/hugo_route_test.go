package links

import "testing"

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
	for _, p := range []string{"README.md", "content/img.png", "static/x.md"} {
		if r, ok := s.route(p, pageFields{}); ok {
			t.Errorf("route(%q) = %q: no page", p, r)
		}
	}
}
