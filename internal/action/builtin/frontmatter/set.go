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
		Summary: "set front matter fields (strings, in lists and mappings too, are templates), creating the block if needed and keeping every other byte",
		Schema: `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "minProperties": 1,
  "propertyNames": {"minLength": 1},
  "additionalProperties": {
    "description": "a string is a template rendered per file, in a list or mapping too; numbers, booleans and null are set as written"
  }
}`,
		Example: `frontmatter.set:
  updated: '{{ now | date "2006-01-02" }}'
  slug: '{{ .FM.title | default .Name | slug }}'
  reviewed: false
  tags: [inbox, "{{ .Dir }}"]`,
		New: newSet,
	})
}

// setAction sets front matter fields.
//
// YAML mappings have no order, so the fields are applied in sorted key
// order: an existing key is changed where it stands, and new keys are
// appended at the end of the block in sorted order. In an Obsidian vault, a
// templated value takes the type the vault gives its property (see typed).
type setAction struct {
	fields []setField // sorted by key
	// dynamic is true when some value is a template that needs the file.
	dynamic bool
	// types are the property types of the Obsidian vaults at the roots.
	types perRoot[map[string]string]
}

// setField is one field and its value.
type setField struct {
	key string
	val value
}

// value is a value as the configuration gives it, its strings parsed as
// templates: a fixed value (a template that needs no file is rendered once),
// a template that needs the file, or a list or mapping holding one.
type value struct {
	fixed any                // when tmpl, items and keys are all unset
	tmpl  *template.Template // a string that needs the file
	items []value            // a list holding one
	keys  []string           // a mapping holding one: its keys, sorted,
	vals  []value            // and their values
}

// parseValue parses the strings in v, at any depth, as templates named
// name; dynamic reports whether one needs the file.
func parseValue(name string, v any) (val value, dynamic bool, err error) {
	switch v := v.(type) {
	case string:
		t, err := template.Parse(name, v)
		if err != nil {
			return value{}, false, err
		}
		if t.Static() {
			s, _ := t.Execute(template.Data{})
			return value{fixed: s}, false, nil
		}
		return value{tmpl: t}, true, nil
	case []any:
		items := make([]value, len(v))
		for i, e := range v {
			var d bool
			if items[i], d, err = parseValue(fmt.Sprintf("%s[%d]", name, i), e); err != nil {
				return value{}, false, err
			}
			dynamic = dynamic || d
		}
		if !dynamic {
			fixed := make([]any, len(items))
			for i, e := range items {
				fixed[i] = e.fixed // a static template's text, rendered
			}
			return value{fixed: fixed}, false, nil
		}
		return value{items: items}, true, nil
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		vals := make([]value, len(keys))
		for i, k := range keys {
			var d bool
			if vals[i], d, err = parseValue(name+"."+k, v[k]); err != nil {
				return value{}, false, err
			}
			dynamic = dynamic || d
		}
		if !dynamic {
			fixed := make(map[string]any, len(keys))
			for i, k := range keys {
				fixed[k] = vals[i].fixed
			}
			return value{fixed: fixed}, false, nil
		}
		return value{keys: keys, vals: vals}, true, nil
	}
	return value{fixed: v}, false, nil
}

// render returns v for the file of d. A rendered string that is not UTF-8
// (made from a file name that is not) is replaced by its escaped form, with
// a warning added to findings.
func (v value) render(key string, d template.Data, findings *[]action.Finding) (any, error) {
	switch {
	case v.tmpl != nil:
		s, err := v.tmpl.Execute(d)
		if err != nil {
			return nil, err
		}
		if !utf8.ValidString(s) {
			// YAML text is UTF-8; a value made from a file name that is
			// not (`{{ .Name }}`) is written in its escaped form.
			*findings = append(*findings, action.Finding{Severity: action.SeverityWarning,
				Message:    fmt.Sprintf("value of %q is not valid UTF-8 (made from the file name?); set to its escaped form %q", key, escape.Name(s)),
				Suggestion: "rename the file to a UTF-8 name"})
			s = escape.Name(s)
		}
		return s, nil
	case v.items != nil:
		out := make([]any, len(v.items))
		for i, e := range v.items {
			var err error
			if out[i], err = e.render(key, d, findings); err != nil {
				return nil, err
			}
		}
		return out, nil
	case v.keys != nil:
		out := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			var err error
			if out[k], err = v.vals[i].render(key, d, findings); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v.fixed, nil
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
		val, dynamic, err := parseValue(k, m[k])
		if err != nil {
			return nil, fmt.Errorf("frontmatter.set: %w", err)
		}
		a.fields = append(a.fields, setField{key: k, val: val})
		a.dynamic = a.dynamic || dynamic
		probe = append(probe, markdown.Field{Key: k, Value: val.fixed}) // nil: the key alone
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
	types := a.types.get(in.Host.Docs, propertyTypes)
	for i, f := range a.fields {
		v, err := f.val.render(f.key, d, &findings)
		if err != nil {
			return action.Output{}, fmt.Errorf("frontmatter.set: %w", err)
		}
		if typ, ok := types[f.key]; ok {
			v = typed(v, typ)
		}
		fields[i] = markdown.Field{Key: f.key, Value: v}
	}
	out, err := markdown.SetAs(in.Content, fields, action.DialectOf(in.Host.Docs))
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
