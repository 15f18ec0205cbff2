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

// span starts a child span of ctx when Options.Tracer is set; without one
// it returns ctx and noSpan, allocating nothing.
func (e *Engine) span(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if e.opts.Tracer == nil {
		return ctx, noSpan
	}
	return e.opts.Tracer.Start(ctx, name, trace.WithAttributes(attrs...))
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
