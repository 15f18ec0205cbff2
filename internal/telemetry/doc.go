// Package telemetry sets up OpenTelemetry tracing for `scribe watch`, and
// puts trace ids into log lines.
//
// Tracing is off by default: Start then returns a no-op tracer provider and
// the daemon makes no spans at all (it checks Tracing.Enabled, so not even
// no-op spans are started). It is on when the configuration's
// telemetry.traces.endpoint is set, or else when one of the standard
// variables OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
// is; OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off
// whatever the rest says. Spans go out over OTLP, HTTP/protobuf by default or
// gRPC (telemetry.traces.protocol, else OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or
// OTEL_EXPORTER_OTLP_PROTOCOL), in batches. The exporters read the other
// standard variables themselves (headers, timeout, compression,
// certificates); the SDK reads OTEL_TRACES_SAMPLER, and the resource
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (service.name defaults to
// "scribe").
//
// LogHandler wraps a slog.Handler so that a record logged with a context
// holding a span carries trace_id and span_id.
//
// # Usage
//
//	tr, err := telemetry.Start(ctx, telemetry.Options{Endpoint: cfg.Telemetry.Traces.Endpoint, Protocol: cfg.Telemetry.Traces.Protocol})
//	if err != nil { ... }
//	defer tr.Shutdown(context.Background()) // flushes what is buffered
//	d, _ := daemon.New(daemon.Options{..., Tracing: tr})
//
// # Concurrency
//
// A Tracing and the handlers of LogHandler are safe for concurrent use.
// Shutdown is called once, after the work is done; it waits for the last
// batch to be sent within its context's deadline.
package telemetry
