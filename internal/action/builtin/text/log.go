package text

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/template"
)

func init() {
	action.Register(action.Spec{
		Name:    "log",
		Summary: "log a templated message (with the rule and path) and leave the file as it is",
		Schema: `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["message"],
  "properties": {
    "message": {"type": "string", "minLength": 1, "description": "Go template; .Path, .FM, .Match, now, …"},
    "level": {"enum": ["debug", "info", "warn", "error"], "default": "info"}
  }
}`,
		Example: `log:
  message: '{{ .Path }} is now {{ .FM.status | default "unset" }}'
  level: info`,
		New: newLog,
	})
}

// logAction logs one message per file.
type logAction struct {
	msg   *template.Template
	level slog.Level
}

var _ action.Action = (*logAction)(nil)

// logLevels maps the level names users write to slog levels.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

func newLog(params any, _ action.Build) (action.Action, error) {
	m, ok := params.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("log: parameters must be a mapping with message and level, got %T", params)
	}
	text, _ := m["message"].(string)
	if text == "" {
		return nil, fmt.Errorf("log: `message` is required")
	}
	a := &logAction{level: slog.LevelInfo}
	if l, ok := m["level"].(string); ok {
		lv, ok := logLevels[l]
		if !ok {
			return nil, fmt.Errorf("log: unknown level %q: use debug, info, warn or error", l)
		}
		a.level = lv
	}
	t, err := template.Parse("message", text)
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	a.msg = t
	return a, nil
}

// Run renders the message and logs it through the host's logger, which
// carries the rule, path and action attributes (slog.Default with rule and
// path when the host has none). The content is never changed.
func (a *logAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if err := ctx.Err(); err != nil {
		return action.Output{}, err
	}
	msg, err := a.msg.Execute(template.DataFor(in))
	if err != nil {
		return action.Output{}, fmt.Errorf("log: %w", err)
	}
	l := in.Host.Logger
	if l == nil {
		l = slog.Default().With("rule", in.Rule, "path", in.Path)
	}
	l.Log(ctx, a.level, msg)
	return action.Output{}, nil
}
