package fmexpr

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// The functions comparisons are rewritten to. Their names start with an
// underscore so that they do not take a name a condition may want; a
// condition may call them, to no harm.
const (
	orderFunc = "_fm_order"
	inFunc    = "_fm_in"
)

// Options returns the expr options that rewrite the comparisons of
// expressions reading the variable fm (see the package documentation).
func Options() []expr.Option {
	return []expr.Option{
		expr.Function(orderFunc, order, new(func(string, any, any) bool)),
		expr.Function(inFunc, in, new(func(any, any) bool)),
		expr.Patch(patcher{}),
	}
}

// patcher rewrites, in the parsed expression, the comparisons that read fm
// into calls of the functions above.
type patcher struct{}

func (patcher) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok {
		return
	}
	switch b.Operator {
	case "<", ">", "<=", ">=":
		if readsFM(b.Left) || readsFM(b.Right) {
			op := &ast.StringNode{Value: b.Operator}
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: orderFunc}, Arguments: []ast.Node{op, b.Left, b.Right}})
		}
	case "in":
		if readsFM(b.Right) {
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: inFunc}, Arguments: []ast.Node{b.Left, b.Right}})
		}
	}
}

// readsFM reports whether n is a member of fm: fm.x, fm["x"], fm.a.b,
// fm?.x.
func readsFM(n ast.Node) bool {
	for {
		switch m := n.(type) {
		case *ast.ChainNode:
			n = m.Node
		case *ast.MemberNode:
			if id, ok := m.Node.(*ast.IdentifierNode); ok {
				return id.Value == "fm"
			}
			n = m.Node
		default:
			return false
		}
	}
}

// order is a <, >, <= or >= b, false when either is nil.
func order(params ...any) (res any, err error) {
	op, a, b := params[0].(string), params[1], params[2]
	if a == nil || b == nil {
		return false, nil
	}
	defer func() {
		// expr's runtime panics on values it cannot compare; the message
		// says which ("invalid operation: string > int").
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%v", r)
		}
	}()
	switch op {
	case "<":
		return runtime.Less(a, b), nil
	case ">":
		return runtime.More(a, b), nil
	case "<=":
		return runtime.LessOrEqual(a, b), nil
	default:
		return runtime.MoreOrEqual(a, b), nil
	}
}

// in is needle in haystack, where a haystack that is one value (not a list
// nor a map) holds itself only.
func in(params ...any) (any, error) {
	needle, haystack := params[0], params[1]
	if haystack == nil {
		return false, nil
	}
	switch reflect.ValueOf(haystack).Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return runtime.In(needle, haystack), nil
	}
	return runtime.Equal(needle, haystack), nil
}
