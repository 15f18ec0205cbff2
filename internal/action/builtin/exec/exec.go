package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/template"
)

func init() {
	action.Register(action.Spec{
		Name:    "exec",
		Summary: "run an allow-listed command with no shell: as a filter (content on stdin, new content from stdout) or as a check",
		Schema:  execSchema,
		Example: execExample,
		New:     newExec,
	})
}

const execSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["command"],
  "properties": {
    "command": {
      "type": "array", "minItems": 1,
      "prefixItems": [{"type": "string", "minLength": 1, "description": "a security.commands name (not a path, not a template)"}],
      "items": {"type": "string"},
      "description": "argv: the command name, then one template per argument, each rendered to exactly one argument"
    },
    "filter": {"type": "boolean", "default": false, "description": "send the content on stdin and take stdout as the new content"},
    "timeout": {"type": "string", "pattern": "` + action.DurationPattern + `", "description": "kill the command's process group after this long (Go duration)"},
    "dir": {"type": "string", "description": "working directory relative to the root (default: the root)"},
    "files": {"type": "boolean", "description": "pass the file's path as the last argument, after -- (default: true for a check, false for a filter, which gets the content on stdin)"},
    "allow_empty": {"type": "boolean", "default": false, "description": "filter only: accept empty output as the new (empty) content"},
    "findings": {"type": "boolean", "default": false, "description": "check only: read file:line:col: message lines of the output as findings instead of failing on a non-zero exit"},
    "severity": {"enum": ["error", "warning", "info"], "default": "error", "description": "severity of findings read from the output"}
  }
}`

const execExample = `exec:
  command: [prettier, --parser=markdown, "--stdin-filepath={{ .Path }}"]
  filter: true
  timeout: 5s`

// maxFindings caps the findings one run reads from a command's output.
const maxFindings = 1000

// execParams is the parameter shape users write.
type execParams struct {
	Command    []string `json:"command"`
	Filter     bool     `json:"filter"`
	Timeout    string   `json:"timeout"`
	Dir        string   `json:"dir"`
	Files      *bool    `json:"files"`
	AllowEmpty bool     `json:"allow_empty"`
	Findings   bool     `json:"findings"`
	Severity   string   `json:"severity"`
}

// execAction runs one allow-listed command per file through the host's
// CommandRunner.
type execAction struct {
	name       string
	args       []*template.Template
	filter     bool
	timeout    time.Duration
	dir        string
	files      bool
	allowEmpty bool
	findings   bool
	severity   action.Severity
}

var (
	_ action.Action = (*execAction)(nil)
	_ action.Local  = (*execAction)(nil)
)

// Local is true when the command is given the file's path or runs in a
// directory of the root: it needs the files. A filter with files: false
// and no dir sees only the content, and runs on a remote worker too.
func (a *execAction) Local() bool { return a.files || a.dir != "" }

func newExec(params any, b action.Build) (action.Action, error) {
	var p execParams
	if err := action.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	if len(p.Command) == 0 || p.Command[0] == "" {
		return nil, errors.New("exec: `command` needs at least the command's name from security.commands")
	}
	a := &execAction{
		name:       p.Command[0],
		filter:     p.Filter,
		dir:        p.Dir,
		files:      p.Files == nil && !p.Filter || p.Files != nil && *p.Files,
		allowEmpty: p.AllowEmpty,
		findings:   p.Findings,
		severity:   action.SeverityError,
	}
	if _, ok := b.Commands[a.name]; !ok {
		return nil, notAllowed(a.name, b.Commands)
	}
	for i, text := range p.Command[1:] {
		t, err := template.Parse(fmt.Sprintf("exec command[%d]", i+1), text)
		if err != nil {
			return nil, fmt.Errorf("exec: %w", err)
		}
		a.args = append(a.args, t)
	}
	if p.Timeout != "" {
		d, err := time.ParseDuration(p.Timeout)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("exec: timeout %q is not a positive duration; write e.g. 5s or 300ms", p.Timeout)
		}
		a.timeout = d
	}
	if a.dir != "" && (filepath.IsAbs(a.dir) || !filepath.IsLocal(filepath.FromSlash(a.dir))) {
		return nil, fmt.Errorf("exec: dir %q must be a relative path that stays inside the root", a.dir)
	}
	if a.findings && a.filter {
		return nil, errors.New("exec: findings reads a check's output, but filter: true takes the output as new content; use one or the other")
	}
	if a.allowEmpty && !a.filter {
		return nil, errors.New("exec: allow_empty only applies with filter: true")
	}
	if p.Severity != "" {
		a.severity = action.Severity(p.Severity)
	}
	return a, nil
}

// notAllowed explains that name is not an allow-listed command.
func notAllowed(name string, commands map[string]string) error {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return fmt.Errorf("exec: command %q is not allowed: security.commands is empty; add it there with its absolute path (name: %s, path: /usr/bin/%s)", name, name, name)
	}
	return fmt.Errorf("exec: command %q is not in security.commands (allowed: %s); add it there with its absolute path, or use one of those", name, strings.Join(names, ", "))
}

// Run renders the arguments for the file and runs the command. A filter's
// standard output becomes the new content; a check fails on a non-zero exit,
// or with findings: true turns its output into findings. In a dry run a
// check is not run at all (it may have effects), while a filter runs, since
// its result only becomes content.
func (a *execAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if in.Host.Commands == nil {
		return action.Output{}, fmt.Errorf("exec %s: %w", a.name, action.ErrNotPermitted)
	}
	if in.DryRun && !a.filter {
		return action.Output{}, nil
	}
	if err := ctx.Err(); err != nil {
		return action.Output{}, err
	}
	data := template.DataFor(in)
	args := make([]string, len(a.args))
	for i, t := range a.args {
		s, err := t.Execute(data)
		if err != nil {
			return action.Output{}, fmt.Errorf("exec %s: %w", a.name, err)
		}
		if strings.HasPrefix(s, "-") && !strings.HasPrefix(t.Text(), "-") {
			// The value came from the file (its name, its front matter):
			// the command would read it as an option.
			return action.Output{}, fmt.Errorf("exec %s: command[%d] %q renders to %q, which starts with '-' and would be read as an option; nothing was run. Put the option in the template itself (--file={{ .Path }}), or leave the file to files: true, which passes it after --",
				a.name, i+1, t.Text(), clip(s))
		}
		args[i] = s
	}
	cmd := action.Command{Name: a.name, Args: args, Dir: a.dir, Timeout: a.timeout}
	if a.files {
		cmd.Files = []string{fileArg(in.Path, a.dir)}
	}
	if a.filter {
		cmd.Stdin = in.Content
	}
	res, err := in.Host.Commands.Run(ctx, cmd)
	if a.filter {
		return a.filterOutput(in, res, err)
	}
	return a.checkOutput(in, res, err)
}

// clip shortens a rendered argument for an error message.
func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// fileArg is the file's path as the command sees it from its working
// directory dir (both relative to the root).
func fileArg(path, dir string) string {
	p := filepath.FromSlash(path)
	if dir == "" {
		return p
	}
	rel, err := filepath.Rel(filepath.FromSlash(dir), p)
	if err != nil {
		return p
	}
	return rel
}

func (a *execAction) filterOutput(in action.Input, res action.CommandResult, err error) (action.Output, error) {
	if err != nil {
		return action.Output{}, fmt.Errorf("exec: %w", err)
	}
	if len(res.Stdout) == 0 && len(in.Content) > 0 && !a.allowEmpty {
		return action.Output{}, fmt.Errorf("exec: filter %s printed nothing, which would empty the file; the file is left as it is (set allow_empty: true if an empty result is intended)", a.name)
	}
	if bytes.Equal(res.Stdout, in.Content) {
		return action.Output{}, nil
	}
	content := res.Stdout
	if content == nil {
		content = []byte{}
	}
	return action.Output{Content: content}, nil
}

func (a *execAction) checkOutput(in action.Input, res action.CommandResult, err error) (action.Output, error) {
	exited := err != nil && res.ExitCode > 0 && !res.Truncated
	if err != nil && !(a.findings && exited) {
		return action.Output{}, fmt.Errorf("exec: %w", err)
	}
	if !a.findings {
		return action.Output{}, nil
	}
	var out action.Output
	for _, stream := range [][]byte{res.Stdout, res.Stderr} {
		out.Findings = append(out.Findings, a.parseFindings(in, stream, maxFindings-len(out.Findings))...)
	}
	if exited && len(out.Findings) == 0 {
		out.Findings = append(out.Findings, action.Finding{
			Path: in.Path, Rule: in.Rule, Action: "exec", Severity: a.severity,
			Message: err.Error(),
		})
	}
	return out, nil
}

// findingLine splits "file:line:col: message" or "file:line: message",
// the format of compilers, gcc-style linters and grep -n: the file is the
// shortest non-empty prefix followed by ":DIGITS:". It scans each line once
// (a regex took ~0.4 s on a 1 MiB line of colons and digits).
func findingLine(line string) (lineNo, col int, msg string, ok bool) {
	for i := 1; i < len(line); i++ {
		if line[i] != ':' {
			continue
		}
		n, rest, found := numberColon(line[i+1:])
		if !found {
			continue
		}
		if c, after, found := numberColon(rest); found {
			return n, c, strings.TrimLeft(after, " \t"), true
		}
		return n, 0, strings.TrimLeft(rest, " \t"), true
	}
	return 0, 0, "", false
}

// numberColon reads "DIGITS:" at the start of s and returns the number
// (0 when too large) and what follows the colon.
func numberColon(s string) (n int, rest string, ok bool) {
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 0 || j >= len(s) || s[j] != ':' {
		return 0, "", false
	}
	n, _ = strconv.Atoi(s[:j])
	return n, s[j+1:], true
}

// parseFindings reads up to limit findings from a command's output. Every
// finding is about the file being processed (in.Path), whatever name the tool
// printed; a leading "error:", "warning:" or "info:"/"note:" sets the
// severity.
func (a *execAction) parseFindings(in action.Input, out []byte, limit int) []action.Finding {
	var fs []action.Finding
	extra := 0
	for _, line := range strings.Split(strings.ToValidUTF8(string(out), "\uFFFD"), "\n") {
		lineNo, col, msg, ok := findingLine(strings.TrimRight(line, "\r"))
		if !ok {
			continue
		}
		if len(fs) >= limit {
			extra++
			continue
		}
		f := action.Finding{Path: in.Path, Line: lineNo, Column: col, Rule: in.Rule, Action: "exec", Severity: a.severity, Message: msg}
		lower := strings.ToLower(f.Message)
		for prefix, sev := range map[string]action.Severity{
			"error:": action.SeverityError, "warning:": action.SeverityWarning,
			"info:": action.SeverityInfo, "note:": action.SeverityInfo,
		} {
			if strings.HasPrefix(lower, prefix) {
				f.Severity = sev
				f.Message = strings.TrimSpace(f.Message[len(prefix):])
			}
		}
		fs = append(fs, f)
	}
	if extra > 0 && limit > 0 {
		fs[len(fs)-1].Message += fmt.Sprintf(" (and %d more findings not shown)", extra)
	}
	return fs
}
