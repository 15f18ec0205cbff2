package daemon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/telemetry"
)

// One change produces one trace: the watcher's event, its publish on the
// bus, the worker's delivery, the engine, each action, the write and its
// journal entry, each span the child of the one before (the actions, the
// write and the journal children of the engine's). The trace id is on the
// event stream and in the log lines of the change.
func TestTraceOfOneChange(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	var logs lockedBuffer
	rules := `  - id: todo
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
      - log: { message: "tasked {{ .Path }}", level: info }
`
	e := newEnv(t, conf{Rules: rules}, nil)
	r := e.start(func(o *daemon.Options) {
		o.Tracing = telemetry.Provide(tp)
		o.Logger = logs.logger(t)
	})

	e.write("a.md", "TODO: trace me\n")
	poll.Until(t, 30*time.Second, "a.md written", func() bool { return r.ev.count(written("a.md")) > 0 })
	ev := r.ev.find(written("a.md"))[0]
	if len(ev.TraceID) != 32 {
		t.Fatalf("processed event %+v: want a trace id", ev)
	}
	want := []string{"watch change", "bus publish", "bus process", "engine process", "action replace", "action log", "write", "journal"}
	var spans tracetest.SpanStubs
	poll.Until(t, 10*time.Second, "every span of the change ended", func() bool {
		spans = nil
		for _, s := range exp.GetSpans() {
			if s.SpanContext.TraceID().String() == ev.TraceID {
				spans = append(spans, s)
			}
		}
		return len(spans) >= len(want)
	})
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		if _, dup := byName[s.Name]; dup {
			t.Errorf("two %q spans in the trace", s.Name)
		}
		byName[s.Name] = s
	}
	if len(spans) != len(want) {
		var names []string
		for _, s := range spans {
			names = append(names, s.Name)
		}
		t.Fatalf("trace has spans %v, want %v", names, want)
	}
	parent := map[string]string{
		"bus publish": "watch change", "bus process": "bus publish", "engine process": "bus process",
		"action replace": "engine process", "action log": "engine process", "write": "engine process", "journal": "engine process",
	}
	root := byName["watch change"]
	if root.Parent.IsValid() {
		t.Errorf("watch change has a parent %v; it starts the trace", root.Parent)
	}
	for child, p := range parent {
		c, ok := byName[child]
		if !ok {
			t.Errorf("no %q span", child)
			continue
		}
		if c.Parent.SpanID() != byName[p].SpanContext.SpanID() {
			t.Errorf("%q's parent is %v, want %q (%v)", child, c.Parent.SpanID(), p, byName[p].SpanContext.SpanID())
		}
	}
	if !byName["bus process"].Parent.IsRemote() {
		t.Error("bus process's parent is not remote: the trace context did not travel through the bus")
	}
	if a, w := byName["action replace"], byName["write"]; a.EndTime.After(w.StartTime) {
		t.Error("the write started before the action ended")
	}

	// One change, one trace: no other trace names a.md's watch event.
	n := 0
	for _, s := range exp.GetSpans() {
		if s.Name == "watch change" && hasAttr(s, "scribe.path", "a.md") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d watch change spans for a.md, want 1 (the engine's own write must not start another)", n)
	}
	// The action's log line, and the daemon's, carry the trace id.
	poll.Until(t, 5*time.Second, "the action's log line", func() bool { return strings.Contains(logs.String(), "tasked a.md") })
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "tasked a.md") && !strings.Contains(line, "trace_id="+ev.TraceID) {
			t.Errorf("log line without the trace id %s: %s", ev.TraceID, line)
		}
	}
}

// With tracing off, nothing carries a trace id.
func TestNoTraceByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Rules: todoRule}, nil)
	r := e.start()
	e.write("a.md", "TODO: x\n")
	poll.Until(t, 30*time.Second, "a.md written", func() bool { return r.ev.count(written("a.md")) > 0 })
	if ev := r.ev.find(written("a.md"))[0]; ev.TraceID != "" {
		t.Errorf("trace id %q with tracing off", ev.TraceID)
	}
}

func hasAttr(s tracetest.SpanStub, key, value string) bool {
	for _, a := range s.Attributes {
		if string(a.Key) == key && a.Value.AsString() == value {
			return true
		}
	}
	return false
}
