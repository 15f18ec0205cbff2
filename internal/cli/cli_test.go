package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

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

// TestNamingFixRun: naming's fix mode over notes that link to each other,
// as a one-shot run does it (files read in parallel, renamed one at a
// time): every link still resolves afterwards, however the renames and
// reads interleave (a note read before another's rename rewrote its links
// is redone, not written back with the old links), and the event of a
// folder's rename names the folder.
func TestNamingFixRun(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"scribe.yaml": `version: 1
roots: ["."]
rules:
  - id: names
    actions:
      - naming: {mode: fix}
  - id: links
    actions:
      - links.check: {}
`, "Project_Docs/guide_one.md": "# g\n"}
	const n = 24
	for i := range n {
		files[fmt.Sprintf("note_%02d.md", i)] = fmt.Sprintf("[prev](note_%02d.md) [next](note_%02d.md) [g](Project_Docs/guide_one.md)\n", (i+n-1)%n, (i+1)%n)
	}
	writeFiles(t, dir, files)
	cfg := filepath.Join(dir, "scribe.yaml")
	code, out, errOut := scribe(t, "run", "--format", "json", "-c", cfg)
	if code != cli.ExitOK {
		t.Fatalf("run exit = %d\n%s\n%s", code, out, errOut)
	}
	var rep struct {
		Events []struct {
			Path string            `json:"path"`
			Type string            `json:"type"`
			Data map[string]string `json:"data"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	folder := false
	for _, ev := range rep.Events {
		if ev.Type == "renamed" && ev.Data["to"] == "project-docs" {
			folder = true
			if ev.Path != filepath.Join(dir, "Project_Docs") {
				t.Errorf("the folder's rename event has path %q", ev.Path)
			}
		}
	}
	if !folder {
		t.Errorf("no event for the folder's rename:\n%s", out)
	}
	for i := range n {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("note-%02d.md", i)))
		want := fmt.Sprintf("[prev](note-%02d.md) [next](note-%02d.md) [g](project-docs/guide-one.md)\n", (i+n-1)%n, (i+1)%n)
		if err != nil || string(b) != want {
			t.Errorf("note-%02d.md = %q (%v), want %q", i, b, err, want)
		}
	}
	code, out, errOut = scribe(t, "check", "-c", cfg)
	if code != cli.ExitOK {
		t.Fatalf("check after the renames: exit %d\n%s\n%s", code, out, errOut)
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
		"\nscribe: 4 configuration errors\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// run and check refuse an invalid configuration the same way, and say
	// how to see the errors again (config validate itself does not).
	code, _, errOut = scribe(t, "check", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitUsage || !strings.Contains(errOut, "scribe: 4 configuration errors; run `scribe config validate` after fixing them\n") {
		t.Fatalf("check with a bad config: exit = %d, want 2; stderr:\n%s", code, errOut)
	}
}

// A root that is not there fails every other command, so config validate
// reports it too, at the root's line.
func TestValidateReportsAMissingRoot(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": "version: 1\nroots: [notes, nope]\nrules:\n  - id: r\n    actions: [{log: {message: x}}]\n",
		"notes/a.md":  "a\n",
	})
	code, out, errOut := scribe(t, "config", "validate", "-c", filepath.Join(dir, "scribe.yaml"))
	want := "scribe.yaml:2:16: roots[1]: root " + filepath.Join(dir, "nope") + " does not exist"
	if code != cli.ExitUsage || out != "" || !strings.Contains(errOut, want) || strings.Contains(errOut, "roots[0]") {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant %q", code, out, errOut, want)
	}
}

// Roots that overlap would process the files they share twice, and in the
// daemon each root's watcher would take the other's writes for a user's
// edits: a rule that stamps the time rewrote a note without end. Every
// command refuses them, and watch refuses PATH arguments that overlap.
func TestNestedRootsAreRefused(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": "version: 1\nroots: [\".\", notes]\nhttp: {listen: \"\"}\nrules:\n  - id: stamp\n    actions: [{frontmatter.set: {seen: x}}]\n",
		"notes/a.md":  "a\n",
	})
	cfg := filepath.Join(dir, "scribe.yaml")
	want := `scribe.yaml:2:14: roots[1]: root "notes" (` + filepath.Join(dir, "notes") + `) lies inside roots[0] "." (line 2)`
	for _, cmd := range []string{"validate", "run", "check", "watch"} {
		args := []string{cmd, "-c", cfg}
		if cmd == "validate" {
			args = append([]string{"config"}, args...)
		}
		code, out, errOut := scribe(t, args...)
		if code != cli.ExitUsage || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s\nwant %q", cmd, code, out, errOut, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes", "a.md")); err != nil || string(b) != "a\n" {
		t.Errorf("notes/a.md = %q, %v; want it untouched", b, err)
	}

	writeFiles(t, dir, map[string]string{"scribe.yaml": "version: 1\nhttp: {listen: \"\"}\nrules:\n  - id: stamp\n    actions: [{frontmatter.set: {seen: x}}]\n"})
	code, out, errOut := scribe(t, "watch", "-c", cfg, filepath.Join(dir, "notes"), dir)
	want = dir + " holds " + filepath.Join(dir, "notes") + ": the files they share"
	if code != cli.ExitUsage || out != "" || !strings.Contains(errOut, want) {
		t.Errorf("watch with nested PATHs: exit %d, stdout %q, stderr:\n%s\nwant %q", code, out, errOut, want)
	}
}

// The summary line counts in words that agree with their numbers: "1 file",
// "1 finding (1 error, 0 warnings)".
func TestSummaryLineCounts(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": "version: 1\nrules:\n  - id: s\n    actions: [{frontmatter.validate: {schema: {type: object, required: [title]}}}]\n",
		"a.md":        "---\nstatus: x\n---\n",
	})
	code, _, errOut := scribe(t, "check", "-c", filepath.Join(dir, "scribe.yaml"))
	re := regexp.MustCompile(`(?m)^check: 1 file in \S+: 0 would change, 1 finding \(1 error, 0 warnings\), 0 skipped, 0 failed$`)
	if code != cli.ExitChanges || !re.MatchString(errOut) {
		t.Fatalf("exit %d, stderr:\n%s\nwant a line matching %s", code, errOut, re)
	}
}

func TestFailureExitThreeAndNothingWritten(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": "version: 1\nrules:\n  - id: t\n    actions:\n      - frontmatter.set: { x: \"{{ .FM.a.b.c }}\" }\n",
		"bad.md":      "---\na: [1, 2]\n---\nbody\n", // the template cannot index a list by name
		"ok.md":       "---\na: {b: {c: 1}}\n---\n",
	})
	code, out, errOut := scribe(t, "run", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitFailure {
		t.Fatalf("exit = %d, want 3\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "bad.md: failed:") {
		t.Fatalf("failure not named:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "bad.md")); string(b) != "---\na: [1, 2]\n---\nbody\n" {
		t.Fatalf("failed file was modified: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ok.md")); !strings.Contains(string(b), "x: \"1\"") && !strings.Contains(string(b), "x: 1") {
		t.Fatalf("good file not processed: %q", b)
	}
}

// A failure that quotes a command's standard error shows its lines indented
// below the first, not run together as \x0a; control characters in them
// stay escaped.
func TestFailureReasonLines(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	sh, err = filepath.EvalSymlinks(sh)
	must(t, err)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": fmt.Sprintf("version: 1\nsecurity:\n  commands: [{name: sh, path: %s}]\nrules:\n  - id: t\n    actions:\n"+
			"      - exec: {command: [sh, -c, 'printf \"one\\ntwo \\033[2J\\n\" >&2; exit 1'], filter: true}\n", sh),
		"a.md": "a\n",
	})
	code, out, errOut := scribe(t, "check", "-c", filepath.Join(dir, "scribe.yaml"))
	want := "a.md: failed: rule t: action exec: exec: command sh exited with status 1: one\n    two \\x1b[2J\n"
	if code != cli.ExitFailure || !strings.Contains(out, want) {
		t.Fatalf("exit %d, stdout:\n%s\nwant it to hold %q\nstderr:\n%s", code, out, want, errOut)
	}
}

// Front matter that is not valid YAML (or JSON, which is read but not
// edited) is a finding at its line and column, and the file is left as it
// is: not a failure, since retrying cannot help until someone edits the
// file. TOML front matter (Hugo's) is edited.
func TestInvalidFrontMatterIsAFinding(t *testing.T) {
	dir := t.TempDir()
	bad := "---\ntitle: `quoted with backticks`\n---\nbody\n"
	json := "{\n  \"title\": \"T\"\n}\nbody\n"
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": "version: 1\nrules:\n  - id: t\n    actions:\n      - frontmatter.set: { x: 1 }\n",
		"bad.md":      bad,
		"json.md":     json,
		"hugo.md":     "+++\ntitle = \"T\"\n+++\nbody\n",
	})
	code, out, errOut := scribe(t, "run", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitOK {
		t.Fatalf("exit = %d, want 0 (findings, no failure)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"bad.md:2:8: error: frontmatter.set left the file as it is", "json.md:1:1: error: frontmatter.set left the file as it is: JSON front matter is not supported for edits"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for name, want := range map[string]string{"bad.md": bad, "json.md": json, "hugo.md": "+++\ntitle = \"T\"\nx = 1\n+++\nbody\n"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
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

// In an Obsidian vault, init leaves out its trash and the templates folders
// its settings name (core Templates, Templater): their notes would be
// stamped by the starter's rule and their placeholders reported as broken
// links by its other.
func TestInitLeavesObsidianTemplatesOut(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		".obsidian/templates.json":                       `{"folder": "Templates"}`,
		".obsidian/plugins/templater-obsidian/data.json": `{"templates_folder": "/Meta/Tpl/", "other": 1}`,
		"Templates/Daily.md":                             "---\ncreated: {{date}}\n---\n[[{{date}}]]\n",
		"Meta/Tpl/Note.md":                               "<% tp.file.title %> [[<% tp.date.now() %>]]\n",
		".trash/old.md":                                  "[[deleted long ago]]\n",
		"notes/a.md":                                     "[[b]]\n",
		"notes/b.md":                                     "b\n",
	})
	code, out, errOut := scribe(t, "init", dir)
	if code != 0 || !strings.Contains(out, ".trash/ is this Obsidian vault's trash: left out") || !strings.Contains(out, "Templates/ is this Obsidian vault's templates folder: left out") || !strings.Contains(out, "Meta/Tpl/ is this") {
		t.Fatalf("init: exit %d, %q, %q", code, out, errOut)
	}
	cfg := filepath.Join(dir, "scribe.yaml")
	b, _ := os.ReadFile(cfg)
	if !strings.Contains(string(b), `exclude: ["tests/**", ".trash/**", "Templates/**", "Meta/Tpl/**"]`) {
		t.Errorf("the starter's exclude:\n%s", b)
	}
	if code, out, errOut := scribe(t, "check", "-c", cfg); code != 0 {
		t.Errorf("check of the vault: exit %d, want 0 (the templates left alone)\n%s\n%s", code, out, errOut)
	}
}

// TestInitLeavesSyncthingVersionsOut: Syncthing keeps old versions of the
// notes of a folder it shares in .stversions/ (file~20240101-120000.md),
// and conflict copies beside them, which no rule should stamp or check.
func TestInitLeavesSyncthingVersionsOut(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		".stfolder/.keep":                                  "",
		".obsidian/app.json":                               "{}",
		".stversions/notes/a~20240101-120000.md":           "[[deleted since]]\n",
		"notes/a.sync-conflict-20240101-120000-ABCDEFG.md": "[[elsewhere]]\n",
		"notes/a.md":                                       "[[b]]\n",
		"notes/b.md":                                       "b\n",
	})
	code, out, errOut := scribe(t, "init", dir)
	if code != 0 || !strings.Contains(out, ".stversions/ holds Syncthing's old versions of the notes: left out") || !strings.Contains(out, "*.sync-conflict-* are Syncthing's conflict copies: left out") || !strings.Contains(out, ".trash/") {
		t.Fatalf("init: exit %d, %q, %q", code, out, errOut)
	}
	cfg := filepath.Join(dir, "scribe.yaml")
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), `exclude: ["tests/**", ".trash/**", ".stversions/**", "**/*.sync-conflict-*"]`) {
		t.Errorf("the starter's exclude:\n%s", b)
	}
	if code, out, errOut := scribe(t, "check", "-c", cfg); code != 0 {
		t.Errorf("check: exit %d, want 0 (the old versions left alone)\n%s\n%s", code, out, errOut)
	}
}

// TestInitLogseqGraph is a Logseq graph as Logseq lays one out: the
// starter leaves Logseq's folder (its backups and deleted pages among it)
// and the hidden folders alone, finds no broken link among links to
// namespaces, journals and aliases, and its rules read and set a page's
// "key:: value" properties, not YAML.
func TestInitLogseqGraph(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"logseq/config.edn": "{:meta/version 1\n ;; :hidden [\"/x\"]\n :hidden [\"/archive\" \"/drafts.md\"]\n" +
			" :default-queries {:journals [{:title \"NOW\" :query [:find (pull ?h [*]) :where [?h :block/marker ?m]]}]}\n" +
			" :file/name-format :triple-lowbar}\n",
		"logseq/custom.css": "",
		"logseq/bak/pages/Project/2024-01-15T10_00_00.000Z.Desktop.md": "- [[deleted since]]\n",
		"logseq/.recycle/pages_Old.md":                                 "- [[gone]]\n",
		"archive/old.md":                                               "- [[gone too]]\n",
		"drafts.md":                                                    "- [[not yet]]\n",
		"pages/Project.md":                                             "alias:: Projects\nstatus:: active\n\n- [[Project/Plan]] on [[Jan 15th, 2024]]\n",
		"pages/Project___Plan.md":                                      "- part of [[projects]]\n",
		"journals/2024_01_15.md":                                       "- worked on [[Project]]\n",
	})
	code, out, errOut := scribe(t, "init", dir)
	if code != 0 || !strings.Contains(out, "logseq/ holds this Logseq graph's settings") || !strings.Contains(out, "archive is hidden in this Logseq graph's settings: left out") {
		t.Fatalf("init: exit %d, %q, %q", code, out, errOut)
	}
	cfg := filepath.Join(dir, "scribe.yaml")
	b, _ := os.ReadFile(cfg)
	if !strings.Contains(string(b), `exclude: ["tests/**", "logseq/**", "archive/**", "drafts.md"]`) {
		t.Errorf("the starter:\n%s", b)
	}
	if code, out, errOut := scribe(t, "config", "validate", "-c", cfg); code != 0 {
		t.Fatalf("the starter is not valid: %s %s", out, errOut)
	}
	if code, out, errOut := scribe(t, "check", "-c", cfg); code != 0 {
		t.Errorf("check: exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	writeFiles(t, dir, map[string]string{"journals/2024_01_16.md": "- [[Project/Plans]]\n"})
	if code, out, _ := scribe(t, "check", "-c", cfg); code != 1 || !strings.Contains(out, `no page named "Project/Plans"`) || !strings.Contains(out, "did you mean [[Project/Plan]]?") {
		t.Errorf("check with a broken link: exit %d\n%s", code, out)
	}

	// A rule on the pages' properties: conditions read them, and
	// frontmatter.set writes property lines (the first ones of a page
	// without), never a YAML block.
	writeFiles(t, dir, map[string]string{
		"journals/2024_01_16.md": "- [[Project/Plan]]\n",
		"pages/Task.md":          "status:: todo\npriority:: 2\n\n- do it\n",
		"pages/Done.md":          "status:: done\n\n- done\n",
		"pages/Bare.md":          "- no properties yet\n",
		"logseq-rules.yaml": "version: 1\nroots: [\".\"]\nexclude: [\"logseq/**\"]\nrules:\n" +
			"  - id: close\n    when: 'fm.status == \"todo\" && fm.priority >= 2'\n    actions:\n      - frontmatter.set: {status: done, closed: true}\n" +
			"  - id: mark\n    files: pages/Bare.md\n    actions:\n      - frontmatter.set: {type: note, tags: [a, b]}\n" +
			"  - id: catalog\n    files: \"pages/*.md\"\n    actions:\n      - catalog: {output: catalog.json}\n",
	})
	rules := filepath.Join(dir, "logseq-rules.yaml")
	if code, out, errOut := scribe(t, "run", "-c", rules); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	for p, want := range map[string]string{
		"pages/Task.md": "status:: done\npriority:: 2\nclosed:: true\n\n- do it\n",
		"pages/Done.md": "status:: done\n\n- done\n",
		"pages/Bare.md": "tags:: a, b\ntype:: note\n\n- no properties yet\n", // keys in sorted order, as frontmatter.set adds them
	} {
		if b, _ := os.ReadFile(filepath.Join(dir, p)); string(b) != want {
			t.Errorf("%s:\n%s\nwant:\n%s", p, b, want)
		}
	}
	// The catalog holds the properties as each page's front matter.
	if b, err := os.ReadFile(filepath.Join(dir, "catalog.json")); err != nil || !strings.Contains(string(b), `"alias": [`) || !strings.Contains(string(b), `"priority": 2`) {
		t.Errorf("catalog.json (%v):\n%s", err, b)
	}
}

// TestInitHugoSite is a Hugo site as `hugo new site` and a theme lay it
// out: the starter leaves the archetypes and the theme alone, finds no
// broken link among the URLs the site serves, and stamps lastmod into a
// page's TOML front matter when it is edited.
func TestInitHugoSite(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"hugo.toml":                                   "baseURL = 'https://example.org/'\ntitle = 'Site'\ntheme = 'ananke'\n",
		"archetypes/default.md":                       "+++\ndate = '{{ .Date }}'\ndraft = true\ntitle = '{{ replace .File.ContentBaseName \"-\" \" \" | title }}'\n+++\n",
		"content/_index.md":                           "+++\ntitle = 'Home'\n+++\nRead the [docs](/docs/) or the [first post]({{< ref \"blog/first-post\" >}}).\n",
		"content/docs/_index.md":                      "+++\ntitle = 'Docs'\n+++\nSee [installation](install.md) and [the install page](/docs/install/#usage).\n",
		"content/docs/install.md":                     "+++\ntitle = 'Install'\ndate = 2024-03-01T10:00:00+01:00\n\n[params]\nauthor = 'Ada'\n+++\n![logo](/images/logo.png) [back](../_index.md)\n\n## Usage\n",
		"content/blog/first-post.md":                  "+++\ntitle = 'First'\n+++\nSee [install](../../docs/install/).\n",
		"static/images/logo.png":                      "png",
		"themes/ananke/exampleSite/content/post/p.md": "---\ntitle: Theme post\n---\nSee [missing](/post/x/).\n",
	})
	code, out, errOut := scribe(t, "init", dir)
	if code != 0 || !strings.Contains(out, "archetypes/ holds this Hugo site's page templates: left out") || !strings.Contains(out, "themes/ holds") {
		t.Fatalf("init: exit %d, %q, %q", code, out, errOut)
	}
	cfg := filepath.Join(dir, "scribe.yaml")
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 || !strings.Contains(errOut, "4 files") || !strings.Contains(errOut, "0 findings") {
		t.Fatalf("first run: exit %d, want 0 and no findings\n%s\n%s", code, out, errOut)
	}
	page := filepath.Join(dir, "content/docs/install.md")
	b, _ := os.ReadFile(page)
	edited := strings.Replace(string(b), "## Usage\n", "## Usage\n\nRun it.\n", 1)
	if err := os.WriteFile(page, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 {
		t.Fatalf("second run: exit %d\n%s\n%s", code, out, errOut)
	}
	b, _ = os.ReadFile(page)
	want := strings.Replace(edited, "+01:00\n", "+01:00\nlastmod = \"DATE\"\n", 1)
	if got := regexp.MustCompile(`"\d{4}-\d\d-\d\d"`).ReplaceAllString(string(b), `"DATE"`); got != want {
		t.Errorf("the edited page:\n%s\nwant:\n%s", b, want)
	}
	if a, _ := os.ReadFile(filepath.Join(dir, "archetypes/default.md")); !strings.Contains(string(a), "{{ .Date }}") || strings.Contains(string(a), "lastmod") {
		t.Errorf("the archetype was touched:\n%s", a)
	}
}

// TestInitDocusaurusSite: scribe init in a site laid out as
// create-docusaurus lays one out gives a configuration whose first run is
// clean (links by URL and by file, images in static/, posts by date, React
// pages), leaves the released versions' docs alone, and whose check finds
// a link to a page that is not there.
func TestInitDocusaurusSite(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"docusaurus.config.js":                      "module.exports = {title: 'My Site'};\n",
		"docs/intro.md":                             "---\nsidebar_position: 1\n---\n# Tutorial Intro\n\nRead [Create a page](./tutorial-basics/create-a-page.md) and [the guides](/docs/guides).\n",
		"docs/tutorial-basics/create-a-page.md":     "---\nsidebar_position: 1\n---\n# Create a Page\n\n## Create your first React Page\n",
		"docs/tutorial-basics/markdown-features.md": "# Markdown Features\n\nSee [Create a page](/docs/tutorial-basics/create-a-page#create-your-first-react-page).\n\n![Docusaurus logo](/img/docusaurus.png)\n",
		"docs/01-guides/01-guides.md":               "# Guides\n\n[Setup](setup) and [back](../intro).\n",
		"docs/01-guides/02-install.md":              "---\nid: setup\n---\n# Setup\n\n[All guides](./)\n",
		"blog/2021-08-26-welcome/index.md":          "---\nslug: welcome\ntitle: Welcome\n---\nRead the [intro](/docs/intro) and [the first post](/blog/2019/05/28/first-blog-post).\n",
		"blog/2019-05-28-first-blog-post.md":        "---\ntitle: First Blog Post\n---\nWelcome [home](/).\n",
		"src/pages/index.js":                        "export default function Home() { return null; }\n",
		"src/pages/markdown-page.md":                "---\ntitle: Markdown page example\n---\n# Markdown page example\n\nBack to [the blog](/blog).\n",
		"static/img/docusaurus.png":                 "png",
		"docs/api.mdx":                              "---\ntitle: API\n---\nimport Tabs from '@theme/Tabs';\n\n# API\n\n## Usage {/* #use */}\n\nBack to [the intro](./intro.md).\n",
		"versioned_docs/version-1.0/intro.md":       "# Intro 1.0\n\nSee [old](/docs/1.0/other).\n",
	})
	code, out, errOut := scribe(t, "init", dir)
	if code != 0 || !strings.Contains(out, "versioned_docs/ holds the docs of this Docusaurus site's released versions: left out") {
		t.Fatalf("init: exit %d, %q, %q", code, out, errOut)
	}
	cfg := filepath.Join(dir, "scribe.yaml")
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), "markdown_links: docusaurus") {
		t.Errorf("scribe.yaml:\n%s", b)
	}
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 || !strings.Contains(errOut, "9 files") || !strings.Contains(errOut, "0 findings") {
		t.Fatalf("first run: exit %d, want 0 and no findings\n%s\n%s", code, out, errOut)
	}
	writeFiles(t, dir, map[string]string{
		"docs/intro.md": "# Tutorial Intro\n\nRead [the guide](/docs/guide/setup) and [the API](/docs/api#use).\n",
		"docs/api.mdx":  "# API\n\n## Usage {/* #use */}\n\nBack to [the intro](./intro.md#nowhere).\n",
	})
	code, out, errOut = scribe(t, "check", "-c", cfg)
	if code != 1 || !strings.Contains(out, `docs/intro.md:6:6: error: broken link [the guide](/docs/guide/setup): no page of the site is at "/docs/guide/setup" (did you mean [the guide](/docs/guides/setup)?)`) ||
		!strings.Contains(out, `docs/api.mdx:8:9: error: broken link [the intro](./intro.md#nowhere): "docs/intro.md" has no heading with anchor #nowhere`) || strings.Count(out, "error: broken") != 2 {
		t.Errorf("check: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestInitJekyllSite: in a Jekyll site laid out as `jekyll new` lays one
// out (its pages .markdown, a post, the site built into _site/), the
// starter includes the pages, leaves out what Jekyll builds and installs,
// stamps last_modified_at and checks links as the URLs GitHub Pages
// serves; init says that Jekyll would publish scribe.yaml.
func TestInitJekyllSite(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"_config.yml": "title: Your awesome title\nbaseurl: \"\"\ntheme: minima\nplugins:\n  - jekyll-feed\n",
		"index.markdown": "---\nlayout: home\n---\n\nRead [about me](/about/) and [the welcome post](/jekyll/update/2026/12/07/welcome-to-jekyll.html).\n" +
			"See [about]({{ \"/about/\" | relative_url }}) and [the feed](/feed.xml).\n",
		"about.markdown": "---\nlayout: page\ntitle: About\npermalink: /about/\n---\n\nThis is the base Jekyll theme.\n",
		"_posts/2026-12-07-welcome-to-jekyll.markdown": "---\nlayout: post\ntitle:  \"Welcome to Jekyll!\"\ndate:   2026-12-07 10:48:03 +0000\ncategories: jekyll update\n---\n" +
			"You’ll find this post in your `_posts` directory.\n\n{% highlight ruby %}\ndef print_hi(name)\nend\n{% endhighlight %}\n",
		"404.html":         "---\npermalink: /404.html\nlayout: default\n---\n<h1>404</h1>\n",
		"_site/index.html": "<p>built</p>\n",
		"_site/feed.xml":   "<feed/>\n",
		"vendor/bundle/ruby/3.1.0/gems/minima-2.5.1/README.md": "[a link](/nowhere)\n",
	})
	code, out, errOut := scribe(t, "init", dir)
	if code != 0 || !strings.Contains(out, "_site/ is the site this Jekyll site builds: left out") ||
		!strings.Contains(out, "note: Jekyll copies scribe.yaml into the site it builds") {
		t.Fatalf("init: exit %d, %q, %q", code, out, errOut)
	}
	cfg := filepath.Join(dir, "scribe.yaml")
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), "markdown_links: jekyll") || !strings.Contains(string(b), "last_modified_at:") {
		t.Errorf("scribe.yaml:\n%s", b)
	}
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 || !strings.Contains(errOut, "3 files") || !strings.Contains(errOut, "0 findings") {
		t.Fatalf("first run: exit %d, want 0 and no findings\n%s\n%s", code, out, errOut)
	}
	writeFiles(t, dir, map[string]string{
		"about.markdown": "---\nlayout: page\ntitle: About\npermalink: /about-me/\n---\n\nBack [home](/).\n",
	})
	code, out, errOut = scribe(t, "check", "-c", cfg)
	if code != 1 || !strings.Contains(out, `index.markdown:5:6: error: broken link [about me](/about/): no page of the site is at "/about/" (did you mean [about me](/about-me/)?)`) ||
		strings.Count(out, "error: broken") != 1 {
		t.Errorf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	// Excluded from the site, scribe.yaml is not published: no note.
	os.Remove(cfg)
	writeFiles(t, dir, map[string]string{"_config.yml": "title: Site\nexclude: [scribe.yaml]\n"})
	if code, out, _ := scribe(t, "init", dir); code != 0 || strings.Contains(out, "note:") {
		t.Errorf("init with scribe.yaml excluded: exit %d, %q", code, out)
	}
}

// TestInitVitePressSite: in a VitePress site laid out as `npx vitepress
// init` lays one out, the starter leaves VitePress's cache and build out
// and checks links as VitePress's build reads them: pages without .md,
// VitePress's anchors.
func TestInitVitePressSite(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		".vitepress/config.mts": "import { defineConfig } from 'vitepress'\n\nexport default defineConfig({\n  title: \"My Awesome Project\",\n  themeConfig: {\n    nav: [{ text: 'Home', link: '/' }],\n  }\n})\n",
		"index.md": "---\nlayout: home\n\nhero:\n  name: \"My Awesome Project\"\n  actions:\n    - theme: brand\n      text: Markdown Examples\n      link: /markdown-examples\n---\n\n" +
			"See the [Markdown examples](/markdown-examples#custom-containers) and the [API examples](./api-examples.md#results).\n",
		"markdown-examples.md":         "# Markdown Extension Examples\n\n## Syntax Highlighting\n\n## Custom Containers\n\n## More\n\nCheck out the documentation for the [full list of markdown extensions](https://vitepress.dev/guide/markdown).\n",
		"api-examples.md":              "---\noutline: deep\n---\n\n# Runtime API Examples\n\n## Results\n\n### Theme Data\n\nBack [home](/).\n",
		".vitepress/cache/deps/vue.md": "[a link](/nowhere)\n",
		".vitepress/dist/x.md":         "[a link](/nowhere)\n",
	})
	code, out, errOut := scribe(t, "init", dir)
	if code != 0 || !strings.Contains(out, ".vitepress/cache/ is VitePress's cache: left out") {
		t.Fatalf("init: exit %d, %q, %q", code, out, errOut)
	}
	cfg := filepath.Join(dir, "scribe.yaml")
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), "markdown_links: vitepress") {
		t.Errorf("scribe.yaml:\n%s", b)
	}
	if code, out, errOut := scribe(t, "run", "-c", cfg); code != 0 || !strings.Contains(errOut, "3 files") || !strings.Contains(errOut, "0 findings") {
		t.Fatalf("first run: exit %d, want 0 and no findings\n%s\n%s", code, out, errOut)
	}
	writeFiles(t, dir, map[string]string{"markdown-examples.md": "# Markdown Extension Examples\n\n## Syntax Highlighting\n"})
	code, out, errOut = scribe(t, "check", "-c", cfg)
	if code != 1 || !strings.Contains(out, `index.md:12:9: error: broken link [Markdown examples](/markdown-examples#custom-containers): "markdown-examples.md" has no heading with anchor #custom-containers`) ||
		strings.Count(out, "error: broken") != 1 {
		t.Errorf("check: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestInitNotesNestedSites: in a repository whose docs/ is a site, init
// says that links.check reads it as the site builds it, and with several
// how to check each so.
func TestInitNotesNestedSites(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"README.md":                  "# Project\n",
		"docs/.vitepress/config.mts": "export default {}\n",
		"docs/index.md":              "# Docs\n",
		"website/_config.yml":        "title: Site\n",
		"src/main.go":                "package main\n",
	})
	code, out, errOut := scribe(t, "init", dir)
	for _, want := range []string{
		"note: " + filepath.Join(dir, "docs") + " is a VitePress site, whose links links.check reads as the site builds them only when its folder is a root: `scribe init " + filepath.Join(dir, "docs") + "` writes a configuration for it alone",
		"note: " + filepath.Join(dir, "website") + " is a Jekyll site",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("init: exit %d, %q, %q; want %q", code, out, errOut, want)
		}
	}
	if code, out, _ := scribe(t, "init", filepath.Join(dir, "docs")); code != 0 || strings.Contains(out, "note:") {
		t.Errorf("init docs: exit %d, %q", code, out)
	}
	// One site in a folder: links.check reads it as the site builds it,
	// and the starter takes the site's pages in and leaves its build out.
	one := t.TempDir()
	writeFiles(t, one, map[string]string{
		"README.md":                "# Project\n\n[about](docs/about.markdown)\n",
		"docs/_config.yml":         "title: Site\n",
		"docs/index.md":            "# Docs\n\n[about](/about/) [gone](/gone/)\n",
		"docs/about.markdown":      "---\npermalink: /about/\n---\n# About\n",
		"docs/_site/index.md":      "[built](/nowhere/)\n", // as if built: left out
		"docs/_site/about/x.md":    "[built](/nowhere/)\n",
		"docs/vendor/gem/x.md":     "[vendored](/nowhere/)\n",
		"docs/_posts/.keep":        "",
		"docs/.jekyll-cache/x.md":  "[cached](/nowhere/)\n",
		"docs/_drafts/draft.md":    "[about](/about/)\n",
		"docs/guides/install.md":   "[home](/) [about](../about.markdown)\n",
		"docs/guides/old.markdown": "[about](/about)\n",
	})
	code, out, errOut = scribe(t, "init", one)
	for _, want := range []string{
		"note: " + filepath.Join(one, "docs") + " is a Jekyll site: links.check reads its links as the site builds them\n",
		"docs/_site/ is the site this Jekyll site builds: left out (exclude)\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("init: exit %d, %q, %q; want %q", code, out, errOut, want)
		}
	}
	b, _ := os.ReadFile(filepath.Join(one, "scribe.yaml"))
	for _, want := range []string{`include: ["**/*.md", "docs/**/*.markdown"]`, `exclude: ["tests/**", "docs/_site/**", "docs/.jekyll-cache/**", "docs/vendor/**"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("scribe.yaml: no %s in\n%s", want, b)
		}
	}
	code, out, errOut = scribe(t, "check", "-c", filepath.Join(one, "scribe.yaml"))
	if want := "docs/index.md:3:18: error: broken link [gone](/gone/): no page of the site is at \"/gone/\""; code != 1 || strings.Count(out, "error:") != 1 || !strings.Contains(out, want) {
		t.Errorf("check: exit %d, %q, %q; want only %q", code, out, errOut, want)
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

// Without fixtures, `scribe test` says how to write the first one.
func TestNoFixturesSaysHowToStart(t *testing.T) {
	dir := vault(t)
	cfg := filepath.Join(dir, "scribe.yaml")
	code, _, errOut := scribe(t, "test", "-c", cfg)
	if code != cli.ExitUsage || !strings.Contains(errOut, "tests does not exist") || !strings.Contains(errOut, filepath.Join(dir, "tests", "my-case", "input.md")) || !strings.Contains(errOut, "scribe test --update") {
		t.Fatalf("no tests folder: exit %d\n%s", code, errOut)
	}
	if err := os.Mkdir(filepath.Join(dir, "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = scribe(t, "test", "-c", cfg)
	if code != cli.ExitUsage || !strings.Contains(errOut, "no fixtures under") || !strings.Contains(errOut, "scribe test --update") {
		t.Fatalf("an empty tests folder: exit %d\n%s", code, errOut)
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

func TestConfigFoundFromSubfolder(t *testing.T) {
	dir := vault(t)
	t.Chdir(filepath.Join(dir, "notes"))
	code, out, errOut := scribe(t, "check")
	if code != cli.ExitChanges || !strings.Contains(out, "+- [ ] write") {
		t.Fatalf("check from a subfolder: exit = %d\n%s\n%s", code, out, errOut)
	}
	// Outside any vault the message says where to look and what to do.
	empty := t.TempDir()
	if err := os.Mkdir(filepath.Join(empty, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(empty)
	code, _, errOut = scribe(t, "check")
	if code != cli.ExitUsage || !strings.Contains(errOut, "any parent folder") || !strings.Contains(errOut, "top folder") {
		t.Fatalf("no configuration: exit = %d\n%s", code, errOut)
	}
}

// A failing rule does not hide the other rules' findings and changes; the
// summary says how many rules failed.
func TestFailedRuleKeepsOtherFindings(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": "version: 1\nrules:\n" +
			"  - id: stamp\n    actions:\n      - frontmatter.set: { x: \"{{ .FM.a.b.c }}\" }\n" +
			"  - id: todo\n    match: '(?m)^TODO: (.+)$'\n    actions:\n      - replace: { with: \"- [ ] $1\" }\n" +
			"  - id: links\n    actions:\n      - links.check: {}\n",
		"bad.md": "---\na: [1, 2]\n---\nTODO: fix\nsee [[missing]]\n",
		"ok.md":  "---\na: {b: {c: 1}}\n---\n",
	})
	cfg := filepath.Join(dir, "scribe.yaml")
	code, out, errOut := scribe(t, "check", "-c", cfg)
	if code != cli.ExitFailure {
		t.Fatalf("exit = %d, want 3\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"bad.md: failed: rule stamp: action frontmatter.set:", "+- [ ] fix", "broken link [[missing]]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "1 failed (1 failed rule)") {
		t.Errorf("summary does not count the failed rule:\n%s", errOut)
	}
	code, out, _ = scribe(t, "check", "-c", cfg, "--format", "json")
	var rep struct {
		Summary struct {
			FailedRules int `json:"failed_rules"`
		}
		Files []struct {
			Rel      string
			Failures []struct{ Rule, Action, Error string }
			Findings []struct{ Rule string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != cli.ExitFailure {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	if rep.Summary.FailedRules != 1 {
		t.Errorf("summary.failed_rules = %d, want 1", rep.Summary.FailedRules)
	}
	for _, f := range rep.Files {
		if f.Rel != "bad.md" {
			continue
		}
		if len(f.Failures) != 1 || f.Failures[0].Rule != "stamp" || f.Failures[0].Action != "frontmatter.set" || f.Failures[0].Error == "" {
			t.Errorf("failures = %+v", f.Failures)
		}
		if len(f.Findings) == 0 || f.Findings[0].Rule != "links" {
			t.Errorf("findings = %+v, want the links rule's", f.Findings)
		}
	}
	// run writes the other rules' change and still exits 3.
	if code, out, _ := scribe(t, "run", "-c", cfg); code != cli.ExitFailure {
		t.Fatalf("run exit = %d\n%s", code, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "bad.md")); string(b) != "---\na: [1, 2]\n---\n- [ ] fix\nsee [[missing]]\n" {
		t.Errorf("bad.md after run = %q", b)
	}
}

// Hostile names: a name that is not UTF-8 is processed like any other file,
// and names with terminal escape sequences are printed escaped; `run` never
// fails because of a name.
func TestOddFileNames(t *testing.T) {
	dir := vault(t)
	latin1 := "notes/caf\xe9.md"          // not UTF-8
	title := "notes/a\x1b]0;pwned\x07.md" // would retitle the terminal
	clear := "notes/\x1b[2J.md"           // would clear the screen
	writeFiles(t, dir, map[string]string{
		latin1:              "---\ntitle: Café\n---\nTODO: latin1\n",
		title:               "TODO: title\n",
		clear:               "---\ntitle: x\n---\ncontent \x1b[2J with \u009b escapes\r\nTODO: clear\n",
		"catalog.md":        "x\n",
		"notes/link.md":     "---\ntitle: L\n---\n[[nowhere]]\n",
		"notes/na\xefve.md": "no title: the title rule makes one from the name\n",
	})
	if err := os.WriteFile(filepath.Join(dir, "scribe.yaml"), []byte(vaultConfig+
		"  - id: links\n    actions:\n      - links.check: {}\n"+
		"  - id: catalog\n    files: catalog.md\n    actions:\n      - catalog: { output: catalog.json, files: \"notes/**\" }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "scribe.yaml")
	t.Chdir(dir) // paths print relative to the working directory
	code, out, errOut := scribe(t, "check", "-c", cfg)
	if code != cli.ExitChanges {
		t.Fatalf("check exit = %d, want 1\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		`+++ b/notes/caf\xe9.md`, `+- [ ] latin1`,
		`+++ b/notes/a\x1b]0;pwned\x07.md`, `+title: "a\x1B]0;pwned\x07"`,
		`+++ b/notes/\x1b[2J.md`, ` content \x1b[2J with \u009b escapes` + "\r\n",
		`notes/caf\xe9.md: warning: file name is not valid UTF-8: catalog.json lists it as "notes/caf\xe9.md"`,
		"broken link [[nowhere]]",
		`notes/caf\xe9.md: warning: file name is not valid UTF-8: no link can point at this note`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q", want)
		}
	}
	for _, o := range []string{out, errOut} {
		if strings.ContainsAny(o, "\x1b\x07\u009b") || !utf8.ValidString(o) {
			t.Fatalf("raw control characters or invalid UTF-8 reached the terminal:\n%q", o)
		}
	}

	// JSON: exact names where JSON can carry them, the escaped form and
	// base64 where it cannot.
	code, out, _ = scribe(t, "check", "-c", cfg, "--format", "json")
	var rep struct {
		Files []struct {
			Path, Rel string
			RelBase64 string `json:"rel_base64"`
			Findings  []struct{ Path string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != cli.ExitChanges || !utf8.ValidString(out) {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	got := map[string]string{}
	for _, f := range rep.Files {
		got[f.Rel] = f.RelBase64
		for _, fd := range f.Findings {
			if !utf8.ValidString(fd.Path) || strings.ContainsRune(fd.Path, utf8.RuneError) {
				t.Errorf("finding path %q", fd.Path)
			}
		}
	}
	if b64, ok := got[`notes/caf\xe9.md`]; !ok || b64 != base64.StdEncoding.EncodeToString([]byte(latin1)) {
		t.Errorf("non-UTF-8 file in the JSON report: rel_base64 = %q (listed %v)", b64, ok)
	}
	if b64, ok := got[title]; !ok || b64 != "" {
		t.Errorf("a valid UTF-8 name must be exact in JSON, with no base64: %q %v", b64, ok)
	}

	// run processes every file, writes them under their own names and
	// exits 0 (only warnings and errors as findings; no failure).
	code, out, errOut = scribe(t, "run", "-c", cfg)
	if code != cli.ExitOK {
		t.Fatalf("run exit = %d, want 0\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, `notes/na\xefve.md: warning: value of "title" is not valid UTF-8`) {
		t.Errorf("no finding for the title made from a non-UTF-8 name:\n%s", out)
	}
	for name, want := range map[string]string{latin1: "- [ ] latin1", title: "- [ ] title", clear: "- [ ] clear", "notes/na\xefve.md": "title: na\\xefve\n"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%q after run: %q, %v", name, b, err)
		}
	}
	var catalog struct {
		Documents []struct {
			Path       string `json:"path"`
			PathBase64 string `json:"path_base64"`
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil || json.Unmarshal(b, &catalog) != nil || !utf8.Valid(b) {
		t.Fatalf("catalog.json: %v\n%s", err, b)
	}
	found := false
	for _, d := range catalog.Documents {
		if d.Path == `notes/caf\xe9.md` && d.PathBase64 == base64.StdEncoding.EncodeToString([]byte(latin1)) {
			found = true
		}
	}
	if !found {
		t.Errorf("catalog.json does not list the non-UTF-8 name with its bytes:\n%s", b)
	}
}

// Exclusion limits what is processed, not what exists: links to notes the
// exclude globs leave out resolve (by name, path and heading), and those
// notes are not processed. A git-ignored note resolves only where a link
// names its file.
func TestLinksToExcludedNotes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": "version: 1\nexclude: [\"archive/**\"]\nrules:\n" +
			"  - id: links\n    actions:\n      - links.check: {}\n" +
			"  - id: todo\n    match: '(?m)^TODO: (.+)$'\n    actions:\n      - replace: { with: \"- [ ] $1\" }\n",
		".gitignore":     "ign/\n",
		"archive/old.md": "# Head\nTODO: stays\n[[broken-in-archive]]\n",
		"ign/hidden.md":  "x\n",
		"notes/a.md":     "[[old]] [[archive/old]] [[old#Head]] [md](../archive/old.md) [[ign/hidden.md]] [h](../ign/hidden.md)\n[[old#Nope]] [[hidden]]\n",
		"notes/b.md":     "TODO: b\n",
	})
	code, out, errOut := scribe(t, "run", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitOK {
		t.Fatalf("run exit = %d\n%s\n%s", code, out, errOut)
	}
	var broken []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "broken link") {
			broken = append(broken, l)
		}
	}
	if len(broken) != 2 || !strings.Contains(broken[0], `[[old#Nope]]: "archive/old.md" has no heading "Nope"`) || !strings.Contains(broken[1], "[[hidden]]") {
		t.Errorf("broken links = %q; want only the missing heading and the git-ignored note named by name", broken)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "archive/old.md")); string(b) != "# Head\nTODO: stays\n[[broken-in-archive]]\n" {
		t.Errorf("an excluded note was processed: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes/b.md")); string(b) != "- [ ] b\n" {
		t.Errorf("notes/b.md = %q", b)
	}
}

// buildExampleModule builds the example WebAssembly plugin's module, as
// `go generate ./examples/plugins/...` does (the module is not committed),
// and swaps it in atomically.
func buildExampleModule(t *testing.T) {
	t.Helper()
	dir := filepath.Join("..", "..", "examples", "plugins", "wasm-readtime")
	tmp := filepath.Join(dir, ".readtime.wasm.tmp")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", filepath.Base(tmp), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the example module: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "readtime.wasm")); err != nil {
		t.Fatal(err)
	}
}
