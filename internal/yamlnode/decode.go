package yamlnode

import (
	"encoding/base64"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Decode converts the tree under root into plain values: map[string]any
// (keys as written), []any, string, int64, uint64, float64, bool and nil,
// scalars resolved by the YAML 1.2 core schema and merge keys ("<<")
// applied. It counts every value produced, each use of an alias expanded,
// and fails with an *Error once the count passes maxValues: a "billion
// laughs" costs at most maxValues values. Duplicate keys and aliases inside
// their own anchor are errors.
func Decode(root *yaml.Node, maxValues int) (any, error) {
	d := &decoder{budget: maxValues, max: maxValues, done: map[*yaml.Node]bool{}}
	return d.value(root, 0)
}

type decoder struct {
	budget, max int
	done        map[*yaml.Node]bool // anchored nodes read in full
}

// maxDecodeDepth bounds recursion; Check bounds the text's nesting first.
const maxDecodeDepth = 10_000

func (d *decoder) errAt(n *yaml.Node, format string, args ...any) *Error {
	return &Error{Line: max(n.Line, 1), Column: max(n.Column, 1), Message: fmt.Sprintf(format, args...)}
}

func (d *decoder) value(n *yaml.Node, depth int) (any, error) {
	if n == nil {
		return nil, nil
	}
	if d.budget--; d.budget < 0 {
		return nil, d.errAt(n, "the text expands to more than %d values; use fewer aliases", d.max)
	}
	if depth > maxDecodeDepth {
		return nil, d.errAt(n, "values nest more than %d levels deep", maxDecodeDepth)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || !d.done[n.Alias] {
			return nil, d.errAt(n, "alias *%s refers to no anchor defined before it", n.Value)
		}
		return d.value(n.Alias, depth+1)
	}
	if n.Anchor != "" {
		defer func() { d.done[n] = true }()
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return d.scalar(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := d.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return d.mapping(n, depth)
	}
	return nil, d.errAt(n, "unsupported YAML construct")
}

func (d *decoder) mapping(n *yaml.Node, depth int) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var merged []map[string]any
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && IsPlain(k) {
			v, err := d.value(val, depth+1)
			if err != nil {
				return nil, err
			}
			sources := []any{v}
			if list, ok := v.([]any); ok {
				sources = list
			}
			for _, s := range sources {
				m, ok := s.(map[string]any)
				if !ok {
					return nil, d.errAt(k, "a merge key '<<' must refer to a mapping or a list of mappings")
				}
				merged = append(merged, m)
			}
			continue
		}
		kn := k
		if kn.Kind == yaml.AliasNode && kn.Alias != nil {
			kn = kn.Alias
		}
		if kn.Kind != yaml.ScalarNode {
			return nil, d.errAt(k, "a key must be a single value, not a list or a mapping")
		}
		if _, dup := out[kn.Value]; dup {
			return nil, d.errAt(k, "key %q is already defined in this mapping", kn.Value)
		}
		v, err := d.value(val, depth+1)
		if err != nil {
			return nil, err
		}
		out[kn.Value] = v
	}
	for _, m := range merged {
		for k, v := range m {
			if _, set := out[k]; !set {
				out[k] = v
			}
		}
	}
	return out, nil
}

func (d *decoder) scalar(n *yaml.Node) (any, error) {
	switch tag := Tag(n); tag {
	case "":
		if IsPlain(n) {
			return Plain(n.Value), nil
		}
		return n.Value, nil
	case "!!str":
		return n.Value, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return nil, d.errAt(n, "cannot read %q as base64 binary data", n.Value)
		}
		return string(b), nil
	default:
		return Plain(n.Value), nil
	}
}
