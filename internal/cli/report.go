package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aymanbagabas/go-udiff"
	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/escape"
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
	Skipped   string               `json:"skipped,omitempty"`
	Error     string               `json:"error,omitempty"`
	Failures  []engine.RuleFailure `json:"failures,omitempty"`
	Findings  []action.Finding     `json:"findings"`
}

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
		if r, err := filepath.Rel(d.wd, abs); err == nil && !strings.HasPrefix(r, "..") {
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

// printReport writes the report in the chosen format; it returns the summary.
// run is the run's id in the journal ("" for a check).
func printReport(g *globals, cmd, run string, rep *engine.Report, withDiff bool) summary {
	d := newDisplay()
	s := summarize(rep)
	if !slices.ContainsFunc(rep.Results, func(r *engine.Result) bool { return r.Written && r.RenamedTo == "" }) {
		run = "" // nothing journaled under it
	}
	if g.format == "json" {
		out := jsonReport{Version: ReportVersion, Command: cmd, Run: run, Summary: s, Files: []jsonFile{}, Events: []jsonEvent{}, Errors: rep.WalkErrors}
		for _, r := range rep.Results {
			name := escape.JSON(d.path(r.Root, r.Path))
			for _, ev := range r.Events {
				out.Events = append(out.Events, jsonEvent{Path: name, Event: ev})
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
			if withDiff {
				jf.Diff = diffOf(jf.Rel, r)
			}
			out.Files = append(out.Files, jf)
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return s
	}
	// Names and text from files are escaped (escape.Name, escape.Text): a
	// file name or a note's content must not be able to drive the terminal.
	w := g.stdout
	for _, r := range rep.Results {
		name := escape.Name(d.path(r.Root, r.Path))
		switch {
		case r.RenamedTo != "" && withDiff:
			fmt.Fprintf(w, "rename %s → %s\n", name, escape.Name(d.path(r.Root, r.RenamedTo)))
		case r.RenamedTo != "":
			fmt.Fprintf(w, "renamed %s → %s\n", name, escape.Name(d.path(r.Root, r.RenamedTo)))
		case r.Changed && withDiff:
			io.WriteString(w, escape.Text(udiff.Unified("a/"+name, "b/"+name, string(r.Before), string(r.After))))
		case r.Written && !g.quiet:
			fmt.Fprintf(w, "wrote %s%s\n", name, via(r))
		}
		for _, f := range r.Findings {
			if f.Severity == action.SeverityInfo && !g.verbose {
				continue
			}
			fmt.Fprintln(w, escape.Name(formatFinding(d.path(r.Root, f.Path), f)))
		}
		for _, f := range r.Failures {
			fmt.Fprintf(w, "%s: failed: %s\n", name, escape.Name(f.String()))
		}
		if r.Error != "" {
			fmt.Fprintf(w, "%s: failed: %s\n", name, escape.Name(r.Error))
		}
		for _, ev := range r.Events {
			// JSON escapes control characters itself.
			b, _ := json.Marshal(jsonEvent{Path: escape.JSON(d.path(r.Root, r.Path)), Event: ev})
			fmt.Fprintf(w, "event %s\n", b)
		}
	}
	for _, e := range rep.WalkErrors {
		fmt.Fprintf(g.stderr, "scribe: %s\n", escape.Name(e))
	}
	if !g.quiet {
		fmt.Fprintln(g.stderr, summaryLine(cmd, s, rep.Duration))
		if run != "" {
			fmt.Fprintf(g.stderr, "run %s journaled: `scribe history --run %s` lists its writes, `scribe undo --run %s` restores them\n", run, run, run)
		}
	}
	return s
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

func summaryLine(cmd string, s summary, d time.Duration) string {
	verb := "would change"
	if cmd == "run" {
		verb = "changed"
	}
	line := fmt.Sprintf("%s: %d files in %s: %d %s, %d findings (%d errors, %d warnings), %d skipped, %d failed",
		cmd, s.Files, d.Round(time.Millisecond), s.Changed, verb, s.Findings, s.Errors, s.Warnings, s.Skipped, s.Failed)
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
