package rule

import (
	"regexp"
	"slices"
	"strconv"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/scribe-md/scribe/internal/action"
)

// What a rule is made of, for `scribe explain`: the engine decides with
// MatchPath (ExplainPath), MatchContent and Eval; these say what those
// looked at.

// Files returns the rule's file globs: its own, or the configuration's
// include when it names none (FilesFromInclude).
func (r *Rule) Files() []string { return slices.Clone(r.files) }

// FilesFromInclude reports whether Files are the configuration's include
// globs because the rule names none.
func (r *Rule) FilesFromInclude() bool { return r.include }

// Exclude returns the rule's own exclude globs.
func (r *Rule) Exclude() []string { return slices.Clone(r.exclude) }

// Pattern returns the rule's content regex as written ("" for none).
func (r *Rule) Pattern() string {
	if r.re == nil {
		return ""
	}
	return r.re.String()
}

// Condition returns the rule's `when` condition as written ("" for none).
func (r *Rule) Condition() string { return r.whenSrc }

// Input is one value a condition reads.
type Input struct {
	// Name is how the condition names it: fm.status, fm["a key"], origin,
	// path, match.1, match.name, or fm / match as a whole.
	Name string `json:"name"`
	// Value is what it held for the file: nil for a missing field.
	Value any `json:"value"`
}

// Inputs returns the values the rule's condition reads, in the order it
// first reads them, as Eval would see them for these arguments. With no
// condition it returns nil.
func (r *Rule) Inputs(fm map[string]any, path string, m *action.Match, origin action.Origin) []Input {
	if len(r.reads) == 0 {
		return nil
	}
	if fm == nil {
		fm = noFrontMatter
	}
	env := map[string]any{"fm": fm, "path": path, "match": matchVars(m), "origin": string(origin)}
	out := make([]Input, 0, len(r.reads))
	for _, rd := range r.reads {
		v := env[rd.root]
		if rd.key != "" {
			mv, _ := v.(map[string]any)
			v = mv[rd.key]
		}
		out = append(out, Input{Name: rd.name(), Value: v})
	}
	return out
}

// read is one variable, or one key of fm or match, a condition reads.
type read struct {
	root string // fm, match, path or origin
	key  string // the key of fm or match; "" for the whole variable
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (rd read) name() string {
	switch {
	case rd.key == "":
		return rd.root
	case identRE.MatchString(rd.key) || rd.root == "match":
		return rd.root + "." + rd.key
	}
	return rd.root + "[" + strconv.Quote(rd.key) + "]"
}

// conditionReads lists what src reads, without repeats, in the order it
// first reads them: fm.x and match.x member accesses with a constant key
// (a string; match's groups by number too), and the variables fm, match,
// path and origin used otherwise (fm as a whole, say `"tags" in fm`). Both
// `scribe explain` (Inputs) and the front-matter fast path (fmFields) use
// it.
func conditionReads(src string) []read {
	tree, err := parser.Parse(src)
	if err != nil {
		// Not for a compiled condition; say it reads everything.
		return []read{{root: "fm"}, {root: "match"}, {root: "path"}, {root: "origin"}}
	}
	c := &readCollector{bases: map[*ast.IdentifierNode]bool{}}
	// ast.Walk visits children before parents: first find the identifiers
	// that are the base of a keyed member access, then collect in order.
	c.pass = 1
	ast.Walk(&tree.Node, c)
	c.pass = 2
	ast.Walk(&tree.Node, c)
	return c.reads
}

type readCollector struct {
	pass  int
	bases map[*ast.IdentifierNode]bool
	reads []read
}

func (c *readCollector) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.MemberNode:
		// A method call (fm.keys()) uses the variable whole.
		id, ok := x.Node.(*ast.IdentifierNode)
		if !ok || id.Value != "fm" && id.Value != "match" || x.Method {
			return
		}
		key, ok := memberKey(x.Property, id.Value == "match")
		if !ok {
			return
		}
		if c.pass == 1 {
			c.bases[id] = true
			return
		}
		c.add(read{root: id.Value, key: key})
	case *ast.IdentifierNode:
		if c.pass == 2 && !c.bases[x] && slices.Contains([]string{"fm", "match", "path", "origin"}, x.Value) {
			c.add(read{root: x.Value})
		}
	}
}

func (c *readCollector) add(rd read) {
	if !slices.Contains(c.reads, rd) {
		c.reads = append(c.reads, rd)
	}
}

// memberKey is the constant key of a member access: a string, or with
// numbered (match's groups) an integer.
func memberKey(n ast.Node, numbered bool) (string, bool) {
	switch p := n.(type) {
	case *ast.StringNode:
		return p.Value, true
	case *ast.IntegerNode:
		return strconv.Itoa(p.Value), numbered
	}
	return "", false
}
