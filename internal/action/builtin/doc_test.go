package builtin

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
	"github.com/scribe-md/scribe/internal/regex"
)

// btClock is the fixed time of every test run.
var btClock = time.Date(2024, 3, 9, 14, 5, 7, 0, time.UTC)

// btOwned are the actions these tests cover (doc.go's first group).
var btOwned = []string{"frontmatter.set", "frontmatter.delete", "frontmatter.validate", "replace", "log"}

// btInput builds the Input the engine would pass for content, with a fixed
// clock and a logger writing to logs (nil: discard).
func btInput(t testing.TB, path, content string, logs *bytes.Buffer) action.Input {
	t.Helper()
	fm, err := markdown.Parse([]byte(content))
	if err != nil {
		fm = map[string]any{}
	}
	var w = &bytes.Buffer{}
	if logs != nil {
		w = logs
	}
	return action.Input{
		Root:        "/vault",
		Path:        path,
		Content:     []byte(content),
		FrontMatter: fm,
		Rule:        "test-rule",
		Host: action.Host{
			Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})).With("rule", "test-rule", "path", path),
			Clock:  func() time.Time { return btClock },
		},
	}
}

// btYAML decodes a YAML snippet as a configuration would.
func btYAML(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("yaml %q: %v", s, err)
	}
	return v
}

// btNew constructs an action from YAML parameters through the registry, so
// the schema runs first as it does when a configuration loads.
func btNew(t testing.TB, name, params string, b action.Build) (action.Action, error) {
	t.Helper()
	if b.Rule == "" {
		b.Rule = "test-rule"
	}
	return action.New(name, btYAML(t, params), b)
}

// btMust is btNew that fails the test on error.
func btMust(t testing.TB, name, params string, b action.Build) action.Action {
	t.Helper()
	a, err := btNew(t, name, params, b)
	if err != nil {
		t.Fatalf("%s %s: %v", name, params, err)
	}
	return a
}

// btRun runs a on in and returns the resulting content (the input when the
// action left it unchanged) and the output.
func btRun(t testing.TB, a action.Action, in action.Input) (string, action.Output) {
	t.Helper()
	out, err := a.Run(context.Background(), in)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if out.Content != nil && bytes.Equal(out.Content, in.Content) {
		t.Errorf("unchanged content returned as non-nil Content")
	}
	if out.Content == nil {
		return string(in.Content), out
	}
	return string(out.Content), out
}

// Every owned action is registered with a one-line summary, a strict schema
// and an Example that passes its own schema and constructs.
func TestSpecs(t *testing.T) {
	for _, name := range btOwned {
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
			ex, ok := btYAML(t, s.Example).(map[string]any)
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
			b := action.Build{Rule: "example", Match: regex.MustCompile(`x`), ConfigDir: t.TempDir()}
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
		_, err := btNew(t, tt.name, tt.params, action.Build{})
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
