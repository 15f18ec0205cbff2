package rule

import (
	"context"
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/fmexpr"
	"github.com/scribe-md/scribe/internal/glob"
	"github.com/scribe-md/scribe/internal/regex"
)

// Set is the compiled rules of one configuration, in config order.
type Set struct {
	Rules []*Rule
}

// Rule is one compiled rule.
type Rule struct {
	ID   string
	Name string
	// Steps are the rule's actions in order.
	Steps []Step
	// OnError is the rule's failure policy (used by the daemon).
	OnError config.OnError
	// RewriteCommitted lets the rule rewrite content equal to its committed
	// version (config rewrite_committed).
	RewriteCommitted bool

	files   []string
	exclude []string
	// include is set when files are the configuration's include globs
	// (the rule names none).
	include bool
	// filesM and excludeM are files and exclude compiled for matching.
	filesM, excludeM []glob.Glob
	re               *regex.Regexp
	when             *vm.Program
	whenSrc          string
	// reads are the variables and front-matter fields the condition reads
	// (see Inputs).
	reads []fmexpr.Read
	// whenFields are the front-matter keys the condition reads (fm.KEY or
	// fm["KEY"]); whenAll is set when it uses fm any other way. Both come
	// from reads.
	whenFields []string
	whenAll    bool
}

// Step is one action of a rule.
type Step struct {
	// Name is the registered action name.
	Name string
	// Action is the constructed action.
	Action action.Action
	// Timeout is the deadline of one call.
	Timeout time.Duration
}

// Compile builds every enabled rule of cfg. It reports every problem it finds
// (bad glob, bad regex, bad condition, unknown action, bad parameters) as a
// config.Errors with the position where it was written.
func Compile(cfg *config.Config, b action.Build) (*Set, error) {
	var errs config.Errors
	set := &Set{}
	for i, rc := range cfg.Rules {
		if !rc.IsEnabled() {
			continue
		}
		r, rerrs := compileRule(cfg, i, rc, b)
		errs = append(errs, rerrs...)
		if r != nil {
			set.Rules = append(set.Rules, r)
		}
	}
	if len(errs) > 0 {
		set.Close(context.Background())
		slices.SortStableFunc(errs, func(a, b *config.Error) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		})
		return nil, errs
	}
	return set, nil
}

func compileRule(cfg *config.Config, i int, rc config.Rule, b action.Build) (*Rule, config.Errors) {
	var errs config.Errors
	at := func(field string) string { return fmt.Sprintf("rules[%d]%s", i, field) }
	r := &Rule{ID: rc.ID, Name: rc.Name, OnError: rc.OnError, RewriteCommitted: rc.RewriteCommitted, files: rc.Files, exclude: rc.Exclude}
	if len(r.files) == 0 {
		r.files, r.include = cfg.Include, true
	}
	for _, g := range r.files {
		r.filesM = append(r.filesM, glob.Compile(g))
	}
	for _, g := range r.exclude {
		r.excludeM = append(r.excludeM, glob.Compile(g))
	}
	for j, g := range rc.Files {
		if e := checkGlob(cfg, at(fmt.Sprintf(".files[%d]", j)), g); e != nil {
			errs = append(errs, e)
		}
	}
	for j, g := range rc.Exclude {
		if e := checkGlob(cfg, at(fmt.Sprintf(".exclude[%d]", j)), g); e != nil {
			errs = append(errs, e)
		}
	}
	if rc.Match != "" {
		re, err := regex.Compile(rc.Match)
		if err != nil {
			errs = append(errs, cfg.Errorf(at(".match"), re2Hint, "invalid regular expression: %s", reError(err)))
		} else {
			r.re = re
		}
	}
	if rc.When != "" {
		prog, err := compileWhen(rc.When)
		switch {
		case err != nil:
			errs = append(errs, cfg.Errorf(at(".when"), whenHint(err), "invalid condition: %s", fmexpr.OneLine(err.Error())))
		case checkOrigins(rc.When) != "":
			errs = append(errs, cfg.Errorf(at(".when"), `origin is one of "user", "vcs", "scribe", "scan"`, "invalid condition: origin is never %q", checkOrigins(rc.When)))
		default:
			r.when, r.whenSrc, r.reads = prog, rc.When, fmexpr.Reads(rc.When)
			r.whenFields, r.whenAll = fmFieldsOf(r.reads)
		}
	}
	bb := b
	bb.Rule = rc.ID
	bb.Match = r.re
	for j, ar := range rc.Actions {
		path := at(fmt.Sprintf(".actions[%d].%s", j, ar.Name))
		a, err := action.New(ar.Name, ar.Params, bb)
		if err != nil {
			errs = append(errs, actionErrors(cfg, path, ar.Name, b.Names(), err)...)
			continue
		}
		timeout := ar.Timeout
		if timeout <= 0 {
			timeout = b.Timeout
		}
		r.Steps = append(r.Steps, Step{Name: ar.Name, Action: a, Timeout: timeout})
	}
	if len(errs) > 0 {
		r.close(context.Background())
		return nil, errs
	}
	return r, nil
}

// checkGlob rejects globs that are malformed or could only match outside the
// root: they are relative to each root, and nothing outside it is processed.
func checkGlob(cfg *config.Config, path, g string) *config.Error {
	const hint = "globs are relative to each root and use doublestar syntax: *, **, ?, [abc], {a,b}"
	switch {
	case !doublestar.ValidatePattern(g):
		return cfg.Errorf(path, hint, "invalid glob %q", g)
	case strings.ContainsRune(g, 0):
		return cfg.Errorf(path, hint, "glob %q contains a NUL byte", g)
	case strings.HasPrefix(g, "/"):
		return cfg.Errorf(path, hint, "glob %q is absolute", g)
	case g == ".." || strings.HasPrefix(g, "../") || strings.Contains(g, "/../") || strings.HasSuffix(g, "/.."):
		return cfg.Errorf(path, hint, "glob %q climbs out of the root with ..", g)
	}
	return nil
}

func actionErrors(cfg *config.Config, path, name string, names []string, err error) config.Errors {
	var unk *action.UnknownError
	var pe *action.ParamsError
	switch {
	case errors.As(err, &unk):
		hint := "run `scribe plugins` to list the actions"
		if s := config.DidYouMean(name, names); s != "" {
			hint = s + " (`scribe plugins` lists them all)"
		}
		return config.Errors{cfg.Errorf(path, hint, "unknown action %q", name)}
	case errors.As(err, &pe):
		var out config.Errors
		for _, e := range pe.Errors {
			p := path + jsonPointerToPath(e.Path)
			hint := "`scribe plugins` shows each action's parameters"
			if e.Description != "" {
				hint = e.Description
			}
			if e.Unknown != "" {
				if h := config.DidYouMean(e.Unknown, e.Known); h != "" {
					hint = h
				} else if len(e.Known) > 0 {
					hint = "known here: " + strings.Join(e.Known, ", ")
				}
			}
			out = append(out, cfg.Errorf(p, hint, "%s", e.Message))
		}
		return out
	default:
		// Constructors prefix their errors with the action's name, which
		// the field path already shows.
		hint := ""
		if se := (*syntax.Error)(nil); errors.As(err, &se) {
			hint = re2Hint // a pattern among the parameters
		}
		return config.Errors{cfg.Errorf(path, hint, "%s", strings.TrimPrefix(err.Error(), name+": "))}
	}
}

// jsonPointerToPath turns "/a/0/b" into ".a[0].b".
func jsonPointerToPath(p string) string {
	if p == "" {
		return ""
	}
	var sb strings.Builder
	for _, part := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(part); err == nil {
			sb.WriteString("[" + part + "]")
		} else {
			sb.WriteString("." + part)
		}
	}
	return sb.String()
}

// re2Hint follows an invalid regular expression.
const re2Hint = "patterns are RE2: no backreferences or lookaround; see https://github.com/google/re2/wiki/Syntax"

func reError(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// whenHint is the hint for a condition that does not compile: the name it
// may have meant when it names one the condition cannot know, else what a
// condition is.
func whenHint(err error) string {
	if h := config.DidYouMeanName(err, "fm", "path", "match", "origin"); h != "" {
		return h
	}
	return `a condition is a boolean expression over fm, path, match and origin, e.g. fm.status != "archived"`
}

// Close releases the resources of every action that holds some.
func (s *Set) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, r := range s.Rules {
		errs = append(errs, r.close(ctx))
	}
	return errors.Join(errs...)
}

func (r *Rule) close(ctx context.Context) error {
	var errs []error
	for _, st := range r.Steps {
		if c, ok := st.Action.(action.Closer); ok {
			errs = append(errs, c.Close(ctx))
		}
	}
	return errors.Join(errs...)
}

// MatchPath reports whether the rule's globs select rel (slash-separated,
// relative to the root).
func (r *Rule) MatchPath(rel string) bool { return r.ExplainPath(rel).Matched }

// PathMatch is how a rule's globs decide a path (Rule.ExplainPath).
type PathMatch struct {
	// Matched: the rule selects the path.
	Matched bool `json:"matched"`
	// Glob is the files glob that matched, or with Excluded the rule's
	// exclude glob that matched; "" when no files glob matched.
	Glob string `json:"glob,omitempty"`
	// Excluded: an exclude glob of the rule matched (it wins).
	Excluded bool `json:"excluded,omitempty"`
}

// ExplainPath says whether the rule's globs select rel and which glob
// decided: the first exclude glob that matches, else the first files glob
// that matches.
func (r *Rule) ExplainPath(rel string) PathMatch {
	for i := range r.excludeM {
		if r.excludeM[i].MatchPath(rel) {
			return PathMatch{Glob: r.excludeM[i].String(), Excluded: true}
		}
	}
	for i := range r.filesM {
		if r.filesM[i].MatchPath(rel) {
			return PathMatch{Matched: true, Glob: r.filesM[i].String()}
		}
	}
	return PathMatch{}
}

// HasMatch reports whether the rule has a content regex.
func (r *Rule) HasMatch() bool { return r.re != nil }

// HasCondition reports whether the rule has a `when` condition (and so needs
// the front matter).
func (r *Rule) HasCondition() bool { return r.when != nil }

// MatchContent runs the rule's regex on content. With no regex it returns
// (nil, true).
func (r *Rule) MatchContent(content []byte) (*action.Match, bool) {
	if r.re == nil {
		return nil, true
	}
	idx := r.re.FindSubmatchIndex(content)
	if idx == nil {
		return nil, false
	}
	m := &action.Match{Start: idx[0], End: idx[1], Groups: make([]string, len(idx)/2)}
	for g := range m.Groups {
		if idx[2*g] >= 0 {
			m.Groups[g] = string(content[idx[2*g]:idx[2*g+1]])
		}
	}
	for g, name := range r.re.SubexpNames() {
		if name == "" {
			continue
		}
		if m.Named == nil {
			m.Named = map[string]string{}
		}
		m.Named[name] = m.Groups[g]
	}
	return m, true
}

// ConditionFields returns the top-level front-matter keys the rule's
// condition reads, or all true when it reads fm as a whole (passes it to a
// function, iterates it, or indexes it with a computed key). A rule with no
// condition reads none. Eval needs a front matter holding at least those
// keys (markdown.ParseFields).
func (r *Rule) ConditionFields() (fields []string, all bool) {
	return r.whenFields, r.whenAll
}

// ConditionFields is the union of the rules' ConditionFields.
func (s *Set) ConditionFields() (fields []string, all bool) {
	if s == nil {
		return nil, false
	}
	for _, r := range s.Rules {
		if r.whenAll {
			return nil, true
		}
		for _, f := range r.whenFields {
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
	}
	return fields, false
}

// fmFields finds the front-matter keys a condition reads: every use of the
// identifier fm must be the object of a member access by a constant string
// (fm.status, fm["status"], fm?.status); any other use reads fm whole. A
// variable the condition declares with the name fm only adds keys, never
// hides a use.
func fmFields(src string) (fields []string, all bool) { return fmFieldsOf(fmexpr.Reads(src)) }

// fmFieldsOf is fmFields from the condition's reads (fmexpr.Reads).
func fmFieldsOf(reads []fmexpr.Read) (fields []string, all bool) {
	for _, rd := range reads {
		switch {
		case rd.Root != "fm":
		case rd.Key == "":
			return nil, true
		default:
			fields = append(fields, rd.Key)
		}
	}
	return fields, false
}

// Eval evaluates the rule's condition. With no condition it returns true.
func (r *Rule) Eval(fm map[string]any, path string, m *action.Match, origin action.Origin) (bool, error) {
	if r.when == nil {
		return true, nil
	}
	// A condition runs once per rule and file: the machine and the
	// variables' map are reused rather than made each time. Neither is kept
	// by what Run returns (a bool).
	ev := evals.Get().(*evaluation)
	defer evals.Put(ev)
	env := ev.env
	env["fm"], env["path"], env["match"], env["origin"] = fm, path, matchVars(m), string(origin)
	if fm == nil {
		env["fm"] = noFrontMatter
	}
	out, err := ev.vm.Run(r.when, env)
	clear(env)
	if err != nil {
		return false, r.evalError(err, fm, path, m, origin)
	}
	b, _ := out.(bool)
	return b, nil
}

// evalError says why the condition failed on a file (see fmexpr.Failure).
func (r *Rule) evalError(err error, fm map[string]any, path string, m *action.Match, origin action.Origin) error {
	if fm == nil {
		fm = noFrontMatter
	}
	env := map[string]any{"fm": fm, "path": path, "match": matchVars(m), "origin": string(origin)}
	return fmexpr.Failure("rule "+r.ID+": condition", r.whenSrc, err, r.reads, env)
}

// noFrontMatter is fm for a file without front matter. Shared: a condition
// cannot change a map.
var noFrontMatter = map[string]any{}

// evaluation is what one condition evaluation needs, pooled.
type evaluation struct {
	vm  vm.VM
	env map[string]any
}

var evals = sync.Pool{New: func() any { return &evaluation{env: make(map[string]any, 4)} }}

// matchVars is the condition's match variable: the groups by number and
// name, nil without a regex.
func matchVars(m *action.Match) map[string]any {
	if m == nil {
		return nil
	}
	match := make(map[string]any, len(m.Groups)+len(m.Named))
	for i, g := range m.Groups {
		match[strconv.Itoa(i)] = g
	}
	for k, v := range m.Named {
		match[k] = v
	}
	return match
}

// origins are the values of the condition variable origin.
var origins = []string{string(action.OriginUser), string(action.OriginVCS), string(action.OriginScribe), string(action.OriginScan)}

// checkOrigins returns a string literal the condition compares origin with
// (==, !=, in) that origin can never be, "" when there is none: a typo such
// as origin == "usr" would otherwise silently never match.
func checkOrigins(src string) string {
	// The parsed tree, not the compiled one: the optimiser turns `origin in
	// [...]` into a constant set.
	tree, err := parser.Parse(src)
	if err != nil {
		return ""
	}
	v := &originChecker{}
	ast.Walk(&tree.Node, v)
	return v.bad
}

type originChecker struct{ bad string }

func (c *originChecker) Visit(n *ast.Node) {
	b, ok := (*n).(*ast.BinaryNode)
	if !ok || c.bad != "" {
		return
	}
	isOrigin := func(n ast.Node) bool {
		id, ok := n.(*ast.IdentifierNode)
		return ok && id.Value == "origin"
	}
	check := func(n ast.Node) {
		if s, ok := n.(*ast.StringNode); ok && !slices.Contains(origins, s.Value) && c.bad == "" {
			c.bad = s.Value
		}
	}
	switch b.Operator {
	case "==", "!=":
		if isOrigin(b.Left) {
			check(b.Right)
		}
		if isOrigin(b.Right) {
			check(b.Left)
		}
	case "in", "not in":
		if a, ok := b.Right.(*ast.ArrayNode); ok && isOrigin(b.Left) {
			for _, e := range a.Nodes {
				check(e)
			}
		}
	}
}

func compileWhen(src string) (*vm.Program, error) {
	env := map[string]any{
		"fm":    map[string]any{},
		"path":  "",
		"match": map[string]any{},
		// origin is checked against its four values at load (checkOrigins).
		"origin": "",
	}
	return expr.Compile(src, append(fmexpr.Options(), expr.Env(env), expr.AsBool())...)
}

// Globs returns include plus every enabled rule's own file globs: the paths
// the walk must list. A rule may name files the default include does not.
func (s *Set) Globs(include []string) []string {
	out := slices.Clone(include)
	for _, r := range s.Rules {
		for _, g := range r.files {
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}
