package markdown

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

const (
	// maxYAML bounds the size of front matter. The YAML parser takes time
	// quadratic in the number of entries of a mapping or list: some 0.2 s
	// at 64 KiB, 10 s at 256 KiB. Hand-written front matter is a few
	// hundred bytes.
	maxYAML = 64 << 10
	// maxDepth bounds the nesting of collections. The YAML parser slows down
	// quadratically with bracket nesting (a second at ten thousand levels), and
	// no front matter written by hand comes near the bound.
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
	mapping *ast.MappingNode
}

// parseDoc parses YAML text whose first line is line line0 of the file.
func parseDoc(src []byte, line0 int) (*doc, error) {
	if err := checkSize(src, line0); err != nil {
		return nil, err
	}
	if depth := bracketDepth(src); depth > maxDepth {
		return nil, &Error{Line: line0, Column: 1, Message: fmt.Sprintf("brackets nest deeper than %d levels", maxDepth)}
	}
	if bytes.Contains(src, []byte("\r\n")) {
		// The parser miscounts lines after a comment ended by CRLF; with LF
		// its line numbers match the file's, one for one.
		src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	}
	f, err := parseAST(src)
	if err != nil {
		return nil, yamlError(err, src, line0)
	}
	c := converter{line0: line0, src: src}
	var body ast.Node
	if len(f.Docs) > 0 {
		body = f.Docs[0].Body
	}
	if len(f.Docs) > 1 {
		tk := f.Docs[1].Start
		if tk == nil && f.Docs[1].Body != nil {
			tk = f.Docs[1].Body.GetToken()
		}
		return nil, c.errAt(tk, "front matter must be one YAML document; remove the '---' line")
	}
	if body == nil {
		return &doc{values: map[string]any{}}, nil
	}
	v, err := c.value(body)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			// Only comments, or an explicit null.
			return &doc{values: map[string]any{}}, nil
		}
		return nil, c.errAt(body.GetToken(), fmt.Sprintf("front matter must be a mapping of keys to values, found %s", kindOf(v)))
	}
	// A tag or an anchor on the whole mapping sits on a line of its own
	// before the first key; the keys' lines can still be edited.
	for {
		switch n := body.(type) {
		case *ast.TagNode:
			body = n.Value
			continue
		case *ast.AnchorNode:
			body = n.Value
			continue
		}
		break
	}
	mapping, _ := body.(*ast.MappingNode)
	return &doc{values: m, mapping: mapping}, nil
}

// checkSize rejects front matter larger than maxYAML.
func checkSize(src []byte, line0 int) error {
	if len(src) > maxYAML {
		return &Error{Line: line0, Column: 1, Message: fmt.Sprintf("front matter is %d KiB, more than the %d KiB Scribe reads; move the data to a separate file", (len(src)+1023)>>10, maxYAML>>10)}
	}
	return nil
}

// parseAST runs the YAML parser, turning a panic inside it into an error:
// front matter comes from arbitrary files, and one hostile file must not take
// the daemon down.
func parseAST(src []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this input: %v", r)
		}
	}()
	return parser.ParseBytes(src, 0)
}

// yamlError converts a parser error to an *Error with a file position.
func yamlError(err error, src []byte, line0 int) error {
	var perr interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &perr) {
		c := converter{line0: line0, src: src}
		return c.errAt(perr.GetToken(), perr.GetMessage())
	}
	return &Error{Line: line0, Column: 1, Message: err.Error()}
}

// bracketDepth returns an upper bound of the flow-collection nesting of src.
// It ignores quoting, so brackets inside strings count too; that only makes
// the bound looser.
func bracketDepth(src []byte) int {
	depth, deepest := 0, 0
	for _, c := range src {
		switch c {
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return deepest
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
