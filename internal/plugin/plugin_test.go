package plugin_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/plugin/plugintest"
	"github.com/scribe-md/scribe/internal/rule"
)

// fixture is a configuration directory with plugin folders made of the
// helper binary.
type fixture struct {
	t   *testing.T
	dir string
}

func newFixture(t *testing.T) *fixture {
	return &fixture{t: t, dir: t.TempDir()}
}

// plugin writes a plugin folder holding manifest (with HELPER replaced by
// nothing: command[0] is always the allow-listed "helper").
func (f *fixture) plugin(name, manifest string) {
	f.t.Helper()
	dir := filepath.Join(f.dir, "plugins", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, plugin.ManifestName), []byte(manifest), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// helperManifest is a process plugin manifest running the helper in mode.
func helperManifest(name, mode, actions string) string {
	return fmt.Sprintf("name: %s\nprotocol: 1\nruntime: process\ncommand: [helper, %s]\nconcurrency: 2\nactions:\n%s", name, mode, actions)
}

const allActions = `  - {name: echo, permissions: [read, write]}
  - {name: upper, permissions: [read, write]}
  - {name: content, permissions: [read]}
  - {name: findings, params: {type: object, properties: {n: {type: integer}, severity: {type: string}}, additionalProperties: false}}
  - {name: gate}
  - {name: pid}
  - {name: sleep}
`

// load loads a configuration listing the plugins with rules, and compiles
// the rules; the plugins are closed when the test ends.
func (f *fixture) load(plugins []string, rules string) (*config.Config, *plugin.Set, *rule.Set, error) {
	f.t.Helper()
	conf := fmt.Sprintf("plugins: [%s]\nsecurity:\n  commands:\n    - {name: helper, path: %s}\n  env: []\nrules:\n%s",
		strings.Join(plugins, ", "), plugintest.Helper(f.t), rules)
	path := filepath.Join(f.dir, "scribe.yaml")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		f.t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		f.t.Fatal(err)
	}
	set, err := plugin.Load(cfg, plugin.Options{})
	if err != nil {
		return cfg, nil, nil, err
	}
	f.t.Cleanup(func() { set.Close(context.Background()) })
	rules2, err := rule.Compile(cfg, action.Build{ConfigDir: cfg.Dir, Timeout: 10 * time.Second, Plugins: set.Specs()})
	return cfg, set, rules2, err
}

// call runs the first action of the first rule on a file.
func call(t *testing.T, rs *rule.Set, path, content string) (action.Output, error) {
	t.Helper()
	st := rs.Rules[0].Steps[0]
	return action.Call(context.Background(), st.Action, action.Input{Path: path, Content: []byte(content), FrontMatter: map[string]any{"title": "x"}}, st.Timeout)
}

func TestLoadErrorsCarryPositions(t *testing.T) {
	f := newFixture(t)
	f.plugin("p", helperManifest("p", "good", allActions))
	f.plugin("q", helperManifest("p", "good", allActions)) // same name
	f.plugin("bad", "name: bad\nprotocol: 1\nruntime: process\ncommand: [python3, x.py]\nactions: [{name: a}]\n")
	_, _, _, err := f.load([]string{"plugins/p", "plugins/q", "plugins/bad", "plugins/nowhere"}, "")
	var ce config.Errors
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	got := ce.Error()
	for _, want := range []string{
		`scribe.yaml:1:46: plugins[3]: plugin folder ` + filepath.Join(f.dir, "plugins/nowhere") + ` does not exist`,
		`plugins[1]: plugin name "p" is already used by plugins[0]`,
		filepath.Join("plugins/bad", plugin.ManifestName) + `:4:11: command[0]: "python3" is not in security.commands`,
		`hint: add it to security.commands`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
}

// Parameters are validated against the manifest's schema when the rules
// compile, with the rule's field path.
func TestParamsValidatedAtLoad(t *testing.T) {
	f := newFixture(t)
	f.plugin("p", helperManifest("p", "good", allActions))
	_, _, _, err := f.load([]string{"plugins/p"}, "  - id: r\n    actions:\n      - p.findings: {n: many, extra: 1}\n      - p.nope: {}\n")
	got := fmt.Sprint(err)
	for _, want := range []string{
		`rules[0].actions[0].p.findings.n: got string, want integer`,
		`rules[0].actions[0].p.findings.extra: unknown parameter "extra"`,
		`hint: known here: n`,
		`rules[0].actions[1].p.nope: unknown action "p.nope"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
}

// Permissions are enforced by the engine: without read no content is sent;
// without write returned content is rejected; findings are always allowed,
// capped, and checked.
func TestPermissionsEnforced(t *testing.T) {
	f := newFixture(t)
	f.plugin("p", helperManifest("p", "good", allActions))
	rules := `  - id: noread
    actions: [{p.findings: {n: 1}}]
  - id: nowrite
    actions: [{p.content: {}}]
  - id: write
    actions: [{p.upper: {}}]
  - id: flood
    actions: [{p.findings: {n: 1500}}]
  - id: badsev
    actions: [{p.findings: {n: 1, severity: fatal}}]
`
	_, _, rs, err := f.load([]string{"plugins/p"}, rules)
	if err != nil {
		t.Fatal(err)
	}
	step := func(i int) rule.Step { return rs.Rules[i].Steps[0] }
	run := func(i int, path string) (action.Output, error) {
		st := step(i)
		return action.Call(context.Background(), st.Action, action.Input{Path: path, Content: []byte("secret content\n"), FrontMatter: map[string]any{}}, 10*time.Second)
	}
	out, err := run(0, "notes/a.md")
	if err != nil || len(out.Findings) != 1 || !strings.Contains(out.Findings[0].Message, "content sent: false") || out.Content != nil {
		t.Fatalf("no read: %+v, %v; want one finding saying no content was sent", out, err)
	}
	if out.Findings[0].Severity != action.SeverityWarning {
		t.Errorf("a finding without severity is a warning, got %q", out.Findings[0].Severity)
	}
	if _, err := run(1, "a.md"); err == nil || !strings.Contains(err.Error(), "without the write permission; the content was rejected") {
		t.Fatalf("no write: err = %v", err)
	}
	if out, err := run(2, "a.md"); err != nil || string(out.Content) != "SECRET CONTENT\n" {
		t.Fatalf("read+write: %q, %v", out.Content, err)
	}
	out, err = run(3, "a.md")
	if err != nil || len(out.Findings) != action.MaxFindings || !strings.Contains(out.Findings[action.MaxFindings-1].Message, "more findings not shown") {
		t.Fatalf("finding cap: %d findings, %v", len(out.Findings), err)
	}
	if _, err := run(4, "a.md"); err == nil || !strings.Contains(err.Error(), `severity "fatal"`) {
		t.Fatalf("bad severity: %v", err)
	}
	// A path outside the root is never sent.
	for _, p := range []string{"../etc/passwd", "/etc/passwd", "a/../../b", ""} {
		if _, err := run(0, p); err == nil || !strings.Contains(err.Error(), "refusing to send the path") {
			t.Errorf("path %q: err = %v", p, err)
		}
	}
	// Non-UTF-8 content is refused rather than mangled by JSON.
	st := step(2)
	if _, err := action.Call(context.Background(), st.Action, action.Input{Path: "a.md", Content: []byte("\xff\xfe")}, time.Second*10); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("non-UTF-8: %v", err)
	}
}

// A pinned program whose sha256 differs refuses to load, naming both hashes.
func TestSHA256Pin(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(f.dir, "plugins", "pinned")
	os.MkdirAll(dir, 0o755)
	script := []byte("print('hello')\n")
	os.WriteFile(filepath.Join(dir, "main.py"), script, 0o644)
	sum := sha256.Sum256(script)
	good := hex.EncodeToString(sum[:])
	manifest := func(pin string) string {
		return fmt.Sprintf("name: pinned\nprotocol: 1\nruntime: process\ncommand: [helper, main.py]\nsha256: %q\nactions: [{name: echo}]\n", pin)
	}
	f.plugin("pinned", manifest(good))
	if _, _, _, err := f.load([]string{"plugins/pinned"}, ""); err != nil {
		t.Fatalf("matching pin: %v", err)
	}
	bad := strings.Repeat("0", 64)
	f.plugin("pinned", manifest(bad))
	_, _, _, err := f.load([]string{"plugins/pinned"}, "")
	if err == nil || !strings.Contains(err.Error(), "main.py has sha256 "+good+", but the manifest pins "+bad+"; refusing to load it") ||
		!strings.Contains(err.Error(), plugin.ManifestName+":5:9: sha256:") {
		t.Fatalf("err = %v", err)
	}
}

// A WebAssembly module whose sha256 differs from the pin refuses to load; a
// module not built yet loads as missing, its calls saying what to build.
func TestWasmPinAndMissingModule(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(f.dir, "plugins", "w")
	os.MkdirAll(dir, 0o755)
	manifest := func(pin string) string {
		return fmt.Sprintf("name: w\nprotocol: 1\nruntime: wasm\nmodule: w.wasm\nsha256: %q\nactions: [{name: stamp, permissions: [read]}]\n", pin)
	}
	f.plugin("w", manifest(""))
	_, set, rs, err := f.load([]string{"plugins/w"}, "  - id: r\n    actions: [{w.stamp: {}}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if st := set.Status(); st[0].State != "missing" || !strings.Contains(st[0].Error, "module w.wasm does not exist") {
		t.Fatalf("status %+v", st)
	}
	if _, err := call(t, rs, "a.md", "x"); err == nil || !strings.Contains(err.Error(), "build it") {
		t.Fatalf("call to a missing module: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "w.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	f.plugin("w", manifest(strings.Repeat("1", 64)))
	_, _, _, err = f.load([]string{"plugins/w"}, "")
	if err == nil || !strings.Contains(err.Error(), "module w.wasm has sha256 ") || !strings.Contains(err.Error(), "refusing to load it") {
		t.Fatalf("pin mismatch: %v", err)
	}
}
