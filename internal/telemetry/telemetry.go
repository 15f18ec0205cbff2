package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Options say where spans go. The zero value reads only the environment.
type Options struct {
	// Endpoint is the OTLP endpoint of the configuration
	// (telemetry.traces.endpoint): a base URL such as
	// http://localhost:4318 for HTTP (the exporter appends /v1/traces
	// when the URL has no path) or http://localhost:4317 for gRPC. It wins
	// over the environment. "" leaves it to the environment.
	Endpoint string
	// Protocol is "http" (HTTP/protobuf) or "grpc" ("": the environment's,
	// else http).
	Protocol string
	// ServiceVersion is reported as service.version.
	ServiceVersion string
	// Getenv reads the environment (default os.Getenv); tests replace it.
	Getenv func(string) string
	// Logger receives the exporter's errors (a collector that cannot be
	// reached); nil discards them.
	Logger *slog.Logger
}

// Tracing is the process's tracer provider and how to stop it.
type Tracing struct {
	// Provider makes the tracers; a no-op one when tracing is off.
	Provider trace.TracerProvider
	// Enabled is false when tracing is off: callers then start no span.
	Enabled bool
	// Endpoint and Protocol say where spans go, for the start-up log line
	// ("" when off).
	Endpoint, Protocol string

	shutdown func(context.Context) error
}

// Off is the Tracing of a process that makes no spans.
func Off() *Tracing {
	return &Tracing{Provider: noop.NewTracerProvider()}
}

// Provide returns a Tracing that records into p (tests: an SDK provider
// with an in-memory exporter). Shutting it down is the caller's business.
func Provide(p trace.TracerProvider) *Tracing {
	return &Tracing{Provider: p, Enabled: true}
}

// Tracer returns the tracer Scribe's packages use, or nil when tracing is
// off (t nil included), so that callers can skip span work entirely.
func (t *Tracing) Tracer() trace.Tracer {
	if t == nil || !t.Enabled {
		return nil
	}
	return t.Provider.Tracer("github.com/scribe-md/scribe")
}

// Shutdown flushes buffered spans and stops the exporter. It is a no-op
// when tracing is off.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Start sets tracing up as o and the environment say: off unless an
// endpoint is configured. An unusable setting (an unknown protocol, an
// endpoint that is not a URL) is an error that names it.
func Start(ctx context.Context, o Options) (*Tracing, error) {
	env := o.Getenv
	if env == nil {
		env = os.Getenv
	}
	if strings.EqualFold(strings.TrimSpace(env("OTEL_SDK_DISABLED")), "true") ||
		strings.EqualFold(strings.TrimSpace(env("OTEL_TRACES_EXPORTER")), "none") {
		return Off(), nil
	}
	endpoint, from := o.Endpoint, "telemetry.traces.endpoint"
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if endpoint == "" {
			endpoint, from = strings.TrimSpace(env(k)), k
		}
	}
	if endpoint == "" {
		return Off(), nil
	}
	protocol, pfrom := o.Protocol, "telemetry.traces.protocol"
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if protocol == "" {
			protocol, pfrom = strings.TrimSpace(env(k)), k
		}
	}
	var exp sdktrace.SpanExporter
	var err error
	switch protocol {
	case "", "http", "http/protobuf":
		protocol = "http"
		var opts []otlptracehttp.Option
		if o.Endpoint != "" {
			u, perr := endpointURL(o.Endpoint, "/v1/traces")
			if perr != nil {
				return nil, fmt.Errorf("%s %q: %w", from, o.Endpoint, perr)
			}
			opts = append(opts, otlptracehttp.WithEndpointURL(u))
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	case "grpc":
		var opts []otlptracegrpc.Option
		if o.Endpoint != "" {
			u, perr := endpointURL(o.Endpoint, "")
			if perr != nil {
				return nil, fmt.Errorf("%s %q: %w", from, o.Endpoint, perr)
			}
			opts = append(opts, otlptracegrpc.WithEndpointURL(u))
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	default:
		return nil, fmt.Errorf("%s %q: use http (HTTP/protobuf) or grpc", pfrom, protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("trace exporter for %s: %w", endpoint, err)
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", "scribe")}
	if o.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", o.ServiceVersion))
	}
	// The environment (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) wins
	// over the defaults: detectors merge in order, later ones winning.
	res, err := resource.New(ctx, resource.WithAttributes(attrs...), resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil && res == nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	setErrorHandler(o.Logger)
	return &Tracing{Provider: tp, Enabled: true, Endpoint: redactURL(endpoint), Protocol: protocol, shutdown: tp.Shutdown}, nil
}

// endpointURL turns the configured endpoint into the URL the exporter
// takes: an http or https URL with a host, and, for HTTP, the traces path
// when the URL names none (as OTEL_EXPORTER_OTLP_ENDPOINT is read).
func endpointURL(s, tracesPath string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", errors.New("want a URL such as http://localhost:4318 (https for TLS)")
	}
	if tracesPath != "" && (u.Path == "" || u.Path == "/") {
		u.Path = tracesPath
	}
	return u.String(), nil
}

// redactURL hides credentials in an endpoint for the log.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// handlerMu serialises setErrorHandler.
var handlerMu sync.Mutex

// setErrorHandler sends OpenTelemetry's errors (an export that failed) to
// log instead of the SDK's default, the standard logger. The first error of
// a kind is a warning; the same error again is logged at debug level until
// another one comes, so that an absent collector does not fill the log.
func setErrorHandler(log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	handlerMu.Lock()
	defer handlerMu.Unlock()
	var mu sync.Mutex
	last := ""
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		repeat := err.Error() == last
		last = err.Error()
		mu.Unlock()
		if repeat {
			log.Debug("trace export failed again", "err", err)
			return
		}
		log.Warn("trace export failed; spans are dropped until the collector answers", "err", err)
	}))
}
