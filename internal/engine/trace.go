package engine

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// noSpan records nothing: the span of a context with none.
var noSpan = trace.SpanFromContext(context.Background())

// actionSpan, writeSpan and journalSpan start the child spans of a file's
// span when Options.Tracer is set. Without one they return ctx and noSpan,
// and allocate nothing: names and attributes are made only when traced.
func (e *Engine) actionSpan(ctx context.Context, ruleID, actionName string) (context.Context, trace.Span) {
	if e.opts.Tracer == nil {
		return ctx, noSpan
	}
	return e.opts.Tracer.Start(ctx, "action "+actionName, trace.WithAttributes(
		attribute.String("scribe.rule", ruleID), attribute.String("scribe.action", actionName)))
}

func (e *Engine) writeSpan(ctx context.Context, rel string, size int) trace.Span {
	if e.opts.Tracer == nil {
		return noSpan
	}
	_, span := e.opts.Tracer.Start(ctx, "write", trace.WithAttributes(attribute.String("scribe.path", rel), attribute.Int("scribe.bytes", size)))
	return span
}

func (e *Engine) journalSpan(ctx context.Context, rel string) trace.Span {
	if e.opts.Tracer == nil {
		return noSpan
	}
	_, span := e.opts.Tracer.Start(ctx, "journal", trace.WithAttributes(attribute.String("scribe.path", rel)))
	return span
}

// endSpan ends span, marking it failed when err is not nil.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// endProcessSpan ends a file's span with what came of it.
func endProcessSpan(span trace.Span, res *Result) {
	span.SetAttributes(
		attribute.StringSlice("scribe.rules", res.Rules),
		attribute.Bool("scribe.written", res.Written),
		attribute.Int("scribe.findings", len(res.Findings)),
	)
	if res.Skipped != "" {
		span.SetAttributes(attribute.String("scribe.skipped", res.Skipped))
	}
	if res.Held != "" {
		span.SetAttributes(attribute.String("scribe.held", res.Held))
	}
	if res.Failed() {
		var msgs []string
		if res.Error != "" {
			msgs = append(msgs, res.Error)
		}
		for _, f := range res.Failures {
			msgs = append(msgs, f.String())
		}
		span.SetStatus(codes.Error, strings.Join(msgs, "; "))
	}
	span.End()
}
