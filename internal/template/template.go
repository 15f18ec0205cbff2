package template

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	gotemplate "text/template"
	"text/template/parse"
	"time"

	"github.com/scribe-md/scribe/internal/config"
)

// MaxOutput caps the bytes one execution may produce. A template that writes
// more fails instead of exhausting memory.
const MaxOutput = 16 << 20

// MaxIterations caps the range iterations of one execution, all ranges
// together, so that `{{ range 1000000000 }}` or nested ranges over a long list
// fail quickly instead of spinning (text/template cannot be cancelled).
const MaxIterations = 1_000_000

// MaxCalls caps the {{ template }} calls of one execution, so that a
// template calling itself fails at once rather than 100,000 frames deep.
const MaxCalls = 1000

// iterations is the budget each execution starts with: MaxIterations, lower
// in tests.
var iterations = MaxIterations

// textFunc is the function appended to every printing action so that a
// missing value prints as "" (text/template prints "<no value>" for a missing
// key of a map[string]any, even with missingkey=zero).
const textFunc = "_scribeText"

// Template is a parsed template, ready to execute for many files.
type Template struct {
	name   string
	text   string // the source
	plain  string // what a static template renders
	static bool
	base   *gotemplate.Template
	clones sync.Pool // of *clone
}

// clone is a copy of the base template whose `now` returns the time of the
// execution that borrowed it.
type clone struct {
	t   *gotemplate.Template
	now time.Time
	// budget is how many more range iterations this execution may run.
	budget int
	// calls is how many more {{ template }} calls it may make.
	calls int
}

// Parse parses text as a template called name. The name appears in errors
// and should say where the template was written: the parameter it came from
// ("updated", "message"), which the action's own error prefix completes. An
// error names the template and the line.
func Parse(name, text string) (*Template, error) {
	base := gotemplate.New(name).Option("missingkey=zero").Funcs(funcs(func() time.Time { return time.Now() }))
	if _, err := base.Parse(text); err != nil {
		return nil, templateError(name, err)
	}
	if tree := base.Tree; tree != nil && tree.Root != nil {
		if err := checkFields(name, tree); err != nil {
			return nil, err
		}
	}
	t := &Template{name: name, base: base}
	t.text = text
	t.plain, t.static = staticText(base)
	if !t.static {
		for _, tt := range base.Templates() {
			if tt.Tree != nil {
				rewrite(tt.Tree.Root)
			}
		}
	}
	t.clones.New = func() any {
		c := &clone{}
		// Clone cannot fail on a parsed template; Execute reports it if it did.
		if nt, err := t.base.Clone(); err == nil {
			c.t = nt.Funcs(gotemplate.FuncMap{
				"now":     func() time.Time { return c.now },
				rangeFunc: func(v any) (any, error) { return guardRange(v, &c.budget) },
				callFunc: func(v any) (any, error) {
					if c.calls--; c.calls < 0 {
						return nil, fmt.Errorf("more than %d {{ template }} calls: check for a template that calls itself", MaxCalls)
					}
					return v, nil
				},
			})
		}
		return c
	}
	return t, nil
}

// MustParse is Parse that panics on error, for templates fixed in code.
func MustParse(name, text string) *Template {
	t, err := Parse(name, text)
	if err != nil {
		panic(err)
	}
	return t
}

// Name returns the template's name.
func (t *Template) Name() string { return t.name }

// Text returns the template's source text.
func (t *Template) Text() string { return t.text }

// Static reports whether the template has no actions: it is plain text
// (comments aside), which Execute returns without evaluating anything.
func (t *Template) Static() bool { return t.static }

// Execute renders the template with d. A zero d.Now means time.Now().
func (t *Template) Execute(d Data) (string, error) {
	if t.static {
		return t.plain, nil
	}
	if d.Now.IsZero() {
		d.Now = time.Now()
	}
	c := t.clones.Get().(*clone)
	if c.t == nil {
		return "", &Error{Template: t.name, Message: "internal error: cannot clone the template"}
	}
	c.now = d.Now
	c.budget = iterations
	c.calls = MaxCalls
	var out limitedBuffer
	err := c.t.Execute(&out, d)
	c.now = time.Time{}
	t.clones.Put(c)
	if err != nil {
		return "", templateError(t.name, err)
	}
	return out.String(), nil
}

// staticText reports whether t is plain text (comments aside) and returns
// that text.
func staticText(t *gotemplate.Template) (string, bool) {
	tmpls := t.Templates()
	if len(tmpls) == 0 {
		return "", true // empty, or only comments
	}
	if len(tmpls) > 1 || t.Tree == nil || t.Tree.Root == nil {
		return "", false
	}
	var b strings.Builder
	for _, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			b.Write(n.Text)
		case *parse.CommentNode:
		default:
			return "", false
		}
	}
	return b.String(), true
}

// Error is a template that failed to parse or to execute.
type Error struct {
	// Template is the template's name.
	Template string
	// Line and Column locate the problem in the template text (0 if unknown).
	Line, Column int
	// Message says what went wrong.
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "template %q", e.Template)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, " column %d", e.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}

// errPos matches the "LINE:" or "LINE:COL:" text/template puts after the name.
var errPos = regexp.MustCompile(`^(\d+)(?::(\d+))?: ?`)

// templateError turns a text/template error ("template: NAME:LINE:COL: msg")
// into an *Error with the position split out.
func templateError(name string, err error) error {
	var le *limitError
	if errors.As(err, &le) {
		return &Error{Template: name, Message: le.Error()}
	}
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "template: "+name+":")
	if !ok {
		return &Error{Template: name, Message: strings.TrimPrefix(msg, "template: ")}
	}
	e := &Error{Template: name}
	if m := errPos.FindStringSubmatch(rest); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Column, _ = strconv.Atoi(m[2])
		rest = rest[len(m[0]):]
	}
	// Execution errors repeat the name: `executing "NAME" at <.X>: msg`.
	rest = strings.TrimPrefix(rest, fmt.Sprintf("executing %q ", name))
	e.Message = undoRewrite(rest)
	if m := undefinedFunc.FindStringSubmatch(e.Message); m != nil {
		if hint := config.DidYouMean(m[1], funcNames()); hint != "" {
			e.Message += "; " + hint
		}
	}
	return e
}

// undefinedFunc finds the name in text/template's error for a call of a
// function it does not know.
var undefinedFunc = regexp.MustCompile(`function "([^"]*)" not defined`)

// funcNames lists the functions a template may call: Scribe's and
// text/template's own, without the internal ones the parser's rewrite adds.
func funcNames() []string {
	names := []string{"and", "call", "html", "index", "slice", "js", "len", "not", "or",
		"print", "printf", "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne"}
	for k := range funcs(nil) {
		if !strings.HasPrefix(k, "_scribe") {
			names = append(names, k)
		}
	}
	return names
}

// limitedBuffer is a bytes.Buffer that refuses to grow past MaxOutput.
type limitedBuffer struct{ bytes.Buffer }

type limitError struct{}

func (*limitError) Error() string {
	return fmt.Sprintf("output exceeds %d MiB; check for a runaway range", MaxOutput>>20)
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > MaxOutput {
		return 0, &limitError{}
	}
	return b.Buffer.Write(p)
}

// WriteString is there so text/template's io.StringWriter fast path is capped too.
func (b *limitedBuffer) WriteString(s string) (int, error) {
	if b.Len()+len(s) > MaxOutput {
		return 0, &limitError{}
	}
	return b.Buffer.WriteString(s)
}
