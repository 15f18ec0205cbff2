package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/aymanbagabas/go-udiff"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/escape"
)

// --format github: GitHub Actions workflow commands, which the runner turns
// into annotations on the pull request's files
// (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
// Each finding is an ::error, ::warning or ::notice (info, with -v) at its
// file, line and column; a change a check wants is an ::error at the first
// line it changes, with its diff in a collapsed ::group:: of the log.

// ghCommand writes one workflow command: ::LEVEL PROPS::MESSAGE.
type ghCommand struct {
	level, file, title string
	line, col          int
}

func (c ghCommand) write(w io.Writer, msg string) {
	props := []string{"file=" + ghProperty(c.file)}
	if c.line > 0 {
		props = append(props, fmt.Sprintf("line=%d", c.line))
		if c.col > 0 {
			props = append(props, fmt.Sprintf("col=%d", c.col))
		}
	}
	if c.title != "" {
		props = append(props, "title="+ghProperty(c.title))
	}
	fmt.Fprintf(w, "::%s %s::%s\n", c.level, strings.Join(props, ","), ghData(msg))
}

// ghData escapes a command's message as the runner expects; names and text
// from files are escaped for a terminal first (the log is one).
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(escape.Name(s))
}

// ghProperty escapes a property value, where ':' and ',' are separators.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(escape.Name(s))
}

var ghLevels = map[action.Severity]string{
	action.SeverityError: "error", action.SeverityWarning: "warning", action.SeverityInfo: "notice",
}

func printGitHub(g *globals, d display, cmd string, rep *engine.Report, dry bool, ro reportOptions) {
	w := g.stdout
	title := "scribe " + cmd
	for _, r := range rep.Results {
		name := d.path(r.Root, r.Path)
		switch {
		case r.RenamedTo != "" && dry:
			ghCommand{level: "error", file: name, title: title}.write(w, "would be renamed to "+d.path(r.Root, r.RenamedTo)+via(r)+"; `scribe run` renames it")
		case r.RenamedTo != "":
			ghCommand{level: "notice", file: name, title: title}.write(w, "renamed to "+d.path(r.Root, r.RenamedTo)+via(r))
		case r.Changed && dry:
			msg := "would change this file (" + changers(r) + ")"
			if r.Via == "" {
				msg += "; `scribe run` applies it"
			}
			ghCommand{level: "error", file: name, line: firstChange(r.Before, r.After), title: title}.write(w, msg)
			if mode := ro.diffMode(g.format, r); mode != diffNone {
				// The log is where a reader looks for the diff: folded.
				diff := udiff.Unified("a/"+name, "b/"+name, string(r.Before), string(r.After))
				fmt.Fprintf(w, "::group::diff %s\n", ghData(name))
				if mode == diffFull {
					io.WriteString(w, escape.Text(diff))
				} else {
					add, del := diffStat(diff)
					fmt.Fprintf(w, "+%d -%d lines (--diff full shows the diff)\n", add, del)
				}
				fmt.Fprintln(w, "::endgroup::")
			}
		case r.Written:
			ghCommand{level: "notice", file: name, line: firstChange(r.Before, r.After), title: title}.write(w, "rewritten ("+changers(r)+")")
		}
		for _, f := range r.Findings {
			if f.Severity == action.SeverityInfo && !g.verbose {
				continue
			}
			msg := f.Message
			if f.Suggestion != "" {
				msg += " (did you mean " + f.Suggestion + "?)"
			}
			t := f.Action
			if f.Rule != "" {
				t = f.Rule + "/" + f.Action
			}
			ghCommand{level: ghLevels[f.Severity], file: d.path(r.Root, f.Path), line: f.Line, col: f.Column, title: t}.write(w, msg)
		}
		for _, f := range r.Failures {
			ghCommand{level: "error", file: name, title: "rule " + f.Rule + " failed"}.write(w, "action "+f.Action+": "+f.Error)
		}
		if r.Error != "" {
			ghCommand{level: "error", file: name, title: title + " failed"}.write(w, r.Error)
		}
	}
}

// changers names the rules that changed r: "rules a, b", "catalog".
func changers(r *engine.Result) string {
	switch {
	case r.Via != "" && len(r.ChangedBy) > 0:
		return "by " + r.Via + ", rule " + strings.Join(r.ChangedBy, ", ")
	case r.Via != "":
		return "by " + r.Via
	case len(r.ChangedBy) == 1:
		return "rule " + r.ChangedBy[0]
	}
	return "rules " + strings.Join(r.ChangedBy, ", ")
}

// firstChange returns the 1-based line of before where after first differs
// from it: where an annotation about the change belongs.
// Past the end of before, it is before's last line.
func firstChange(before, after []byte) int {
	lines := max(1, bytes.Count(before, []byte("\n"))+boolInt(len(before) > 0 && before[len(before)-1] != '\n'))
	line := 1
	for len(before) > 0 && len(after) > 0 {
		i, j := bytes.IndexByte(before, '\n'), bytes.IndexByte(after, '\n')
		if i < 0 || j < 0 || !bytes.Equal(before[:i], after[:j]) {
			break
		}
		before, after, line = before[i+1:], after[j+1:], line+1
	}
	return min(line, lines)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
