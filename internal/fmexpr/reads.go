package fmexpr

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Read is one variable, or one key of fm or match, an expression reads.
type Read struct {
	Root string // fm, match, path or origin
	Key  string // the key of fm or match; "" for the whole variable
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Name is how the expression names what it reads: fm.status, fm["a key"],
// match.1, path, or fm as a whole.
func (rd Read) Name() string {
	switch {
	case rd.Key == "":
		return rd.Root
	case identRE.MatchString(rd.Key) || rd.Root == "match":
		return rd.Root + "." + rd.Key
	}
	return rd.Root + "[" + strconv.Quote(rd.Key) + "]"
}

// Value returns what rd reads in env, nil for a missing key.
func (rd Read) Value(env map[string]any) any {
	v := env[rd.Root]
	if rd.Key != "" {
		m, _ := v.(map[string]any)
		v = m[rd.Key]
	}
	return v
}

// Reads lists what src reads, without repeats, in the order it first reads
// them: fm.x and match.x member accesses with a constant key (a string;
// match's groups by number too), and the variables fm, match, path and
// origin used otherwise (fm as a whole, say `"tags" in fm`).
func Reads(src string) []Read {
	tree, err := parser.Parse(src)
	if err != nil {
		// Not for a compiled expression; say it reads everything.
		return []Read{{Root: "fm"}, {Root: "match"}, {Root: "path"}, {Root: "origin"}}
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
	reads []Read
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
		c.add(Read{Root: id.Value, Key: key})
	case *ast.IdentifierNode:
		if c.pass == 2 && !c.bases[x] && slices.Contains([]string{"fm", "match", "path", "origin"}, x.Value) {
			c.add(Read{Root: x.Value})
		}
	}
}

func (c *readCollector) add(rd Read) {
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

// Failure says why expression src failed on a file: what names it (a rule's
// "rule ID: condition", an index's "where"), expr's message without its copy
// of the source (the expression is quoted whole, on one line), the values
// it read there (env holds the variables it ran with), and, when one is a
// missing field, how to write it for files that lack the field.
func Failure(what, src string, err error, reads []Read, env map[string]any) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	var vals, missing []string
	for _, rd := range reads {
		v := rd.Value(env)
		if rd.Root == "fm" && rd.Key != "" && v == nil {
			vals = append(vals, rd.Name()+" missing")
			missing = append(missing, rd.Name())
			continue
		}
		vals = append(vals, fmt.Sprintf("%s = %s", rd.Name(), ValueText(v)))
	}
	e := fmt.Sprintf("%s `%s` failed: %s", what, OneLine(src), msg)
	if len(vals) > 0 {
		e += " (here " + strings.Join(vals, ", ") + ")"
	}
	if len(missing) > 0 {
		f := missing[0]
		e += fmt.Sprintf("; a missing field is nil: test it first (%s != nil && …) or give it a default (%s ?? DEFAULT)", f, f)
	}
	return errors.New(e)
}

// OneLine writes an expression written over several lines on one.
func OneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// ValueText shows a value an expression read, as JSON writes it (a string
// quoted, a list in brackets), cut short.
func ValueText(v any) string {
	s := fmt.Sprint(v)
	if b, err := json.Marshal(v); err == nil {
		s = string(b)
	}
	if len(s) > 60 {
		s = strings.ToValidUTF8(s[:57], "") + "…"
	}
	return s
}
