package config

import (
	"fmt"
	"math"
	"strconv"

	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/yamlnode"
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
	anchors map[*yaml.Node]bool // anchored nodes already read, to refuse an alias inside its own anchor
	budget  int
	errs    Errors
	// aliasErrs are the errors of unknown aliases found by the parser, by
	// position, for the walk to fill in their field path.
	aliasErrs map[Position]*Error
}

func newTree(file string) *tree {
	return &tree{
		file:    file,
		pos:     map[string]Position{},
		keyPos:  map[string]Position{},
		anchors: map[*yaml.Node]bool{},
		budget:  maxValues,

		aliasErrs: map[Position]*Error{},
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

// nodePos is where a node begins: for a block mapping, its first key.
func nodePos(n *yaml.Node) Position {
	return Position{Line: n.Line, Column: max(n.Column, 1)}
}

// value converts n, recorded at path. ok is false when n could not be
// converted; the reason is in t.errs.
func (t *tree) value(n *yaml.Node, path string, depth int) (v any, ok bool) {
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
	if e := t.aliasErrs[p]; e != nil && e.Path == "" {
		e.Path = path
		return nil, false
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || !t.anchors[n.Alias] {
			t.errorAt(p, path, "define it with &"+n.Value+" before this point, outside the value it names", "unknown alias *%s", n.Value)
			return nil, false
		}
		v, ok := t.value(n.Alias, path, depth+1)
		t.pos[path] = p
		return v, ok
	}
	if n.Anchor != "" {
		// Registered after the value, so an alias inside its own anchor
		// is an unknown alias rather than infinite recursion.
		defer func() { t.anchors[n] = true }()
	}
	if tag := yamlnode.Tag(n); tag != "" {
		return t.tagged(n, tag, path, depth)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if !yamlnode.IsPlain(n) {
			return n.Value, true
		}
		return t.plain(n, path)
	case yaml.MappingNode:
		return t.mapping(n, path, depth)
	case yaml.SequenceNode:
		return t.sequence(n, path, depth)
	}
	t.errorAt(p, path, "", "unsupported YAML construct")
	return nil, false
}

// plain resolves a plain scalar by the YAML 1.2 core schema, into the
// values JSON can hold.
func (t *tree) plain(n *yaml.Node, path string) (any, bool) {
	switch v := yamlnode.Plain(n.Value).(type) {
	case uint64:
		return float64(v), true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.errorAt(nodePos(n), path, "quote it if you mean the text", "%s is not a number JSON can hold", n.Value)
			return nil, false
		}
		return v, true
	default:
		return v, true
	}
}

func (t *tree) sequence(n *yaml.Node, path string, depth int) (any, bool) {
	out := make([]any, 0, len(n.Content))
	good := true
	for i, e := range n.Content {
		v, ok := t.value(e, indexPath(path, i), depth+1)
		good = good && ok
		out = append(out, v)
	}
	t.pos[path] = nodePos(n)
	return out, good
}

// tagged handles explicit tags. Only the core schema's tags make sense in a
// configuration; "!!str 12" is the one that changes a value.
func (t *tree) tagged(n *yaml.Node, tag, path string, depth int) (any, bool) {
	switch tag {
	case "!!str":
		if n.Kind == yaml.ScalarNode {
			return n.Value, true
		}
		t.errorAt(nodePos(n), path, "", "!!str applies to a single value")
		return nil, false
	case "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq":
		switch n.Kind {
		case yaml.ScalarNode:
			return t.plain(n, path)
		case yaml.MappingNode:
			return t.mapping(n, path, depth)
		case yaml.SequenceNode:
			return t.sequence(n, path, depth)
		}
	}
	t.errorAt(nodePos(n), path, "remove the tag", "unsupported tag %s", tag)
	return nil, false
}

func (t *tree) mapping(n *yaml.Node, path string, depth int) (any, bool) {
	out := make(map[string]any, len(n.Content)/2)
	good := true
	// Merge keys ("<<: *base") supply the keys the mapping does not set
	// itself; in a list of sources, earlier ones win. Merges are read first so
	// that the explicit keys, read next, also win for recorded positions.
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !isMerge(k) {
			continue
		}
		sources := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			sources = val.Content
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
	explicit := make(map[string]Position, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			continue
		}
		key, kp, ok := t.key(k, path)
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
		v, ok := t.value(val, kpath, depth+1)
		good = good && ok
		out[key] = v
	}
	t.pos[path] = nodePos(n)
	return out, good
}

// isMerge reports whether k is the plain key "<<".
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && yamlnode.IsPlain(k)
}

// key returns a mapping key as text. JSON has only string keys, so scalars
// are taken as written ("1", "true") and anything else is an error.
func (t *tree) key(k *yaml.Node, path string) (string, Position, bool) {
	p := nodePos(k)
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind == yaml.ScalarNode {
		return k.Value, p, true
	}
	t.errorAt(p, path, "write the key as plain text", "mapping keys must be plain text")
	return "", p, false
}
