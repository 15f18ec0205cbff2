package engine

import (
	"errors"
	"slices"
	"strings"

	"github.com/scribe-md/scribe/internal/action"
)

// Result is what processing one file produced.
type Result struct {
	// Root is the absolute directory of the file's root.
	Root string `json:"root"`
	// Path is relative to Root, slash-separated.
	Path string `json:"path"`
	// Rules lists the ids of the rules that applied, in order.
	Rules []string `json:"rules,omitempty"`
	// ChangedBy lists the ids of the rules whose actions changed the content.
	ChangedBy []string `json:"changed_by,omitempty"`
	// Changed is true when the rules produced different bytes (written in a
	// run, shown as a diff in a check).
	Changed bool `json:"changed"`
	// Written is true when the new content reached the disk.
	Written bool `json:"written"`
	// RenamedTo is set when an action renamed the file.
	RenamedTo string `json:"renamed_to,omitempty"`
	// Via names the action that changed this file on behalf of another one
	// (index, catalog, naming), "" for the file's own rules.
	Via string `json:"via,omitempty"`
	// Skipped gives the reason the file was not processed ("" if it was).
	Skipped string `json:"skipped,omitempty"`
	// Origin is where the change came from ("user", "vcs", "scribe",
	// "scan"), as the rules saw it.
	Origin action.Origin `json:"origin,omitempty"`
	// LeftCommitted lists the rules whose changes were dropped because the
	// content is its committed version and arrived through git or a scan
	// (see Options.LeaveCommitted).
	LeftCommitted []string `json:"left_committed,omitempty"`
	// Conflicts counts how often a concurrent edit made the engine start over.
	Conflicts int `json:"conflicts,omitempty"`
	// Findings are sorted by line and column.
	Findings []action.Finding `json:"findings,omitempty"`
	// Events are what the actions published.
	Events []action.Event `json:"events,omitempty"`
	// Held says why the result was not written although nothing failed
	// (Options.MayWrite refused: a git operation is in progress); the file
	// must be processed again later. "" when not held.
	Held string `json:"held,omitempty"`
	// Failures lists the rules that failed on this file, in order. Each
	// failed alone: its changes and findings were discarded and the other
	// rules' stand (and were written, in a run).
	Failures []RuleFailure `json:"failures,omitempty"`
	// Error is a failure of the whole file (unreadable, not writable, kept
	// changing, cancelled), "" otherwise.
	Error string `json:"error,omitempty"`

	// Before and After hold the content read and the content produced, when
	// Changed (for diffs and the journal).
	Before []byte `json:"-"`
	After  []byte `json:"-"`
	// Affected are other paths whose result may have changed.
	Affected []string `json:"-"`
	// BeforeHash and AfterHash identify the versions (sha256 hex).
	BeforeHash string `json:"before_hash,omitempty"`
	AfterHash  string `json:"after_hash,omitempty"`
}

// RuleFailure is one rule that failed on a file.
type RuleFailure struct {
	// Rule is the rule's id; Action the action that failed.
	Rule   string `json:"rule"`
	Action string `json:"action"`
	// Error says what went wrong.
	Error string `json:"error"`
}

// String reads "rule R: action A: ERROR".
func (f RuleFailure) String() string {
	return "rule " + f.Rule + ": action " + f.Action + ": " + f.Error
}

// Failed reports whether processing the file failed, as a whole or in some
// rule.
func (r *Result) Failed() bool { return r.Error != "" || len(r.Failures) > 0 }

// Err returns the failures as one error (nil when nothing failed): the whole
// file's first, then each failed rule's.
func (r *Result) Err() error {
	if !r.Failed() {
		return nil
	}
	var msgs []string
	if r.Error != "" {
		msgs = append(msgs, r.Error)
	}
	for _, f := range r.Failures {
		msgs = append(msgs, f.String())
	}
	return errors.New(strings.Join(msgs, "; "))
}

// RuleOutcome is how one rule fared on the file, for the daemon's
// per-rule metrics: "failed" (the rule failed, or the whole file did),
// "skipped" (the file was not read), "written" (the rule changed the file
// and the change was written), else "unchanged" (the rule ran and changed
// nothing, whatever it found).
func (r *Result) RuleOutcome(rule string) string {
	switch {
	case r.Error != "" || slices.ContainsFunc(r.Failures, func(f RuleFailure) bool { return f.Rule == rule }):
		return "failed"
	case r.Skipped != "":
		return "skipped"
	case r.Written && slices.Contains(r.ChangedBy, rule):
		return "written"
	}
	return "unchanged"
}

// resetRules forgets what the rules produced, before they are redone.
func (r *Result) resetRules() {
	r.Rules, r.ChangedBy, r.Findings, r.Events, r.Affected, r.Failures, r.LeftCommitted = nil, nil, nil, nil, nil, nil, nil
}

// ruleMark is what a Result held before a rule ran, to roll the rule back.
type ruleMark struct {
	content                               []byte
	changed                               bool
	changedBy, findings, events, affected int
}

func (r *Result) mark(content []byte, changed bool) ruleMark {
	return ruleMark{content, changed, len(r.ChangedBy), len(r.Findings), len(r.Events), len(r.Affected)}
}

// rollback discards what a failed rule added and returns the content and
// changed flag from before it.
func (r *Result) rollback(m ruleMark) ([]byte, bool) {
	r.ChangedBy, r.Findings = r.ChangedBy[:m.changedBy], r.Findings[:m.findings]
	r.Events, r.Affected = r.Events[:m.events], r.Affected[:m.affected]
	return m.content, m.changed
}
