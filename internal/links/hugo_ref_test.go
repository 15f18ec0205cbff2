package links

import (
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
