package fmexpr

import (
	"fmt"
	"reflect"
	"time"

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

// order is a <, >, <= or >= b, false when either is nil. Text that is a
// date or a date and time (see Time) compares with a time as that time.
func order(params ...any) (res any, err error) {
	op, a, b := params[0].(string), params[1], params[2]
	if a == nil || b == nil {
		return false, nil
	}
	a, b = asTime(a, b), asTime(b, a)
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

// asTime returns v as a time when it is text that is one and other is a
// time, else v itself.
func asTime(v, other any) any {
	s, ok := v.(string)
	if _, isTime := other.(time.Time); !ok || !isTime {
		return v
	}
	if t, ok := Time(s); ok {
		return t
	}
	return v
}

// timeLayouts are the ways front matter writes a date and time as text:
// YAML leaves them strings unless they carry seconds and a zone, and
// Obsidian's "Date & time" properties have neither (2024-01-15T10:30).
var timeLayouts = []string{
	"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05",
}

// Time reads text written as a date or a date and time: a date
// (2024-01-15) is midnight UTC, as a front matter date is; RFC 3339 with a
// zone is that instant; a date and time without a zone (2024-01-15T10:30,
// with or without seconds and their fraction, T or a space between) is in
// the local time zone, as the person who wrote it meant it.
func Time(s string) (time.Time, bool) {
	if len(s) < len(time.DateOnly) || s[4] != '-' {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
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
