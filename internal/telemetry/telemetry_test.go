package telemetry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// Tracing is off unless an endpoint is configured or in the environment,
// and the standard switches turn it off again.
func TestStart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		o        Options
		env      map[string]string
		on       bool
		protocol string
		endpoint string
		err      string
	}{
		{name: "nothing set", on: false},
		{name: "env endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, on: true, protocol: "http", endpoint: "http://127.0.0.1:4318"},
		{name: "traces endpoint wins", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:4318/v1/traces"}, on: true, protocol: "http", endpoint: "http://b:4318/v1/traces"},
		{name: "env grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, on: true, protocol: "grpc"},
		{name: "config wins over env", o: Options{Endpoint: "http://c:4318", Protocol: "grpc"}, env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318"}, on: true, protocol: "grpc", endpoint: "http://c:4318"},
		{name: "sdk disabled", o: Options{Endpoint: "http://c:4318"}, env: map[string]string{"OTEL_SDK_DISABLED": "true"}, on: false},
		{name: "exporter none", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_TRACES_EXPORTER": "none"}, on: false},
		{name: "credentials hidden", o: Options{Endpoint: "https://user:secret@c:4318"}, on: true, protocol: "http", endpoint: "https://REDACTED@c:4318"},
		{name: "bad protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, err: `OTEL_EXPORTER_OTLP_PROTOCOL "http/json": use http`},
		{name: "bad endpoint", o: Options{Endpoint: "localhost:4318"}, err: `telemetry.traces.endpoint "localhost:4318": want a URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Getenv = envOf(tc.env)
			tr, err := Start(context.Background(), tc.o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Shutdown(context.Background())
			if tr.Enabled != tc.on || (tr.Tracer() != nil) != tc.on {
				t.Fatalf("Enabled = %v, Tracer() != nil: %v; want %v", tr.Enabled, tr.Tracer() != nil, tc.on)
			}
			if tc.protocol != "" && tr.Protocol != tc.protocol {
				t.Errorf("Protocol = %q, want %q", tr.Protocol, tc.protocol)
			}
			if tc.endpoint != "" && tr.Endpoint != tc.endpoint {
				t.Errorf("Endpoint = %q, want %q", tr.Endpoint, tc.endpoint)
			}
		})
	}
}

func TestEndpointURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:4318":           "http://localhost:4318/v1/traces",
		"http://localhost:4318/":          "http://localhost:4318/v1/traces",
		"https://otel.example/custom":     "https://otel.example/custom",
		"http://collector:4318/v1/traces": "http://collector:4318/v1/traces",
	} {
		if got, err := endpointURL(in, "/v1/traces"); got != want || err != nil {
			t.Errorf("endpointURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// A record logged with a span's context carries its ids; one without does
// not.
func TestLogHandler(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewTextHandler(&buf, nil))).With("component", "x")
	ctx, span := Provide(tp).Tracer().Start(context.Background(), "work")
	log.InfoContext(ctx, "inside")
	log.Info("outside")
	span.End()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	tid, sid := span.SpanContext().TraceID().String(), span.SpanContext().SpanID().String()
	if !strings.Contains(lines[0], "trace_id="+tid) || !strings.Contains(lines[0], "span_id="+sid) || !strings.Contains(lines[0], "component=x") {
		t.Errorf("line with a span: %s; want trace_id=%s span_id=%s", lines[0], tid, sid)
	}
	if strings.Contains(lines[1], "trace_id") {
		t.Errorf("line without a span: %s", lines[1])
	}
	if TraceID(ctx) != tid || TraceID(context.Background()) != "" {
		t.Errorf("TraceID = %q / %q", TraceID(ctx), TraceID(context.Background()))
	}
}

// Spans reach an OTLP/HTTP collector at the configured endpoint (here a
// test server standing in for one): Shutdown flushes them.
func TestExportHTTP(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, fmt.Sprintf("%s %s %s %d", r.Method, r.URL.Path, r.Header.Get("Content-Type"), len(body)))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	tr, err := Start(context.Background(), Options{Endpoint: srv.URL, Getenv: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Tracer().Start(context.Background(), "watch change")
	span.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.HasPrefix(got[0], "POST /v1/traces application/x-protobuf ") || strings.HasSuffix(got[0], " 0") {
		t.Errorf("collector received %q; want one POST of spans to /v1/traces", got)
	}
}
