package template

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// hostile are front matter values written to break out of their context.
var hostile = []string{
	"<script>alert(1)</script>",
	"](javascript:alert(1))",
	"\n# Injected",
	"# Heading",
	"> quote",
	"- item",
	"1. item",
	"===",
	"*bold* _em_ ~~strike~~ `code`",
	"a | b | c",
	"[x](javascript:alert(1))",
	"![img](data:image/png;base64,AAAA)",
	"<javascript:alert(1)>",
	"&lt;script&gt; &amp; &#60; AT&T",
	"back\\slash\\",
	"line\r\nbreak\rand\nmore",
	"[[Note]] and [[x|y]]",
	"<!-- comment --> %% obsidian %%",
	"trailing two spaces  \nnext",
	"<a href=\"javascript:alert(1)\">x</a>",
	"\t- indented",
	"Café Crème — 日本語",
}

func mdRender(t *testing.T, text, fm string) string {
	t.Helper()
	tm, err := ParseMarkdown("entry", text)
	if err != nil {
		t.Fatalf("ParseMarkdown(%q): %v", text, err)
	}
	out, err := tm.Execute(Data{Path: "notes/a.md", FM: map[string]any{"v": fm}, Match: map[string]string{"link": "notes/a%20b.md"}})
	if err != nil {
		t.Fatalf("Execute(%q) with %q: %v", text, fm, err)
	}
	return out
}

func TestMarkdownEscaping(t *testing.T) {
	for _, tc := range []struct{ tmpl, value, want string }{
		// Text, as in the index action's default entry.
		{"- [{{ .FM.v }}]({{ .Match.link }})", "<script>alert(1)</script>", "- [&lt;script>alert(1)&lt;/script>](notes/a%20b.md)"},
		{"- [{{ .FM.v }}]({{ .Match.link }})", "](javascript:alert(1))", `- [\](javascript:alert(1))](notes/a%20b.md)`},
		{"- [{{ .FM.v }}]({{ .Match.link }})", "\n# Injected", `- [\# Injected](notes/a%20b.md)`},
		{"{{ .FM.v }}", "# Heading", `\# Heading`},
		{"{{ .FM.v }}", "12) item", `12\) item`},
		{"{{ .FM.v }}", "a_b *c* | d ~e~ `f` \\", `a\_b \*c\* \| d \~e\~ \` + "`f\\`" + ` \\`},
		{"{{ .FM.v }}", "AT&T &amp; &#60;", "AT&T &amp;amp; &amp;#60;"},
		{"{{ .FM.v }}", "C# 2 > 1", "C# 2 > 1"},
		// Link targets: percent-encoded, unsafe schemes neutralised.
		{"[x]({{ .FM.v }})", "javascript:alert(1)", "[x](#unsafe-url)"},
		{"[x]({{ .FM.v }})", "JavaScript:alert(1)", "[x](#unsafe-url)"},
		{"[x]({{ .FM.v }})", "data:text/html;base64,PHNjcmlwdD4=", "[x](#unsafe-url)"},
		{"[x]({{ .FM.v }})", "vbscript:msgbox", "[x](#unsafe-url)"},
		{"[x]({{ .FM.v }})", "https://example.com/a b?q=(1)#f", "[x](https://example.com/a%20b?q=%281%29#f)"},
		{"[x]({{ .FM.v }})", "notes/design%20review.md", "[x](notes/design%20review.md)"},
		{"[x]({{ .FM.v }})", "100% <done>", "[x](100%25%20%3Cdone%3E)"},
		{"[x](../{{ .FM.v }})", "javascript:alert(1)", "[x](../javascript:alert%281%29)"},
		{"[x](<{{ .FM.v }}>)", "a b>c", "[x](<a%20b%3Ec>)"},
		{"[ref]: {{ .FM.v }}", "javascript:alert(1)", "[ref]: #unsafe-url"},
		{"<{{ .FM.v }}>", "javascript:alert(1)", "<#unsafe-url>"},
		{"<{{ .FM.v }}>", "https://example.com", "<https://example.com>"},
		// Titles, code spans, wiki links, HTML attributes.
		{`[x](u "{{ .FM.v }}")`, `") <b>`, `[x](u "\"\) &lt;b>")`},
		{"`{{ .FM.v }}`", "a <b>\nc", "`a <b> c`"},
		{"[[{{ .FM.v }}]]", "a]]b|c#d^e", "[[a  b c d e]]"},
		{"[[n|{{ .FM.v }}]]", "C# [x]|y", "[[n|C#  x  y]]"},
		{`<a href="{{ .FM.v }}">{{ .FM.v }}</a>`, "javascript:alert(1)", `<a href="#unsafe-url">javascript:alert(1)</a>`},
		{`<a title="{{ .FM.v }}">`, `"><script>`, `<a title="&#34;&gt;&lt;script&gt;">`},
		// raw asks for the value as it is.
		{"{{ raw .FM.v }}", "<b>bold</b>", "<b>bold</b>"},
		{"{{ .FM.v | raw }}", "# H", "# H"},
		{"{{ raw .FM.v | upper }}", "<b>", "&lt;B>"}, // raw, then changed: escaped again
		// Control structures carry the context.
		{"{{ if .FM.v }}[{{ .FM.v }}]({{ .FM.v }}){{ end }}", "javascript:x", `[javascript:x](#unsafe-url)`},
	} {
		if got := mdRender(t, tc.tmpl, tc.value); got != tc.want {
			t.Errorf("%s with %q:\n got %s\nwant %s", tc.tmpl, tc.value, got, tc.want)
		}
	}
}

func TestMarkdownTemplateErrors(t *testing.T) {
	for _, tc := range []struct{ tmpl, want string }{
		{`<a href={{ .FM.v }}>`, `line 1: a value inside an HTML tag must be in a quoted attribute value`},
		{`{{ if .FM.v }}<a href="{{ end }}x">`, `line 1: the branches of {{ if }} end in different contexts (an HTML attribute and text)`},
		{"{{ range .FM.v }}](x{{ end }}", `line 1: the body of {{ range }} starts in text but ends in a link target`},
		{"[x](u {{ .FM.v }})", `a value between a link target and its title is ambiguous`},
		{"<b {{ .FM.v }}>", `a value inside an HTML tag must be in a quoted attribute value`},
		{"{{ .FM.v }}<div", `the template ends inside an HTML tag`},
		{"{{ define \"x\" }}y{{ end }}](a{{ template \"x\" }})", `{{ template "x" }} is called inside a link target`},
	} {
		_, err := ParseMarkdown("entry", tc.tmpl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMarkdown(%q) = %v, want an error containing %q", tc.tmpl, err, tc.want)
		}
	}
	tm, err := ParseMarkdown("entry", "`{{ .FM.v }}`")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tm.Execute(Data{FM: map[string]any{"v": "a`b"}})
	if err == nil || !strings.Contains(err.Error(), `"a`+"`"+`b" contains a backtick, which would end the code span`) || strings.Contains(err.Error(), "_scribe") {
		t.Errorf("backtick in a code span: %v", err)
	}
}

func TestMarkdownRange(t *testing.T) {
	tm, err := ParseMarkdown("entry", "{{ range .FM.tags }}[#{{ . }}](tags/{{ . }}) {{ end }}")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tm.Execute(Data{FM: map[string]any{"tags": []any{"a_b", "c d", "](x)"}}})
	if want := `[#a\_b](tags/a_b) [#c d](tags/c%20d) [#\](x)](tags/%5D%28x%29) `; err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

// Plain templates are not escaped: only ParseMarkdown's are.
func TestPlainTemplatesAreNotEscaped(t *testing.T) {
	tm := MustParse("x", "{{ .FM.v }}")
	if got, _ := tm.Execute(Data{FM: map[string]any{"v": "<b>*x*</b>"}}); got != "<b>*x*</b>" {
		t.Fatalf("plain template escaped its value: %q", got)
	}
}

// goldmarkHTML renders Markdown as GitHub does: CommonMark with tables,
// strikethrough and autolinks. (Not goldmark's task lists: they take
// "- [x](url)" for a checkbox, which GFM does not.)
func goldmarkHTML(t testing.TB, md string) string {
	var buf bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify))
	if err := gm.Convert([]byte(md), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

var (
	tagRE  = regexp.MustCompile(`<[^>]*>`)
	hrefRE = regexp.MustCompile(`href="([^"]*)"`)
)

// checkEscaped renders value in the index's default entry, in a table cell
// and alone, with an independent CommonMark implementation, and checks that
// the value stays text: the only tags and links are the template's, and the
// visible text is the value (line breaks as spaces).
func checkEscaped(t testing.TB, value string) {
	flat := strings.Join(strings.Fields(lineBreaksToSpaces(value)), " ")
	if strings.ContainsAny(value, "\x00") || !utf8Valid(value) || flat == "" {
		return // NUL and invalid UTF-8 are replaced by renderers; blank values render nothing
	}
	for _, tc := range []struct{ tmpl, tags string }{
		{"- [{{ .FM.v }}](notes/a.md)", `<ul><li><a href="notes/a.md"></a></li></ul>`},
		{"| a |\n| - |\n| {{ .FM.v }} |", `<table><thead><tr><th></th></tr></thead><tbody><tr><td></td></tr></tbody></table>`},
		{"{{ .FM.v }}", `<p></p>`},
	} {
		tm, err := ParseMarkdown("entry", tc.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		md, err := tm.Execute(Data{FM: map[string]any{"v": value}})
		if err != nil {
			t.Fatal(err)
		}
		out := goldmarkHTML(t, md)
		tags := strings.Join(tagRE.FindAllString(out, -1), "")
		if tags != tc.tags {
			t.Fatalf("%s with %q renders as\n%s\nMarkdown: %s\ntags %s, want %s", tc.tmpl, value, out, md, tags, tc.tags)
		}
		text := strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(out, " "))), " ")
		want := flat
		if tc.tmpl == "- [{{ .FM.v }}](notes/a.md)" || tc.tmpl == "{{ .FM.v }}" {
			want = strings.Join(strings.Fields(flat), " ")
		}
		if strings.HasPrefix(tc.tmpl, "|") {
			want = "a " + want
		}
		if text != want {
			t.Fatalf("%s with %q shows %q, want %q\nMarkdown: %s\nHTML: %s", tc.tmpl, value, text, want, md, out)
		}
	}
	// As a link target it never yields a script URL.
	tm, _ := ParseMarkdown("entry", "[x]({{ .FM.v }})")
	md, _ := tm.Execute(Data{FM: map[string]any{"v": value}})
	for _, m := range hrefRE.FindAllStringSubmatch(goldmarkHTML(t, md), -1) {
		href := strings.ToLower(strings.TrimSpace(html.UnescapeString(m[1])))
		for _, bad := range []string{"javascript:", "data:", "vbscript:"} {
			if strings.HasPrefix(href, bad) {
				t.Fatalf("[x]({{ .FM.v }}) with %q links to %q", value, m[1])
			}
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// Differential check against goldmark, a CommonMark implementation that
// knows nothing of our escaping.
func TestMarkdownEscapingRendersAsText(t *testing.T) {
	for _, v := range hostile {
		checkEscaped(t, v)
	}
}

func FuzzMarkdownEscaping(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		checkEscaped(t, v)
	})
}
