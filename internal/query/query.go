package query

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/fmexpr"
)

// Spec is a query as a user writes it.
type Spec struct {
	// From are doublestar globs over root-relative slash paths; empty means
	// every document.
	From []string
	// Where is an optional boolean expression over fm and path.
	Where string
	// Sort is "path" (default), or a front matter field ("fm.date" or "date").
	Sort string
	// Order is "asc" (default) or "desc".
	Order string
	// Limit keeps the first Limit documents; 0 keeps them all.
	Limit int
}

// Doc is one document a query looks at.
type Doc struct {
	// Path is the slash path relative to the root.
	Path string
	// FM is the front matter (nil is treated as empty).
	FM map[string]any
}

// Failure is a document whose condition could not be evaluated.
type Failure struct {
	Path string
	Err  error
}

// Result is the outcome of Select.
type Result struct {
	// Docs are the selected documents, sorted and limited.
	Docs []Doc
	// Failed lists documents left out because the condition failed on them,
	// in path order.
	Failed []Failure
}

// Query is a compiled Spec.
type Query struct {
	from  []string
	where *vm.Program
	// whereSrc and reads are the condition as written and what it reads,
	// for the message of a failure.
	whereSrc string
	reads    []fmexpr.Read
	key      []string // nil: sort by path; else the front matter field path
	desc     bool
	limit    int
}

// Error is a Spec that does not compile. Field names the parameter ("from[1]",
// "where", "sort", "order", "limit").
type Error struct {
	Field   string
	Message string
	// Hint says how to fix it.
	Hint string
}

func (e *Error) Error() string {
	s := e.Field + ": " + e.Message
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Compile checks and compiles s.
func Compile(s Spec) (*Query, error) {
	q := &Query{from: slices.Clone(s.From), limit: s.Limit}
	for i, g := range s.From {
		if g == "" || !doublestar.ValidatePattern(g) {
			return nil, &Error{
				Field:   fmt.Sprintf("from[%d]", i),
				Message: fmt.Sprintf("invalid glob %q", g),
				Hint:    `globs use doublestar syntax: *, **, ?, [abc], {a,b}, e.g. "notes/**/*.md"`,
			}
		}
	}
	if strings.TrimSpace(s.Where) != "" {
		p, err := compileWhere(s.Where)
		if err != nil {
			return nil, &Error{
				Field:   "where",
				Message: "invalid condition: " + firstLine(err.Error()),
				Hint:    whereHint(err),
			}
		}
		q.where, q.whereSrc, q.reads = p, s.Where, fmexpr.Reads(s.Where)
	}
	key, err := parseSortKey(s.Sort)
	if err != nil {
		return nil, err
	}
	q.key = key
	switch s.Order {
	case "", "asc":
	case "desc":
		q.desc = true
	default:
		return nil, &Error{Field: "order", Message: fmt.Sprintf("unknown order %q", s.Order), Hint: `write "asc" or "desc"`}
	}
	if s.Limit < 0 {
		return nil, &Error{Field: "limit", Message: fmt.Sprintf("negative limit %d", s.Limit), Hint: "write 0 for no limit"}
	}
	return q, nil
}

func compileWhere(src string) (*vm.Program, error) {
	env := map[string]any{"fm": map[string]any{}, "path": ""}
	return expr.Compile(src, append(fmexpr.Options(), expr.Env(env), expr.AsBool())...)
}

// parseSortKey turns "path", "fm.a.b" or "a.b" into nil or the field path.
func parseSortKey(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "path" {
		return nil, nil
	}
	field := strings.TrimPrefix(s, "fm.")
	parts := strings.Split(field, ".")
	for _, p := range parts {
		if p == "" {
			return nil, &Error{
				Field:   "sort",
				Message: fmt.Sprintf("invalid sort key %q", s),
				Hint:    `write "path" or a front matter field such as "fm.date" or "fm.meta.rank"`,
			}
		}
	}
	return parts, nil
}

// Covers reports whether path matches one of the From globs (always true when
// there are none).
func (q *Query) Covers(path string) bool {
	if len(q.from) == 0 {
		return true
	}
	for _, g := range q.from {
		if ok, _ := doublestar.Match(g, path); ok {
			return true
		}
	}
	return false
}

// Eval reports whether d satisfies the condition (true when there is none).
// It does not look at From.
func (q *Query) Eval(d Doc) (bool, error) {
	if q.where == nil {
		return true, nil
	}
	fm := d.FM
	if fm == nil {
		fm = map[string]any{}
	}
	env := map[string]any{"fm": fm, "path": d.Path}
	out, err := expr.Run(q.where, env)
	if err != nil {
		return false, fmexpr.Failure("where", q.whereSrc, err, q.reads, env)
	}
	b, _ := out.(bool)
	return b, nil
}

// Select keeps the documents that match From and Where, sorts them and applies
// the limit. docs is not modified.
func (q *Query) Select(docs []Doc) Result {
	var res Result
	kept := make([]Doc, 0, len(docs))
	for _, d := range docs {
		if !q.Covers(d.Path) {
			continue
		}
		ok, err := q.Eval(d)
		if err != nil {
			res.Failed = append(res.Failed, Failure{Path: d.Path, Err: err})
			continue
		}
		if ok {
			kept = append(kept, d)
		}
	}
	q.sort(kept)
	if q.limit > 0 && len(kept) > q.limit {
		kept = kept[:q.limit]
	}
	slices.SortFunc(res.Failed, func(a, b Failure) int { return strings.Compare(a.Path, b.Path) })
	res.Docs = kept
	return res
}

func (q *Query) sort(docs []Doc) {
	if q.key == nil {
		slices.SortStableFunc(docs, func(a, b Doc) int {
			c := strings.Compare(a.Path, b.Path)
			if q.desc {
				c = -c
			}
			return c
		})
		return
	}
	type keyed struct {
		d  Doc
		v  any
		ok bool
	}
	ks := make([]keyed, len(docs))
	for i, d := range docs {
		v, ok := lookup(d.FM, q.key)
		ks[i] = keyed{d, v, ok && v != nil}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		switch {
		case a.ok && !b.ok:
			return -1
		case !a.ok && b.ok:
			return 1
		case a.ok && b.ok:
			c := Compare(a.v, b.v)
			if q.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return strings.Compare(a.d.Path, b.d.Path)
	})
	for i := range ks {
		docs[i] = ks[i].d
	}
}

// lookup follows key through nested maps.
func lookup(fm map[string]any, key []string) (any, bool) {
	var cur any = fm
	for _, k := range key {
		var (
			v  any
			ok bool
		)
		switch m := cur.(type) {
		case map[string]any:
			v, ok = m[k]
		case map[any]any:
			v, ok = m[k]
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// firstLine keeps the message of an expr error and drops the source excerpt
// with a caret that follows it: the position "(line:column)" is on the first
// line already, and the caller shows the condition.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// whereHint is the hint for a condition that does not compile: the name it
// may have meant when it names one the condition cannot know, else what a
// condition is.
func whereHint(err error) string {
	if h := config.DidYouMeanName(err, "fm", "path"); h != "" {
		return h
	}
	return `a condition is a boolean expression over fm and path, e.g. fm.status == "published" && path startsWith "notes/"`
}
