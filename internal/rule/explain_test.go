package rule_test

import (
	"reflect"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/rule"
)

func TestExplainPath(t *testing.T) {
	r := one(t, `  - id: r
    files: ["tasks/**/*.md", "*.txt"]
    exclude: ["tasks/archive/**"]
    actions: [{log: {message: x}}]
`)
	dflt := one(t, "  - id: d\n    actions: [{log: {message: x}}]\n")
	for _, c := range []struct {
		rule *rule.Rule
		path string
		want rule.PathMatch
	}{
		{r, "tasks/a.md", rule.PathMatch{Matched: true, Glob: "tasks/**/*.md"}},
		{r, "top.txt", rule.PathMatch{Matched: true, Glob: "*.txt"}},
		{r, "tasks/archive/old.md", rule.PathMatch{Glob: "tasks/archive/**", Excluded: true}},
		{r, "notes/a.md", rule.PathMatch{}},
		{dflt, "x/y.md", rule.PathMatch{Matched: true, Glob: "**/*.md"}},
	} {
		if got := c.rule.ExplainPath(c.path); got != c.want {
			t.Errorf("%s.ExplainPath(%q) = %+v, want %+v", c.rule.ID, c.path, got, c.want)
		}
		if c.rule.MatchPath(c.path) != c.want.Matched {
			t.Errorf("%s.MatchPath(%q) disagrees with ExplainPath", c.rule.ID, c.path)
		}
	}
	if r.FilesFromInclude() || !dflt.FilesFromInclude() {
		t.Errorf("FilesFromInclude: %v, %v; want false, true", r.FilesFromInclude(), dflt.FilesFromInclude())
	}
	if got := dflt.Files(); !reflect.DeepEqual(got, []string{"**/*.md"}) {
		t.Errorf("Files() = %v", got)
	}
}

func TestInputs(t *testing.T) {
	r := one(t, `  - id: r
    match: '(?P<state>todo|done)'
    when: 'fm.status != "archived" && (fm["due date"] == nil || origin == "user") && match.state == "todo" && "tags" in fm && path startsWith "x/" && fm.status != "x"'
    actions: [{log: {message: x}}]
`)
	fm := map[string]any{"status": "draft", "tags": []any{"a"}}
	m, ok := r.MatchContent([]byte("a todo"))
	if !ok {
		t.Fatal("regex did not match")
	}
	got := r.Inputs(fm, "x/a.md", m, action.OriginUser)
	want := []rule.Input{
		{Name: "fm.status", Value: "draft"},
		{Name: `fm["due date"]`, Value: nil},
		{Name: "origin", Value: "user"},
		{Name: "match.state", Value: "todo"},
		{Name: "fm", Value: fm},
		{Name: "path", Value: "x/a.md"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Inputs =\n%#v\nwant\n%#v", got, want)
	}
	if r.Condition() == "" || r.Pattern() != "(?P<state>todo|done)" {
		t.Errorf("Condition %q, Pattern %q", r.Condition(), r.Pattern())
	}
	if in := one(t, "  - id: n\n    actions: [{log: {message: x}}]\n").Inputs(fm, "a.md", nil, action.OriginUser); in != nil {
		t.Errorf("a rule without a condition reads %v", in)
	}
}
