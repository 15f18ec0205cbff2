package builtin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	yamltoken "github.com/goccy/go-yaml/token"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
)

func init() {
	action.Register(action.Spec{
		Name:    "frontmatter.validate",
		Summary: "check the front matter against a JSON Schema (a file or inline); one finding per fvViolation, at the offending key",
		Schema: `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["schema"],
  "properties": {
    "schema": {
      "description": "path of a JSON or YAML schema file, relative to the configuration file; or an inline schema",
      "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "object"}
      ]
    },
    "severity": {"enum": ["error", "warning", "info"], "default": "error"}
  }
}`,
		Example: `frontmatter.validate:
  schema:
    type: object
    required: [title, status]
    properties:
      title: {type: string, minLength: 1}
      status: {enum: [draft, review, done]}
      date: {type: string, format: date}
  severity: error`,
		New: newValidate,
	})
}

// validateAction checks front matter against a compiled schema.
type validateAction struct {
	schema   *jsonschema.Schema
	severity action.Severity
}

var _ action.Action = (*validateAction)(nil)

// fvPrinter renders the schema library's messages for the kinds
// fvMessage does not phrase itself.
var fvPrinter = message.NewPrinter(language.English)

func newValidate(params any, b action.Build) (action.Action, error) {
	m, ok := params.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("frontmatter.validate: parameters must be a mapping with schema, got %T", params)
	}
	a := &validateAction{severity: action.SeverityError}
	if s, ok := m["severity"].(string); ok {
		switch sv := action.Severity(s); sv {
		case action.SeverityError, action.SeverityWarning, action.SeverityInfo:
			a.severity = sv
		default:
			return nil, fmt.Errorf("frontmatter.validate: unknown severity %q: use error, warning or info", s)
		}
	}
	var err error
	switch s := m["schema"].(type) {
	case string:
		a.schema, err = fvCompileFile(s, b.ConfigDir)
	case map[string]any:
		a.schema, err = fvCompileInline(s, b.Rule, b.ConfigDir)
	default:
		err = fmt.Errorf("schema must be a file path or an inline schema, got %T", s)
	}
	if err != nil {
		return nil, fmt.Errorf("frontmatter.validate: %w", err)
	}
	return a, nil
}

// fvCompiler returns a compiler that asserts formats (users who write
// `format: date` expect it checked, not merely annotated) and loads $refs
// from JSON or YAML files, and from nowhere else.
func fvCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(jsonschema.SchemeURLLoader{"file": fvLoader{}})
	return c
}

// fvLoader loads referenced schema files, JSON or YAML by extension.
type fvLoader struct{}

func (fvLoader) Load(u string) (any, error) {
	p, err := jsonschema.FileLoader{}.ToFile(u)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return fvDecode(p, data)
}

// fvDecode decodes a schema file: YAML for .yaml and .yml, else JSON. The
// error completes "is not valid ".
func fvDecode(name string, data []byte) (any, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("YAML: %w", err)
		}
		doc, err := fvJSONValue(v)
		if err != nil {
			return nil, fmt.Errorf("YAML: %w", err)
		}
		return doc, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("JSON: %w", err)
	}
	return doc, nil
}

// fvCompileFile loads a JSON or YAML (.yaml, .yml) schema file; relative
// paths are relative to dir, and $refs to other files resolve next to it.
func fvCompileFile(name, dir string) (*jsonschema.Schema, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("schema file %q: %w", name, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("schema file %q not found (paths are relative to the configuration file's directory)", name)
		}
		return nil, fmt.Errorf("schema file %q: %w", name, err)
	}
	doc, err := fvDecode(abs, data)
	if err != nil {
		return nil, fmt.Errorf("schema file %q is not valid %w", name, err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	c := fvCompiler()
	if err := c.AddResource(u, doc); err != nil {
		return nil, fmt.Errorf("schema file %q: %w", name, err)
	}
	sch, err := c.Compile(u)
	if err != nil {
		return nil, fmt.Errorf("schema file %q is not a valid JSON Schema: %w", name, err)
	}
	return sch, nil
}

// fvCompileInline compiles a schema written in the configuration. It is
// given a URL in the configuration's directory, so that a relative $ref
// names a schema file next to the configuration, as a schema path does.
func fvCompileInline(m map[string]any, rule, dir string) (*jsonschema.Schema, error) {
	doc, err := fvJSONValue(m)
	if err != nil {
		return nil, fmt.Errorf("inline schema: %w", err)
	}
	abs, err := filepath.Abs(filepath.Join(dir, "scribe-inline-schema-"+url.PathEscape(rule)+".json"))
	if err != nil {
		return nil, fmt.Errorf("inline schema: %w", err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	c := fvCompiler()
	if err := c.AddResource(u, doc); err != nil {
		return nil, fmt.Errorf("inline schema: %w", err)
	}
	sch, err := c.Compile(u)
	if err != nil {
		return nil, fmt.Errorf("inline schema is not a valid JSON Schema: %w", err)
	}
	return sch, nil
}

// fvJSONValue round-trips v through JSON into the shapes the schema library
// knows (json.Number, map[string]any, []any).
func fvJSONValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// Run validates the file's front matter and reports each fvViolation.
func (a *validateAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if err := ctx.Err(); err != nil {
		return action.Output{}, err
	}
	fm := in.FrontMatter
	if len(fm) == 0 {
		// Parse again: an empty map may hide front matter that is not
		// valid YAML, which deserves a finding rather than a pass as {}.
		var err error
		if fm, err = markdown.Parse(in.Content); err != nil {
			f := a.finding(in, 0, 0, "front matter is not valid YAML: "+err.Error())
			var me *markdown.Error
			if errors.As(err, &me) {
				f = a.finding(in, me.Line, me.Column, "front matter is not valid YAML: "+me.Message)
			}
			return action.Output{Findings: []action.Finding{f}}, nil
		}
	}
	pos := &fmPositions{content: in.Content}
	inst, err := a.instance(fm, pos)
	if err != nil {
		return action.Output{}, fmt.Errorf("frontmatter.validate: %w", err)
	}
	err = a.schema.Validate(inst)
	if err == nil {
		return action.Output{}, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return action.Output{}, fmt.Errorf("frontmatter.validate: %w", err)
	}
	var out []action.Finding
	seen := map[string]bool{}
	for i, v := range fvLeaves(ve) {
		if i%256 == 0 && ctx.Err() != nil {
			return action.Output{}, ctx.Err()
		}
		line, col := pos.at(v.path)
		msg := "front matter"
		if len(v.path) > 0 {
			msg += " " + strconv.Quote(fmPath(v.path))
		}
		msg += ": " + v.msg
		key := fmt.Sprintf("%d:%d:%s", line, col, msg)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, a.finding(in, line, col, msg))
	}
	slices.SortStableFunc(out, func(x, y action.Finding) int {
		if x.Line != y.Line {
			return x.Line - y.Line
		}
		if x.Column != y.Column {
			return x.Column - y.Column
		}
		return strings.Compare(x.Message, y.Message)
	})
	return action.Output{Findings: out}, nil
}

func (a *validateAction) finding(in action.Input, line, col int, msg string) action.Finding {
	// YAML also ends lines at a lone CR, which editors and diff tools may
	// not: keep the line inside the file as counted by LF.
	if last := 1 + bytes.Count(in.Content, []byte{'\n'}); line > last {
		line, col = last, 1
	}
	return action.Finding{
		Path: in.Path, Line: line, Column: col, Rule: in.Rule,
		Action: "frontmatter.validate", Severity: a.severity, Message: msg,
	}
}

// instance converts front matter to the JSON data model: dates become
// strings as written (2024-05-01 stays a date, a timestamp becomes RFC 3339),
// so that `type: string, format: date` accepts an unquoted YAML date.
func (a *validateAction) instance(fm map[string]any, pos *fmPositions) (any, error) {
	var conv func(v any, path []string) (any, error)
	conv = func(v any, path []string) (any, error) {
		switch v := v.(type) {
		case nil, bool, string, int, int64, uint64, json.Number:
			return v, nil
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				// JSON has no such numbers; let the schema see them as text.
				return strconv.FormatFloat(v, 'g', -1, 64), nil
			}
			return v, nil
		case time.Time:
			return pos.timeText(path, v), nil
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, e := range v {
				c, err := conv(e, append(path, k))
				if err != nil {
					return nil, err
				}
				out[k] = c
			}
			return out, nil
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				c, err := conv(e, append(path, strconv.Itoa(i)))
				if err != nil {
					return nil, err
				}
				out[i] = c
			}
			return out, nil
		case []byte:
			return string(v), nil
		}
		return fmt.Sprint(v), nil
	}
	return conv(fm, nil)
}

// fvViolation is one leaf of a validation error.
type fvViolation struct {
	path []string
	msg  string
}

// fvLeaves flattens a validation error into its leaves, one violation
// per property for "additional properties" so each points at its own key.
func fvLeaves(ve *jsonschema.ValidationError) []fvViolation {
	var out []fvViolation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
			for _, p := range ap.Properties {
				out = append(out, fvViolation{path: append(slices.Clone(e.InstanceLocation), p), msg: "field not allowed by the schema"})
			}
			return
		}
		out = append(out, fvViolation{path: e.InstanceLocation, msg: fvMessage(e.ErrorKind)})
	}
	walk(ve)
	return out
}

// fvMessage phrases the common violations for people who write YAML;
// the rest use the schema library's wording.
func fvMessage(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Enum:
		if len(k.Want) == 1 {
			return "value must be " + fvJSONText(k.Want[0])
		}
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fvJSONText(w)
		}
		return "value must be one of " + strings.Join(want, ", ")
	case *kind.Const:
		return "value must be " + fvJSONText(k.Want)
	case *kind.Type:
		return fmt.Sprintf("value must be %s, not %s", strings.Join(fvArticled(k.Want), " or "), fvArticled([]string{k.Got})[0])
	case *kind.Required:
		if len(k.Missing) == 1 {
			return fmt.Sprintf("missing required field %q", k.Missing[0])
		}
		q := make([]string, len(k.Missing))
		for i, m := range k.Missing {
			q[i] = strconv.Quote(m)
		}
		return "missing required fields " + strings.Join(q, ", ")
	case *kind.Format:
		return fmt.Sprintf("%s is not a valid %s", fvJSONText(k.Got), k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("%s does not match the pattern %s", strconv.Quote(k.Got), strconv.Quote(k.Want))
	case *kind.FalseSchema:
		return "not allowed by the schema"
	}
	return k.LocalizedString(fvPrinter)
}

// fvArticled puts "a" or "an" before JSON type names.
func fvArticled(types []string) []string {
	out := make([]string, len(types))
	for i, t := range types {
		switch t {
		case "array":
			out[i] = "a list"
		case "object":
			out[i] = "a mapping"
		case "integer":
			out[i] = "an integer"
		case "null":
			out[i] = "null"
		default:
			out[i] = "a " + t
		}
	}
	return out
}

// fvJSONText renders a schema value in a message: strings in double quotes.
func fvJSONText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// fmPath renders an instance location as a.b[1].c.
func fmPath(p []string) string {
	var b strings.Builder
	for i, s := range p {
		if _, err := strconv.Atoi(s); err == nil && i > 0 {
			b.WriteString("[" + s + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// fmPositions finds where values sit in a file's front matter. It parses the
// YAML once, and only when asked: a file that validates cleanly and holds no
// dates never pays for it.
type fmPositions struct {
	content []byte
	parsed  bool
	block   markdown.Block
	line0   int // file line of the first YAML line
	body    ast.Node
}

func (p *fmPositions) parse() {
	if p.parsed {
		return
	}
	p.parsed = true
	p.block = markdown.Find(p.content)
	p.line0 = 1 + bytes.Count(p.content[:p.block.YAMLStart], []byte{'\n'})
	if !p.block.Present {
		return
	}
	p.body = fmParseBody(p.content[p.block.YAMLStart:p.block.YAMLEnd])
}

// fmParseBody parses YAML that markdown.Parse already accepted; a panic in
// the parser is turned into "no positions".
func fmParseBody(src []byte) (body ast.Node) {
	defer func() {
		if recover() != nil {
			body = nil
		}
	}()
	f, err := parser.ParseBytes(src, 0)
	if err != nil || len(f.Docs) == 0 {
		return nil
	}
	return f.Docs[0].Body
}

// at returns the file line and column of the value at path: the key of a
// mapping entry, the item of a list; the deepest existing ancestor when the
// path goes further than the YAML; the opening fence when there is nothing
// better (line 1 for a file without front matter).
func (p *fmPositions) at(path []string) (line, col int) {
	p.parse()
	line, col = 1+bytes.Count(p.content[:p.block.Start], []byte{'\n'}), 1
	node := fmUnwrap(p.body)
	for _, seg := range path {
		tk, next := fmChild(node, seg)
		if tk == nil || tk.Position == nil {
			break
		}
		line, col = p.line0+max(tk.Position.Line, 1)-1, max(tk.Position.Column, 1)
		node = fmUnwrap(next)
	}
	return line, col
}

// timeText renders a date from the front matter as it was written when it
// was a plain date, else as RFC 3339.
func (p *fmPositions) timeText(path []string, t time.Time) string {
	p.parse()
	node := fmUnwrap(p.body)
	for _, seg := range path {
		_, node = fmChild(node, seg)
		node = fmUnwrap(node)
	}
	if node != nil {
		if tk := node.GetToken(); tk != nil {
			if _, err := time.Parse(time.DateOnly, strings.TrimSpace(tk.Value)); err == nil {
				return t.Format(time.DateOnly)
			}
		}
	} else if t.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)) {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

// fmUnwrap looks through anchors and tags to the value node.
func fmUnwrap(n ast.Node) ast.Node {
	for range 64 {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

// fmChild returns the token that marks seg in node (the key, or the list
// item) and the child value node.
func fmChild(node ast.Node, seg string) (*yamltoken.Token, ast.Node) {
	var entries []*ast.MappingValueNode
	switch n := node.(type) {
	case *ast.MappingNode:
		entries = n.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{n}
	case *ast.SequenceNode:
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(n.Values) || n.Values[i] == nil {
			return nil, nil
		}
		return n.Values[i].GetToken(), n.Values[i]
	default:
		return nil, nil
	}
	for _, e := range entries {
		if e == nil || e.Key == nil {
			continue
		}
		if fmKeyText(e.Key) == seg {
			return e.Key.GetToken(), e.Value
		}
	}
	return nil, nil
}

// fmKeyText returns a mapping key as markdown.Parse names it.
func fmKeyText(k ast.Node) string {
	k = fmUnwrap(k)
	switch n := k.(type) {
	case *ast.MappingKeyNode:
		if n.Value == nil {
			return "null"
		}
		return fmKeyText(n.Value)
	case *ast.StringNode:
		return n.Value
	case nil:
		return ""
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}
