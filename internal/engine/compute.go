package engine

import (
	"context"
	"slices"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/rule"
)

// Job is what a file's rules need to run away from the file (scale-out):
// its content, and what the owner decided about it from the file and its
// history.
type Job struct {
	// Root is the root's directory on the owner (for messages); Path the
	// file's path relative to it.
	Root string `json:"root"`
	Path string `json:"path"`
	// Content is the file as the owner read it.
	Content []byte `json:"content"`
	// Origin is where the change came from, as the owner classified it.
	Origin action.Origin `json:"origin"`
	// Leave makes writing rules without rewrite_committed run as in a
	// check (Options.LeaveCommitted).
	Leave bool `json:"leave,omitempty"`
	// Held are the rules the user undid on this content (Options.Undone).
	Held []string `json:"held,omitempty"`
	// Skip are the rules whose circuit breaker is open on the owner.
	Skip []string `json:"skip,omitempty"`
}

// Computed is what a file's rules produced from a Job's content.
type Computed struct {
	// Content is the new content; nil when no rule changed it.
	Content []byte `json:"content,omitempty"`
	// The rest are as in Result.
	Rules         []string         `json:"rules,omitempty"`
	ChangedBy     []string         `json:"changed_by,omitempty"`
	LeftCommitted []string         `json:"left_committed,omitempty"`
	Findings      []action.Finding `json:"findings,omitempty"`
	Events        []action.Event   `json:"events,omitempty"`
	Affected      []string         `json:"affected,omitempty"`
	Failures      []RuleFailure    `json:"failures,omitempty"`
}

// Remote reports whether rel's rules may all run away from the files: it
// is selected by some rule, and by no local one (action.IsLocal).
func (e *Engine) Remote(rel string) bool {
	any := false
	for _, r := range e.rules.Rules {
		if r.MatchPath(rel) {
			if e.local[r] {
				return false
			}
			any = true
		}
	}
	return any
}

// Compute runs the rules that select j.Path on j.Content, as ProcessChange
// would between its read and its write, and returns what they produced. It
// reads and writes no file: the rules' actions get root's ports (a worker
// gives an empty scratch root), so it is meant for rules none of which is
// local (Remote). An error means ctx ended; a failing rule is in
// Computed.Failures.
func (e *Engine) Compute(ctx context.Context, root *Root, j Job) (*Computed, error) {
	var rules []*rule.Rule
	for _, r := range e.rules.Rules {
		if r.MatchPath(j.Path) && !slices.Contains(j.Skip, r.ID) {
			rules = append(rules, r)
		}
	}
	res := &Result{Root: root.Dir, Path: j.Path}
	root.Docs.maxSize.Store(e.opts.MaxFileSize)
	out, err := e.apply(ctx, root, j.Path, rules, j.Content, j.Origin, j.Leave, j.Held, &slot{ch: e.opts.RuleSlots}, &Writes{}, res, nil)
	if err != nil {
		return nil, err
	}
	return &Computed{Content: out, Rules: res.Rules, ChangedBy: res.ChangedBy, LeftCommitted: res.LeftCommitted,
		Findings: res.Findings, Events: res.Events, Affected: res.Affected, Failures: res.Failures}, nil
}

// offloads reports whether ProcessChange hands rules to Options.Offload:
// none is local, and no explanation is being recorded (Explain runs here).
func (e *Engine) offloads(rules []*rule.Rule, tr *explainTrace) bool {
	if e.opts.Offload == nil || e.opts.DryRun || tr != nil {
		return false
	}
	for _, r := range rules {
		if e.local[r] {
			return false
		}
	}
	return true
}

// offload runs rules through Options.Offload and puts what they produced
// in res, as apply would. Rules whose circuit breaker is open are skipped
// with a finding; the others' breakers learn how they fared.
func (e *Engine) offload(ctx context.Context, root *Root, rel string, rules []*rule.Rule, j Job, heartbeat func(), res *Result) ([]byte, error) {
	var dones map[string]func(Verdict)
	if e.opts.Gate != nil {
		dones = map[string]func(Verdict){}
		for _, r := range rules {
			d, allowed := e.opts.Gate(r.ID)
			if !allowed {
				j.Skip = append(j.Skip, r.ID)
				res.Findings = append(res.Findings, action.Finding{Path: rel, Rule: r.ID, Action: "breaker", Severity: action.SeverityWarning,
					Message: "rule skipped: its circuit breaker is open after repeated failures"})
				continue
			}
			dones[r.ID] = d
		}
	}
	c, err := e.opts.Offload(ctx, j, heartbeat)
	for id, done := range dones {
		switch {
		case err != nil:
			// No worker ran it (or the owner is stopping): the rule
			// did not fail, and did not succeed either.
			done(NotRun)
		case slices.ContainsFunc(c.Failures, func(f RuleFailure) bool { return f.Rule == id }):
			done(Failed)
		default:
			done(Succeeded)
		}
	}
	if err != nil {
		return nil, err
	}
	res.Rules, res.ChangedBy, res.LeftCommitted = c.Rules, c.ChangedBy, c.LeftCommitted
	res.Findings = append(res.Findings, c.Findings...)
	res.Events, res.Affected, res.Failures = c.Events, c.Affected, c.Failures
	if c.Content == nil {
		return nil, nil
	}
	if max := e.opts.MaxFileSize; max > 0 && int64(len(c.Content)) > max {
		res.Failures = append(res.Failures, RuleFailure{Rule: lastOf(c.ChangedBy), Action: "remote",
			Error: "the new content is larger than engine.max_file_size; the file was left unchanged"})
		return nil, nil
	}
	return c.Content, nil
}

func lastOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}
