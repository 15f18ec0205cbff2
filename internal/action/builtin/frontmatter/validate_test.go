package frontmatter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

// findingsText renders findings as "line:col severity message" lines.
func findingsText(fs []action.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%d:%d %s %s\n", f.Line, f.Column, f.Severity, f.Message)
	}
	return b.String()
}

func schemaDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "schemas"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestFrontmatterValidate(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"valid", "---\ntitle: T\nstatus: done\ntags: [a, b]\ndate: 2024-01-02\nat: 2024-01-02T10:00:00Z\n---\nbody\n", ""},
		{"midnight timestamp stays a date-time", "---\ntitle: T\nstatus: done\nat: 2024-01-02T00:00:00Z\ndate: 2024-01-02\n---\n", ""},
		{"quoted dates are strings", "---\ntitle: T\nstatus: done\ndate: \"2024-01-02\"\nat: '2024-01-02T10:00:00+02:00'\n---\n", ""},
		{"enum", "---\ntitle: T\nstatus: wip\n---\n",
			`3:1 error front matter "status": value must be one of "draft", "done"` + "\n"},
		{"several at their keys", "---\ntitle: 5\n# note\nstatus: done\ntags: [a, 3]\nextra: x\n  # trailing\n---\n",
			`2:1 error front matter "title": value must be a string, not a number` + "\n" +
				`5:11 error front matter "tags[1]": value must be a string, not a number` + "\n" +
				`6:1 error front matter "extra": field not allowed by the schema` + "\n"},
		{"required at the fence", "---\ntitle: T\n---\n",
			`1:1 error front matter: missing required field "status"` + "\n"},
		{"no front matter is {}", "# Just a body\n",
			`1:1 error front matter: missing required fields "title", "status"` + "\n"},
		{"formats", "---\ntitle: T\nstatus: done\ndate: 2024-13-45\nat: yesterday\n---\n",
			`4:1 error front matter "date": "2024-13-45" is not a valid date` + "\n" +
				`5:1 error front matter "at": "yesterday" is not a valid date-time` + "\n"},
		{"nested ref", "---\ntitle: T\nstatus: done\nauthor:\n  email: nobody\n---\n",
			`4:1 error front matter "author": missing required field "name"` + "\n" +
				`5:3 error front matter "author.email": "nobody" does not match the pattern "^[^@]+@[^@]+$"` + "\n"},
		{"crlf and bom", "\ufeff---\r\ntitle: T\r\nstatus: wip\r\n---\r\n",
			`3:1 error front matter "status": value must be one of "draft", "done"` + "\n"},
		{"block list items", "---\ntitle: T\nstatus: done\ntags:\n  - a\n  - {x: 1}\n---\n",
			`6:5 error front matter "tags[1]": value must be a string, not a mapping` + "\n"},
		{"an empty list item is null", "---\ntitle: T\nstatus: done\ntags:\n  - a\n  - \n---\n",
			`6:4 error front matter "tags[1]": value must be a string, not nothing (null)` + "\n"},
		{"TOML at its top-level keys", "+++\ntitle = 'T'\n  status = 'wip'\ntags = ['a', 3]\n[author]\nemail = 'nobody'\n+++\n",
			`3:3 error front matter "status": value must be one of "draft", "done"` + "\n" +
				`4:1 error front matter "tags[1]": value must be a string, not a number` + "\n" +
				`5:1 error front matter "author": missing required field "name"` + "\n" +
				`5:1 error front matter "author.email": "nobody" does not match the pattern "^[^@]+@[^@]+$"` + "\n"},
		{"not yaml", "---\ntitle: [T\n---\n", "2:"},
	}
	a := actiontest.Must(t, "frontmatter.validate", `{schema: note.json}`, action.Build{ConfigDir: schemaDir(t)})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, out := actiontest.Run(t, a, actiontest.Input(t, "notes/a.md", tt.in, nil))
			if got != tt.in || out.Content != nil {
				t.Errorf("validate changed the content")
			}
			fs := findingsText(out.Findings)
			if tt.name == "not yaml" {
				if len(out.Findings) != 1 || !strings.HasPrefix(fs, tt.want) || !strings.Contains(fs, "front matter is not valid YAML") {
					t.Errorf("got %q", fs)
				}
				return
			}
			if fs != tt.want {
				t.Errorf("got\n%s\nwant\n%s", fs, tt.want)
			}
			for _, f := range out.Findings {
				if f.Path != "notes/a.md" || f.Rule != "test-rule" || f.Action != "frontmatter.validate" {
					t.Errorf("finding fields: %+v", f)
				}
			}
		})
	}
}

func TestFrontmatterValidateSources(t *testing.T) {
	const bad = "---\ntitle: \"\"\nstatus: wip\n---\n"
	want := `2:1 warning front matter "title": minLength: got 0, want 1` + "\n" +
		`3:1 warning front matter "status": value must be one of "draft", "done"` + "\n"
	dir := schemaDir(t)
	for _, params := range []string{
		`{schema: note.yaml, severity: warning}`,
		fmt.Sprintf(`{schema: %q, severity: warning}`, filepath.Join(dir, "note.json")),
		`{severity: warning, schema: {type: object, properties: {title: {type: string, minLength: 1}, status: {enum: [draft, done]}}}}`,
		`{severity: warning, schema: {$ref: note.yaml}}`,
	} {
		a := actiontest.Must(t, "frontmatter.validate", params, action.Build{ConfigDir: dir})
		_, out := actiontest.Run(t, a, actiontest.Input(t, "a.md", bad, nil))
		if got := findingsText(out.Findings); got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", params, got, want)
		}
	}
}

func TestFrontmatterValidateConstructorErrors(t *testing.T) {
	dir := schemaDir(t)
	tests := []struct{ params, want string }{
		{`{schema: missing.json}`, `frontmatter.validate: schema file "missing.json" not found (paths are relative to the configuration file's directory)`},
		{`{schema: broken.json}`, `frontmatter.validate: schema file "broken.json" is not valid JSON`},
		{`{schema: invalid.json}`, `frontmatter.validate: schema file "invalid.json" is not a valid JSON Schema`},
		{`{schema: {type: 5}}`, `frontmatter.validate: inline schema is not a valid JSON Schema`},
		{`{schema: {properties: {a: {$ref: "nowhere.json"}}}}`, `frontmatter.validate: inline schema is not a valid JSON Schema`},
	}
	for _, tt := range tests {
		_, err := actiontest.New(t, "frontmatter.validate", tt.params, action.Build{ConfigDir: dir})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.params, err, tt.want)
		}
	}
	// An unreadable file (a directory) names the file too.
	sub := t.TempDir()
	if err := os.Mkdir(filepath.Join(sub, "s.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := actiontest.New(t, "frontmatter.validate", `{schema: s.json}`, action.Build{ConfigDir: sub}); err == nil || !strings.Contains(err.Error(), `schema file "s.json"`) {
		t.Errorf("directory: got %v", err)
	}
}

// Validation runs on hostile front matter without panicking or hanging.
func FuzzFrontmatterValidate(f *testing.F) {
	for _, s := range []string{
		"---\ntitle: T\nstatus: done\n---\n", "---\ntags: [a, 3]\nextra: x\n---\n", "---\na: &x [1]\nb: *x\n---\n",
		"---\n? complex\n: key\n---\n", "---\ndate: 2024-01-02\nat: 2024-01-02T00:00:00Z\n---\n", "\ufeff---\r\nx: !!binary aGk=\r\n---\r\n",
		"---\nauthor: {email: x}\n---\n", "---\n- list\n---\n", "---\n1: one\ntrue: t\nnull: n\n---\n",
	} {
		f.Add(s)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "schemas"))
	if err != nil {
		f.Fatal(err)
	}
	a, err := action.New("frontmatter.validate", map[string]any{"schema": "note.json"}, action.Build{ConfigDir: dir})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, content string) {
		in := actiontest.Input(t, "a.md", content, nil)
		out, err := a.Run(context.Background(), in)
		if err != nil {
			return
		}
		lines := strings.Count(content, "\n") + 1
		for _, fd := range out.Findings {
			if fd.Line < 0 || fd.Line > lines || fd.Column < 0 {
				t.Fatalf("finding outside the file (%d lines): %+v", lines, fd)
			}
		}
	})
}
