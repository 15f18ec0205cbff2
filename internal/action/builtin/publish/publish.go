package publish

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/template"
)

func init() {
	action.Register(action.Spec{
		Name:    "publish",
		Summary: "emit an event (type, file path, templated data): on the bus in the daemon, as a JSON line on stdout in one-shot runs",
		Schema: `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["type"],
  "properties": {
    "type": {
      "type": "string", "maxLength": 128,
      "pattern": "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$",
      "description": "event type: dot-separated tokens of letters, digits, _ and - (it may become part of a bus subject, so no templates, spaces or wildcards)"
    },
    "data": {
      "type": "object",
      "propertyNames": {"minLength": 1},
      "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
      "description": "event data; string values are templates rendered per file, other values are sent as they are"
    }
  }
}`,
		Example: `publish:
  type: task.done
  data:
    title: '{{ .FM.title }}'
    owner: '{{ .FM.owner | default "nobody" }}'
    priority: 2`,
		New: newPublish,
	})
}

// publishParams is the parameter shape users write.
type publishParams struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// publishAction returns one event per file in Output.Events; the engine
// delivers it (bus or stdout), so the action itself has no effect and behaves
// the same in a dry run.
type publishAction struct {
	typ   string
	keys  []string // sorted, for a stable rendering order
	tmpls map[string]*template.Template
	fixed map[string]any // non-string values
}

var _ action.Action = (*publishAction)(nil)

func newPublish(params any, _ action.Build) (action.Action, error) {
	var p publishParams
	if err := action.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if p.Type == "" {
		return nil, errors.New("publish: `type` is required, e.g. type: note.changed")
	}
	a := &publishAction{typ: p.Type, tmpls: map[string]*template.Template{}, fixed: map[string]any{}}
	for k, v := range p.Data {
		a.keys = append(a.keys, k)
		s, ok := v.(string)
		if !ok {
			a.fixed[k] = v
			continue
		}
		t, err := template.Parse("publish data."+k, s)
		if err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
		a.tmpls[k] = t
	}
	slices.Sort(a.keys)
	return a, nil
}

// Run renders the data for the file and returns the event.
func (a *publishAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if err := ctx.Err(); err != nil {
		return action.Output{}, err
	}
	ev := action.Event{Type: a.typ, Path: in.Path}
	if len(a.keys) > 0 {
		ev.Data = make(map[string]any, len(a.keys))
		data := template.DataFor(in)
		for _, k := range a.keys {
			if t, ok := a.tmpls[k]; ok {
				s, err := t.Execute(data)
				if err != nil {
					return action.Output{}, fmt.Errorf("publish %s: %w", a.typ, err)
				}
				ev.Data[k] = s
				continue
			}
			ev.Data[k] = a.fixed[k]
		}
	}
	return action.Output{Events: []action.Event{ev}}, nil
}
