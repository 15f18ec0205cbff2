package actiontest

import (
	"bytes"
	"context"
	"log/slog"
	"runtime"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
	"github.com/scribe-md/scribe/internal/sandbox"
)

// Clock is the fixed time of Input's Host.
var Clock = time.Date(2024, 3, 9, 14, 5, 7, 0, time.UTC)

// YAML decodes a YAML snippet as a configuration would.
func YAML(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("yaml %q: %v", s, err)
	}
	return v
}

// New constructs an action from YAML parameters through the registry, so
// the schema runs first as it does when a configuration loads. An empty
// rule in b is "test-rule".
func New(t testing.TB, name, params string, b action.Build) (action.Action, error) {
	t.Helper()
	if b.Rule == "" {
		b.Rule = "test-rule"
	}
	return action.New(name, YAML(t, params), b)
}

// Must is New that fails the test on error.
func Must(t testing.TB, name, params string, b action.Build) action.Action {
	t.Helper()
	a, err := New(t, name, params, b)
	if err != nil {
		t.Fatalf("%s %s: %v", name, params, err)
	}
	return a
}

// Input builds the Input the engine would pass for content under the root
// /vault, with Clock and a logger writing to logs (nil: discard).
func Input(t testing.TB, path, content string, logs *bytes.Buffer) action.Input {
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
			Clock:  func() time.Time { return Clock },
		},
	}
}

// Run runs a on in and returns the resulting content (the input when the
// action left it unchanged) and the output. It fails the test on an error,
// and on unchanged content returned as new.
func Run(t testing.TB, a action.Action, in action.Input) (string, action.Output) {
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

// Shell is a root directory with a real sandbox.Runner allowed to run sh.
type Shell struct {
	Root   string
	Runner *sandbox.Runner
	// Build allows sh, rule "test", a 10 s timeout.
	Build action.Build
}

// NewShell returns a Shell in a new temporary directory, and skips the test
// where /bin/sh is not usable.
func NewShell(t *testing.T) *Shell {
	t.Helper()
	sh, err := sandbox.ResolveCommand("/bin/sh")
	if err != nil {
		t.Skipf("no usable /bin/sh: %v", err)
	}
	root := t.TempDir()
	cmds := map[string]string{"sh": sh}
	return &Shell{
		Root:   root,
		Runner: sandbox.NewRunner(root, cmds, []string{"PATH"}, 1<<20),
		Build:  action.Build{Rule: "test", Commands: cmds, Timeout: 10 * time.Second},
	}
}

// New builds the named action from YAML parameters through the registry.
func (s *Shell) New(t *testing.T, name, params string) action.Action {
	t.Helper()
	a, err := action.New(name, YAML(t, params), s.Build)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Input is the Input the engine would pass for a file at path, with the
// Shell's runner and a fixed clock.
func (s *Shell) Input(t *testing.T, path, content string) action.Input {
	t.Helper()
	fm, err := markdown.Parse([]byte(content))
	if err != nil {
		t.Fatal(err)
	}
	return action.Input{
		Root: s.Root, Path: path, Content: []byte(content), FrontMatter: fm, Rule: "test",
		Host: action.Host{Commands: s.Runner, Clock: func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }},
	}
}

// HeapLive returns the bytes of heap in use after a collection.
func HeapLive() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// ReportLive reports, as live-MiB, the heap that keep holds beyond base (a
// HeapLive taken before keep was built): what an action keeps between calls
// (its graph, its caches). A regression in what is kept per document shows
// here long before it shows in RSS.
func ReportLive(b *testing.B, base uint64, keep ...any) {
	live := HeapLive()
	runtime.KeepAlive(keep)
	if live > base {
		b.ReportMetric(float64(live-base)/(1<<20), "live-MiB")
	}
}
