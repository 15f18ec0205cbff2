package cli_test

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/cli"
	"github.com/scribe-md/scribe/internal/vcs/vcstest"
)

// ciConfig has every kind of result a CI report shows: changes (todo), a
// generated file (catalog), findings (links, schema), a failing rule
// (formatter) and a name that workflow commands must escape.
const ciConfig = `version: 1
roots: ["."]
security:
  commands:
    - { name: "false", path: /bin/false }
rules:
  - id: todo
    name: TODO lines become tasks
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
  - id: schema
    files: "notes/**/*.md"
    actions:
      - frontmatter.validate:
          schema: { type: object, properties: { status: { enum: [draft, done] } } }
  - id: links
    actions:
      - links.check: { severity: warning }
  - id: formatter
    files: "notes/fail*.md"
    actions:
      - exec: { command: ["false"], filter: true }
  - id: catalog
    actions:
      - catalog: { output: catalog.json, fields: [title] }
`

func ciVault(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml":              ciConfig,
		"notes/a.md":               "---\ntitle: A\n---\nSee [[b]] and [[nowhere]].\nTODO: write, then \"ship\" 100%\n",
		"notes/b.md":               "---\ntitle: B\nstatus: wip\n---\nBack to [[a]].\n",
		"notes/fail.md":            "---\ntitle: F\n---\nThis one's rule fails.\n",
		"notes/odd: name, 100%.md": "TODO: a name with a colon, a comma and a percent sign\n",
		"clean.md":                 "---\ntitle: Clean\n---\nNothing to do.\n",
	})
	t.Chdir(dir)
	return dir
}

// normalizeCI replaces what changes from run to run.
func normalizeCI(dir, s string) string {
	s = normalize(dir, s)
	s = regexp.MustCompile(`time="[0-9.]+"`).ReplaceAllString(s, `time="$$T"`)
	s = regexp.MustCompile(`"(modified|mtime)": ?"[^"]*"`).ReplaceAllString(s, `"$1": "$$T"`)
	return s
}

func TestGitHubAnnotationsGolden(t *testing.T) {
	dir := ciVault(t)
	code, out, errOut := scribe(t, "check", "--format", "github")
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want 3 (a rule fails)\n%s%s", code, out, errOut)
	}
	golden(t, "ci/check.github.golden", normalizeCI(dir, out))
	if !strings.Contains(errOut, "check: 5 files") {
		t.Errorf("the summary line is missing from stderr: %q", errOut)
	}
	// Every line is a workflow command or lies inside a group: nothing a
	// runner would misread.
	inGroup := false
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "::group::"):
			inGroup = true
		case line == "::endgroup::":
			inGroup = false
		case strings.HasPrefix(line, "::"):
			if !regexp.MustCompile(`^::(error|warning|notice) file=[^,:]+(,line=\d+(,col=\d+)?)?(,title=[^,:]+)?::[^\r\n]*$`).MatchString(line) {
				t.Errorf("malformed workflow command: %q", line)
			}
		case !inGroup:
			t.Errorf("a line outside any workflow command or group: %q", line)
		case strings.HasPrefix(line, "::"):
			t.Errorf("a diff line the runner would take for a command: %q", line)
		}
	}

	code, out, errOut = scribe(t, "run", "--format", "github")
	if code != cli.ExitFailure {
		t.Fatalf("run: exit %d, want 3\n%s%s", code, out, errOut)
	}
	golden(t, "ci/run.github.golden", normalizeCI(dir, out))
}

// sarifSchemas compiles the official SARIF 2.1.0 schema and its last
// release candidate (testdata/sarif; fetch-schema.sh says where they come
// from).
func sarifSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	out := map[string]*jsonschema.Schema{}
	for _, name := range []string{"sarif-schema-2.1.0.json", "sarif-2.1.0-rtm.5.json"} {
		f, err := os.Open(filepath.Join(testdata, "sarif", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		url := "file:///" + name
		if err := c.AddResource(url, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s, err := c.Compile(url)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	schemas := sarifSchemas(t)
	dir := ciVault(t)
	for _, args := range [][]string{
		{"check", "--format", "sarif"},
		{"check", "--format", "sarif", "-v", "notes"},
		{"run", "--format", "sarif"},
		{"check", "--format", "sarif"}, // after the run: fewer results, still valid
	} {
		code, out, errOut := scribe(t, args...)
		if code != cli.ExitFailure {
			t.Fatalf("%v: exit %d, want 3\n%s%s", args, code, out, errOut)
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatalf("%v: not JSON: %v\n%s", args, err, out)
		}
		for name, s := range schemas {
			if err := s.Validate(doc); err != nil {
				t.Errorf("%v: the output does not validate against %s:\n%v", args, name, err)
			}
		}
		var log struct {
			Runs []struct {
				Tool struct {
					Driver struct {
						Rules []struct{ ID string }
					}
				}
				Results []struct {
					RuleID    string
					RuleIndex int
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &log); err != nil {
			t.Fatal(err)
		}
		rules := log.Runs[0].Tool.Driver.Rules
		seen := map[string]bool{}
		for _, r := range rules {
			if seen[r.ID] {
				t.Errorf("%v: rule %s listed twice", args, r.ID)
			}
			seen[r.ID] = true
		}
		for _, r := range log.Runs[0].Results {
			if r.RuleIndex >= len(rules) || rules[r.RuleIndex].ID != r.RuleID {
				t.Errorf("%v: result of %s points at rule %d", args, r.RuleID, r.RuleIndex)
			}
		}
	}
	// The check before the run, as a golden file.
	ciVault(t)
	_, out, _ := scribe(t, "check", "--format", "sarif")
	golden(t, "ci/check.sarif.golden", normalizeCI(dir, regexp.MustCompile(`"file://[^"]*"`).ReplaceAllString(out, `"$$SRCROOT"`)))
}

// TestSARIFSchemaCatchesErrors shows the validation is not vacuous: a log
// missing what 2.1.0 requires is refused.
func TestSARIFSchemaCatchesErrors(t *testing.T) {
	for name, s := range sarifSchemas(t) {
		for _, bad := range []string{
			`{"version": "2.1.0"}`,
			`{"version": "2.0.0", "runs": []}`,
			`{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}`,
			`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`,
		} {
			doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
			if s.Validate(doc) == nil {
				t.Errorf("%s accepts %s", name, bad)
			}
		}
	}
}

func TestJUnitGolden(t *testing.T) {
	dir := ciVault(t)
	code, out, errOut := scribe(t, "check", "--format", "junit")
	if code != cli.ExitFailure {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Error *struct{} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out)
	}
	// 5 documents and catalog.json: a, b (error), odd and catalog.json
	// fail, fail.md is in error, clean.md passes.
	if doc.Tests != 6 || doc.Errors != 1 || doc.Failures != 4 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 6 {
		t.Errorf("tests %d failures %d errors %d, want 6, 4, 1", doc.Tests, doc.Failures, doc.Errors)
	}
	golden(t, "ci/check.junit.golden", normalizeCI(dir, out))
}

func TestDiffModes(t *testing.T) {
	dir := ciVault(t)
	check := func(args ...string) string {
		t.Helper()
		code, out, errOut := scribe(t, append([]string{"check"}, args...)...)
		if code != cli.ExitFailure {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out
	}
	auto := check()
	if !strings.Contains(auto, "would change catalog.json (by catalog): +") || strings.Contains(auto, "+++ b/catalog.json") ||
		!strings.Contains(auto, "+++ b/notes/a.md") {
		t.Errorf("--diff auto: the generated catalog.json must be summarised and notes shown in full:\n%s", auto)
	}
	golden(t, "ci/check.text.golden", normalizeCI(dir, auto))
	if full := check("--diff", "full"); !strings.Contains(full, "+++ b/catalog.json") {
		t.Errorf("--diff full leaves out the catalog's diff:\n%s", full)
	}
	if stat := check("--diff", "stat"); strings.Contains(stat, "+++ ") || !strings.Contains(stat, "would change notes/a.md: +1 -1 lines") {
		t.Errorf("--diff stat:\n%s", stat)
	}
	if none := check("--diff", "none"); strings.Contains(none, "+++ ") || strings.Contains(none, "lines") || !strings.Contains(none, "would change notes/a.md\n") {
		t.Errorf("--diff none:\n%s", none)
	}
	// JSON shows every diff unless --diff says otherwise; diff_stat always.
	type report struct {
		Files []struct {
			Rel      string
			Diff     string
			DiffStat *struct{ Added, Removed int } `json:"diff_stat"`
		}
	}
	for _, c := range []struct {
		args        []string
		catalogDiff bool
	}{{nil, true}, {[]string{"--diff", "auto"}, false}} {
		var rep report
		if err := json.Unmarshal([]byte(check(append([]string{"--format", "json"}, c.args...)...)), &rep); err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Files {
			if f.Rel == "catalog.json" && (f.Diff != "") != c.catalogDiff || f.Rel == "notes/a.md" && (f.Diff == "" || f.DiffStat == nil || *f.DiffStat != struct{ Added, Removed int }{1, 1}) {
				t.Errorf("json %v: %s: diff %q, stat %v", c.args, f.Rel, f.Diff, f.DiffStat)
			}
		}
	}
	if code, _, errOut := scribe(t, "check", "--diff", "some"); code != cli.ExitUsage || !strings.Contains(errOut, "--diff must be") {
		t.Errorf("--diff some: exit %d %s", code, errOut)
	}
	if code, _, errOut := scribe(t, "check", "--format", "xml"); code != cli.ExitUsage || !strings.Contains(errOut, "github, sarif, junit") {
		t.Errorf("--format xml: exit %d %s", code, errOut)
	}
}

// TestQuiet: -q prints the errors and the summary, nothing else.
func TestQuiet(t *testing.T) {
	ciVault(t)
	code, out, errOut := scribe(t, "check", "-q")
	if code != cli.ExitFailure {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if !strings.Contains(l, ": error: ") && !strings.Contains(l, ": failed: ") {
			t.Errorf("-q printed %q", l)
		}
	}
	if !strings.Contains(out, "notes/b.md:3:1: error: ") || !strings.Contains(out, "notes/fail.md: failed: rule formatter") {
		t.Errorf("-q left out an error:\n%s", out)
	}
	if !strings.HasPrefix(errOut, "check: 5 files") {
		t.Errorf("-q must print the summary: %q", errOut)
	}
	if strings.Contains(out, "warning") || strings.Contains(out, "+++") {
		t.Errorf("-q printed warnings or diffs:\n%s", out)
	}
}

// TestCIDocCommands: the workflows of doc/CI.md are YAML, and every scribe
// command in them is one scribe accepts (no usage error), run on a vault
// with the variables they use set as CI would.
func TestCIDocCommands(t *testing.T) {
	page, err := os.ReadFile(filepath.Join(testdata, "..", "..", "..", "doc", "CI.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(page), -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d YAML blocks in doc/CI.md", len(blocks))
	}
	var cmds []string
	for _, b := range blocks {
		var doc any
		if err := yaml.Unmarshal([]byte(b[1]), &doc); err != nil {
			t.Errorf("a workflow in doc/CI.md is not YAML: %v\n%s", err, b[1])
		}
		for _, line := range strings.Split(b[1], "\n") {
			if _, cmd, ok := strings.Cut(line, "scribe check"); ok {
				cmds = append(cmds, "check"+cmd)
			}
		}
	}
	if len(cmds) < 4 {
		t.Fatalf("found %d scribe commands in doc/CI.md", len(cmds))
	}
	dir := ciVault(t)
	vcstest.Git(t, dir, "init", "-q", "-b", "main")
	vcstest.Git(t, dir, "add", "-A")
	vcstest.Git(t, dir, "commit", "-q", "-m", "notes")
	vcstest.Git(t, dir, "update-ref", "refs/remotes/origin/main", "HEAD")
	vars := strings.NewReplacer(`"origin/$GITHUB_BASE_REF"`, "origin/main", `"origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"`, "origin/main")
	for _, c := range cmds {
		c = vars.Replace(c)
		c, _, _ = strings.Cut(c, " >")
		args := strings.Fields(c)
		code, out, errOut := scribe(t, args...)
		if code == cli.ExitUsage || strings.Contains(c, "$") {
			t.Errorf("scribe %s: exit %d\n%s%s", c, code, out, errOut)
		}
	}
}
