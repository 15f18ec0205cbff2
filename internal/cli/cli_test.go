package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/cli"
)

// scribe runs the command line in-process and returns its exit code and output.
func scribe(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const vaultConfig = `version: 1
roots: ["."]
rules:
  - id: title
    files: "notes/**/*.md"
    when: 'fm.title == nil'
    actions:
      - frontmatter.set: { title: "{{ .Name }}" }
  - id: todo
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
  - id: schema
    files: "notes/**/*.md"
    actions:
      - frontmatter.validate:
          schema: { type: object, required: [title], properties: { status: { enum: [draft, done] } } }
`

func vault(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml":   vaultConfig,
		"notes/a.md":    "---\ntitle: A\n---\nTODO: write\n",
		"notes/b.md":    "---\ntitle: B\nstatus: done\n---\nclean\n",
		"notes/c.md":    "# untitled\n",
		"other/todo.md": "TODO: x\n",
	})
	return dir
}

func TestCheckRunCheck(t *testing.T) {
	dir := vault(t)
	cfg := filepath.Join(dir, "scribe.yaml")
	code, out, errOut := scribe(t, "check", "-c", cfg)
	if code != cli.ExitChanges {
		t.Fatalf("check exit = %d, want 1\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"-TODO: write", "+- [ ] write", "+title: c", "+++ b/"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "3 would change") || strings.Contains(errOut, "\r") {
		t.Errorf("summary/progress on stderr wrong (a piped run must draw no bar):\n%q", errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes/a.md")); string(b) != "---\ntitle: A\n---\nTODO: write\n" {
		t.Fatalf("check wrote a file: %q", b)
	}
	code, out, errOut = scribe(t, "run", "-c", cfg)
	if code != cli.ExitOK {
		t.Fatalf("run exit = %d\n%s\n%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes/c.md")); string(b) != "---\ntitle: c\n---\n# untitled\n" {
		t.Fatalf("run result: %q", b)
	}
	code, out, errOut = scribe(t, "check", "-c", cfg)
	if code != cli.ExitOK {
		t.Fatalf("check after run exit = %d, want 0 (rules must be idempotent)\n%s\n%s", code, out, errOut)
	}
}

func TestCheckFindingsExitOne(t *testing.T) {
	dir := vault(t)
	writeFiles(t, dir, map[string]string{"notes/bad.md": "---\ntitle: Bad\nstatus: wip\n---\n"})
	code, out, _ := scribe(t, "check", "-c", filepath.Join(dir, "scribe.yaml"), filepath.Join(dir, "notes/bad.md"))
	if code != cli.ExitChanges {
		t.Fatalf("exit = %d, want 1\n%s", code, out)
	}
	want := "notes/bad.md:3:1: error: "
	if !strings.Contains(out, want) || !strings.Contains(out, "[schema/frontmatter.validate]") {
		t.Fatalf("finding not reported as %q...:\n%s", want, out)
	}
}

func TestJSONReport(t *testing.T) {
	dir := vault(t)
	code, out, _ := scribe(t, "check", "--format", "json", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitChanges {
		t.Fatalf("exit = %d", code)
	}
	var rep struct {
		Version int    `json:"version"`
		Command string `json:"command"`
		Summary struct {
			Files, Changed, Written, Findings, Failed int
		} `json:"summary"`
		Files []struct {
			Rel      string   `json:"rel"`
			Rules    []string `json:"rules"`
			Changed  bool     `json:"changed"`
			Diff     string   `json:"diff"`
			Findings []any    `json:"findings"`
		} `json:"files"`
		Events []any `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Version != 1 || rep.Command != "check" || rep.Summary.Files != 4 || rep.Summary.Changed != 3 || rep.Summary.Written != 0 {
		t.Fatalf("report header = %+v", rep)
	}
	var rels []string
	for _, f := range rep.Files {
		rels = append(rels, f.Rel)
		if f.Findings == nil || !f.Changed || !strings.HasPrefix(f.Diff, "--- a/") {
			t.Errorf("file entry %+v", f)
		}
	}
	if strings.Join(rels, ",") != "notes/a.md,notes/c.md,other/todo.md" {
		t.Fatalf("files = %v, want sorted changed files", rels)
	}
	if rep.Events == nil {
		t.Fatal("events must be [] not null")
	}
}

func TestConfigErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"scribe.yaml": `version: 1
engine:
  settel: 50ms
rules:
  - id: r
    match: '(unclosed'
    when: 'fm.x =='
    actions:
      - frontmatter.sett: {a: b}
      - replace: { pattern: 'a', with: 3 }
`})
	code, out, errOut := scribe(t, "config", "validate", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitUsage || out != "" {
		t.Fatalf("exit = %d, stdout %q", code, out)
	}
	for _, want := range []string{
		`scribe.yaml:3:3: engine.settel: unknown field "settel"`,
		`did you mean "settle"?`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Schema errors stop before rule compilation; fix the key and the rule
	// errors all show up at once.
	writeFiles(t, dir, map[string]string{"scribe.yaml": `version: 1
rules:
  - id: r
    match: '(unclosed'
    when: 'fm.x =='
    actions:
      - frontmatter.sett: {a: b}
      - replace: { pattern: 'a', with: 3 }
`})
	code, _, errOut = scribe(t, "config", "validate", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitUsage {
		t.Fatalf("exit = %d", code)
	}
	for _, want := range []string{
		"scribe.yaml:4:12: rules[0].match: invalid regular expression: missing closing ): `(unclosed`",
		"scribe.yaml:5:11: rules[0].when: invalid condition",
		`rules[0].actions[0].frontmatter.sett: unknown action "frontmatter.sett"`,
		`did you mean "frontmatter.set"?`,
		"rules[0].actions[1].replace.with:",
		"4 configuration error(s)",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// run and check refuse an invalid configuration the same way.
	if code, _, _ := scribe(t, "check", "-c", filepath.Join(dir, "scribe.yaml")); code != cli.ExitUsage {
		t.Fatalf("check with a bad config exit = %d, want 2", code)
	}
}

func TestFailureExitThreeAndNothingWritten(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": "version: 1\nrules:\n  - id: t\n    actions:\n      - frontmatter.set: { x: \"{{ .FM.a.b.c }}\" }\n",
		"bad.md":      "---\na: [unclosed\n---\nbody\n",
		"ok.md":       "---\na: {b: {c: 1}}\n---\n",
	})
	code, out, errOut := scribe(t, "run", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitFailure {
		t.Fatalf("exit = %d, want 3\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "bad.md: failed:") {
		t.Fatalf("failure not named:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "bad.md")); string(b) != "---\na: [unclosed\n---\nbody\n" {
		t.Fatalf("failed file was modified: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ok.md")); !strings.Contains(string(b), "x: \"1\"") && !strings.Contains(string(b), "x: 1") {
		t.Fatalf("good file not processed: %q", b)
	}
}

func TestHostileFilesAreSkippedWithFindings(t *testing.T) {
	dir := vault(t)
	writeFiles(t, dir, map[string]string{
		"notes/bin.md":    "\x00\x01\x02binary",
		"notes/latin1.md": "caf\xe9\n",
	})
	code, out, _ := scribe(t, "run", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitOK {
		t.Fatalf("exit = %d\n%s", code, out)
	}
	for _, f := range []string{"notes/bin.md", "notes/latin1.md"} {
		if !strings.Contains(out, f+": warning: skipped:") {
			t.Errorf("no skip finding for %s:\n%s", f, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes/latin1.md")); string(b) != "caf\xe9\n" {
		t.Fatal("non-UTF-8 file modified")
	}
}

func TestInitWritesLoadableConfig(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := scribe(t, "init", dir); code != 0 {
		t.Fatalf("init exit = %d %s %s", code, out, errOut)
	}
	if code, out, errOut := scribe(t, "config", "validate", "-c", filepath.Join(dir, "scribe.yaml")); code != 0 {
		t.Fatalf("starter config invalid: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := scribe(t, "init", dir); code != cli.ExitUsage || !strings.Contains(errOut, "--force") {
		t.Fatalf("second init: exit %d, %s", code, errOut)
	}
}

func TestSchemaAndPlugins(t *testing.T) {
	code, out, _ := scribe(t, "config", "schema")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["properties"] == nil {
		t.Fatalf("config schema: exit %d, %.200s", code, out)
	}
	code, out, _ = scribe(t, "plugins", "--format", "json")
	var list []struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("plugins: exit %d, %.200s", code, out)
	}
	names := map[string]bool{}
	for _, a := range list {
		names[a.Name] = true
	}
	for _, n := range []string{"frontmatter.set", "frontmatter.delete", "frontmatter.validate", "replace", "log"} {
		if !names[n] {
			t.Errorf("plugins lacks %s", n)
		}
	}
}

func TestFixtures(t *testing.T) {
	dir := vault(t)
	writeFiles(t, dir, map[string]string{
		"tests/todo/input.md":     "TODO: a\n",
		"tests/todo/expected.md":  "- [ ] a\n",
		"tests/title/input.md":    "# x\n",
		"tests/title/case.yaml":   "path: notes/my-note.md\n",
		"tests/title/expected.md": "---\ntitle: my-note\n---\n# x\n",
		"tests/wrong/input.md":    "TODO: b\n",
		"tests/wrong/expected.md": "TODO: b\n",
	})
	code, out, _ := scribe(t, "test", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitChanges || !strings.Contains(out, "2 passed, 1 failed") || !strings.Contains(out, "FAIL wrong") {
		t.Fatalf("exit = %d\n%s", code, out)
	}
	code, out, _ = scribe(t, "test", "--update", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != 0 {
		t.Fatalf("--update: exit %d\n%s", code, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "tests/wrong/expected.md")); string(b) != "- [ ] b\n" {
		t.Fatalf("--update wrote %q", b)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := vault(t)
	if code, _, errOut := scribe(t, "check", "--format", "xml", "-c", filepath.Join(dir, "scribe.yaml")); code != cli.ExitUsage || !strings.Contains(errOut, "--format") {
		t.Fatalf("bad format: %d %s", code, errOut)
	}
	if code, _, errOut := scribe(t, "check", "-c", filepath.Join(dir, "scribe.yaml"), t.TempDir()); code != cli.ExitUsage || !strings.Contains(errOut, "not inside any root") {
		t.Fatalf("outside path: %d %s", code, errOut)
	}
	if code, _, errOut := scribe(t, "check", "-c", filepath.Join(dir, "nope.yaml")); code != cli.ExitUsage || !strings.Contains(errOut, "nope.yaml") {
		t.Fatalf("missing config: %d %s", code, errOut)
	}
}

// The example vault's own rules pass their fixtures, and its configuration
// uses every built-in action.
func TestExampleVault(t *testing.T) {
	buildExampleModule(t)
	cfg := filepath.Join("..", "..", "examples", "vault", "scribe.yaml")
	code, out, errOut := scribe(t, "test", "-c", cfg)
	if code != 0 || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("example fixtures: exit %d\n%s\n%s", code, out, errOut)
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, plugins, _ := scribe(t, "plugins", "--format", "json")
	var list []struct{ Name string }
	if err := json.Unmarshal([]byte(plugins), &list); err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if !strings.Contains(string(b), a.Name+":") {
			t.Errorf("examples/vault/scribe.yaml does not use the %s action", a.Name)
		}
	}
}

// buildExampleModule builds the example WebAssembly plugin's module, as
// `go generate ./examples/plugins/...` does (the module is not committed),
// and swaps it in atomically.
func buildExampleModule(t *testing.T) {
	t.Helper()
	dir := filepath.Join("..", "..", "examples", "plugins", "wasm-readtime")
	tmp := filepath.Join(dir, ".readtime.wasm.tmp")
	cmd := exec.Command("go", "build", "-o", filepath.Base(tmp), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the example module: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "readtime.wasm")); err != nil {
		t.Fatal(err)
	}
}
