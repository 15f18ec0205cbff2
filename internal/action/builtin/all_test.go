package builtin

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
	"github.com/scribe-md/scribe/internal/regex"
)

// Every built-in action is registered with a one-line summary, a strict
// schema and an Example that passes its own schema and constructs.
func TestSpecs(t *testing.T) {
	for _, name := range action.Names() {
		t.Run(name, func(t *testing.T) {
			s, ok := action.Lookup(name)
			if !ok {
				t.Fatalf("%s is not registered", name)
			}
			if s.Summary == "" || strings.Contains(s.Summary, "\n") {
				t.Errorf("summary %q: want one line", s.Summary)
			}
			if strings.Contains(s.Schema, `"type": "object"`) && name != "frontmatter.set" && !strings.Contains(s.Schema, `"additionalProperties": false`) {
				t.Errorf("schema does not forbid unknown parameters")
			}
			ex, ok := actiontest.YAML(t, s.Example).(map[string]any)
			if !ok || len(ex) != 1 {
				t.Fatalf("example %q: want a single-key mapping", s.Example)
			}
			params, ok := ex[name]
			if !ok {
				t.Fatalf("example is not keyed by %q: %q", name, s.Example)
			}
			if errs := s.ValidateParams(params); len(errs) > 0 {
				t.Fatalf("example fails the schema: %v", errs)
			}
			// The commands the examples of exec and pipeline name.
			cmds := map[string]string{"prettier": "/usr/bin/prettier", "markdownlint": "/usr/bin/markdownlint"}
			b := action.Build{Rule: "example", Match: regex.MustCompile(`x`), ConfigDir: t.TempDir(), Commands: cmds}
			if _, err := action.New(name, params, b); err != nil {
				t.Fatalf("example does not construct: %v", err)
			}
		})
	}
}

// Parameters of the wrong shape are refused by the schema with the field
// named, before any constructor runs.
func TestSchemasRefuse(t *testing.T) {
	tests := []struct{ name, params, want string }{
		{"replace", `{with: x, extra: 1}`, "extra"},
		{"replace", `{pattern: a}`, "with"},
		{"replace", `{with: 3}`, "/with"},
		{"log", `{level: info}`, "message"},
		{"log", `{message: hi, level: loud}`, "/level"},
		{"frontmatter.validate", `{}`, "schema"},
		{"frontmatter.validate", `{schema: s.json, severity: fatal}`, "/severity"},
		{"frontmatter.validate", `{schema: [a]}`, "/schema"},
		{"frontmatter.set", `{}`, ""},
		{"frontmatter.set", `[a]`, ""},
		{"frontmatter.delete", `[]`, ""},
		{"frontmatter.delete", `[a, a]`, ""},
		{"frontmatter.delete", `{a: 1}`, ""},
	}
	for _, tt := range tests {
		_, err := actiontest.New(t, tt.name, tt.params, action.Build{})
		var pe *action.ParamsError
		if !errors.As(err, &pe) {
			t.Errorf("%s %s: got %v, want a ParamsError", tt.name, tt.params, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s: %v does not mention %q", tt.name, tt.params, err, tt.want)
		}
	}
}

// Every built-in action's schema compiles (they are compiled when first
// used, not when registered).
func TestBuiltinSchemasCompile(t *testing.T) {
	if err := action.CheckSchemas(); err != nil {
		t.Fatal(err)
	}
}

// TestExecDocExamples builds every exec, publish and pipeline snippet in
// doc/actions, so the documentation cannot drift from the schemas.
func TestExecDocExamples(t *testing.T) {
	b := action.Build{Rule: "doc", Timeout: time.Second, Commands: map[string]string{}}
	for _, n := range []string{"prettier", "markdownlint", "vale", "fmt-a", "fmt-b"} {
		b.Commands[n] = "/usr/bin/" + n
	}
	built := 0
	var walk func(t *testing.T, v any)
	walk = func(t *testing.T, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, p := range x {
				switch k {
				case "exec", "publish", "pipeline":
					if _, err := action.New(k, p, b); err != nil {
						t.Errorf("%s example: %v", k, err)
					}
					built++
				default:
					walk(t, p)
				}
			}
		case []any:
			for _, e := range x {
				walk(t, e)
			}
		}
	}
	for _, name := range []string{"exec", "publish", "pipeline"} {
		doc, err := os.ReadFile(filepath.Join("..", "..", "..", "doc", "actions", name+".md"))
		if err != nil {
			t.Fatal(err)
		}
		blocks := strings.Split(string(doc), "```yaml\n")[1:]
		if len(blocks) == 0 {
			t.Errorf("doc/actions/%s.md has no YAML example", name)
		}
		for _, blk := range blocks {
			blk, _, _ = strings.Cut(blk, "```")
			var v any
			if err := yaml.Unmarshal([]byte(blk), &v); err != nil {
				t.Errorf("doc/actions/%s.md: %v\n%s", name, err, blk)
				continue
			}
			walk(t, v)
		}
	}
	if built < 7 {
		t.Errorf("only %d examples built", built)
	}
}

// Every parameter of an action with a page of its own under doc/actions is
// documented there.
func TestEveryParameterDocumented(t *testing.T) {
	checked := 0
	for _, name := range action.Names() {
		page, err := os.ReadFile(filepath.Join("..", "..", "..", "doc", "actions", name+".md"))
		if errors.Is(err, fs.ErrNotExist) {
			continue // documented together with others (core.md)
		}
		if err != nil {
			t.Fatal(err)
		}
		checked++
		s, _ := action.Lookup(name)
		var schema struct {
			Properties map[string]any `json:"properties"`
		}
		if err := json.Unmarshal([]byte(s.Schema), &schema); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for p := range schema.Properties {
			if !strings.Contains(string(page), "`"+p+"`") {
				t.Errorf("doc/actions/%s.md does not document %q", name, p)
			}
		}
	}
	if checked < 7 {
		t.Errorf("only %d actions have a page of their own under doc/actions", checked)
	}
}
