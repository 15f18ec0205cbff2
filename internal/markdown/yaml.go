package markdown

import (
	"bytes"
	"errors"
	"fmt"

	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/yamlnode"
)

const (
	// maxYAML bounds the size of front matter. Hand-written front matter is
	// a few hundred bytes; 64 KiB parses in a few milliseconds.
	maxYAML = 64 << 10
	// maxDepth bounds the nesting of collections, checked on the bytes
	// before the parser runs; no front matter written by hand comes near it.
	maxDepth = 1000
	// maxValues bounds the number of values a document expands to, counting
	// every use of an alias, so that a few kilobytes of nested aliases (the
	// "billion laughs") cannot cost gigabytes to whoever walks the result.
	maxValues = 1 << 20
)

// doc is parsed front matter: its values and, for editing, its top-level
// mapping node (nil when the front matter holds no keys).
type doc struct {
	values  map[string]any
	mapping *yaml.Node
}

// parseDoc parses YAML text whose first line is line line0 of the file.
func parseDoc(src []byte, line0 int) (*doc, error) {
	if err := checkSize(src, line0); err != nil {
		return nil, err
	}
	c := converter{line0: line0, src: src}
	if e := yamlnode.Check(src, yamlnode.Limits{MaxDepth: maxDepth}); e != nil {
		return nil, c.errAtLine(e.Line, e.Column, fmt.Sprintf("values nest deeper than %d levels", maxDepth))
	}
	root, err := yamlnode.Parse(src)
	if err != nil {
		var ye *yamlnode.Error
		if errors.As(err, &ye) {
			if ye.SecondDocument {
				return nil, c.errAtLine(ye.Line, ye.Column, "front matter must be one YAML document; remove the '---' line")
			}
			return nil, c.errAtLine(ye.Line, ye.Column, ye.Message)
		}
		return nil, &Error{Line: line0, Column: 1, Message: err.Error()}
	}
	if root == nil {
		return &doc{values: map[string]any{}}, nil
	}
	v, err := c.value(root)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			// An explicit null.
			return &doc{values: map[string]any{}}, nil
		}
		return nil, c.errAt(root, fmt.Sprintf("front matter must be a mapping of keys to values, found %s", kindOf(v)))
	}
	// A tag or an anchor on the whole mapping sits on a line of its own
	// before the first key; the keys' lines can still be edited.
	var mapping *yaml.Node
	if root.Kind == yaml.MappingNode {
		mapping = root
	}
	return &doc{values: m, mapping: mapping}, nil
}

// checkSize rejects front matter larger than maxYAML.
func checkSize(src []byte, line0 int) error {
	if len(src) > maxYAML {
		return &Error{Line: line0, Column: 1, Message: fmt.Sprintf("front matter is %d KiB, more than the %d KiB Scribe reads; move the data to a separate file", (len(src)+1023)>>10, maxYAML>>10)}
	}
	return nil
}

// kindOf names the kind of a non-mapping value for an error message.
func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	default:
		return fmt.Sprintf("a single %T value", v)
	}
}

// hasLoneCR reports whether src holds a carriage return that does not end a
// line: YAML breaks lines there, editors mostly do not.
func hasLoneCR(src []byte) bool {
	return bytes.Contains(bytes.ReplaceAll(src, []byte("\r\n"), nil), []byte{'\r'})
}
