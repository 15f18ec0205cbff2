package exec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

func TestExecFilter(t *testing.T) {
	e := actiontest.NewShell(t)
	upper := e.New(t, "exec", `{command: [sh, -c, "tr a-z A-Z"], filter: true, files: false}`)
	out, err := upper.Run(context.Background(), e.Input(t, "a.md", "hello\n"))
	if err != nil || string(out.Content) != "HELLO\n" {
		t.Fatalf("Run = %q, %v; want HELLO", out.Content, err)
	}

	same := e.New(t, "exec", `{command: [sh, -c, cat], filter: true, files: false}`)
	out, err = same.Run(context.Background(), e.Input(t, "a.md", "same\n"))
	if err != nil || out.Content != nil {
		t.Fatalf("unchanged content: Run = %q, %v; want nil content", out.Content, err)
	}

	// A dry run still runs a filter: its result is only content.
	in := e.Input(t, "a.md", "dry\n")
	in.DryRun = true
	out, err = upper.Run(context.Background(), in)
	if err != nil || string(out.Content) != "DRY\n" {
		t.Fatalf("dry run filter: Run = %q, %v", out.Content, err)
	}
}

// A filter reads the content on stdin, so it gets no file path unless asked
// for one: `tr` (or sed, or pandoc) given a path would read the file on
// disk, or fail on the extra operand. A check gets the path by default.
func TestExecFilesDefault(t *testing.T) {
	e := actiontest.NewShell(t)
	for _, c := range []struct {
		params, want string
	}{
		{`{command: [sh, -c, "echo $# $1; cat"], filter: true}`, "0\nnote\n"},
		{`{command: [sh, -c, "echo $# $1; cat"], filter: true, files: true}`, "1 a.md\nnote\n"},
	} {
		out, err := e.New(t, "exec", c.params).Run(context.Background(), e.Input(t, "a.md", "note\n"))
		if err != nil || string(out.Content) != c.want {
			t.Errorf("%s: Run = %q, %v; want %q", c.params, out.Content, err, c.want)
		}
	}
	check := e.New(t, "exec", `{command: [sh, -c, "test \"$1\" = a.md"]}`)
	if _, err := check.Run(context.Background(), e.Input(t, "a.md", "note\n")); err != nil {
		t.Errorf("a check without files: did not get the path: %v", err)
	}
}

func TestExecFilterEmptyOutput(t *testing.T) {
	e := actiontest.NewShell(t)
	empty := e.New(t, "exec", `{command: [sh, -c, "cat >/dev/null"], filter: true, files: false}`)
	if _, err := empty.Run(context.Background(), e.Input(t, "a.md", "x\n")); err == nil || !strings.Contains(err.Error(), "allow_empty") {
		t.Fatalf("empty filter output accepted: %v", err)
	}
	allowed := e.New(t, "exec", `{command: [sh, -c, "cat >/dev/null"], filter: true, files: false, allow_empty: true}`)
	out, err := allowed.Run(context.Background(), e.Input(t, "a.md", "x\n"))
	if err != nil || out.Content == nil || len(out.Content) != 0 {
		t.Fatalf("allow_empty: Run = %q (nil %v), %v; want empty content", out.Content, out.Content == nil, err)
	}
}

func TestExecFailureQuotesStderr(t *testing.T) {
	e := actiontest.NewShell(t)
	a := e.New(t, "exec", `{command: [sh, -c, "echo 'syntax error at line 2' >&2; exit 2"], filter: true, files: false}`)
	_, err := a.Run(context.Background(), e.Input(t, "a.md", "x\n"))
	if err == nil || !strings.Contains(err.Error(), "status 2: syntax error at line 2") {
		t.Fatalf("err = %v", err)
	}
	check := e.New(t, "exec", `{command: [sh, -c, "exit 1"]}`)
	if _, err := check.Run(context.Background(), e.Input(t, "a.md", "x\n")); err == nil {
		t.Fatal("a failing check without findings: true did not fail")
	}
}

// TestExecArguments: each template renders to exactly one argument, hostile
// front matter included, and the file comes last after "--".
func TestExecArguments(t *testing.T) {
	e := actiontest.NewShell(t)
	a := e.New(t, "exec", `{command: [sh, -c, 'printf "%s\n" "$0" "$@" >&2; exit 1', "{{ .Name }}", "--title={{ .FM.title }}", "{{ .FM.title }}"], findings: true}`)
	const content = "---\ntitle: \"$(touch PWNED); `touch PWNED` -rf\"\n---\nbody\n"
	path := "notes/a -rf.md"
	os.MkdirAll(filepath.Join(e.Root, "notes"), 0o755)
	out, err := a.Run(context.Background(), e.Input(t, path, content))
	if err != nil {
		t.Fatal(err)
	}
	// No line has the file:line: shape, so the failure is one finding that
	// quotes stderr: the arguments, one per line.
	if len(out.Findings) != 1 {
		t.Fatalf("findings %+v", out.Findings)
	}
	title := "$(touch PWNED); `touch PWNED` -rf"
	want := strings.Join([]string{"a -rf", "--title=" + title, title, "--", "notes/a -rf.md"}, "\n")
	if !strings.Contains(out.Findings[0].Message, want) {
		t.Fatalf("arguments:\n%s\nwant them to contain:\n%s", out.Findings[0].Message, want)
	}
	if _, err := os.Stat(filepath.Join(e.Root, "PWNED")); err == nil {
		t.Fatal("canary PWNED created")
	}
}

// A bare argument template that renders to something starting with '-' is
// refused before anything runs: a file named "-rf a.md" or a title "--output=x"
// must not become an option. Options the user wrote in the template are fine.
func TestExecRefusesRenderedOptions(t *testing.T) {
	e := actiontest.NewShell(t)
	os.MkdirAll(filepath.Join(e.Root, "notes"), 0o755)
	canary := filepath.Join(e.Root, "RAN")
	for _, tc := range []struct{ arg, path, title, want string }{
		{"{{ .Name }}", "notes/-rf a.md", "x", `command[3] "{{ .Name }}" renders to "-rf a", which starts with '-'`},
		{"{{ .FM.title }}", "notes/a.md", "--output=/tmp/x", `command[3] "{{ .FM.title }}" renders to "--output=/tmp/x"`},
		{"{{ .FM.title }}", "notes/a.md", "-", `renders to "-"`},
	} {
		a := e.New(t, "exec", `{command: [sh, -c, 'touch RAN', "`+tc.arg+`"]}`)
		_, err := a.Run(context.Background(), e.Input(t, tc.path, "---\ntitle: \""+tc.title+"\"\n---\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was run") {
			t.Errorf("%s with %s / %q: %v; want a refusal saying %q", tc.arg, tc.path, tc.title, err, tc.want)
		}
		if _, err := os.Stat(canary); err == nil {
			t.Fatalf("%s: the command ran", tc.arg)
		}
	}
	// Written by the user, an option is an option; a value glued to it is
	// not at the start, and a value in the middle is fine.
	a := e.New(t, "exec", `{command: [sh, -c, 'touch RAN', "--title={{ .FM.title }}", "-{{ .FM.title }}", "x{{ .FM.title }}"]}`)
	if _, err := a.Run(context.Background(), e.Input(t, "notes/-rf a.md", "---\ntitle: \"-rf\"\n---\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(canary); err != nil {
		t.Fatal("the command did not run")
	}
}

func TestExecFindings(t *testing.T) {
	e := actiontest.NewShell(t)
	a := e.New(t, "exec", `{command: [sh, -c, 'echo "$1:3:5: warning: trailing space"; echo "$1:7: line too long" >&2; echo "not a finding"; exit 1'], findings: true}`)
	out, err := a.Run(context.Background(), e.Input(t, "doc.md", "x\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []action.Finding{
		{Path: "doc.md", Line: 3, Column: 5, Rule: "test", Action: "exec", Severity: action.SeverityWarning, Message: "trailing space"},
		{Path: "doc.md", Line: 7, Rule: "test", Action: "exec", Severity: action.SeverityError, Message: "line too long"},
	}
	if !slices.Equal(out.Findings, want) {
		t.Fatalf("findings\n got %+v\nwant %+v", out.Findings, want)
	}

	clean := e.New(t, "exec", `{command: [sh, -c, "exit 0"], findings: true}`)
	if out, err := clean.Run(context.Background(), e.Input(t, "doc.md", "x\n")); err != nil || len(out.Findings) != 0 {
		t.Fatalf("clean check: %+v, %v", out.Findings, err)
	}
}

func TestExecFindingsCapped(t *testing.T) {
	e := actiontest.NewShell(t)
	a := e.New(t, "exec", `{command: [sh, -c, 'i=0; while [ $i -lt 1500 ]; do echo "f:$i: x"; i=$((i+1)); done; exit 1'], findings: true, severity: info}`)
	out, err := a.Run(context.Background(), e.Input(t, "doc.md", "x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Findings) != maxFindings || !strings.Contains(out.Findings[maxFindings-1].Message, "500 more") {
		t.Fatalf("%d findings, last %+v", len(out.Findings), out.Findings[len(out.Findings)-1])
	}
	if out.Findings[0].Severity != action.SeverityInfo {
		t.Fatalf("severity %q, want info", out.Findings[0].Severity)
	}
}

func TestExecDryRunSkipsChecks(t *testing.T) {
	e := actiontest.NewShell(t)
	a := e.New(t, "exec", `{command: [sh, -c, "touch ran"], files: false}`)
	in := e.Input(t, "a.md", "x\n")
	in.DryRun = true
	if _, err := a.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e.Root, "ran")); err == nil {
		t.Fatal("a check ran in a dry run")
	}
	in.DryRun = false
	if _, err := a.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e.Root, "ran")); err != nil {
		t.Fatal("the check did not run outside a dry run")
	}
}

func TestExecDirAndFileArgument(t *testing.T) {
	e := actiontest.NewShell(t)
	os.MkdirAll(filepath.Join(e.Root, "sub"), 0o755)
	os.WriteFile(filepath.Join(e.Root, "sub", "x.md"), []byte("in sub\n"), 0o644)
	os.WriteFile(filepath.Join(e.Root, "top.md"), []byte("at top\n"), 0o644)
	a := e.New(t, "exec", `{command: [sh, -c, 'echo "$1:1: $(cat -- "$1")"; exit 1'], dir: sub, findings: true}`)
	for path, want := range map[string]string{"sub/x.md": "in sub", "top.md": "at top"} {
		out, err := a.Run(context.Background(), e.Input(t, path, "x\n"))
		if err != nil || len(out.Findings) != 1 || out.Findings[0].Message != want {
			t.Errorf("%s: findings %+v, %v; want one saying %q", path, out.Findings, err, want)
		}
	}
}

func TestExecTimeout(t *testing.T) {
	e := actiontest.NewShell(t)
	a := e.New(t, "exec", `{command: [sh, -c, "sleep 30"], timeout: 200ms, files: false}`)
	start := time.Now()
	_, err := a.Run(context.Background(), e.Input(t, "a.md", "x\n"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 1200*time.Millisecond {
		t.Fatalf("took %v", took)
	}
}

func TestExecNotPermitted(t *testing.T) {
	e := actiontest.NewShell(t)
	a := e.New(t, "exec", `{command: [sh, -c, "true"]}`)
	in := e.Input(t, "a.md", "x\n")
	in.Host.Commands = nil
	if _, err := a.Run(context.Background(), in); !errors.Is(err, action.ErrNotPermitted) {
		t.Fatalf("err = %v, want ErrNotPermitted", err)
	}
}

func TestExecConstructorErrors(t *testing.T) {
	e := actiontest.NewShell(t)
	e.Build.Commands = map[string]string{"sh": "/bin/sh", "prettier": "/usr/bin/prettier"}
	cases := []struct{ params, want string }{
		{`{command: [rm, -rf, /]}`, `"rm" is not in security.commands (allowed: prettier, sh)`},
		{`{command: [/bin/sh, -c, x]}`, `"/bin/sh" is not in security.commands`},
		{`{command: [sh, "{{ .Path "]}`, "exec command[1]"},
		{`{command: [sh], filter: true, findings: true}`, "use one or the other"},
		{`{command: [sh], allow_empty: true}`, "allow_empty only applies"},
		{`{command: [sh], dir: ../x}`, "stays inside the root"},
		{`{command: [sh], dir: /etc}`, "stays inside the root"},
		{`{command: [sh], timeout: 0s}`, "positive duration"},
		{`{command: [sh], timeout: soon}`, "timeout"},
		{`{command: []}`, "command"},
		{`{command: [sh], shell: true}`, "shell"},
		{`{command: "sh -c x"}`, "command"},
	}
	for _, tc := range cases {
		_, err := action.New("exec", actiontest.YAML(t, tc.params), e.Build)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.params, err, tc.want)
		}
	}
	e.Build.Commands = nil
	_, err := action.New("exec", actiontest.YAML(t, `{command: [sh]}`), e.Build)
	if err == nil || !strings.Contains(err.Error(), "security.commands is empty") {
		t.Errorf("no commands allowed: err = %v", err)
	}
}
