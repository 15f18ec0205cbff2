package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
)

func TestExplain(t *testing.T) {
	set := rules(t,
		config.Rule{ID: "a", Files: []string{"notes/**"}, Actions: []config.ActionRef{act("test.append", "A"), act("test.finding", "look")}},
		config.Rule{ID: "b", Match: `(?m)^needs-(?P<what>\w+)$`, Actions: []config.ActionRef{act("test.append", "B")}},
		config.Rule{ID: "c", When: `fm.status == "draft" && origin == "user"`, Actions: []config.ActionRef{act("test.append", "C")}},
		config.Rule{ID: "d", Files: []string{"notes/**"}, Exclude: []string{"notes/x*"}, Actions: []config.ActionRef{act("test.append", "D")}},
		config.Rule{ID: "e", Match: "nowhere", Actions: []config.ActionRef{act("test.append", "E")}},
		config.Rule{ID: "f", Actions: []config.ActionRef{act("test.append", "F"), act("test.fail", nil)}},
		config.Rule{ID: "g", Files: []string{"other/**"}, Actions: []config.ActionRef{act("test.append", "G")}},
	)
	content := "---\nstatus: done\n---\nx\nneeds-b\n"
	root := openRoot(t, map[string]string{"notes/x.md": content, ".gitignore": "ignored.md\n", "ignored.md": "i\n"})
	e := engine.New(set, engine.Options{Logger: nil})
	ex := e.Explain(context.Background(), root, "notes/x.md", "")
	if read(t, root, "notes/x.md") != content {
		t.Fatal("Explain wrote the file")
	}
	want := map[string]string{
		"a": engine.OutcomeApplied, "b": engine.OutcomeApplied, "c": engine.OutcomeConditionFalse,
		"d": engine.OutcomePathExcluded, "e": engine.OutcomeRegexNotMatched, "f": engine.OutcomeFailed, "g": engine.OutcomePathNotMatched,
	}
	if len(ex.Rules) != len(want) {
		t.Fatalf("%d rules explained, want %d", len(ex.Rules), len(want))
	}
	for _, r := range ex.Rules {
		if r.Outcome != want[r.ID] {
			t.Errorf("rule %s: outcome %q, want %q", r.ID, r.Outcome, want[r.ID])
		}
	}
	a, b, c, d, f := ex.Rules[0], ex.Rules[1], ex.Rules[2], ex.Rules[3], ex.Rules[5]
	if !a.Changed || !strings.Contains(a.Diff, "+A") || a.Path.Glob != "notes/**" || len(a.Findings) != 1 ||
		!a.Actions[0].Changed || a.Actions[1].Changed || a.Actions[1].Findings != 1 {
		t.Errorf("rule a = %+v", a)
	}
	if b.Match == nil || !b.Match.Matched || b.Match.Text != "needs-b" || b.Match.Line != 5 || b.Match.Column != 1 || b.Match.Groups["what"] != "b" || b.Match.Groups["1"] != "b" {
		t.Errorf("rule b's match = %+v", b.Match)
	}
	if !b.FilesFromInclude || b.Path.Glob != "**/*.md" {
		t.Errorf("rule b's path = %+v (from include %v)", b.Path, b.FilesFromInclude)
	}
	if c.Condition == nil || c.Condition.Result || len(c.Condition.Inputs) != 2 ||
		c.Condition.Inputs[0].Name != "fm.status" || c.Condition.Inputs[0].Value != "done" || c.Condition.Inputs[1].Value != "user" {
		t.Errorf("rule c's condition = %+v", c.Condition)
	}
	if d.Path.Glob != "notes/x*" || !d.Path.Excluded {
		t.Errorf("rule d's path = %+v", d.Path)
	}
	if f.Applied != true || !strings.Contains(f.Error, "action test.fail: deliberate failure") || f.Changed || !f.Actions[0].Ran || !f.Actions[1].Ran || f.Actions[1].Error == "" {
		t.Errorf("rule f = %+v", f)
	}
	if !ex.Document || ex.Origin != action.OriginUser || ex.AssumedOrigin != action.OriginUser || !ex.Changed ||
		!strings.Contains(ex.Diff, "+A\n+B\n") || strings.Contains(ex.Diff, "+F") || len(ex.Findings) != 1 {
		t.Errorf("explanation = %+v", ex)
	}

	// A file the root's ignore file leaves out: no rule runs, and the line
	// that excluded it is named.
	ig := e.Explain(context.Background(), root, "ignored.md", action.OriginUser)
	if ig.Document || ig.Excluded == nil || ig.Excluded.File != ".gitignore" || ig.Excluded.Line != 1 {
		t.Errorf("ignored.md: %+v", ig.Excluded)
	}
	for _, r := range ig.Rules {
		if r.Outcome != engine.OutcomeNotADocument && r.Outcome != engine.OutcomePathNotMatched {
			t.Errorf("ignored.md: rule %s outcome %q", r.ID, r.Outcome)
		}
	}
}

// TestExplainGitAndUndone: content git has is left alone by writing rules
// (as the daemon leaves it), and a rule whose write was undone holds back.
func TestExplainGitAndUndone(t *testing.T) {
	set := rules(t,
		config.Rule{ID: "w", Actions: []config.ActionRef{act("test.append", "W")}},
		config.Rule{ID: "fmt", RewriteCommitted: true, Actions: []config.ActionRef{act("test.append", "F")}},
	)
	root := openRoot(t, map[string]string{"a.md": "a\n"})
	opts := engine.Options{
		LeaveCommitted: true,
		VCS: func(*engine.Root, string, []byte, time.Time) engine.VCSInfo {
			return engine.VCSInfo{Committed: true, Tracked: true}
		},
	}
	ex := engine.New(set, opts).Explain(context.Background(), root, "a.md", action.OriginUser)
	if ex.Origin != action.OriginVCS || !ex.LeftAlone || ex.Git == nil || !ex.Git.Committed {
		t.Fatalf("explanation = %+v (git %+v)", ex, ex.Git)
	}
	if ex.Rules[0].Outcome != engine.OutcomeLeftCommitted || ex.Rules[1].Outcome != engine.OutcomeApplied || !strings.Contains(ex.Diff, "+F") || strings.Contains(ex.Diff, "+W") {
		t.Errorf("rules = %+v, diff %q", ex.Rules, ex.Diff)
	}
	opts.VCS = nil
	opts.Undone = func(*engine.Root, string, string) []string { return []string{"w"} }
	ex = engine.New(set, opts).Explain(context.Background(), root, "a.md", action.OriginUser)
	if ex.Rules[0].Outcome != engine.OutcomeUndone || len(ex.Undone) != 1 || ex.Git != nil {
		t.Errorf("undone: rules = %+v, undone %v", ex.Rules, ex.Undone)
	}
}

// TestRuleOutcome: each rule is labelled by what it did, not by what
// happened to the file (a findings-only rule beside a writing one did not
// write).
func TestRuleOutcome(t *testing.T) {
	set := rules(t,
		config.Rule{ID: "w", Actions: []config.ActionRef{act("test.append", "W")}},
		config.Rule{ID: "f", Actions: []config.ActionRef{act("test.finding", "look")}},
		config.Rule{ID: "x", Files: []string{"bad.md"}, Actions: []config.ActionRef{act("test.fail", nil)}},
	)
	root := openRoot(t, map[string]string{"a.md": "a\n", "bad.md": "b\n"})
	rep := run(t, engine.New(set, engine.Options{}), root)
	a, bad := result(rep, "a.md"), result(rep, "bad.md")
	for _, c := range []struct {
		res        *engine.Result
		rule, want string
	}{{a, "w", "written"}, {a, "f", "unchanged"}, {bad, "x", "failed"}, {bad, "w", "written"}, {bad, "f", "unchanged"}} {
		if got := c.res.RuleOutcome(c.rule); got != c.want {
			t.Errorf("%s: RuleOutcome(%s) = %q, want %q", c.res.Path, c.rule, got, c.want)
		}
	}
	skipped := &engine.Result{Skipped: "binary"}
	if got := skipped.RuleOutcome("w"); got != "skipped" {
		t.Errorf("skipped file: %q", got)
	}
}
