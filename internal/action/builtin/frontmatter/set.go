package frontmatter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/markdown"
	"github.com/scribe-md/scribe/internal/template"
)

func init() {
	action.Register(action.Spec{
		Name:    "frontmatter.set",
		Summary: "set front matter fields (string values are templates), creating the block if needed and keeping every other byte",
		Schema: `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "minProperties": 1,
  "propertyNames": {"minLength": 1},
  "additionalProperties": {
    "description": "a string is a template rendered per file; numbers, booleans, null, lists and mappings are set as written"
  }
}`,
		Example: `frontmatter.set:
  updated: '{{ now | date "2006-01-02" }}'
  slug: '{{ .FM.title | default .Name | slug }}'
  reviewed: false`,
		New: newSet,
	})
}

// setAction sets front matter fields.
//
// YAML mappings have no order, so the fields are applied in sorted key
// order: an existing key is changed where it stands, and new keys are
// appended at the end of the block in sorted order.
type setAction struct {
	fields []setField // sorted by key
	// dynamic is true when some value is a template that needs the file.
	dynamic bool
}

// setField is one field: a template for string values, else a fixed value.
type setField struct {
	key   string
	tmpl  *template.Template // nil for a fixed value
	value any
}

var _ action.Action = (*setAction)(nil)

func newSet(params any, _ action.Build) (action.Action, error) {
	m, ok := params.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, fmt.Errorf("frontmatter.set: parameters must be a mapping of field names to values, got %T", params)
	}
	a := &setAction{}
	probe := make([]markdown.Field, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		f := setField{key: k, value: m[k]}
		if s, ok := m[k].(string); ok {
			t, err := template.Parse(k, s)
			if err != nil {
				return nil, fmt.Errorf("frontmatter.set: %w", err)
			}
			if t.Static() {
				f.value, _ = t.Execute(template.Data{})
			} else {
				f.tmpl, f.value, a.dynamic = t, "", true
			}
		}
		a.fields = append(a.fields, f)
		probe = append(probe, markdown.Field{Key: k, Value: f.value})
	}
	// Writing the fields into an empty file checks, now rather than on the
	// first file, that every key and fixed value can be written.
	if _, err := markdown.Set(nil, probe); err != nil {
		return nil, fmt.Errorf("frontmatter.set: %w", err)
	}
	return a, nil
}

// Run renders the templated values for this file and sets every field.
func (a *setAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if err := ctx.Err(); err != nil {
		return action.Output{}, err
	}
	var d template.Data
	if a.dynamic {
		d = template.DataFor(in)
	}
	fields := make([]markdown.Field, len(a.fields))
	var findings []action.Finding
	for i, f := range a.fields {
		fields[i] = markdown.Field{Key: f.key, Value: f.value}
		if f.tmpl != nil {
			s, err := f.tmpl.Execute(d)
			if err != nil {
				return action.Output{}, fmt.Errorf("frontmatter.set: %w", err)
			}
			if !utf8.ValidString(s) {
				// YAML text is UTF-8; a value made from a file name that is
				// not (`{{ .Name }}`) is written in its escaped form.
				findings = append(findings, action.Finding{Severity: action.SeverityWarning,
					Message:    fmt.Sprintf("value of %q is not valid UTF-8 (made from the file name?); set to its escaped form %q", f.key, escape.Name(s)),
					Suggestion: "rename the file to a UTF-8 name"})
				s = escape.Name(s)
			}
			fields[i].Value = s
		}
	}
	out, err := markdown.Set(in.Content, fields)
	if f, ok := unreadableFrontMatter("frontmatter.set", err); ok {
		return action.Output{Findings: append(findings, f)}, nil
	}
	if err != nil {
		return action.Output{}, fmt.Errorf("frontmatter.set: %w", err)
	}
	if bytes.Equal(out, in.Content) {
		return action.Output{Findings: findings}, nil
	}
	return action.Output{Content: out, Findings: findings}, nil
}

// unreadableFrontMatter turns the error of an edit of front matter that is
// not valid YAML, or not YAML (TOML, JSON), into a finding at its position:
// the file is left as it is, and retrying cannot help until someone edits it
// (SPEC §4: such a block gets a finding and is never rewritten).
func unreadableFrontMatter(op string, err error) (action.Finding, bool) {
	var me *markdown.Error
	if !errors.As(err, &me) {
		return action.Finding{}, false
	}
	return action.Finding{Line: me.Line, Column: me.Column, Severity: action.SeverityError,
		Message: op + " left the file as it is: " + me.Message}, true
}
