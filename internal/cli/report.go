package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aymanbagabas/go-udiff"
	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/rule"
)

// ReportVersion is the version of the JSON report schema (doc/OUTPUT.md).
const ReportVersion = 1

// jsonReport is the stable --format json output of run and check.
type jsonReport struct {
	Version int         `json:"version"`
	Command string      `json:"command"`
	Run     string      `json:"run,omitempty"`
	Summary summary     `json:"summary"`
	Files   []jsonFile  `json:"files"`
	Events  []jsonEvent `json:"events"`
	Errors  []string    `json:"walk_errors,omitempty"`
}

type summary struct {
	Files       int   `json:"files"`
	Changed     int   `json:"changed"`
	Written     int   `json:"written"`
	Findings    int   `json:"findings"`
	Errors      int   `json:"errors"`
	Warnings    int   `json:"warnings"`
	Failed      int   `json:"failed"`
	FailedRules int   `json:"failed_rules"`
	Skipped     int   `json:"skipped"`
	DurationMS  int64 `json:"duration_ms"`
}

type jsonFile struct {
	Path      string               `json:"path"`
	Root      string               `json:"root"`
	Rel       string               `json:"rel"`
	RelBase64 string               `json:"rel_base64,omitempty"`
	Via       string               `json:"via,omitempty"`
	Rules     []string             `json:"rules,omitempty"`
	Changed   bool                 `json:"changed"`
	Written   bool                 `json:"written"`
	RenamedTo string               `json:"renamed_to,omitempty"`
	Diff      string               `json:"diff,omitempty"`
	DiffStat  *diffStatJSON        `json:"diff_stat,omitempty"`
	Skipped   string               `json:"skipped,omitempty"`
	Error     string               `json:"error,omitempty"`
	Failures  []engine.RuleFailure `json:"failures,omitempty"`
	Findings  []action.Finding     `json:"findings"`
}

// diffStatJSON counts the lines a change adds and removes.
type diffStatJSON struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
}

// jsonEvent is an event as reported: its path (the file's, or what the
// event is about, such as a renamed folder) shown as the report shows paths,
// in place of the root-relative one.
type jsonEvent struct {
	Path string `json:"path"`
	action.Event
}

// display turns a root-relative path into one relative to the working
// directory when that is shorter, so users can click or copy it.
type display struct{ wd string }

func newDisplay() display {
	wd, _ := os.Getwd()
	return display{wd: wd}
}

func (d display) path(root, rel string) string {
	abs := filepath.Join(root, filepath.FromSlash(rel))
	if d.wd != "" {
		if r, err := filepath.Rel(d.wd, abs); err == nil && !climbs(r) {
			return r
		}
	}
	return abs
}

func summarize(rep *engine.Report) summary {
	s := summary{Files: rep.Scanned, DurationMS: rep.Duration.Milliseconds()}
	for _, r := range rep.Results {
		if r.Changed {
			s.Changed++
		}
		if r.Written {
			s.Written++
		}
		if r.Failed() {
			s.Failed++
		}
		s.FailedRules += len(r.Failures)
		if r.Skipped != "" {
			s.Skipped++
		}
		for _, f := range r.Findings {
			switch f.Severity {
			case action.SeverityError:
				s.Errors++
				s.Findings++
			case action.SeverityWarning:
				s.Warnings++
				s.Findings++
			}
		}
	}
	return s
}

// diffStat counts the added and removed lines of a unified diff.
func diffStat(diff string) (add, del int) {
	hunks := false // the ---/+++ header lines come before the first hunk
	for line := range strings.Lines(diff) {
		switch {
		case strings.HasPrefix(line, "@@"):
			hunks = true
		case !hunks:
		case strings.HasPrefix(line, "+"):
			add++
		case strings.HasPrefix(line, "-"):
			del++
		}
	}
	return add, del
}

func diffOf(name string, r *engine.Result) string {
	if !r.Changed || r.RenamedTo != "" {
		return ""
	}
	return udiff.Unified("a/"+name, "b/"+name, string(r.Before), string(r.After))
}

// Values of --diff.
const (
	diffAuto    = "auto" // full diffs of files' own changes, stat of generated files
	diffFull    = "full"
	diffSummary = "stat"
	diffNone    = "none"
)

// reportOptions are the flags of run and check that shape their report.
type reportOptions struct {
	// diff is --diff; diffSet says it was given (JSON defaults to full).
	diff    string
	diffSet bool
	// rules are the configuration's rules (SARIF lists them).
	rules *rule.Set
}

// Report formats of run and check.
var reportFormats = []string{"text", "json", "github", "sarif", "junit"}

func addReportFlags(cmd *cobra.Command, g *globals, ro *reportOptions) {
	cmd.Flags().StringVar(&g.format, "format", "text", "output format: text, json, github (workflow commands), sarif (SARIF 2.1.0) or junit (JUnit XML)")
	cmd.Flags().StringVar(&ro.diff, "diff", diffAuto, "diffs of changed files: auto (full for files' own changes, a line count for generated files), full, stat or none")
}

func checkReportFlags(cmd *cobra.Command, g *globals, ro *reportOptions) error {
	if !slices.Contains(reportFormats, g.format) {
		return fail(ExitUsage, fmt.Errorf("--format must be one of %s, not %q", strings.Join(reportFormats, ", "), g.format))
	}
	if !slices.Contains([]string{diffAuto, diffFull, diffSummary, diffNone}, ro.diff) {
		return fail(ExitUsage, fmt.Errorf("--diff must be auto, full, stat or none, not %q", ro.diff))
	}
	ro.diffSet = cmd.Flags().Changed("diff")
	return nil
}

// diffMode returns how the change of r is shown: full, stat or none. A file
// written by an action on behalf of others (an index, a catalog) is
// summarised unless --diff full: its diff can be as long as the vault. JSON
// is read by programs, and shows every diff unless --diff says otherwise.
func (ro reportOptions) diffMode(format string, r *engine.Result) string {
	switch {
	case ro.diff != diffAuto:
		return ro.diff
	case format == "json" && !ro.diffSet:
		return diffFull
	case r.Via != "":
		return diffSummary
	}
	return diffFull
}

// diffsOf calls diff on every changed result (renames aside) on every core:
// a check with thousands of changes spends most of its printing computing
// diffs, and each is independent of the others. Others are "".
func diffsOf(results []*engine.Result, diff func(*engine.Result) string) []string {
	out := make([]string, len(results))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(results)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(results) {
					return
				}
				if r := results[i]; r.Changed && r.RenamedTo == "" {
					out[i] = diff(r)
				}
			}
		})
	}
	wg.Wait()
	return out
}

// printReport writes the report in the chosen format; it returns the summary.
// run is the run's id in the journal ("" for a check); dry is true for a
// check, whose report shows changes as diffs.
func printReport(g *globals, cmd, run string, rep *engine.Report, dry bool, ro reportOptions) summary {
	d := newDisplay()
	s := summarize(rep)
	if !slices.ContainsFunc(rep.Results, func(r *engine.Result) bool { return r.Written && r.RenamedTo == "" }) {
		run = "" // nothing journaled under it
	}
	switch g.format {
	case "github":
		printGitHub(g, d, cmd, rep, dry, ro)
		printSummary(g, cmd, run, s, rep)
		return s
	case "sarif":
		printSARIF(g, d, rep, dry, ro)
		printSummary(g, cmd, run, s, rep)
		return s
	case "junit":
		printJUnit(g, d, cmd, rep, s, dry, ro)
		printSummary(g, cmd, run, s, rep)
		return s
	}
	if g.format == "json" {
		// Every change's diff: its line counts (diff_stat) are always given.
		diffs := diffsOf(rep.Results, func(r *engine.Result) string { return diffOf(escape.JSON(r.Path), r) })
		out := jsonReport{Version: ReportVersion, Command: cmd, Run: run, Summary: s, Files: []jsonFile{}, Events: []jsonEvent{}, Errors: rep.WalkErrors}
		for i, r := range rep.Results {
			if len(r.Events) == 0 && !r.Changed && !r.Failed() && r.Skipped == "" && len(r.Findings) == 0 {
				continue
			}
			name := escape.JSON(d.path(r.Root, r.Path))
			for _, ev := range r.Events {
				out.Events = append(out.Events, jsonEvent{Path: escape.JSON(d.path(r.Root, ev.Path)), Event: ev})
			}
			if !r.Changed && !r.Failed() && r.Skipped == "" && len(r.Findings) == 0 {
				continue
			}
			jf := jsonFile{Path: name, Root: escape.JSON(r.Root), Rel: escape.JSON(r.Path), RelBase64: escape.Base64(r.Path),
				Via: r.Via, Rules: r.Rules, Changed: r.Changed, Written: r.Written, RenamedTo: escape.JSON(r.RenamedTo),
				Skipped: r.Skipped, Error: escape.JSON(r.Error), Failures: r.Failures, Findings: make([]action.Finding, len(r.Findings))}
			for i, f := range r.Findings {
				f.Path = escape.JSON(f.Path)
				jf.Findings[i] = f
			}
			if r.Changed && r.RenamedTo == "" {
				diff := diffs[i]
				add, del := diffStat(diff)
				jf.DiffStat = &diffStatJSON{Added: add, Removed: del}
				if dry && ro.diffMode(g.format, r) == diffFull {
					jf.Diff = diff
				}
			}
			out.Files = append(out.Files, jf)
		}
		w := bufio.NewWriterSize(g.stdout, 64<<10)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		w.Flush()
		return s
	}
	// Names and text from files are escaped (escape.Name, escape.Text): a
	// file name or a note's content must not be able to drive the terminal.
	// -q keeps only what went wrong: error findings and failures.
	var changes []string
	if dry && !g.quiet {
		changes = diffsOf(rep.Results, func(r *engine.Result) string { return changeText(d, ro, g.format, r) })
	}
	// Buffered: one write per 64 KiB rather than one per line printed.
	w := bufio.NewWriterSize(g.stdout, 64<<10)
	for i, r := range rep.Results {
		if !r.Changed && !r.Written && r.RenamedTo == "" && len(r.Findings) == 0 && len(r.Failures) == 0 && r.Error == "" && len(r.Events) == 0 {
			continue // nothing to say about it (most files of a check)
		}
		name := escape.Name(d.path(r.Root, r.Path))
		switch {
		case g.quiet:
		case r.RenamedTo != "" && dry:
			fmt.Fprintf(w, "rename %s → %s\n", name, escape.Name(d.path(r.Root, r.RenamedTo)))
		case r.RenamedTo != "":
			fmt.Fprintf(w, "renamed %s → %s\n", name, escape.Name(d.path(r.Root, r.RenamedTo)))
		case r.Changed && dry:
			io.WriteString(w, changes[i])
		case r.Written:
			fmt.Fprintf(w, "wrote %s%s\n", name, via(r))
		}
		for _, f := range r.Findings {
			if f.Severity == action.SeverityInfo && !g.verbose || g.quiet && f.Severity != action.SeverityError {
				continue
			}
			fmt.Fprintln(w, escape.Name(formatFinding(d.path(r.Root, f.Path), f)))
		}
		for _, f := range r.Failures {
			fmt.Fprintf(w, "%s: failed: %s\n", name, reason(f.String()))
		}
		if r.Error != "" {
			fmt.Fprintf(w, "%s: failed: %s\n", name, reason(r.Error))
		}
		for _, ev := range r.Events {
			if g.quiet {
				break
			}
			// JSON escapes control characters itself.
			b, _ := json.Marshal(jsonEvent{Path: escape.JSON(d.path(r.Root, ev.Path)), Event: ev})
			fmt.Fprintf(w, "event %s\n", b)
		}
	}
	// Results before what goes to stderr, as when nothing was buffered.
	w.Flush()
	printSummary(g, cmd, run, s, rep)
	return s
}

// changeText is what the text report of a check says of r's change, as
// --diff asks: the diff, its line counts, or that the file would change.
func changeText(d display, ro reportOptions, format string, r *engine.Result) string {
	name := escape.Name(d.path(r.Root, r.Path))
	switch ro.diffMode(format, r) {
	case diffFull:
		return escape.Text(diffOf(name, r))
	case diffSummary:
		add, del := diffStat(diffOf(r.Path, r))
		return fmt.Sprintf("would change %s%s: +%d -%d lines (--diff full shows the diff)\n", name, via(r), add, del)
	}
	return fmt.Sprintf("would change %s%s\n", name, via(r))
}

// printSummary writes, on stderr, the directories that could not be read,
// the summary line and the run's id: with every format, and with -q too.
func printSummary(g *globals, cmd, run string, s summary, rep *engine.Report) {
	for _, e := range rep.WalkErrors {
		fmt.Fprintf(g.stderr, "scribe: %s\n", escape.Name(e))
	}
	fmt.Fprintln(g.stderr, summaryLine(cmd, s, rep.Duration))
	if run != "" && !g.quiet {
		fmt.Fprintf(g.stderr, "run %s journaled: `scribe history --run %s` lists its writes, `scribe undo --run %s` restores them\n", run, run, run)
	}
}

func via(r *engine.Result) string {
	if r.Via == "" {
		return ""
	}
	return " (by " + r.Via + ")"
}

func formatFinding(name string, f action.Finding) string {
	var sb strings.Builder
	sb.WriteString(name)
	if f.Line > 0 {
		fmt.Fprintf(&sb, ":%d", f.Line)
		if f.Column > 0 {
			fmt.Fprintf(&sb, ":%d", f.Column)
		}
	}
	fmt.Fprintf(&sb, ": %s: %s", f.Severity, f.Message)
	if f.Suggestion != "" {
		fmt.Fprintf(&sb, " (did you mean %s?)", f.Suggestion)
	}
	if f.Rule != "" {
		fmt.Fprintf(&sb, " [%s/%s]", f.Rule, f.Action)
	} else if f.Action != "" {
		fmt.Fprintf(&sb, " [%s]", f.Action)
	}
	return sb.String()
}

// reason is a failure's reason for the text report: escaped, with the lines
// of a command's standard error that it quotes indented below the first,
// rather than run together as \x0a.
func reason(s string) string {
	return strings.ReplaceAll(escape.Text(strings.TrimRight(s, "\n")), "\n", "\n    ")
}

func summaryLine(cmd string, s summary, d time.Duration) string {
	verb := "would change"
	if cmd == "run" {
		verb = "changed"
	}
	line := fmt.Sprintf("%s: %s in %s: %d %s, %s (%s, %s), %d skipped, %d failed",
		cmd, count(s.Files, "file"), d.Round(time.Millisecond), s.Changed, verb,
		count(s.Findings, "finding"), count(s.Errors, "error"), count(s.Warnings, "warning"), s.Skipped, s.Failed)
	if s.FailedRules > 0 {
		// The other rules of those files ran; say how much did not.
		line += fmt.Sprintf(" (%d failed %s)", s.FailedRules, plural(s.FailedRules, "rule", "rules"))
	}
	return line
}

// progress returns a progress callback drawing a bar on stderr when stderr is
// a terminal, and nil (no bar) when it is piped or the output is JSON.
func progress(g *globals) (engine.Progress, func()) {
	f, ok := g.stderr.(*os.File)
	if !ok || g.quiet || !(isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	return func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionShowCount(),
					progressbar.OptionSetDescription("processing"), progressbar.OptionClearOnFinish(),
					progressbar.OptionThrottle(65*time.Millisecond), progressbar.OptionSetWidth(30))
			}
			bar.Set(done)
		}, func() {
			if bar != nil {
				bar.Finish()
			}
		}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
