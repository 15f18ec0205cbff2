package cli_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata from the current output")

// testdata is the package's testdata directory, absolute: tests change
// the working directory.
var testdata = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "testdata")
}()

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdata, filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

const explainConfig = `version: 1
roots: ["."]
rules:
  - id: title
    name: Give notes a title
    files: "notes/**/*.md"
    when: 'fm.title == nil'
    actions:
      - frontmatter.set: { title: "{{ .Name }}" }
  - id: todo
    match: '(?m)^TODO: (?P<task>.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
  - id: drafts-only
    files: "notes/**/*.md"
    exclude: ["notes/archive/**"]
    when: 'fm.status == "draft" && origin == "user"'
    actions:
      - frontmatter.set: { reviewed: "no" }
  - id: schema
    files: "notes/**/*.md"
    actions:
      - frontmatter.validate:
          schema: { type: object, properties: { status: { enum: [draft, done] } } }
`

// explainVault is a vault for the explain tests, the working directory for
// the rest of the test, so that paths print as a user sees them.
func explainVault(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml": explainConfig,
		".gitignore":  "# scratch files\n*.tmp.md\nprivate/\n",
		// Two rules change it: title (no title) and todo (a TODO line).
		"notes/two.md": "Some text.\nTODO: call Ann\n",
		// The condition of drafts-only reads a status that is not draft.
		"notes/done.md": "---\ntitle: Done\nstatus: done\n---\nFinished.\n",
		// Excluded by .gitignore, line 3 (a directory pattern).
		"private/diary.md": "Dear diary\n",
		"notes/x.tmp.md":   "scratch\n",
		// drafts-only's exclude glob leaves it out.
		"notes/archive/old.md": "---\ntitle: Old\nstatus: draft\n---\n",
		// Front matter that is not YAML: conditions cannot read it.
		"notes/broken.md": "---\ntitle: [unclosed\n---\nText\n",
	})
	t.Chdir(dir)
	return dir
}

// normalize replaces what changes from run to run: the temporary directory
// and the times and ids of journal entries.
func normalize(dir, s string) string {
	s = strings.ReplaceAll(s, dir, "$VAULT")
	s = regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?`).ReplaceAllString(s, "$$TIME")
	s = regexp.MustCompile(`\d{8}T\d{6}\.\d{6}Z`).ReplaceAllString(s, "$$RUN")
	return s
}

func TestExplainGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"two-rules", []string{"explain", "notes/two.md"}},
		{"condition-false", []string{"explain", "notes/done.md"}},
		{"gitignore-dir", []string{"explain", "private/diary.md"}},
		{"gitignore-file", []string{"explain", "notes/x.tmp.md"}},
		{"origin-scan", []string{"explain", "--origin", "scan", "notes/two.md"}},
		{"exclude-glob", []string{"explain", "notes/archive/old.md"}},
		{"invalid-front-matter", []string{"explain", "notes/broken.md"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := explainVault(t)
			code, out, errOut := scribe(t, c.args...)
			if code != cli.ExitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			golden(t, "explain/"+c.name+".golden", normalize(dir, out))
			code, out, errOut = scribe(t, append(c.args, "--format", "json")...)
			if code != cli.ExitOK {
				t.Fatalf("json: exit %d\n%s%s", code, out, errOut)
			}
			if !json.Valid([]byte(out)) {
				t.Fatalf("--format json is not JSON:\n%s", out)
			}
			golden(t, "explain/"+c.name+".json.golden", normalize(dir, out))
		})
	}
}

// TestExplainHistory: after a run wrote the file, explain lists the write
// from the journal, and the rules that wrote have nothing left to do.
func TestExplainHistory(t *testing.T) {
	dir := explainVault(t)
	if code, out, errOut := scribe(t, "run", "notes/two.md"); code != cli.ExitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := scribe(t, "explain", "notes/two.md")
	if code != cli.ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	golden(t, "explain/after-run.golden", normalize(dir, out))
}

func TestExplainUsage(t *testing.T) {
	explainVault(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "notes"}, "is a directory"},
		{[]string{"explain", "notes/nope.md"}, "scribe: notes/nope.md does not exist\n"},
		{[]string{"explain", "--origin", "git", "notes/two.md"}, "--origin must be"},
		{[]string{"explain"}, "accepts 1 arg"},
		{[]string{"explain", "/etc/hostname"}, "not inside any root"},
	} {
		code, _, errOut := scribe(t, c.args...)
		if code != cli.ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestConfigValidateOnePass: one `scribe config validate` reports the
// problems of every stage (schema, semantics, globs, regexes, conditions,
// action parameters), not only the first stage that has some.
func TestConfigValidateOnePass(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"scribe.yaml": `version: 1
engine:
  settle: fast
rules:
  - name: no id
    files: "[bad"
    actions:
      - frontmatter.set: { a: 1 }
  - id: x
    match: "(unclosed"
    actions:
      - Bad.Name: {}
      - replace: { with: 3 }
  - id: x
    when: "fm.a +"
    actions:
      - log: { message: "hi", level: loud }
      - nosuch.action: {}
`})
	code, out, errOut := scribe(t, "config", "validate", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitUsage {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	want := []string{
		`:3:11: engine.settle: expected a duration`,
		`:5:5: rules[0]: missing required field "id"`,
		`:6:12: rules[0].files[0]: invalid glob "[bad"`,
		`:10:12: rules[1].match: invalid regular expression`,
		`:12:9: rules[1].actions[0].Bad.Name: invalid action name`,
		`:13:26: rules[1].actions[1].replace.with: got number, want string`,
		`:14:9: rules[2].id: duplicate rule id "x"`,
		`:15:11: rules[2].when: invalid condition`,
		`:17:38: rules[2].actions[0].log.level: value must be one of`,
		`:18:24: rules[2].actions[1].nosuch.action: unknown action "nosuch.action"`,
		"scribe: 10 configuration errors",
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("missing %q in:\n%s", w, errOut)
		}
	}
	// Each problem once: the invalid action name is not also an unknown action.
	if n := strings.Count(errOut, "Bad.Name"); n != 2 { // the path and the message
		t.Errorf("Bad.Name reported %d times:\n%s", n, errOut)
	}
}
