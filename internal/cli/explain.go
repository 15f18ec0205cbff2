package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/journal"
)

// explainHistory is how many past writes explain lists.
const explainHistory = 3

func newExplainCmd(g *globals) *cobra.Command {
	var origin string
	cmd := &cobra.Command{
		Use:   "explain PATH",
		Short: "Show every rule in order and why it does or does not apply to a file",
		Long: "For one file, every rule in order and why it does or does not apply: which\n" +
			"glob matched, the ignore file and line that excluded the file, what the regex\n" +
			"matched, the front-matter values the condition read, what each action does and\n" +
			"the diff it would make, what git knows of the file and the engine's last writes\n" +
			"of it (from the journal). Nothing is written.\n\n" +
			"The file is explained as if it had just changed: --origin says how (user: an\n" +
			"edit, the default; vcs: brought by git; scribe: Scribe's own work; scan: seen by\n" +
			"a scan). Inside a git work tree, an edit whose content is the committed version\n" +
			"counts as git's, as in the daemon.\n\n" +
			"Exit codes: 0 explained, 2 usage or configuration error.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(g); err != nil {
				return err
			}
			o := action.Origin(origin)
			if !slices.Contains([]action.Origin{action.OriginUser, action.OriginVCS, action.OriginScribe, action.OriginScan}, o) {
				return fail(ExitUsage, fmt.Errorf("--origin must be user, vcs, scribe or scan, not %q", origin))
			}
			return explain(cmd, g, args[0], o)
		},
	}
	cmd.Flags().StringVar(&origin, "origin", "user", "where the change to explain comes from: user, vcs, scribe or scan")
	addFormatFlag(cmd, g)
	return cmd
}

func explain(cmd *cobra.Command, g *globals, path string, origin action.Origin) error {
	p, err := loadProject(g, []string{path})
	if err != nil {
		return err
	}
	defer p.close()
	targets, err := engine.Resolve(p.roots, []string{path})
	if err != nil {
		return fail(ExitUsage, err)
	}
	t := targets[0]
	if !t.File || t.Rel == "." || t.Rel == "" {
		return fail(ExitUsage, fmt.Errorf("%s is a directory; explain takes a file", path))
	}
	if err := p.Plugins.Start(cmd.Context()); err != nil {
		// Their actions fail with this error; the explanation says so.
		g.log.Error("plugins failed to start", "err", err)
	}
	werrs, err := t.Root.Refresh(cmd.Context(), p.Config.Engine.Workers*2)
	if err != nil {
		return fail(ExitFailure, err)
	}
	for _, e := range werrs {
		g.log.Warn("a directory could not be read; links into it may show as broken", "err", e)
	}
	// As the daemon sees a change: undone writes hold their rules back, and
	// inside a git work tree committed content is git's.
	orig := loadOrigins(p, nil)
	defer orig.close()
	opts := p.engineOptions(g, true)
	opts.Undone = readUndone(g, p.Config)
	opts.VCS = orig.vcs()
	opts.LeaveCommitted = opts.VCS != nil
	ex := engine.New(p.Rules, opts).Explain(cmd.Context(), t.Root, t.Rel, origin)

	abs := filepath.Join(t.Root.Dir, filepath.FromSlash(t.Rel))
	hist, herr := history(cmd.Context(), p.Config, abs, "", explainHistory)
	if herr != nil {
		g.log.Warn("the journal cannot be read: the explanation leaves out past writes", "err", herr)
	}
	if hist != nil {
		ex.History = hist
	}

	if g.format == "json" {
		return printExplainJSON(g.stdout, ex)
	}
	printExplain(g.stdout, newDisplay(), ex, g.verbose)
	return nil
}

// explainJSON is the --format json document of explain (doc/EXPLAIN.md).
type explainJSON struct {
	Version int    `json:"version"`
	Command string `json:"command"`
	*engine.Explanation
	// PathBase64 holds Path's exact bytes when they are not UTF-8.
	PathBase64 string `json:"path_base64,omitempty"`
}

func printExplainJSON(w io.Writer, ex *engine.Explanation) error {
	out := explainJSON{Version: ReportVersion, Command: "explain", Explanation: ex, PathBase64: escape.Base64(ex.Path)}
	ex.Path, ex.Root = escape.JSON(ex.Path), escape.JSON(ex.Root)
	for i := range ex.Findings {
		ex.Findings[i].Path = escape.JSON(ex.Findings[i].Path)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // patterns and diffs hold < and >
	return enc.Encode(out)
}

// printExplain writes the explanation for a reader. Names and text from
// files are escaped, as in every text output.
func printExplain(w io.Writer, d display, ex *engine.Explanation, verbose bool) {
	name := d.path(ex.Root, ex.Path)
	fmt.Fprintf(w, "%s\n", escape.Name(name))
	if !ex.Document {
		fmt.Fprintf(w, "  not a document: %s\n", escape.Name(ex.Excluded.String()))
		fmt.Fprintf(w, "  no rule runs on it (in the daemon and whole-tree runs; `scribe run %s` names it, and runs the rules that match)\n", escape.Name(name))
	}
	if ex.Skipped != "" {
		fmt.Fprintf(w, "  not read: skipped (%s)\n", escape.Name(ex.Skipped))
	}
	if ex.Error != "" {
		fmt.Fprintf(w, "  not read: %s\n", escape.Name(ex.Error))
	}
	if ex.Document {
		line := fmt.Sprintf("  origin: %s (assumed: --origin chooses)", ex.AssumedOrigin)
		if ex.Origin != "" && ex.Origin != ex.AssumedOrigin {
			line += fmt.Sprintf("; the rules see %s", ex.Origin)
			if ex.Origin == action.OriginVCS {
				line += ": the content is what git has"
			}
		}
		fmt.Fprintln(w, line)
	}
	if g := ex.Git; g != nil {
		var s string
		switch {
		case g.Committed:
			s = "the content is its committed version"
		case g.Tracked:
			s = "tracked, with changes not committed"
		default:
			s = "not tracked"
		}
		if g.DuringOp {
			s += "; it last changed while a git operation ran"
		}
		if ex.LeftAlone {
			s += "; writing rules leave it alone unless they set rewrite_committed"
		}
		fmt.Fprintf(w, "  git: %s\n", s)
	}
	if len(ex.Undone) > 0 {
		fmt.Fprintf(w, "  undone: you undid the write of %s to this content; they leave it alone until you edit it\n", strings.Join(ex.Undone, ", "))
	}
	printHistory(w, ex.History)

	for i := range ex.Rules {
		fmt.Fprintln(w)
		printRule(w, &ex.Rules[i])
	}

	fmt.Fprintln(w)
	var res string
	switch {
	case !ex.Document || ex.Skipped != "" || ex.Error != "":
		res = "nothing runs"
	case ex.Changed:
		res = "would change the file (" + strings.Join(changedBy(ex), ", ") + ")"
	default:
		res = "no change"
	}
	n := 0
	for _, f := range ex.Findings {
		if f.Severity != action.SeverityInfo || verbose {
			n++
		}
	}
	fmt.Fprintf(w, "result: %s, %d %s\n", res, n, plural(n, "finding", "findings"))
	for _, f := range ex.Findings {
		if f.Severity == action.SeverityInfo && !verbose {
			continue
		}
		fmt.Fprintln(w, escape.Name(formatFinding(d.path(ex.Root, f.Path), f)))
	}
	for _, ow := range ex.Writes {
		other := d.path(ex.Root, ow.Path)
		if ow.RenamedTo != "" {
			fmt.Fprintf(w, "would rename %s → %s (by %s)\n", escape.Name(other), escape.Name(d.path(ex.Root, ow.RenamedTo)), ow.Via)
			continue
		}
		add, del := diffStat(ow.Diff)
		fmt.Fprintf(w, "would write %s (by %s): +%d -%d lines\n", escape.Name(other), ow.Via, add, del)
	}
	for _, ev := range ex.Events {
		b, _ := json.Marshal(ev)
		fmt.Fprintf(w, "would publish %s\n", b)
	}
}

func changedBy(ex *engine.Explanation) []string {
	var ids []string
	for _, r := range ex.Rules {
		if r.Changed && r.Outcome == engine.OutcomeApplied {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func printHistory(w io.Writer, hist []journal.Entry) {
	if len(hist) == 0 {
		fmt.Fprintln(w, "  history: the journal has no write of this file by Scribe")
		return
	}
	for i, e := range hist {
		label := "  history:"
		if i > 0 {
			label = "          "
		}
		by := "the daemon"
		if e.Run != "" {
			by = "`scribe run` " + e.Run
		}
		rule := "rule " + e.Rule
		if strings.Contains(e.Rule, ",") {
			rule = "rules " + strings.ReplaceAll(e.Rule, ",", ", ")
		}
		switch {
		case e.Rule == journal.RuleUndo:
			rule = fmt.Sprintf("an undo of write %d", e.Undoes)
			by = "`scribe undo`"
		case e.Via != "":
			rule += " (" + e.Via + ")"
		}
		fmt.Fprintf(w, "%s write %d at %s, %s, by %s\n", label, e.ID, e.Time.Local().Format("2006-01-02 15:04:05"), rule, by)
	}
}

func printRule(w io.Writer, r *engine.RuleExplanation) {
	fmt.Fprintf(w, "rule %s: %s\n", r.ID, ruleHeadline(r))
	files := strings.Join(r.Files, ", ")
	if r.FilesFromInclude {
		files += " (the configuration's include)"
	}
	switch {
	case r.Path.Excluded:
		fmt.Fprintf(w, "  files: %s; exclude: %s matches\n", files, r.Path.Glob)
	case r.Path.Matched:
		fmt.Fprintf(w, "  files: %s; %s matches\n", files, r.Path.Glob)
	default:
		fmt.Fprintf(w, "  files: %s; none matches\n", files)
	}
	if m := r.Match; m != nil {
		if m.Matched {
			line := fmt.Sprintf("  match: %s matches %q at %d:%d", m.Pattern, m.Text, m.Line, m.Column)
			if len(m.Groups) > 0 {
				keys := make([]string, 0, len(m.Groups))
				for k := range m.Groups {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				var gs []string
				for _, k := range keys {
					gs = append(gs, fmt.Sprintf("%s=%q", k, m.Groups[k]))
				}
				line += " (" + strings.Join(gs, ", ") + ")"
			}
			fmt.Fprintln(w, escape.Name(line))
		} else {
			fmt.Fprintf(w, "  match: %s does not match\n", escape.Name(m.Pattern))
		}
	}
	if c := r.Condition; c != nil {
		if c.Error != "" {
			fmt.Fprintf(w, "  when: %s (not evaluated: see above)\n", escape.Name(c.Expr))
		} else {
			fmt.Fprintf(w, "  when: %s is %v\n", escape.Name(c.Expr), c.Result)
		}
		for _, in := range c.Inputs {
			b, _ := json.Marshal(in.Value)
			fmt.Fprintf(w, "    %s = %s\n", in.Name, escape.Name(string(b)))
		}
	}
	if r.Applied {
		for _, a := range r.Actions {
			fmt.Fprintf(w, "  action %s: %s\n", a.Name, escape.Name(actionLine(a)))
		}
	}
	if r.Changed {
		io.WriteString(w, escape.Text(r.Diff))
	}
}

func ruleHeadline(r *engine.RuleExplanation) string {
	switch r.Outcome {
	case engine.OutcomeApplied:
		s := "applies"
		if r.Changed {
			s += ", changes the file"
		} else {
			s += ", no change"
		}
		if n := len(r.Findings); n > 0 {
			s += fmt.Sprintf(", %d %s", n, plural(n, "finding", "findings"))
		}
		return s
	case engine.OutcomePathNotMatched:
		return "does not apply: none of its file globs matches"
	case engine.OutcomePathExcluded:
		return "does not apply: its exclude glob " + r.Path.Glob + " matches"
	case engine.OutcomeNotADocument:
		return "does not apply: the file is not a document (see above)"
	case engine.OutcomeFileSkipped:
		return "does not apply: the file was not read (see above)"
	case engine.OutcomeRegexNotMatched:
		return "does not apply: its regex does not match"
	case engine.OutcomeFrontMatterInvalid:
		return "does not apply: its condition reads the front matter, which is invalid: " + escape.Name(r.Error)
	case engine.OutcomeConditionFalse:
		return "does not apply: its condition is false"
	case engine.OutcomeConditionError:
		return "does not apply: its condition failed: " + escape.Name(r.Error)
	case engine.OutcomeBreakerOpen:
		return "does not apply: its circuit breaker is open after repeated failures"
	case engine.OutcomeFailed:
		return "fails: " + escape.Name(r.Error) + " (its changes and findings are dropped; the other rules run)"
	case engine.OutcomeLeftCommitted:
		return "runs as a check: it would change the file, but the content is its committed version and came through git or a scan (set rewrite_committed to let it)"
	case engine.OutcomeUndone:
		return "runs as a check: it would change the file, but you undid its write to this content (`scribe undo`); edit the file to let it write again"
	}
	return r.Outcome
}

func actionLine(a engine.ActionExplanation) string {
	var s string
	switch {
	case !a.Ran:
		s = "not run (an earlier action failed)"
	case a.Error != "":
		s = "failed: " + a.Error
	case a.Changed:
		s = "changes the content"
	default:
		s = "no change"
	}
	if a.Findings > 0 {
		s += fmt.Sprintf(", %d %s", a.Findings, plural(a.Findings, "finding", "findings"))
	}
	if a.Aggregates {
		s += "; after each batch it also brings its own output up to date (`scribe check` shows that diff)"
	}
	return s
}
