package frontmatter

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

func TestFrontmatterSet(t *testing.T) {
	tests := []struct {
		name, params, in, want string
	}{
		{"create block", `{title: Hello}`, "# Body\n", "---\ntitle: Hello\n---\n# Body\n"},
		{"create in empty file", `{title: Hello}`, "", "---\ntitle: Hello\n---\n"},
		{"update in place, keep comments and order", `{status: done}`,
			"---\n# lead comment\nstatus: draft # was\ntitle: T\n---\nbody\n",
			"---\n# lead comment\nstatus: done # was\ntitle: T\n---\nbody\n"},
		{"new keys appended in sorted order", `{b: 1, a: 2, z: 0}`, "---\nz: 0\n---\n", "---\nz: 0\na: 2\nb: 1\n---\n"},
		{"crlf", `{a: x}`, "---\r\nz: 0\r\n---\r\nbody\r\n", "---\r\nz: 0\r\na: x\r\n---\r\nbody\r\n"},
		{"crlf create", `{a: x}`, "body\r\nmore\r\n", "---\r\na: x\r\n---\r\nbody\r\nmore\r\n"},
		{"bom kept", `{a: x}`, "\ufeff---\nz: 0\n---\n", "\ufeff---\nz: 0\na: x\n---\n"},
		{"bom, no block", `{a: x}`, "\ufeffbody\n", "\ufeff---\na: x\n---\nbody\n"},
		{"date from fixed clock, in place of a date", `{updated: '{{ now | date "2006-01-02" }}'}`, "---\nupdated: 2020-01-01\n---\n", "---\nupdated: 2024-03-09\n---\n"},
		{"date from fixed clock, a new key is a string", `{updated: '{{ now | date "2006-01-02" }}'}`, "---\nx: 1\n---\n", "---\nx: 1\nupdated: \"2024-03-09\"\n---\n"},
		{"template on front matter and path", `{slug: '{{ .FM.title | default .Name | slug }}', dir: '{{ .Dir }}'}`,
			"---\ntitle: Café Crème\n---\n", "---\ntitle: Café Crème\ndir: notes\nslug: cafe-creme\n---\n"},
		{"missing field renders empty", `{summary: '[{{ .FM.nothing }}{{ .FM.a.b.c }}]'}`, "---\nx: 1\n---\n", "---\nx: 1\nsummary: \"[]\"\n---\n"},
		{"match groups", `{year: '{{ .Match.year }}', all: '{{ index .Match "0" }}'}`, "---\nx: 1\n---\n2024-03\n", "---\nx: 1\nall: \"2024-03\"\nyear: \"2024\"\n---\n2024-03\n"},
		{"non-string values as written", `{n: 3, f: 1.5, b: true, l: [a, 1], m: {k: v}, z: null}`, "---\nx: 1\n---\n",
			"---\nx: 1\nb: true\nf: 1.5\nl: [a, 1]\nm: {k: v}\nn: 3\nz: null\n---\n"},
		{"templates in lists and mappings", `{tags: [inbox, '{{ .Dir }}'], meta: {from: '{{ .Name }}', n: 2, deep: ['{{ .Ext }}']}}`, "---\nx: 1\n---\n",
			"---\nx: 1\nmeta: {deep: [.md], from: Plan, \"n\": 2}\ntags: [inbox, notes]\n---\n"},
		{"static templates in a list", `{l: ['x{{/* c */}}', '{{ "y" }}'], m: {k: 'z{{/* c */}}'}}`, "", "---\nl: [x, \"y\"]\nm: {k: z}\n---\n"},
		{"a list's template unchanged", `{tags: [inbox, '{{ .Dir }}']}`, "---\ntags: [inbox, notes]\n---\n", "---\ntags: [inbox, notes]\n---\n"},
		{"unchanged", `{status: done, n: 3}`, "---\nstatus: done\nn: 3\n---\n", "---\nstatus: done\nn: 3\n---\n"},
		{"unchanged with template", `{day: '{{ now | date "2006-01-02" }}'}`, "---\nday: \"2024-03-09\"\n---\n", "---\nday: \"2024-03-09\"\n---\n"},
		{"comment-only template is text", `{a: 'x{{/* c */}}'}`, "", "---\na: x\n---\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := actiontest.Must(t, "frontmatter.set", tt.params, action.Build{})
			in := actiontest.Input(t, "notes/Plan.md", tt.in, nil)
			in.Match = &action.Match{Groups: []string{"2024-03", "2024"}, Named: map[string]string{"year": "2024"}}
			got, out := actiontest.Run(t, a, in)
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if (tt.in == tt.want) != (out.Content == nil) {
				t.Errorf("Content nil = %v for an unchanged = %v file", out.Content == nil, tt.in == tt.want)
			}
		})
	}
}

func TestFrontmatterSetErrors(t *testing.T) {
	for _, tt := range []struct{ params, want string }{
		{`{updated: '{{ now | date }'}`, `frontmatter.set: template "updated" line 1: unexpected "}" in operand`},
		{`{updated: '{{ nope }}'}`, `function "nope" not defined`},
		{`{tags: [a, '{{ nope }}']}`, `template "tags[1]"`},
		{`{m: {k: '{{ .Name }'}}`, `template "m.k"`},
		{`{"a: b": 1}`, `frontmatter.set: set front matter: key "a: b" cannot be written as a plain YAML key`},
		{`{" lead": 1}`, `cannot be written as a plain YAML key`},
	} {
		_, err := actiontest.New(t, "frontmatter.set", tt.params, action.Build{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.params, err, tt.want)
		}
	}
	// Front matter that is not valid YAML is a finding at its position,
	// the file untouched.
	a := actiontest.Must(t, "frontmatter.set", `{a: 1}`, action.Build{})
	if out, err := a.Run(context.Background(), actiontest.Input(t, "a.md", "---\na: [1\n---\n", nil)); err != nil || out.Content != nil ||
		len(out.Findings) != 1 || out.Findings[0].Line != 2 || out.Findings[0].Column == 0 || !strings.Contains(out.Findings[0].Message, "frontmatter.set left the file as it is") {
		t.Errorf("invalid YAML: got %+v, %v", out, err)
	}
	// A template failing on this file's data fails the file.
	a = actiontest.Must(t, "frontmatter.set", `{d: '{{ date "2006" .FM.s }}'}`, action.Build{})
	if _, err := a.Run(context.Background(), actiontest.Input(t, "a.md", "---\ns: soon\n---\n", nil)); err == nil || !strings.Contains(err.Error(), `cannot read "soon" as a time`) {
		t.Errorf("bad data: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Run(ctx, actiontest.Input(t, "a.md", "", nil)); err == nil {
		t.Errorf("cancelled context: no error")
	}
}

func TestFrontmatterDelete(t *testing.T) {
	tests := []struct {
		name, params, in, want string
	}{
		{"one key", `[draft]`, "---\ntitle: T\ndraft: true\nn: 1\n---\nbody\n", "---\ntitle: T\nn: 1\n---\nbody\n"},
		{"nested value lines go too", `[meta]`, "---\nmeta:\n  a: 1\n  b: [x]\nkeep: 1 # c\n---\n", "---\nkeep: 1 # c\n---\n"},
		{"several, some absent", `[a, nope, c]`, "---\na: 1\nb: 2\nc: 3\n---\n", "---\nb: 2\n---\n"},
		{"crlf", `[a]`, "---\r\na: 1\r\nb: 2\r\n---\r\nx\r\n", "---\r\nb: 2\r\n---\r\nx\r\n"},
		{"bom", `[a]`, "\ufeff---\na: 1\nb: 2\n---\n", "\ufeff---\nb: 2\n---\n"},
		{"all keys", `[a]`, "---\na: 1\n---\nbody\n", "---\n---\nbody\n"},
		{"absent", `[zz]`, "---\na: 1\n---\n", "---\na: 1\n---\n"},
		{"no front matter", `[a]`, "a: 1\n", "a: 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := actiontest.Must(t, "frontmatter.delete", tt.params, action.Build{})
			got, out := actiontest.Run(t, a, actiontest.Input(t, "a.md", tt.in, nil))
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if (tt.in == tt.want) != (out.Content == nil) {
				t.Errorf("Content nil = %v for an unchanged = %v file", out.Content == nil, tt.in == tt.want)
			}
		})
	}
	a := actiontest.Must(t, "frontmatter.delete", `[a]`, action.Build{})
	if out, err := a.Run(context.Background(), actiontest.Input(t, "a.md", "---\na: {1\n---\n", nil)); err != nil || out.Content != nil ||
		len(out.Findings) != 1 || out.Findings[0].Line != 2 || !strings.Contains(out.Findings[0].Message, "frontmatter.delete left the file as it is") {
		t.Errorf("invalid YAML: got %+v, %v", out, err)
	}
	// TOML front matter is edited; JSON front matter is read, not edited:
	// a clear refusal at its first line.
	if out, err := a.Run(context.Background(), actiontest.Input(t, "a.md", "+++\na = 1\nb = 2\n+++\n", nil)); err != nil || string(out.Content) != "+++\nb = 2\n+++\n" {
		t.Errorf("TOML: got %+v, %v", out, err)
	}
	if out, err := a.Run(context.Background(), actiontest.Input(t, "a.md", "{\"a\": 1}\n", nil)); err != nil || out.Content != nil ||
		len(out.Findings) != 1 || out.Findings[0].Line != 1 || out.Findings[0].Column != 1 || !strings.Contains(out.Findings[0].Message, "JSON front matter is not supported for edits") {
		t.Errorf("JSON: got %+v, %v", out, err)
	}
}

// randomDoc returns a random Markdown document: maybe a BOM, maybe CRLF,
// maybe front matter with comments, blank lines, nested values and quoting.
func randomDoc(r *rand.Rand) string {
	nl := "\n"
	if r.IntN(4) == 0 {
		nl = "\r\n"
	}
	var b strings.Builder
	if r.IntN(8) == 0 {
		b.WriteString("\ufeff")
	}
	keys := []string{"title", "status", "tags", "date", "n", "meta", "draft", "a", "z"}
	values := []string{"x", "'quoted'", `"dq"`, "[a, b]", "2024-01-02", "12", "true", "null", "", "{k: v}", "a b # comment", "|" + nl + "  block" + nl + "  text"}
	if r.IntN(5) > 0 {
		b.WriteString("---" + nl)
		used := map[string]bool{}
		for range r.IntN(6) {
			switch r.IntN(6) {
			case 0:
				b.WriteString("# a comment" + nl)
			case 1:
				b.WriteString(nl)
			default:
				k := keys[r.IntN(len(keys))]
				if used[k] {
					continue
				}
				used[k] = true
				v := values[r.IntN(len(values))]
				if r.IntN(5) == 0 {
					v = nl + "  - one" + nl + "  - two"
				}
				b.WriteString(k + ": " + v + nl)
			}
		}
		b.WriteString("---" + nl)
	}
	for range r.IntN(4) {
		b.WriteString([]string{"# Heading", "text with: colon", "---", "", "- item"}[r.IntN(5)] + nl)
	}
	return b.String()
}

// frontmatter.set with fixed values is idempotent: applying it to its own
// output changes nothing, on random documents.
func TestFrontmatterSetIdempotent(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	r := rand.New(rand.NewPCG(1, 2))
	paramsList := []string{
		`{status: done}`, `{title: "New: title", n: 3}`, `{tags: [x, y], meta: {a: 1}}`,
		`{date: "2024-05-06", draft: false}`, `{z: null, a: "#not a comment"}`, `{fresh: "yes", other: "0x1F"}`,
	}
	actions := make([]action.Action, len(paramsList))
	for i, p := range paramsList {
		actions[i] = actiontest.Must(t, "frontmatter.set", p, action.Build{})
	}
	errs, changed := 0, 0
	for i := range n {
		doc := randomDoc(r)
		a := actions[i%len(actions)]
		// Static values need no parsed front matter: skip actiontest.Input's parse.
		once, err := a.Run(context.Background(), action.Input{Path: "a.md", Content: []byte(doc)})
		if err != nil {
			errs++ // a layout markdown.Set refuses to edit; never a wrong file
			t.Logf("refused %q: %v", doc, err)
			continue
		}
		if once.Content == nil {
			continue
		}
		changed++
		twice, err := a.Run(context.Background(), action.Input{Path: "a.md", Content: once.Content})
		if err != nil {
			t.Fatalf("second run failed: %v\ninput %q\nonce %q", err, doc, once.Content)
		}
		if twice.Content != nil {
			t.Fatalf("not idempotent (%s)\ninput %q\nonce  %q\ntwice %q", paramsList[i%len(paramsList)], doc, once.Content, twice.Content)
		}
	}
	t.Logf("%d documents: %d changed, %d refused", n, changed, errs)
	if changed < n/2 {
		t.Errorf("only %d of %d documents changed: the generator is too tame", changed, n)
	}
	if errs > n/10 {
		t.Errorf("%d of %d documents refused", errs, n)
	}
}
