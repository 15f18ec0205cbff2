package frontmatter

import (
	"bytes"
	"context"
	"fmt"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
)

func init() {
	action.Register(action.Spec{
		Name:    "frontmatter.delete",
		Summary: "remove front matter fields (with their nested lines), keeping every other byte",
		Schema: `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "array",
  "minItems": 1,
  "uniqueItems": true,
  "items": {"type": "string", "minLength": 1}
}`,
		Example: `frontmatter.delete: [draft, obsolete_field]`,
		New:     newDelete,
	})
}

// deleteAction removes top-level front matter fields. Absent fields are
// ignored; a file without front matter is left alone.
type deleteAction struct {
	keys []string
}

var _ action.Action = (*deleteAction)(nil)

func newDelete(params any, _ action.Build) (action.Action, error) {
	list, ok := params.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("frontmatter.delete: parameters must be a list of field names, got %T", params)
	}
	a := &deleteAction{keys: make([]string, 0, len(list))}
	for i, v := range list {
		s, ok := v.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("frontmatter.delete: item %d must be a field name, got %v", i, v)
		}
		a.keys = append(a.keys, s)
	}
	return a, nil
}

// Run deletes the fields.
func (a *deleteAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if err := ctx.Err(); err != nil {
		return action.Output{}, err
	}
	out, err := markdown.DeleteAs(in.Content, a.keys, action.DialectOf(in.Host.Docs))
	if f, ok := unreadableFrontMatter("frontmatter.delete", err); ok {
		return action.Output{Findings: []action.Finding{f}}, nil
	}
	if err != nil {
		return action.Output{}, fmt.Errorf("frontmatter.delete: %w", err)
	}
	if bytes.Equal(out, in.Content) {
		return action.Output{}, nil
	}
	return action.Output{Content: out}, nil
}
