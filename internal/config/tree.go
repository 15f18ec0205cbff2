package config

import (
	"fmt"
	"math"
	"strconv"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Limits that keep a hostile or broken file from costing more than a real
// configuration ever would.
const (
	// maxDepth bounds nesting; real configurations nest about six levels.
	maxDepth = 64
	// maxValues bounds the values produced, aliases expanded, so that a
	// "billion laughs" file fails fast instead of exhausting memory.
	maxValues = 100_000
)

// tree turns a YAML (or JSON) syntax tree into plain JSON-compatible values
// (map[string]any, []any, string, int64, float64, bool, nil), recording where
// each value and each mapping key was written, by field path.
type tree struct {
	file    string
	pos     map[string]Position // value positions
	keyPos  map[string]Position // positions of mapping keys
	anchors map[string]ast.Node
	budget  int
	errs    Errors
}

func newTree(file string) *tree {
	return &tree{
		file:    file,
		pos:     map[string]Position{},
		keyPos:  map[string]Position{},
		anchors: map[string]ast.Node{},
		budget:  maxValues,
	}
}

func (t *tree) errorAt(p Position, path, hint, format string, args ...any) {
	t.errs = append(t.errs, &Error{
		File: t.file, Line: p.Line, Column: p.Column, Path: path,
		Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// childPath and indexPath build field paths: "engine.settle", "rules[0]".
func childPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

func tokenPos(tk *token.Token) Position {
	if tk == nil || tk.Position == nil {
		return Position{}
	}
	return Position{Line: tk.Position.Line, Column: tk.Position.Column}
}

// nodePos is where a reader sees a node begin. A block mapping's own token is
// its first ':', so point at its first key instead.
func nodePos(n ast.Node) Position {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
		return tokenPos(m.Values[0].Key.GetToken())
	}
	return tokenPos(n.GetToken())
}

// value converts n, recorded at path. ok is false when n could not be
// converted; the reason is in t.errs.
func (t *tree) value(n ast.Node, path string, depth int) (v any, ok bool) {
	if n == nil {
		return nil, true
	}
	p := nodePos(n)
	if depth > maxDepth {
		t.errorAt(p, path, "", "values are nested more than %d levels deep", maxDepth)
		return nil, false
	}
	if t.budget--; t.budget < 0 {
		if t.budget == -1 {
			t.errorAt(p, path, "use fewer aliases, or smaller anchored values",
				"the file expands to more than %d values", maxValues)
		}
		return nil, false
	}
	t.pos[path] = p
	switch n := n.(type) {
	case *ast.NullNode:
		return nil, true
	case *ast.BoolNode:
		return n.Value, true
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value == nil {
			return "", true
		}
		return n.Value.Value, true
	case *ast.IntegerNode:
		switch x := n.Value.(type) {
		case int64:
			return x, true
		case uint64:
			if x <= math.MaxInt64 {
				return int64(x), true
			}
			return float64(x), true
		}
		t.errorAt(p, path, "", "cannot read the number %s", n.Token.Value)
		return nil, false
	case *ast.FloatNode:
		return n.Value, true
	case *ast.InfinityNode, *ast.NanNode:
		t.errorAt(p, path, "quote it if you mean the text", "%s is not a number JSON can hold", n.GetToken().Value)
		return nil, false
	case *ast.TagNode:
		return t.tagged(n, path, depth)
	case *ast.AnchorNode:
		v, ok := t.value(n.Value, path, depth+1)
		if n.Name != nil {
			// Registered after the value, so an alias inside its own anchor
			// is an unknown alias rather than infinite recursion.
			t.anchors[n.Name.GetToken().Value] = n.Value
		}
		t.pos[path] = p
		return v, ok
	case *ast.AliasNode:
		name := ""
		if n.Value != nil {
			name = n.Value.GetToken().Value
		}
		target, found := t.anchors[name]
		if !found {
			t.errorAt(p, path, "define it with &"+name+" before this point", "unknown alias *%s", name)
			return nil, false
		}
		v, ok := t.value(target, path, depth+1)
		t.pos[path] = p
		return v, ok
	case *ast.MappingNode:
		return t.mapping(n, path, depth)
	case *ast.SequenceNode:
		out := make([]any, 0, len(n.Values))
		good := true
		for i, e := range n.Values {
			v, ok := t.value(e, indexPath(path, i), depth+1)
			good = good && ok
			out = append(out, v)
		}
		return out, good
	}
	t.errorAt(p, path, "", "unsupported YAML construct (%s)", n.Type())
	return nil, false
}

// tagged handles explicit tags. Only the core schema's tags make sense in a
// configuration; "!!str 12" is the one that changes a value.
func (t *tree) tagged(n *ast.TagNode, path string, depth int) (any, bool) {
	tag := ""
	if n.Start != nil {
		tag = n.Start.Value
	}
	switch tag {
	case "!!str", "tag:yaml.org,2002:str":
		switch v := n.Value.(type) {
		case nil:
			t.pos[path] = nodePos(n)
			return "", true
		case *ast.LiteralNode:
			return t.value(v, path, depth+1)
		case ast.ScalarNode:
			t.pos[path] = nodePos(n)
			if tk := v.GetToken(); tk != nil {
				if _, isNull := v.(*ast.NullNode); isNull && tk.Value == "" {
					return "", true
				}
				return tk.Value, true
			}
		}
		t.errorAt(nodePos(n), path, "", "!!str applies to a single value")
		return nil, false
	case "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq":
		v, ok := t.value(n.Value, path, depth+1)
		t.pos[path] = nodePos(n)
		return v, ok
	}
	t.errorAt(nodePos(n), path, "remove the tag", "unsupported tag %s", tag)
	return nil, false
}

func (t *tree) mapping(n *ast.MappingNode, path string, depth int) (any, bool) {
	out := make(map[string]any, len(n.Values))
	good := true
	// Merge keys ("<<: *base") supply the keys the mapping does not set
	// itself; in a list of sources, earlier ones win. Merges are read first so
	// that the explicit keys, read next, also win for recorded positions.
	for _, mv := range n.Values {
		if mv.Key == nil || !mv.Key.IsMergeKey() {
			continue
		}
		sources := []ast.Node{mv.Value}
		if s, ok := mv.Value.(*ast.SequenceNode); ok {
			sources = s.Values
		}
		merged := map[string]any{}
		for _, src := range sources {
			m, ok := t.value(src, path, depth+1)
			mm, isMap := m.(map[string]any)
			if ok && !isMap {
				t.errorAt(nodePos(src), path, "", "<< merges mappings only")
				ok = false
			}
			good = good && ok
			for k, v := range mm {
				if _, set := merged[k]; !set {
					merged[k] = v
				}
			}
		}
		for k, v := range merged {
			if _, set := out[k]; !set {
				out[k] = v
			}
		}
	}
	explicit := make(map[string]Position, len(n.Values))
	for _, mv := range n.Values {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			continue
		}
		key, kp, ok := t.key(mv.Key, path)
		if !ok {
			good = false
			continue
		}
		kpath := childPath(path, key)
		if prev, dup := explicit[key]; dup {
			t.errorAt(kp, kpath, "remove one of them", "key %q is already defined at line %d", key, prev.Line)
			good = false
			continue
		}
		explicit[key] = kp
		t.keyPos[kpath] = kp
		v, ok := t.value(mv.Value, kpath, depth+1)
		good = good && ok
		out[key] = v
	}
	t.pos[path] = nodePos(n)
	return out, good
}

// key returns a mapping key as text. JSON has only string keys, so scalars
// are taken as written ("1", "true") and anything else is an error.
func (t *tree) key(k ast.MapKeyNode, path string) (string, Position, bool) {
	if k == nil {
		return "", Position{}, false
	}
	p := nodePos(k)
	var n ast.Node = k
	if tg, ok := n.(*ast.TagNode); ok {
		n = tg.Value
	}
	if a, ok := n.(*ast.AnchorNode); ok {
		n = a.Value
	}
	switch s := n.(type) {
	case *ast.StringNode:
		return s.Value, p, true
	case *ast.NullNode, *ast.BoolNode, *ast.IntegerNode, *ast.FloatNode:
		if tk := s.GetToken(); tk != nil {
			return tk.Value, p, true
		}
	}
	t.errorAt(p, path, "write the key as plain text", "mapping keys must be plain text")
	return "", p, false
}
