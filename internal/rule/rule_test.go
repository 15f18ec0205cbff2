package rule_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	_ "github.com/scribe-md/scribe/internal/action/builtin"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/rule"
)

func compile(t *testing.T, yaml string) (*rule.Set, error) {
	t.Helper()
	cfg, err := config.LoadBytes("scribe.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return rule.Compile(cfg, action.Build{Timeout: time.Second})
}

func one(t *testing.T, ruleYAML string) *rule.Rule {
	t.Helper()
	set, err := compile(t, "version: 1\ninclude: ['**/*.md']\nrules:\n"+ruleYAML)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return set.Rules[0]
}

func TestMatchPath(t *testing.T) {
	r := one(t, `  - id: r
    files: ["tasks/**/*.md", "*.txt"]
    exclude: ["tasks/archive/**"]
    actions: [{log: {message: x}}]
`)
	dflt := one(t, "  - id: d\n    actions: [{log: {message: x}}]\n")
	for _, c := range []struct {
		rule *rule.Rule
		path string
		want bool
	}{
		{r, "tasks/a.md", true},
		{r, "tasks/deep/er/b.md", true},
		{r, "tasks/archive/old.md", false},
		{r, "notes/a.md", false},
		{r, "top.txt", true},
		{r, "sub/top.txt", false},
		{r, "tasks/a.md.bak", false},
		{dflt, "a.md", true},
		{dflt, "x/y/z.md", true},
		{dflt, "x/y/z.txt", false},
		{dflt, "with space/ünïcode.md", true},
	} {
		if got := c.rule.MatchPath(c.path); got != c.want {
			t.Errorf("%s.MatchPath(%q) = %v, want %v", c.rule.ID, c.path, got, c.want)
		}
	}
}

func TestMatchContentGroups(t *testing.T) {
	r := one(t, `  - id: r
    match: '(?m)^> \[!TASK\] (?P<title>.*) \| state: (\w+)$'
    actions: [{log: {message: x}}]
`)
	content := []byte("intro\n> [!TASK] Ship it | state: done\nrest\n")
	m, ok := r.MatchContent(content)
	if !ok {
		t.Fatal("no match")
	}
	if m.Groups[0] != "> [!TASK] Ship it | state: done" || m.Groups[1] != "Ship it" || m.Groups[2] != "done" || m.Named["title"] != "Ship it" {
		t.Fatalf("match = %+v", m)
	}
	if string(content[m.Start:m.End]) != m.Groups[0] {
		t.Fatalf("offsets %d:%d wrong", m.Start, m.End)
	}
	if _, ok := r.MatchContent([]byte("> [!TASK] no state here\n")); ok {
		t.Fatal("matched content without the pattern")
	}
	noRe := one(t, "  - id: n\n    actions: [{log: {message: x}}]\n")
	if m, ok := noRe.MatchContent([]byte("anything")); !ok || m != nil {
		t.Fatal("a rule without match must apply with a nil match")
	}
}

func TestEvalConditions(t *testing.T) {
	for _, c := range []struct {
		when string
		fm   map[string]any
		path string
		want bool
	}{
		{`fm.status != "archived"`, map[string]any{"status": "active"}, "a.md", true},
		{`fm.status != "archived"`, map[string]any{"status": "archived"}, "a.md", false},
		{`fm.status != "archived"`, map[string]any{}, "a.md", true}, // missing field is nil
		{`fm.title == nil`, map[string]any{}, "a.md", true},
		{`"draft" in fm.tags`, map[string]any{"tags": []any{"x", "draft"}}, "a.md", true},
		{`path startsWith "notes/"`, nil, "notes/a.md", true},
		{`path startsWith "notes/"`, nil, "tasks/a.md", false},
		{`(fm.priority ?? 0) >= 3`, map[string]any{"priority": 4}, "a.md", true},
		{`(fm.priority ?? 0) >= 3`, map[string]any{}, "a.md", false},
		{`match.state == "done"`, nil, "a.md", true},
		{`origin == "user"`, nil, "a.md", true},
		{`origin != "scan"`, nil, "a.md", true},
		{`origin in ["vcs", "scan"]`, nil, "a.md", false},
		// A missing field orders with nothing (internal/fmexpr).
		{`fm.priority >= 3`, map[string]any{}, "a.md", false},
		{`fm.priority < 3`, map[string]any{}, "a.md", false},
		{`fm.priority >= 3`, map[string]any{"priority": 4}, "a.md", true},
		{`fm.a.b > 1`, map[string]any{"a": map[string]any{"b": 2}}, "a.md", true},
		{`fm.a?.b > 1`, map[string]any{}, "a.md", false},
		{`fm.due < "2026-01-01"`, map[string]any{"due": "2025-12-31"}, "a.md", true},
		// A list of one written as one value.
		{`"draft" in fm.tags`, map[string]any{"tags": "draft"}, "a.md", true},
		{`"draft" in fm.tags`, map[string]any{"tags": "drafts"}, "a.md", false},
		{`"draft" not in fm.tags`, map[string]any{"tags": "idea"}, "a.md", true},
		{`"draft" in fm.tags`, map[string]any{}, "a.md", false},
		{`"a" in fm.m`, map[string]any{"m": map[string]any{"a": 1}}, "a.md", true},
	} {
		r := one(t, "  - id: r\n    match: 'state: (?P<state>\\w+)'\n    when: '"+strings.ReplaceAll(c.when, "'", "''")+"'\n    actions: [{log: {message: x}}]\n")
		m, _ := r.MatchContent([]byte("state: done"))
		got, err := r.Eval(c.fm, c.path, m, action.OriginUser)
		if err != nil || got != c.want {
			t.Errorf("when %q on %v/%s = %v, %v; want %v", c.when, c.fm, c.path, got, err, c.want)
		}
	}
}

// A condition that fails on a file's values says which values, and for a
// missing field how to write the condition for files that lack it.
func TestEvalRuntimeErrorIsReported(t *testing.T) {
	for _, c := range []struct {
		when string
		fm   map[string]any
		want []string
	}{
		{`fm.n > 3 && path != "x"`, map[string]any{"n": "text"}, []string{"rule r: condition `fm.n > 3 && path != \"x\"` failed: invalid operation: string > int", `(here fm.n = "text", path = "a.md")`}},
		{`fm.n > 3`, map[string]any{"n": []any{"a", 1}}, []string{`(here fm.n = ["a",1])`}},
		{`fm.n + 1 > 3`, map[string]any{}, []string{`invalid operation: <nil> + int`, `(here fm.n missing); a missing field is nil: test it first (fm.n != nil && …) or give it a default (fm.n ?? DEFAULT)`}},
	} {
		r := one(t, "  - id: r\n    when: '"+strings.ReplaceAll(c.when, "'", "''")+"'\n    actions: [{log: {message: x}}]\n")
		_, err := r.Eval(c.fm, "a.md", nil, action.OriginUser)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s on %v: err = %v, want one line holding %q", c.when, c.fm, err, w)
			}
		}
	}
}

// A condition comparing origin with a value it never has is refused at load:
// a typo would otherwise silently disable the rule.
func TestOriginTypoIsRefused(t *testing.T) {
	for _, when := range []string{`origin == "usr"`, `"git" == origin`, `origin in ["user", "edit"]`, `fm.x == 1 && origin != "Scan"`} {
		_, err := compile(t, "version: 1\nrules:\n  - id: r\n    when: '"+strings.ReplaceAll(when, "'", "''")+"'\n    actions: [{log: {message: x}}]\n")
		if err == nil || !strings.Contains(err.Error(), "origin is never") || !strings.Contains(err.Error(), "rules[0].when") {
			t.Errorf("when %s: err = %v; want origin is never ...", when, err)
		}
	}
}

// A condition naming something it cannot know suggests the name it may
// have meant, or says what a condition reads when none is close.
func TestConditionUnknownNameHint(t *testing.T) {
	for when, hint := range map[string]string{
		`orgin == "user"`:        `did you mean "origin"?`,
		`fm.draft && paht != ""`: `did you mean "path"?`,
		`frobnicate == 1`:        "a condition is a boolean expression over fm, path, match and origin",
	} {
		_, err := compile(t, "version: 1\nrules:\n  - id: a\n    when: '"+when+"'\n    actions:\n      - log: {message: x}\n")
		ce, ok := err.(config.Errors)
		if !ok || len(ce) != 1 {
			t.Fatalf("when %s: err = %v, want one configuration error", when, err)
		}
		if !strings.Contains(ce[0].Message, "invalid condition: unknown name") || !strings.HasPrefix(ce[0].Hint, hint) {
			t.Errorf("when %s: message %q, hint %q; want the hint %q", when, ce[0].Message, ce[0].Hint, hint)
		}
	}
}

// Every compile error names its field path and position; all are reported.
func TestCompileErrors(t *testing.T) {
	_, err := compile(t, `version: 1
rules:
  - id: a
    files: ["../outside/**", "/abs/*.md", "[unclosed"]
    match: '(?<!lookbehind)x'
    when: 'fm.status +'
    actions:
      - frontmatter.sett: {a: b}
      - replace: {pattern: 'x', with: 3, extra: true}
  - id: b
    when: 'fm.x'
    actions:
      - log: {message: "{{ .Broken "}
`)
	ce, ok := err.(config.Errors)
	if !ok {
		t.Fatalf("err = %T %v", err, err)
	}
	text := ce.Error()
	for _, want := range []string{
		`scribe.yaml:4:13: rules[0].files[0]: glob "../outside/**" climbs out of the root with ..`,
		`scribe.yaml:4:30: rules[0].files[1]: glob "/abs/*.md" is absolute`,
		`scribe.yaml:4:43: rules[0].files[2]: invalid glob "[unclosed"`,
		"scribe.yaml:5:12: rules[0].match: invalid regular expression: invalid named capture: `(?<!lookbehind)x`",
		`scribe.yaml:6:11: rules[0].when: invalid condition`,
		`rules[0].actions[0].frontmatter.sett: unknown action "frontmatter.sett"`,
		`rules[0].actions[1].replace.with:`,
		`rules[0].actions[1].replace`,
		`scribe.yaml:13:14: rules[1].actions[0].log: template "message" line 1: unclosed action`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
	for i := 1; i < len(ce); i++ {
		if ce[i-1].Line > ce[i].Line {
			t.Fatalf("errors not sorted by position:\n%s", text)
		}
	}
}

// A pipeline's stage that fails to build is reported at the stage, not as
// an error of the pipeline (an unknown stage action once read as an unknown
// "pipeline", and a stage's schema error lost the stage).
func TestPipelineStageErrorsPointAtTheStage(t *testing.T) {
	_, err := compile(t, `version: 1
rules:
  - id: a
    actions:
      - pipeline:
          stages:
            - log: {message: a}
            - nope: {}
            - replace: {pattern: x}
`)
	text := fmt.Sprint(err)
	for _, want := range []string{
		`scribe.yaml:8:21: rules[0].actions[0].pipeline.stages[1].nope: unknown action "nope"`,
		`scribe.yaml:9:24: rules[0].actions[0].pipeline.stages[2].replace: missing property 'with'`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, `unknown action "pipeline"`) {
		t.Errorf("the stage's unknown action is reported as the pipeline's:\n%s", text)
	}
}

// An unknown parameter, or a pipeline stage's unknown action, is reported
// at its own place with the nearest known name, as unknown configuration
// keys are; a parameter of the wrong value with what the schema says of it.
func TestUnknownParametersSuggestTheKnownOnes(t *testing.T) {
	_, err := compile(t, `version: 1
rules:
  - id: a
    actions:
      - links.check: {max_link: 3}
      - pipeline:
          stages:
            - lgo: {message: a}
            - replace: {patern: x, with: y, zzz: 1}
      - publish: {type: 'a b'}
`)
	text := fmt.Sprint(err)
	for _, want := range []string{
		"scribe.yaml:5:33: rules[0].actions[0].links.check.max_link: unknown parameter \"max_link\"\n  hint: did you mean \"max_links\"?",
		"scribe.yaml:8:20: rules[0].actions[1].pipeline.stages[0].lgo: unknown action \"lgo\"\n  hint: did you mean \"log\"?",
		"rules[0].actions[1].pipeline.stages[1].replace.patern: unknown parameter \"patern\"\n  hint: did you mean \"pattern\"?",
		"rules[0].actions[1].pipeline.stages[1].replace.zzz: unknown parameter \"zzz\"\n  hint: known here: pattern, with",
		// A value of the wrong shape: the hint is what the schema says of it.
		"rules[0].actions[2].publish.type: 'a b' does not match pattern",
		"hint: event type: dot-separated tokens of letters, digits, _ and -",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
}

// A regular expression among an action's parameters that RE2 refuses gets
// the hint the rule's own match gets.
func TestParameterPatternsGetTheRE2Hint(t *testing.T) {
	_, err := compile(t, "version: 1\nrules:\n  - id: a\n    actions:\n      - replace: {pattern: '(?<!x)y', with: z}\n")
	want := "rules[0].actions[0].replace: invalid pattern \"(?<!x)y\": error parsing regexp: invalid named capture: `(?<!x)y`\n  hint: patterns are RE2: no backreferences or lookaround"
	if text := fmt.Sprint(err); !strings.Contains(text, want) {
		t.Fatalf("errors lack %q:\n%s", want, text)
	}
}

func TestGlobsWidenInclude(t *testing.T) {
	set, err := compile(t, "version: 1\ninclude: ['**/*.md']\nrules:\n  - id: t\n    files: ['**/*.txt']\n    actions: [{log: {message: x}}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.Globs([]string{"**/*.md"}), ","); got != "**/*.md,**/*.txt" {
		t.Fatalf("Globs = %s", got)
	}
}
