package links

import (
	"fmt"
	"strings"
	"testing"
)

func TestHugoRefParse(t *testing.T) {
	for _, c := range []struct {
		t, ref string
		hash   int
		ok     bool
	}{
		{`{{< ref "docs/install.md" >}}`, "docs/install.md", -1, true},
		{`{{< relref "/docs/install#usage" >}}`, "/docs/install", 25, true},
		{`{{% ref "install" %}}`, "install", -1, true},
		{`{{<ref "x.md">}}`, "x.md", -1, true},
		{`{{< ref path="x.md" lang="en" >}}`, "x.md", -1, true},
		{`{{< ref install.md >}}`, "install.md", -1, true},
		{`{{- ref "x" -}}`, "", -1, false}, // a template, not a shortcode
		{`{{< ref "x" %}}`, "", -1, false}, // mismatched delimiters
		{`{{< figure src="x" >}}`, "", -1, false},
		{`{{< ref "#top" >}}`, "", 9, true},
	} {
		ref, hash, ok := hugoRef(c.t)
		if ref != c.ref || hash != c.hash || ok != c.ok {
			t.Errorf("hugoRef(%q) = %q, %d, %v; want %q, %d, %v", c.t, ref, hash, ok, c.ref, c.hash, c.ok)
		}
	}
}

// TestCheckHugoRef checks Hugo's ref and relref shortcodes as Hugo looks
// their pages up, and their fragments against the page's headings.
func TestCheckHugoRef(t *testing.T) {
	g := NewGraph(Options{Site: HugoSite()})
	g.Update("content/docs/install.md", []byte("## Usage\n"))
	g.Update("content/docs/_index.md", []byte("# Docs\n"))
	g.Update("content/posts/trip/index.md", []byte("---\nslug: journey\n---\n"))
	g.Update("content/blog/install.md", []byte("# Other\n"))
	g.Update("content/blog/unique-name.md", []byte("# U\n"))
	g.AddFile("content/docs/logo.png")
	src := strings.Join([]string{
		`[a]({{< ref "install.md" >}})`, // beside the page first
		`[b]({{< relref "/docs/install#usage" >}})`,
		`[c]({{< ref "/docs/install#usag" >}})`, // no such heading
		`[d]({{< ref "docs" >}})`,               // a section by its folder
		`[e]({{< ref "/posts/trip" >}})`,        // a bundle by its folder, whatever its slug
		`[f]({{% relref "unique-name" %}})`,     // by its file's name, the only one
		`[g]({{< ref "/docs/nowhere.md" >}})`,   // nothing: Hugo's build fails
		`[h]({{< ref "logo.png" >}})`,           // a file, no page
		`[i]({{< ref "../blog/install.md" >}})`,
		`[j]({{< ref "#usage" >}})`,
	}, " ") + "\n"
	g.Update("content/docs/links.md", []byte("## Usage\n\n"+src))
	got := map[string]string{}
	for _, p := range g.Check("content/docs/links.md", Parse([]byte("## Usage\n\n"+src)), nil) {
		got[p.Link.Raw] = p.Kind.String() + " " + p.Suggestion
	}
	want := map[string]string{
		`[c]({{< ref "/docs/install#usag" >}})`: `missing-heading [c]({{< ref "/docs/install#usage" >}})`,
		`[g]({{< ref "/docs/nowhere.md" >}})`:   "missing-target ",
		`[h]({{< ref "logo.png" >}})`:           "missing-target ",
	}
	if len(got) != len(want) {
		t.Errorf("problems %q, want %q", got, want)
	}
	for raw, w := range want {
		if got[raw] != w {
			t.Errorf("%s: %q, want %q", raw, got[raw], w)
		}
	}
	for _, c := range []struct{ ref, want string }{
		{`{{< ref "install.md" >}}`, "content/docs/install.md"},
		{`{{< ref "../blog/install.md" >}}`, "content/blog/install.md"},
		{`{{< ref "/posts/trip" >}}`, "content/posts/trip/index.md"},
	} {
		if r := g.Resolve("content/docs/links.md", Link{Kind: Inline, Target: c.ref}); r.Path != c.want {
			t.Errorf("%s resolved to %q, want %q", c.ref, r.Path, c.want)
		}
	}
	// Two pages by the name: Hugo's build fails.
	g.Update("content/news/unique-name.md", []byte("# U2\n"))
	probs := g.Check("content/docs/links.md", Parse([]byte(`[f]({{% relref "unique-name" %}})`+"\n")), nil)
	if len(probs) != 1 || probs[0].Kind != Ambiguous || probs[0].Suggestion != "" {
		t.Errorf("an ambiguous name: %+v", probs)
	}
}

// TestCheckHugoRefByName: a ref to a name right under the content folder
// ("/history.md") finds the page of that name anywhere, as Hugo does when
// the path names nothing; so does a section's or a bundle's folder name.
// The shapes are those of wazero's site (site/content/community/_index.md
// links {{< relref "/history.md" >}} to community/history.md).
func TestCheckHugoRefByName(t *testing.T) {
	g := NewGraph(Options{Site: HugoSite()})
	for _, p := range []string{"content/community/history.md", "content/community/users.md",
		"content/docs/_index.md", "content/docs/compiler/_index.md", "content/docs/compiler/frontend.md",
		"content/posts/trip/index.md", "content/languages/tinygo.md",
		"content/blog/dup.md", "content/docs/dup.md"} {
		g.Update(p, []byte("# Page\n"))
	}
	refs := []string{
		`{{< relref "/history.md" >}}`, // a page under a section, by its file's name
		`{{< relref "/users" >}}`,
		`{{< relref "/compiler" >}}`, // a section by its folder
		`{{< ref "/compiler/" >}}`,
		`{{< ref "/trip" >}}`, // a bundle by its folder
		`{{< ref "tinygo.md" >}}`,
		`{{< ref "/dup.md" >}}`,               // two pages: Hugo's build fails
		`{{< ref "/community/nowhere.md" >}}`, // a longer path: no lookup by name
		`{{< ref "./tinygo.md" >}}`,           // from the linking page only
		`{{< ref "/nothing.md" >}}`,
		`{{< ref "/_index.md" >}}`, // a section's file is known by its folder
	}
	var src strings.Builder
	for i, r := range refs {
		fmt.Fprintf(&src, "[%d](%s)\n", i, r)
	}
	g.Update("content/community/_index.md", []byte(src.String()))
	got := map[string]string{}
	for _, p := range g.Check("content/community/_index.md", Parse([]byte(src.String())), nil) {
		got[p.Link.Target] = p.Kind.String()
	}
	want := map[string]string{
		`{{< ref "/dup.md" >}}`:               "ambiguous",
		`{{< ref "/community/nowhere.md" >}}`: "missing-target",
		`{{< ref "./tinygo.md" >}}`:           "missing-target",
		`{{< ref "/nothing.md" >}}`:           "missing-target",
		`{{< ref "/_index.md" >}}`:            "missing-target",
	}
	if len(got) != len(want) {
		t.Errorf("problems %q, want %q", got, want)
	}
	for ref, w := range want {
		if got[ref] != w {
			t.Errorf("%s: %q, want %q", ref, got[ref], w)
		}
	}
	for _, c := range []struct{ ref, want string }{
		{`{{< relref "/history.md" >}}`, "content/community/history.md"},
		{`{{< relref "/compiler" >}}`, "content/docs/compiler/_index.md"},
		{`{{< ref "/compiler/" >}}`, "content/docs/compiler/_index.md"},
		{`{{< ref "/trip" >}}`, "content/posts/trip/index.md"},
	} {
		if r := g.Resolve("content/community/_index.md", Link{Kind: Inline, Target: c.ref}); r.Path != c.want {
			t.Errorf("%s resolved to %q, want %q", c.ref, r.Path, c.want)
		}
	}
}
