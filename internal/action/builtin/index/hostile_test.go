package index

import (
	"fmt"
	"strings"
	"testing"
)

// Front matter written to break out of a generated list stays text: no raw
// HTML, no script link, no injected heading or line (checked further, against
// a CommonMark renderer, in internal/template).
func TestIndexEscapesHostileFrontMatter(t *testing.T) {
	d := newDocDir(t, "")
	d.put(t, "notes/a.md", "---\ntitle: \"<script>alert(1)</script>\"\nurl: \"javascript:alert(1)\"\n---\n")
	d.put(t, "notes/b.md", "---\ntitle: \"](javascript:alert(1))\"\nurl: \"https://example.com/a b\"\n---\n")
	d.put(t, "notes/c.md", "---\ntitle: \"\\n# Injected\"\nurl: \" JaVaScRiPt:alert(1)\"\n---\n")
	d.put(t, "notes/d.md", "---\ntitle: \"<b>bold</b> on purpose\"\n---\n")
	d.put(t, "INDEX.md", "<!-- scribe:index n -->\n<!-- /scribe:index -->\n<!-- scribe:index raw -->\n<!-- /scribe:index -->\n")
	a := mustNew(t, "index", map[string]any{"name": "n", "from": "notes/*.md",
		"template": "- [{{ .FM.title }}]({{ .Match.link }}) [site]({{ .FM.url }})"})
	out := d.run(t, a, "INDEX.md")
	want := "<!-- scribe:index n -->\n" +
		"- [&lt;script>alert(1)&lt;/script>](notes/a.md) [site](#unsafe-url)\n" +
		"- [\\](javascript:alert(1))](notes/b.md) [site](https://example.com/a%20b)\n" +
		"- [\\# Injected](notes/c.md) [site](%20JaVaScRiPt:alert%281%29)\n" +
		"- [&lt;b>bold&lt;/b> on purpose](notes/d.md) [site]()\n" +
		"<!-- /scribe:index -->\n"
	if got := string(out.Content); !strings.HasPrefix(got, want) {
		t.Fatalf("generated:\n%s\nwant:\n%s", got, want)
	}
	// raw asks for the value as written.
	raw := mustNew(t, "index", map[string]any{"name": "raw", "from": "notes/d.md", "template": "{{ raw .FM.title }}"})
	d.put(t, "INDEX.md", string(out.Content))
	out = d.run(t, raw, "INDEX.md")
	if !strings.Contains(string(out.Content), "<!-- scribe:index raw -->\n<b>bold</b> on purpose\n<!-- /scribe:index -->") {
		t.Fatalf("raw:\n%s", out.Content)
	}
}

// The generated text of one index is capped: entries past the cap are left
// out with a warning, rather than a list the engine could not read back.
func TestIndexOutputCapped(t *testing.T) {
	d := newDocDir(t, "")
	long := strings.Repeat("x", 50_000) // front matter may hold 64 KiB
	for i := range 100 {
		d.put(t, fmt.Sprintf("notes/n%02d.md", i), "---\ntitle: "+long+"\n---\n")
	}
	d.put(t, "INDEX.md", "<!-- scribe:index n -->\n<!-- /scribe:index -->\n")
	a := mustNew(t, "index", map[string]any{"name": "n", "from": "notes/*.md", "template": "- {{ .FM.title }}"})
	out := d.run(t, a, "INDEX.md")
	if n := strings.Count(string(out.Content), "\n- "); n != 83 || len(out.Content) > 4<<20+100 {
		t.Fatalf("%d entries in %d bytes; want the 83 that fit in 4 MiB", n, len(out.Content))
	}
	if len(out.Findings) != 1 || !strings.Contains(out.Findings[0].Message, "index n: the list stops after 83 entries, 17 left out: the generated text may not exceed 4 MiB") {
		t.Fatalf("findings %+v", out.Findings)
	}
}
