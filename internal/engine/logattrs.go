package engine

import (
	"context"
	"log/slog"
)

// attrHandler adds attributes to each record it handles. Unlike a handler's
// own WithAttrs (which a text or JSON handler pre-formats, allocating), it
// only keeps them, which matters because the engine makes one logger per
// action call and most calls never log.
type attrHandler struct {
	base  slog.Handler
	attrs []slog.Attr
}

func (h *attrHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.base.Enabled(ctx, l)
}

func (h *attrHandler) Handle(ctx context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	return h.base.Handle(ctx, r)
}

func (h *attrHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &attrHandler{base: h.base, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *attrHandler) WithGroup(name string) slog.Handler {
	return h.base.WithAttrs(h.attrs).WithGroup(name)
}

// actionLogger returns the logger an action call gets: the engine's, with the
// rule, action and path attached.
func (e *Engine) actionLogger(ruleID, actionName, rel string) *slog.Logger {
	return slog.New(&attrHandler{base: e.log.Handler(), attrs: []slog.Attr{
		slog.String("rule", ruleID), slog.String("action", actionName), slog.String("path", rel),
	}})
}
