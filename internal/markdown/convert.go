package markdown

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// converter turns the YAML syntax tree into plain Go values.
type converter struct {
	line0   int
	src     []byte // the YAML text, to map the parser's lines to the file's
	anchors map[string]anchored
	count   int
	depth   int
}

// anchored is the value of an anchor and its size in values.
type anchored struct {
	value any
	count int // values the anchored node expands to
}

// errAt returns an *Error at the file position of tk.
func (c *converter) errAt(tk *token.Token, msg string) *Error {
	if tk == nil || tk.Position == nil {
		return &Error{Line: c.line0, Column: 1, Message: msg}
	}
	return &Error{Line: c.line0 + c.fileLine(tk.Position.Line) - 1, Column: max(tk.Position.Column, 1), Message: msg}
}

// fileLine maps a line number of the parser, which also breaks lines at a
// lone CR as YAML says, to a line number of the YAML text counting "\n"
// only, as the rest of Scribe (and BodyLine) does.
func (c *converter) fileLine(n int) int {
	if bytes.IndexByte(c.src, '\r') < 0 {
		return max(n, 1)
	}
	line, file := 1, 1
	for i := 0; i < len(c.src) && line < n; i++ {
		switch c.src[i] {
		case '\n':
			line++
			file++
		case '\r':
			if i+1 < len(c.src) && c.src[i+1] == '\n' {
				continue
			}
			line++
		}
	}
	return file
}

// value converts node. Every node counts against maxValues, and an alias
// counts as many values as its anchor expands to.
func (c *converter) value(node ast.Node) (any, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth {
		return nil, c.errAt(node.GetToken(), fmt.Sprintf("values nest deeper than %d levels", maxDepth))
	}
	c.count++
	if c.count > maxValues {
		return nil, c.errAt(node.GetToken(), fmt.Sprintf("front matter expands to more than %d values", maxValues))
	}
	switch n := node.(type) {
	case *ast.NullNode:
		return nil, nil
	case *ast.BoolNode:
		return n.Value, nil
	case *ast.IntegerNode:
		return normalizeInt(n.Value), nil
	case *ast.FloatNode:
		return n.Value, nil
	case *ast.InfinityNode:
		return n.Value, nil
	case *ast.NanNode:
		return math.NaN(), nil
	case *ast.StringNode:
		if n.Token != nil && n.Token.Type == token.StringType {
			if t, ok := parseTimestamp(n.Value); ok {
				return t, nil
			}
		}
		return n.Value, nil
	case *ast.LiteralNode:
		if n.Value == nil {
			return "", nil
		}
		return n.Value.Value, nil
	case *ast.SequenceNode:
		list := make([]any, 0, len(n.Values))
		for _, item := range n.Values {
			v, err := c.value(item)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case *ast.SequenceEntryNode:
		if n.Value == nil {
			return nil, nil
		}
		return c.value(n.Value)
	case *ast.MappingNode:
		return c.mapping(n.Values)
	case *ast.MappingValueNode:
		return c.mapping([]*ast.MappingValueNode{n})
	case *ast.MappingKeyNode:
		return c.value(n.Value)
	case *ast.AnchorNode:
		return c.anchor(n)
	case *ast.AliasNode:
		name := n.Value.GetToken().Value
		a, ok := c.anchors[name]
		if !ok {
			return nil, c.errAt(n.Start, fmt.Sprintf("alias *%s refers to no anchor &%s defined before it", name, name))
		}
		c.count += a.count
		if c.count > maxValues {
			return nil, c.errAt(n.Start, fmt.Sprintf("front matter expands to more than %d values", maxValues))
		}
		return a.value, nil
	case *ast.TagNode:
		return c.tagged(n)
	}
	return nil, c.errAt(node.GetToken(), fmt.Sprintf("unsupported YAML construct (%s)", node.Type()))
}

// anchor converts an anchored node and records it for later aliases.
func (c *converter) anchor(n *ast.AnchorNode) (any, error) {
	name := n.Name.GetToken().Value
	before := c.count
	var v any
	if n.Value != nil {
		var err error
		if v, err = c.value(n.Value); err != nil {
			return nil, err
		}
	}
	if c.anchors == nil {
		c.anchors = make(map[string]anchored)
	}
	c.anchors[name] = anchored{value: v, count: c.count - before}
	return v, nil
}

// mapping converts the entries of a mapping. Merge keys ("<<") add the
// entries of the merged mappings that the mapping does not set itself; of
// several merged mappings, the first to set a key wins.
func (c *converter) mapping(entries []*ast.MappingValueNode) (map[string]any, error) {
	m := make(map[string]any, len(entries))
	var merges []*ast.MappingValueNode
	for _, e := range entries {
		if e.Key == nil {
			continue
		}
		if e.Key.IsMergeKey() {
			merges = append(merges, e)
			continue
		}
		key, err := c.key(e.Key)
		if err != nil {
			return nil, err
		}
		if _, dup := m[key]; dup {
			return nil, c.errAt(e.Key.GetToken(), fmt.Sprintf("key %q appears twice", key))
		}
		var v any
		if e.Value != nil {
			if v, err = c.value(e.Value); err != nil {
				return nil, err
			}
		}
		m[key] = v
	}
	for _, e := range merges {
		v, err := c.value(e.Value)
		if err != nil {
			return nil, err
		}
		sources := []any{v}
		if list, ok := v.([]any); ok {
			sources = list
		}
		for _, src := range sources {
			sm, ok := src.(map[string]any)
			if !ok {
				return nil, c.errAt(e.Key.GetToken(), "a merge key '<<' must refer to a mapping or a list of mappings")
			}
			for k, v := range sm {
				if _, set := m[k]; !set {
					m[k] = v
				}
			}
		}
	}
	return m, nil
}

// key returns the string form of a mapping key: its text as written (without
// quotes), so that `1: x` has the key "1" and `true: x` the key "true".
func (c *converter) key(node ast.Node) (string, error) {
	switch n := node.(type) {
	case *ast.StringNode:
		return n.Value, nil
	case *ast.MappingKeyNode:
		if n.Value == nil {
			return "null", nil
		}
		return c.key(n.Value)
	case *ast.TagNode:
		if n.Value == nil {
			return "", nil
		}
		return c.key(n.Value)
	case *ast.AnchorNode:
		if n.Value == nil {
			return "", c.errAt(n.Start, "an anchor used as a key needs a value")
		}
		k, err := c.key(n.Value)
		if err == nil {
			if c.anchors == nil {
				c.anchors = make(map[string]anchored)
			}
			c.anchors[n.Name.GetToken().Value] = anchored{value: k, count: 1}
		}
		return k, err
	case *ast.AliasNode:
		v, err := c.value(n)
		if err != nil {
			return "", err
		}
		if s, ok := v.(string); ok {
			return s, nil
		}
		return "", c.errAt(n.Start, "an alias used as a key must refer to a string")
	case *ast.NullNode, *ast.BoolNode, *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return node.GetToken().Value, nil
	}
	return "", c.errAt(node.GetToken(), "a key must be a plain value, not a list or a mapping")
}

// tagged applies the standard YAML tags; other tags are ignored, keeping the
// value as written.
func (c *converter) tagged(n *ast.TagNode) (any, error) {
	tag := n.Start.Value
	if n.Value == nil {
		switch tag {
		case "!!str":
			return "", nil
		case "!!map":
			return map[string]any{}, nil
		case "!!seq":
			return []any{}, nil
		}
		return nil, nil
	}
	if tag == "!!str" {
		switch inner := n.Value.(type) {
		case *ast.StringNode:
			return inner.Value, nil
		case *ast.LiteralNode:
			return c.value(inner)
		case *ast.NullNode:
			if inner.Token == nil || inner.Token.Type == token.ImplicitNullType {
				return "", nil
			}
			return inner.Token.Value, nil
		case *ast.BoolNode, *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
			return inner.GetToken().Value, nil
		}
	}
	v, err := c.value(n.Value)
	if err != nil {
		return nil, err
	}
	bad := func(what string) (any, error) {
		return nil, c.errAt(n.Start, fmt.Sprintf("cannot read %s as %s", describe(v), what))
	}
	switch tag {
	case "!!str":
		return bad("a string")
	case "!!null":
		return nil, nil
	case "!!bool":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(strings.ToLower(x)); err == nil {
				return b, nil
			}
		}
		return bad("a boolean")
	case "!!int":
		switch x := v.(type) {
		case int, uint64:
			return x, nil
		case string:
			if num := token.ToNumber(x); num != nil && num.Type != token.NumberTypeFloat {
				return normalizeInt(num.Value), nil
			}
		}
		return bad("an integer")
	case "!!float":
		switch x := v.(type) {
		case float64:
			return x, nil
		case int:
			return float64(x), nil
		case uint64:
			return float64(x), nil
		case string:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return f, nil
			}
		}
		return bad("a number")
	case "!!timestamp":
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			if t, ok := parseTimestamp(x); ok {
				return t, nil
			}
		}
		return bad("a timestamp")
	case "!!binary":
		if s, ok := v.(string); ok {
			b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
			if err == nil {
				return b, nil
			}
		}
		return bad("base64 binary data")
	}
	return v, nil
}

// describe shows a value in an error message, briefly.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case nil:
		return "null"
	default:
		s := fmt.Sprintf("%v", x)
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		return s
	}
}

// normalizeInt turns the parser's int64 and uint64 into int where it fits.
func normalizeInt(v any) any {
	switch x := v.(type) {
	case int64:
		if x >= math.MinInt && x <= math.MaxInt {
			return int(x)
		}
		return x
	case uint64:
		if x <= math.MaxInt {
			return int(x)
		}
		return x
	}
	return v
}
