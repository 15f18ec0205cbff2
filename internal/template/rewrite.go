package template

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"
)

// Parse trees are rewritten once, after parsing, so that a missing value
// renders as "" instead of "<no value>" or an error (text/template does
// either, even with missingkey=zero, for a map[string]any):
//
//   - every action that prints gets a final `| _scribeText` command;
//   - every range pipeline gets a final `| _scribeRange`, which counts the
//     iterations against the execution's budget (MaxIterations);
//   - every {{ template }} call gets its argument through `_scribeCall`,
//     which counts the call against MaxCalls;
//   - every field chain of three or more names rooted at .FM (`.FM.a.b`)
//     becomes `(_scribeDig .FM "a" "b")`, which stops at the first missing
//     key instead of failing on a nil interface.

// rangeFunc is the function that charges a range to the iteration budget.
const rangeFunc = "_scribeRange"

// callFunc is the function that charges a {{ template }} call.
const callFunc = "_scribeCall"

// digFunc is the function that walks a front matter field chain.
const digFunc = "_scribeDig"

// rewrite applies both rewrites to every node under l.
func rewrite(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			rewritePipe(n.Pipe)
			if n.Pipe != nil && len(n.Pipe.Decl) == 0 {
				id := parse.NewIdentifier(textFunc).SetPos(n.Pos)
				n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
					NodeType: parse.NodeCommand, Pos: n.Pos, Args: []parse.Node{id},
				})
			}
		case *parse.IfNode:
			rewriteBranch(&n.BranchNode)
		case *parse.RangeNode:
			rewriteBranch(&n.BranchNode)
			if n.Pipe != nil {
				n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
					NodeType: parse.NodeCommand, Pos: n.Pos,
					Args: []parse.Node{parse.NewIdentifier(rangeFunc).SetPos(n.Pos)},
				})
			}
		case *parse.WithNode:
			rewriteBranch(&n.BranchNode)
		case *parse.TemplateNode:
			rewritePipe(n.Pipe)
			call := &parse.CommandNode{
				NodeType: parse.NodeCommand, Pos: n.Pos,
				Args: []parse.Node{parse.NewIdentifier(callFunc).SetPos(n.Pos)},
			}
			if n.Pipe == nil {
				// {{ template "x" }} runs x with nil data; so does (_scribeCall nil).
				call.Args = append(call.Args, &parse.NilNode{NodeType: parse.NodeNil, Pos: n.Pos})
				n.Pipe = &parse.PipeNode{NodeType: parse.NodePipe, Pos: n.Pos}
			}
			n.Pipe.Cmds = append(n.Pipe.Cmds, call)
		case *parse.ListNode:
			rewrite(n)
		}
	}
}

func rewriteBranch(b *parse.BranchNode) {
	rewritePipe(b.Pipe)
	rewrite(b.List)
	rewrite(b.ElseList)
}

func rewritePipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		for i, a := range c.Args {
			c.Args[i] = rewriteArg(a)
		}
	}
}

func rewriteArg(n parse.Node) parse.Node {
	switch n := n.(type) {
	case *parse.FieldNode:
		if len(n.Ident) >= 3 && n.Ident[0] == "FM" {
			root := &parse.FieldNode{NodeType: parse.NodeField, Pos: n.Pos, Ident: []string{"FM"}}
			return digPipe(n.Pos, root, n.Ident[1:])
		}
	case *parse.VariableNode:
		if len(n.Ident) >= 4 && n.Ident[0] == "$" && n.Ident[1] == "FM" {
			root := &parse.VariableNode{NodeType: parse.NodeVariable, Pos: n.Pos, Ident: []string{"$", "FM"}}
			return digPipe(n.Pos, root, n.Ident[2:])
		}
	case *parse.PipeNode:
		rewritePipe(n)
	case *parse.ChainNode:
		n.Node = rewriteArg(n.Node)
	}
	return n
}

// digPipe builds `(_scribeDig ROOT "a" "b")` for the chain ROOT.a.b, where
// ROOT is .FM or $.FM.
func digPipe(pos parse.Pos, root parse.Node, keys []string) *parse.PipeNode {
	args := []parse.Node{parse.NewIdentifier(digFunc).SetPos(pos), root}
	for _, k := range keys {
		args = append(args, &parse.StringNode{NodeType: parse.NodeString, Pos: pos, Quoted: strconv.Quote(k), Text: k})
	}
	return &parse.PipeNode{
		NodeType: parse.NodePipe, Pos: pos,
		Cmds: []*parse.CommandNode{{NodeType: parse.NodeCommand, Pos: pos, Args: args}},
	}
}

// dig follows keys through nested maps from v and returns nil at the first
// missing key. A key on a value that is not a map may name a method without
// arguments (`.FM.created.Year`) or a struct field; anything else is an error
// that says which name did not fit.
func dig(v any, keys ...string) (any, error) {
	for i, k := range keys {
		if v == nil {
			return nil, nil
		}
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
			e := rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()))
			if !e.IsValid() {
				return nil, nil
			}
			v = e.Interface()
			continue
		}
		next, ok := member(rv, k)
		if !ok {
			return nil, fmt.Errorf(".FM.%s is a %s, it has no field %q", strings.Join(keys[:i], "."), kindName(v), k)
		}
		v = next
	}
	return v, nil
}

// member returns rv's method k (called without arguments) or field k.
func member(rv reflect.Value, k string) (any, bool) {
	if m := rv.MethodByName(k); m.IsValid() {
		t := m.Type()
		if t.NumIn() == 0 && (t.NumOut() == 1 || t.NumOut() == 2 && t.Out(1) == reflect.TypeFor[error]()) {
			out := m.Call(nil)
			if len(out) == 2 && !out[1].IsNil() {
				return nil, false
			}
			return out[0].Interface(), true
		}
		return nil, false
	}
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Struct {
		if f, ok := rv.Type().FieldByName(k); ok && f.IsExported() {
			return rv.FieldByIndex(f.Index).Interface(), true
		}
	}
	return nil, false
}

// kindName names a front matter value's type the way a YAML user thinks of it.
func kindName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case int, int64, uint64, float64, float32, int32, uint32, uint:
		return "number"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}

// digCall matches a dig call as text/template prints it in an error; keys
// are field names, so they hold no quotes.
var digCall = regexp.MustCompile(`\(?` + digFunc + ` (\$?\.FM)((?: "[^"]*")+)\)?`)

// guardCall matches the context text/template gives an error raised by a
// guard (range or call budget): the guard is not what the user wrote.
var guardCall = regexp.MustCompile(`at <(?:` + rangeFunc + `|` + callFunc + `)(?: nil)?>: (?:error calling (?:` + rangeFunc + `|` + callFunc + `): )?`)

// mdCall matches a Markdown escaper as text/template prints it in an error.
var mdCall = regexp.MustCompile(`at <_scribeMD[A-Za-z]+>: error calling _scribeMD[A-Za-z]+: | \| _scribeMD[A-Za-z]+`)

// undoRewrite removes the rewrites from a node as text/template prints it in
// an error, so the user sees what they wrote.
func undoRewrite(msg string) string {
	msg = guardCall.ReplaceAllString(msg, "")
	msg = mdCall.ReplaceAllString(msg, "")
	msg = strings.ReplaceAll(msg, " | "+textFunc, "")
	msg = strings.ReplaceAll(msg, " | "+rangeFunc, "")
	msg = strings.ReplaceAll(msg, " | "+callFunc, "")
	msg = strings.ReplaceAll(msg, " "+callFunc+" nil}}", "}}")
	msg = strings.ReplaceAll(msg, "error calling "+digFunc+": ", "")
	return digCall.ReplaceAllStringFunc(msg, func(call string) string {
		m := digCall.FindStringSubmatch(call)
		return m[1] + "." + strings.Join(strings.Fields(strings.ReplaceAll(m[2], `"`, "")), ".")
	})
}

// guardRange returns v unchanged after charging the iterations a range over
// it will make to *budget, or an error once the budget is spent.
func guardRange(v any, budget *int) (any, error) {
	n := 0
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n = int(min(max(rv.Int(), 0), int64(iterations)+1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n = int(min(rv.Uint(), uint64(iterations)+1))
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		n = rv.Len()
	case reflect.Chan, reflect.Func:
		return nil, fmt.Errorf("cannot range over a %s in a template", rv.Kind())
	}
	*budget -= n
	if *budget < 0 {
		return nil, fmt.Errorf("range makes more than %d iterations in all", iterations)
	}
	return v, nil
}
