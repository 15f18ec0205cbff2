package bus

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Trace context travels with a file event as W3C Trace Context headers
// (traceparent, tracestate) on the JetStream message, so that the worker's
// spans join the trace of the change that queued the event, in this process
// or another one sharing the cluster. Without a span in the publisher's
// context no header is added.
var traceContext = propagation.TraceContext{}

// headerCarrier lets the propagator read and write a message's headers.
// NATS headers are case-sensitive, so the W3C names stay lowercase (the
// propagator's HeaderCarrier, an http.Header, would canonicalise them).
type headerCarrier nats.Header

func (c headerCarrier) Get(key string) string { return nats.Header(c).Get(key) }

func (c headerCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }

func (c headerCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// injectTrace returns the headers carrying ctx's span, or nil when ctx has
// none.
func injectTrace(ctx context.Context) nats.Header {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	h := nats.Header{}
	traceContext.Inject(ctx, headerCarrier(h))
	return h
}

// extractTrace returns ctx with the remote span context of msg's headers,
// when they carry one.
func extractTrace(ctx context.Context, h nats.Header) context.Context {
	if h.Get("traceparent") == "" {
		return ctx
	}
	return traceContext.Extract(ctx, headerCarrier(h))
}
