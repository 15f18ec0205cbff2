package markdown

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/yamlnode"
)

// converter turns the YAML node tree into plain Go values.
type converter struct {
	line0   int
	src     []byte // the YAML text, to map the parser's lines to the file's
	anchors map[*yaml.Node]*anchored
	count   int
	depth   int
}

// anchored is the value of an anchored node and its size in values.
type anchored struct {
	value any
	count int  // values the anchored node expands to
	done  bool // false while the node itself is being converted
}

// errAt returns an *Error at the file position of n.
func (c *converter) errAt(n *yaml.Node, msg string) *Error {
	if n == nil {
		return &Error{Line: c.line0, Column: 1, Message: msg}
	}
	return c.errAtLine(n.Line, n.Column, msg)
}

// errAtLine returns an *Error at a line and column of the YAML text.
func (c *converter) errAtLine(line, col int, msg string) *Error {
	return &Error{Line: c.line0 + c.fileLine(line) - 1, Column: max(col, 1), Message: msg}
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

// value converts n. Every node counts against maxValues, and an alias
// counts as many values as its anchor expands to.
func (c *converter) value(n *yaml.Node) (any, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth {
		return nil, c.errAt(n, fmt.Sprintf("values nest deeper than %d levels", maxDepth))
	}
	c.count++
	if c.count > maxValues {
		return nil, c.errAt(n, fmt.Sprintf("front matter expands to more than %d values", maxValues))
	}
	if n.Kind == yaml.AliasNode {
		return c.alias(n)
	}
	var a *anchored
	before := c.count
	if n.Anchor != "" {
		if c.anchors == nil {
			c.anchors = make(map[*yaml.Node]*anchored)
		}
		a = &anchored{}
		c.anchors[n] = a
	}
	var v any
	var err error
	switch n.Kind {
	case yaml.ScalarNode:
		v, err = c.scalar(n)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			var x any
			if x, err = c.value(item); err != nil {
				break
			}
			list = append(list, x)
		}
		v = list
	case yaml.MappingNode:
		v, err = c.mapping(n)
	default:
		err = c.errAt(n, "unsupported YAML construct")
	}
	if err != nil {
		return nil, err
	}
	if a != nil {
		a.value, a.count, a.done = v, c.count-before, true
	}
	return v, nil
}

// alias returns the value of the node an alias refers to.
func (c *converter) alias(n *yaml.Node) (any, error) {
	a := c.anchors[n.Alias]
	if n.Alias == nil || a == nil {
		return nil, c.errAt(n, fmt.Sprintf("alias *%s refers to no anchor &%s defined before it", n.Value, n.Value))
	}
	if !a.done {
		return nil, c.errAt(n, fmt.Sprintf("alias *%s is inside the value it refers to", n.Value))
	}
	c.count += a.count
	if c.count > maxValues {
		return nil, c.errAt(n, fmt.Sprintf("front matter expands to more than %d values", maxValues))
	}
	return a.value, nil
}

// mapping converts a mapping. Merge keys ("<<") add the entries of the
// merged mappings that the mapping does not set itself; of several merged
// mappings, the first to set a key wins.
func (c *converter) mapping(n *yaml.Node) (map[string]any, error) {
	m := make(map[string]any, len(n.Content)/2)
	var same map[string]string // plain keys by what they resolve to, when not a string
	var merges []*yaml.Node    // the keys of merge entries; values follow them
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, k, val)
			continue
		}
		key, err := c.key(k)
		if err != nil {
			return nil, err
		}
		if _, dup := m[key]; dup {
			return nil, c.errAt(k, fmt.Sprintf("key %q is already defined in this mapping; remove one of them", key))
		}
		// "~" and "null", or "1" and "0x1", are one key written twice.
		if id, ok := keyIdentity(k); ok {
			if first, dup := same[id]; dup {
				return nil, c.errAt(k, fmt.Sprintf("key %q is the same key as %q, already defined in this mapping; remove one of them", key, first))
			}
			if same == nil {
				same = make(map[string]string)
			}
			same[id] = key
		}
		v, err := c.value(val)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	for i := 0; i < len(merges); i += 2 {
		k, val := merges[i], merges[i+1]
		v, err := c.value(val)
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
				return nil, c.errAt(k, "a merge key '<<' must refer to a mapping or a list of mappings")
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

// keyIdentity returns what a plain key that is not a string resolves to, as
// text, so that spellings of one value can be told to be the same key.
func keyIdentity(k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode || !yamlnode.IsPlain(k) {
		return "", false
	}
	switch v := resolvePlain(k.Value).(type) {
	case string:
		return "", false
	case time.Time:
		return "time " + TimeText(v), true
	default:
		return fmt.Sprintf("%T %v", v, v), true
	}
}

// isMergeKey reports whether k is the plain key "<<".
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && yamlnode.IsPlain(k)
}

// key returns the string form of a mapping key: its text as written (without
// quotes), so that `1: x` has the key "1" and `true: x` the key "true".
func (c *converter) key(k *yaml.Node) (string, error) {
	if k.Kind == yaml.AliasNode {
		if k.Alias == nil || k.Alias.Kind != yaml.ScalarNode {
			return "", c.errAt(k, "an alias used as a key must refer to a single value")
		}
		return k.Alias.Value, nil
	}
	if k.Kind != yaml.ScalarNode {
		return "", c.errAt(k, "a key must be a single value, not a list or a mapping")
	}
	if k.Anchor != "" {
		if _, err := c.value(k); err != nil {
			return "", err
		}
	}
	return k.Value, nil
}

// scalar converts a scalar: plain ones as the YAML 1.2 core schema reads
// them (plus dates, see resolvePlain), quoted and block ones as strings, and
// the standard tags.
func (c *converter) scalar(n *yaml.Node) (any, error) {
	tag := yamlnode.Tag(n)
	plain := yamlnode.IsPlain(n) || (tag != "" && n.Style&^yaml.TaggedStyle == 0)
	bad := func(what string) (any, error) {
		return nil, c.errAt(n, fmt.Sprintf("cannot read %s as %s", strconv.Quote(n.Value), what))
	}
	switch tag {
	case "":
		if plain {
			return resolvePlain(n.Value), nil
		}
		return n.Value, nil
	case "!!str":
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		if b, ok := yamlnode.Plain(n.Value).(bool); ok && n.Value != "" {
			return b, nil
		}
		return bad("a boolean")
	case "!!int":
		switch v := normalizeInt(yamlnode.Plain(n.Value)).(type) {
		case int, uint64:
			return v, nil
		}
		return bad("an integer")
	case "!!float":
		switch v := yamlnode.Plain(n.Value).(type) {
		case float64:
			return v, nil
		case int64:
			return float64(v), nil
		case uint64:
			return float64(v), nil
		}
		return bad("a number")
	case "!!timestamp":
		if t, ok := parseTimestamp(n.Value); ok {
			return t, nil
		}
		return bad("a timestamp")
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return bad("base64 binary data")
		}
		return b, nil
	}
	// Other tags are kept out of the value: it reads as if untagged.
	if plain {
		return resolvePlain(n.Value), nil
	}
	return n.Value, nil
}

// describe shows a value in an error message, briefly.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case nil:
		return "null"
	case time.Time:
		return TimeText(x)
	default:
		s := fmt.Sprintf("%v", x)
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		return s
	}
}

// normalizeInt turns int64 and uint64 into int where it fits.
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
