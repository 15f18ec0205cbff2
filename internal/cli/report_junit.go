package cli

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/aymanbagabas/go-udiff"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/escape"
)

// --format junit: JUnit XML, as GitLab's test reports, Jenkins and most CI
// systems read it. Every file looked at is a test case named by its path: it
// fails when a check would change it or it has error or warning findings
// (the <failure> text is what the text format prints for the file), is in
// error when a rule or the file failed, and is skipped when the file was
// skipped (binary, too large, ...). The suite's time is the run's.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func printJUnit(g *globals, d display, cmd string, rep *engine.Report, s summary, dry bool, ro reportOptions) {
	suite := junitSuite{Name: "scribe " + cmd, Time: fmt.Sprintf("%.3f", rep.Duration.Seconds()), Cases: []junitCase{}}
	for _, r := range rep.Results {
		name := escape.Name(d.path(r.Root, r.Path))
		c := junitCase{Name: name, Classname: "scribe." + cmd, File: name, Time: "0"}
		var problems []string
		var text strings.Builder
		switch {
		case r.RenamedTo != "" && dry:
			problems = append(problems, "would be renamed to "+escape.Name(d.path(r.Root, r.RenamedTo)))
		case r.Changed && dry:
			problems = append(problems, "would change ("+changers(r)+")")
			switch ro.diffMode(g.format, r) {
			case diffFull:
				text.WriteString(escape.Text(udiff.Unified("a/"+name, "b/"+name, string(r.Before), string(r.After))))
			case diffSummary:
				add, del := diffStat(diffOf(r.Path, r))
				fmt.Fprintf(&text, "+%d -%d lines (--diff full shows the diff)\n", add, del)
			}
		case r.Written || r.RenamedTo != "":
			c.SystemOut = "rewritten (" + changers(r) + ")"
		}
		for _, f := range r.Findings {
			if f.Severity == action.SeverityInfo {
				continue
			}
			problems = append(problems, escape.Name(formatFinding(d.path(r.Root, f.Path), f)))
			fmt.Fprintln(&text, escape.Name(formatFinding(d.path(r.Root, f.Path), f)))
		}
		switch {
		case r.Failed():
			var msgs []string
			for _, f := range r.Failures {
				msgs = append(msgs, escape.Name(f.String()))
			}
			if r.Error != "" {
				msgs = append(msgs, escape.Name(r.Error))
			}
			c.Error = &junitProblem{Message: msgs[0], Type: "failed", Text: strings.Join(msgs, "\n") + "\n" + text.String()}
			suite.Errors++
		case len(problems) > 0:
			msg := problems[0]
			if len(problems) > 1 {
				msg += fmt.Sprintf(" (and %d more)", len(problems)-1)
			}
			c.Failure = &junitProblem{Message: msg, Type: cmd, Text: text.String()}
			suite.Failures++
		case r.Skipped != "":
			c.Skipped = &junitSkipped{Message: escape.Name(r.Skipped)}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	out := junitSuites{Name: suite.Name, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	io.WriteString(g.stdout, xml.Header)
	enc := xml.NewEncoder(g.stdout)
	enc.Indent("", "  ")
	enc.Encode(out)
	fmt.Fprintln(g.stdout)
}
