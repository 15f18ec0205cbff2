package engine

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/rule"
	"github.com/scribe-md/scribe/internal/scan"
)

// Explanation says what the rules do with one file and why: `scribe explain`
// and the daemon's /api/v1/explain. Its JSON form is part of the output
// contract (doc/EXPLAIN.md).
type Explanation struct {
	// Root is the absolute directory of the file's root; Path the file,
	// relative to it, slash-separated.
	Root string `json:"root"`
	Path string `json:"path"`
	// Document: the root's filter lists the file (include and exclude
	// globs, ignore files). When it does not, Excluded says why and no rule
	// runs on it.
	Document bool            `json:"document"`
	Excluded *scan.Exclusion `json:"excluded,omitempty"`
	// Skipped says why the file was not read (binary, too large, not
	// regular, vanished); Error why reading it failed.
	Skipped string `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
	// AssumedOrigin is the origin the explanation assumed for a change to
	// the file; Origin the one the rules saw (a user's change to content
	// that is its committed version is git's, as the daemon decides).
	AssumedOrigin action.Origin `json:"assumed_origin"`
	Origin        action.Origin `json:"origin,omitempty"`
	// Git is what git knows of the file's content; nil outside a git work
	// tree or with engine.vcs off. LeftAlone: writing rules leave this
	// content alone (it is committed and came through git or a scan).
	Git       *VCSInfo `json:"git,omitempty"`
	LeftAlone bool     `json:"left_alone,omitempty"`
	// Undone lists the rules that leave the file's current content alone
	// because the user undid their write to it (`scribe undo`).
	Undone []string `json:"undone,omitempty"`
	// Rules are every enabled rule, in configuration order.
	Rules []RuleExplanation `json:"rules"`
	// Changed: the rules change the file; Diff is that change, unified.
	Changed bool   `json:"changed"`
	Diff    string `json:"diff,omitempty"`
	// Findings are all the rules' findings, sorted by line.
	Findings []action.Finding `json:"findings"`
	// Writes are the changes actions would make to other files (renames,
	// files they write directly); aggregated outputs (index, catalog) are
	// brought up to date after a batch, and `scribe check` shows those.
	Writes []OtherWrite `json:"writes,omitempty"`
	// Events are the events actions would publish.
	Events []action.Event `json:"events,omitempty"`
	// History is the engine's past writes of the file, newest first, from
	// the journal. The caller fills it in: the journal belongs to whoever
	// holds it (the daemon, else the command line).
	History []journal.Entry `json:"history"`
}

// Outcomes of a rule on a file (RuleExplanation.Outcome).
const (
	// OutcomeApplied: the rule's actions ran (Changed says whether they
	// changed the content).
	OutcomeApplied = "applied"
	// OutcomePathNotMatched: none of the rule's file globs matches.
	OutcomePathNotMatched = "path_not_matched"
	// OutcomePathExcluded: one of the rule's exclude globs matches.
	OutcomePathExcluded = "path_excluded"
	// OutcomeNotADocument: the file is not a document of the root
	// (Explanation.Excluded says why).
	OutcomeNotADocument = "not_a_document"
	// OutcomeFileSkipped: the file could not be read or was skipped
	// (Explanation.Skipped or Error says why).
	OutcomeFileSkipped = "file_skipped"
	// OutcomeRegexNotMatched: the rule's regex does not match the content.
	OutcomeRegexNotMatched = "regex_not_matched"
	// OutcomeFrontMatterInvalid: the condition needs the front matter,
	// which is not valid YAML.
	OutcomeFrontMatterInvalid = "front_matter_invalid"
	// OutcomeConditionFalse: the `when` condition is false.
	OutcomeConditionFalse = "condition_false"
	// OutcomeConditionError: evaluating the condition failed.
	OutcomeConditionError = "condition_error"
	// OutcomeBreakerOpen: the rule's circuit breaker is open.
	OutcomeBreakerOpen = "breaker_open"
	// OutcomeFailed: an action failed; the rule's changes are dropped.
	OutcomeFailed = "failed"
	// OutcomeLeftCommitted: the rule ran as a check: the content is its
	// committed version and came through git or a scan (findings stand,
	// changes are dropped; see rewrite_committed).
	OutcomeLeftCommitted = "left_committed"
	// OutcomeUndone: the rule ran as a check because the user undid its
	// write to this content.
	OutcomeUndone = "undone"
)

// RuleExplanation is what one rule did with the file, and why.
type RuleExplanation struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Applied: the rule's actions ran on the file (as a check for
	// OutcomeLeftCommitted and OutcomeUndone).
	Applied bool `json:"applied"`
	// Outcome is one of the Outcome* constants.
	Outcome string `json:"outcome"`
	// Files are the rule's file globs (the configuration's include when
	// FilesFromInclude), Exclude its own exclude globs, Path how they
	// decided the file.
	Files            []string       `json:"files"`
	FilesFromInclude bool           `json:"files_from_include,omitempty"`
	Exclude          []string       `json:"exclude,omitempty"`
	Path             rule.PathMatch `json:"path"`
	// Match is the rule's regex and what it matched; nil when the rule has
	// none or it was not reached.
	Match *RegexExplanation `json:"match,omitempty"`
	// Condition is the rule's `when` and the values it read; nil when the
	// rule has none or it was not reached.
	Condition *ConditionExplanation `json:"condition,omitempty"`
	// Actions are the rule's actions in order, and what each did.
	Actions []ActionExplanation `json:"actions"`
	// Changed: the rule changed the content it was given (for a rule run
	// as a check, the change it would have made); Diff is that change.
	Changed bool   `json:"changed"`
	Diff    string `json:"diff,omitempty"`
	// Findings are the rule's own findings.
	Findings []action.Finding `json:"findings"`
	// Error is why an action failed (OutcomeFailed) or the condition or
	// front matter could not be read.
	Error string `json:"error,omitempty"`

	before, after []byte
}

// RegexExplanation is a rule's content regex on the file.
type RegexExplanation struct {
	Pattern string `json:"pattern"`
	Matched bool   `json:"matched"`
	// Text is the first match (cut at 200 bytes), at Line and Column
	// (1-based, the column in bytes).
	Text   string `json:"text,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Groups are the capture groups, by number and by name.
	Groups map[string]string `json:"groups,omitempty"`
}

// ConditionExplanation is a rule's `when` condition on the file.
type ConditionExplanation struct {
	Expr string `json:"expr"`
	// Result is the condition's value; false when it could not be
	// evaluated (Error).
	Result bool `json:"result"`
	// Inputs are the values it read: front-matter fields, origin, path,
	// match groups.
	Inputs []rule.Input `json:"inputs"`
	Error  string       `json:"error,omitempty"`
}

// ActionExplanation is one action of a rule on the file.
type ActionExplanation struct {
	Name string `json:"name"`
	// Ran: the action was called (the rule applied and no earlier action
	// failed).
	Ran bool `json:"ran"`
	// Changed: it changed the content; Findings counts what it reported.
	Changed  bool   `json:"changed"`
	Findings int    `json:"findings"`
	Error    string `json:"error,omitempty"`
	// Aggregates: the action also writes an output of its own after each
	// batch (index, catalog), which `scribe check` shows.
	Aggregates bool `json:"aggregates,omitempty"`
}

// OtherWrite is a change an action makes to another file.
type OtherWrite struct {
	Path      string `json:"path"`
	Via       string `json:"via"`
	Rule      string `json:"rule,omitempty"`
	RenamedTo string `json:"renamed_to,omitempty"`
	Diff      string `json:"diff,omitempty"`
}

// Explain runs the rules on rel as a check would (writing nothing) for a
// change from origin, and says for every rule, in order, why it did or did
// not apply: which glob matched, what the regex matched, the values the
// condition read, what each action did and the diff it would make. A file
// the root's filter does not list gets Excluded (the ignore file and line,
// or the glob) and no rule runs on it. The rules and decisions are the
// engine's own (ProcessChange), observed as they happen.
//
// The engine's options apply as they are, except that nothing is written,
// published, counted, gated or traced: Explain works on a dry copy. The root's
// document list should be current (Root.Refresh), as links resolve against
// it. History is left for the caller.
func (e *Engine) Explain(ctx context.Context, root *Root, rel string, origin action.Origin) *Explanation {
	if origin == "" {
		origin = action.OriginUser
	}
	ex := &Explanation{Root: root.Dir, Path: rel, AssumedOrigin: origin, Excluded: root.Filter.Explain(rel),
		Rules: make([]RuleExplanation, 0, len(e.rules.Rules)), Findings: []action.Finding{}, History: []journal.Entry{}}
	ex.Document = ex.Excluded == nil
	tr := &explainTrace{at: map[*rule.Rule]int{}}
	for i, r := range e.rules.Rules {
		re := RuleExplanation{ID: r.ID, Name: r.Name, Files: r.Files(), FilesFromInclude: r.FilesFromInclude(),
			Exclude: r.Exclude(), Path: r.ExplainPath(rel), Findings: []action.Finding{}, Actions: []ActionExplanation{}}
		if re.Files == nil {
			re.Files = []string{}
		}
		for _, st := range r.Steps {
			_, agg := st.Action.(action.Finisher)
			re.Actions = append(re.Actions, ActionExplanation{Name: st.Name, Aggregates: agg})
		}
		switch {
		case re.Path.Excluded:
			re.Outcome = OutcomePathExcluded
		case !re.Path.Matched:
			re.Outcome = OutcomePathNotMatched
		case !ex.Document:
			re.Outcome = OutcomeNotADocument
		}
		ex.Rules = append(ex.Rules, re)
		tr.at[r] = i
	}
	tr.ex = ex
	if !ex.Document {
		return ex
	}

	opts := e.opts
	opts.DryRun = true
	opts.Gate, opts.Wrote, opts.BeforeWrite, opts.ActionDone, opts.MayWrite, opts.Publisher = nil, nil, nil, nil, nil, nil
	// An explanation is not processing: it makes no spans either.
	opts.Tracer = nil
	dry := New(e.rules, opts)
	defer dry.dirs.close()
	w := &Writes{}
	res := dry.ProcessChange(ctx, root, rel, Change{Origin: origin, explain: tr}, w)

	ex.Skipped, ex.Error = res.Skipped, res.Error
	ex.Origin = res.Origin
	if res.Findings != nil {
		ex.Findings = res.Findings
	}
	ex.Events = res.Events
	if res.Changed {
		ex.Changed = true
		ex.Diff = udiff.Unified("a/"+rel, "b/"+rel, string(res.Before), string(res.After))
	}
	for _, wr := range w.Results() {
		ow := OtherWrite{Path: wr.Path, Via: wr.Via, RenamedTo: wr.RenamedTo}
		if len(wr.ChangedBy) > 0 {
			ow.Rule = wr.ChangedBy[0]
		}
		if wr.RenamedTo == "" && wr.Changed {
			ow.Diff = udiff.Unified("a/"+wr.Path, "b/"+wr.Path, string(wr.Before), string(wr.After))
		}
		ex.Writes = append(ex.Writes, ow)
	}
	for i := range ex.Rules {
		re := &ex.Rules[i]
		if re.Outcome == "" {
			// The path matched but the rule was never reached: the file
			// could not be read.
			re.Outcome = OutcomeFileSkipped
		}
		if re.Changed {
			re.Diff = udiff.Unified("a/"+rel, "b/"+rel, string(re.before), string(re.after))
		}
		for _, f := range ex.Findings {
			if f.Rule == re.ID {
				re.Findings = append(re.Findings, f)
			}
		}
	}
	return ex
}

// explainTrace records, for Explain, what ProcessChange decided for each rule. All
// its methods do nothing on a nil trace, which is every other caller's.
type explainTrace struct {
	ex *Explanation
	at map[*rule.Rule]int // index in ex.Rules
	// git is what Options.VCS said of the content.
	git *VCSInfo
}

func (t *explainTrace) rule(r *rule.Rule) *RuleExplanation { return &t.ex.Rules[t.at[r]] }

// start records how the file is classified, once it is read.
func (t *explainTrace) start(leave bool, held []string) {
	if t == nil {
		return
	}
	t.ex.Git, t.ex.LeftAlone, t.ex.Undone = t.git, leave, slices.Clone(held)
}

// maxMatchText bounds the match text an explanation quotes.
const maxMatchText = 200

func (t *explainTrace) regex(r *rule.Rule, content []byte, m *action.Match, ok bool) {
	if t == nil {
		return
	}
	re := t.rule(r)
	if !ok {
		re.Outcome = OutcomeRegexNotMatched
	}
	if !r.HasMatch() {
		return
	}
	x := &RegexExplanation{Pattern: r.Pattern(), Matched: ok}
	if m != nil {
		text := content[m.Start:m.End]
		if len(text) > maxMatchText {
			// Cut on a rune boundary.
			n := maxMatchText
			for n > 0 && !utf8.RuneStart(text[n]) {
				n--
			}
			text = text[:n]
		}
		x.Text = string(text)
		x.Line = bytes.Count(content[:m.Start], []byte("\n")) + 1
		x.Column = m.Start - (bytes.LastIndexByte(content[:m.Start], '\n') + 1) + 1
		x.Groups = map[string]string{}
		for i, g := range m.Groups {
			if i > 0 {
				x.Groups[strconv.Itoa(i)] = g
			}
		}
		for k, v := range m.Named {
			x.Groups[k] = v
		}
		if len(x.Groups) == 0 {
			x.Groups = nil
		}
	}
	re.Match = x
}

func (t *explainTrace) condition(r *rule.Rule, fm map[string]any, rel string, m *action.Match, origin action.Origin, ok bool, err error) {
	if t == nil {
		return
	}
	re := t.rule(r)
	re.Condition = &ConditionExplanation{Expr: r.Condition(), Result: ok && err == nil, Inputs: r.Inputs(fm, rel, m, origin)}
	if re.Condition.Inputs == nil {
		re.Condition.Inputs = []rule.Input{} // [] in JSON, never null
	}
	switch {
	case err != nil:
		re.Outcome, re.Error, re.Condition.Error = OutcomeConditionError, err.Error(), err.Error()
	case !ok:
		re.Outcome = OutcomeConditionFalse
	}
}

func (t *explainTrace) skip(r *rule.Rule, outcome string, err error) {
	if t == nil {
		return
	}
	re := t.rule(r)
	re.Outcome = outcome
	if err != nil {
		re.Error = err.Error()
	}
	if outcome == OutcomeFrontMatterInvalid && r.HasCondition() {
		re.Condition = &ConditionExplanation{Expr: r.Condition(), Inputs: []rule.Input{}, Error: re.Error}
	}
}

func (t *explainTrace) action(r *rule.Rule, st rule.Step, in []byte, out action.Output, err error) {
	if t == nil {
		return
	}
	re := t.rule(r)
	for i := range re.Actions {
		a := &re.Actions[i]
		if a.Name != st.Name || a.Ran {
			continue
		}
		a.Ran, a.Findings = true, len(out.Findings)
		a.Changed = err == nil && out.Content != nil && !bytes.Equal(out.Content, in)
		if err != nil {
			a.Error = err.Error()
		}
		return
	}
}

func (t *explainTrace) failed(r *rule.Rule, step string, err error) {
	if t == nil {
		return
	}
	re := t.rule(r)
	re.Applied, re.Outcome, re.Error = true, OutcomeFailed, "action "+step+": "+err.Error()
}

// ran records a rule whose actions all ran; undone and leave say it ran as
// a check (see apply).
func (t *explainTrace) ran(r *rule.Rule, before, after []byte, undone, leave bool) {
	if t == nil {
		return
	}
	re := t.rule(r)
	re.Applied, re.Outcome = true, OutcomeApplied
	if !bytes.Equal(before, after) {
		re.Changed, re.before, re.after = true, before, after
		switch {
		case undone:
			re.Outcome = OutcomeUndone
		case leave:
			re.Outcome = OutcomeLeftCommitted
		}
	}
}
