package frontmatter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
	"github.com/scribe-md/scribe/internal/schemaerr"
	"github.com/scribe-md/scribe/internal/yamlnode"
)

func init() {
	action.Register(action.Spec{
		Name:    "frontmatter.validate",
		Summary: "check the front matter against a JSON Schema (a file or inline); one finding per violation, at the offending key",
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
		a.schema, err = compileFile(s, b.ConfigDir)
	case map[string]any:
		a.schema, err = compileInline(s, b.Rule, b.ConfigDir)
	default:
		err = fmt.Errorf("schema must be a file path or an inline schema, got %T", s)
	}
	if err != nil {
		return nil, fmt.Errorf("frontmatter.validate: %w", err)
	}
	return a, nil
}

// compiler returns a compiler that asserts formats (users who write
// `format: date` expect it checked, not merely annotated) and loads $refs
// from JSON or YAML files inside roots, and from nowhere else.
func compiler(roots ...string) *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(jsonschema.SchemeURLLoader{"file": loader{roots: roots}})
	return c
}

// Bounds on schema files, checked before they are parsed: a schema is a few
// KiB; these keep a hostile one (a "billion laughs", a staircase of nested
// mappings) from costing more than a few milliseconds.
const (
	maxSchemaBytes  = 1 << 20
	maxSchemaDepth  = 256
	maxSchemaValues = 100_000
)

// loader loads referenced schema files, JSON or YAML by extension, from
// inside its roots only: a $ref to /etc/hostname, or through a symbolic link
// out of a root, is refused.
type loader struct {
	roots []string
}

func (l loader) Load(u string) (any, error) {
	p, err := jsonschema.FileLoader{}.ToFile(u)
	if err != nil {
		return nil, err
	}
	data, err := readInside(p, l.roots)
	if err != nil {
		return nil, err
	}
	doc, err := decodeSchema(p, data)
	if err != nil {
		return nil, fmt.Errorf("schema file %s is not valid %w", p, err)
	}
	return doc, nil
}

// readInside reads the file at the absolute path p if it lies inside one
// of roots (symbolic links resolved, none leading out), up to
// maxSchemaBytes.
func readInside(p string, roots []string) ([]byte, error) {
	for _, root := range roots {
		rel, err := filepath.Rel(root, p)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		f, err := os.OpenInRoot(root, rel)
		if err != nil {
			return nil, fmt.Errorf("schema file %s: %w (a $ref may not lead out of %s)", p, err, root)
		}
		defer f.Close()
		data, err := readLimited(f)
		if err != nil {
			return nil, fmt.Errorf("schema file %s: %w", p, err)
		}
		return data, nil
	}
	return nil, fmt.Errorf("schema file %s is outside the folders a $ref may name (%s); keep referenced schemas next to the configuration", p, strings.Join(roots, ", "))
}

// readLimited reads r, refusing more than maxSchemaBytes.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSchemaBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSchemaBytes {
		return nil, fmt.Errorf("the file is larger than %d KiB, more than a schema needs", maxSchemaBytes>>10)
	}
	return data, nil
}

// decodeSchema decodes a schema file: YAML for .yaml and .yml, else JSON. The
// error completes "is not valid ". YAML is bounded in nesting before it is
// parsed and in values (aliases expanded) while it is decoded.
func decodeSchema(name string, data []byte) (any, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		if e := yamlnode.Check(data, yamlnode.Limits{MaxBytes: maxSchemaBytes, MaxDepth: maxSchemaDepth}); e != nil {
			return nil, fmt.Errorf("YAML: %w", e)
		}
		root, err := yamlnode.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("YAML: %w", err)
		}
		v, err := yamlnode.Decode(root, maxSchemaValues)
		if err != nil {
			return nil, fmt.Errorf("YAML: %w", err)
		}
		doc, err := jsonValue(v)
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

// compileFile loads a JSON or YAML (.yaml, .yml) schema file; relative
// paths are relative to dir, and $refs to other files resolve next to it,
// inside dir or the schema file's own folder.
func compileFile(name, dir string) (*jsonschema.Schema, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("schema file %q: %w", name, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("schema file %q not found (paths are relative to the configuration file's directory)", name)
		}
		return nil, fmt.Errorf("schema file %q: %w", name, err)
	}
	data, err := readLimited(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("schema file %q: %w", name, err)
	}
	doc, err := decodeSchema(abs, data)
	if err != nil {
		return nil, fmt.Errorf("schema file %q is not valid %w", name, err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	c := compiler(schemaRoots(dir, filepath.Dir(abs))...)
	if err := c.AddResource(u, doc); err != nil {
		return nil, fmt.Errorf("schema file %q: %w", name, err)
	}
	sch, err := c.Compile(u)
	if err != nil {
		return nil, fmt.Errorf("schema file %q is not a valid JSON Schema: %w", name, err)
	}
	return sch, nil
}

// schemaRoots returns the absolute forms of dirs, without repeats.
func schemaRoots(dirs ...string) []string {
	var out []string
	for _, d := range dirs {
		if abs, err := filepath.Abs(d); err == nil && !slices.Contains(out, abs) {
			out = append(out, abs)
		}
	}
	return out
}

// compileInline compiles a schema written in the configuration. It is
// given a URL in the configuration's directory, so that a relative $ref
// names a schema file next to the configuration, as a schema path does.
func compileInline(m map[string]any, rule, dir string) (*jsonschema.Schema, error) {
	doc, err := jsonValue(m)
	if err != nil {
		return nil, fmt.Errorf("inline schema: %w", err)
	}
	abs, err := filepath.Abs(filepath.Join(dir, "scribe-inline-schema-"+url.PathEscape(rule)+".json"))
	if err != nil {
		return nil, fmt.Errorf("inline schema: %w", err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	c := compiler(schemaRoots(dir)...)
	if err := c.AddResource(u, doc); err != nil {
		return nil, fmt.Errorf("inline schema: %w", err)
	}
	sch, err := c.Compile(u)
	if err != nil {
		return nil, fmt.Errorf("inline schema is not a valid JSON Schema: %w", err)
	}
	return sch, nil
}

// jsonValue round-trips v through JSON into the shapes the schema library
// knows (json.Number, map[string]any, []any).
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// Run validates the file's front matter and reports each violation.
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
	inst, err := a.instance(fm)
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
	for i, v := range leaves(ve) {
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
// the strings they were written as (see markdown.TimeText),
// so that `type: string, format: date` accepts an unquoted YAML date.
func (a *validateAction) instance(fm map[string]any) (any, error) {
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
			// As written: markdown.Parse reads a time only when this
			// prints it back exactly.
			return markdown.TimeText(v), nil
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

// violation is one leaf of a validation error.
type violation struct {
	path []string
	msg  string
}

// leaves flattens a validation error into its leaves, one violation
// per property for "additional properties" so each points at its own key.
func leaves(ve *jsonschema.ValidationError) []violation {
	var out []violation
	for _, e := range schemaerr.Leaves(ve) {
		if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
			for _, p := range ap.Properties {
				out = append(out, violation{path: append(slices.Clone(e.InstanceLocation), p), msg: "field not allowed by the schema"})
			}
			continue
		}
		out = append(out, violation{path: e.InstanceLocation, msg: message(e.ErrorKind)})
	}
	return out
}

// message phrases the common violations for people who write YAML;
// the rest use the schema library's wording.
func message(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Enum:
		if len(k.Want) == 1 {
			return "value must be " + jsonText(k.Want[0])
		}
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = jsonText(w)
		}
		return "value must be one of " + strings.Join(want, ", ")
	case *kind.Const:
		return "value must be " + jsonText(k.Want)
	case *kind.Type:
		return fmt.Sprintf("value must be %s, not %s", schemaerr.Types(k.Want), schemaerr.Types([]string{k.Got}))
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
		return fmt.Sprintf("%s is not a valid %s", jsonText(k.Got), k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("%s does not match the pattern %s", strconv.Quote(k.Got), strconv.Quote(k.Want))
	case *kind.FalseSchema:
		return "not allowed by the schema"
	}
	return schemaerr.Message(k)
}

// jsonText renders a schema value in a message: strings in double quotes.
func jsonText(v any) string {
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
// YAML once, and only when asked: a file that validates cleanly never pays
// for it.
type fmPositions struct {
	content []byte
	parsed  bool
	block   markdown.Block
	line0   int // file line of the first YAML line
	body    *yaml.Node
	toml    map[string]markdown.Position // TOML: where each top-level key is
}

func (p *fmPositions) parse() {
	if p.parsed {
		return
	}
	p.parsed = true
	p.block = markdown.Find(p.content)
	p.line0 = 1 + bytes.Count(p.content[:p.block.YAMLStart], []byte{'\n'})
	switch {
	case !p.block.Present:
		return
	case p.block.Format == markdown.TOML:
		// Findings point at their top-level key, or at the fence.
		p.toml = markdown.TOMLKeyPositions(p.content)
		return
	}
	// markdown.Parse already accepted this YAML (or JSON), within its bounds.
	p.body, _ = yamlnode.Parse(p.content[p.block.YAMLStart:p.block.YAMLEnd])
}

// at returns the file line and column of the value at path: the key of a
// mapping entry, the item of a list; the deepest existing ancestor when the
// path goes further than the YAML; the opening fence when there is nothing
// better (line 1 for a file without front matter).
func (p *fmPositions) at(path []string) (line, col int) {
	p.parse()
	line, col = 1+bytes.Count(p.content[:p.block.Start], []byte{'\n'}), 1
	if p.block.Format == markdown.TOML && len(path) > 0 {
		// The top-level key's line: TOML's nested values are not mapped.
		if at, ok := p.toml[path[0]]; ok {
			return at.Line, at.Column
		}
		return line, col
	}
	node := fmUnwrap(p.body)
	for _, seg := range path {
		mark, next := fmChild(node, seg)
		if mark == nil {
			break
		}
		line, col = p.line0+max(mark.Line, 1)-1, max(mark.Column, 1)
		node = fmUnwrap(next)
	}
	return line, col
}

// fmUnwrap looks through aliases to the value node.
func fmUnwrap(n *yaml.Node) *yaml.Node {
	for range 64 {
		if n == nil || n.Kind != yaml.AliasNode {
			return n
		}
		n = n.Alias
	}
	return n
}

// fmChild returns the node that marks seg in node (the key, or the list
// item) and the child value node.
func fmChild(node *yaml.Node, seg string) (mark, value *yaml.Node) {
	if node == nil {
		return nil, nil
	}
	switch node.Kind {
	case yaml.SequenceNode:
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(node.Content) {
			return nil, nil
		}
		return node.Content[i], node.Content[i]
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			if k := node.Content[i]; k.Kind == yaml.ScalarNode && k.Value == seg {
				return k, node.Content[i+1]
			}
		}
	}
	return nil, nil
}
