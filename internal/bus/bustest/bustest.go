// Package bustest helps tests run against a real NATS JetStream server: an
// embedded one per test (New, Open), or an external one listening on a random
// local port (External), plus the polling helper CheckFor.
//
// Every helper registers its cleanup with t.Cleanup, so a test needs no defer.
// Helpers may be called from parallel tests; each test gets its own server and
// store directory.
package bustest

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/scribe-md/scribe/internal/bus"
)

// New returns Options for an embedded server whose store is a fresh
// t.TempDir(), tuned for tests: 3 deliveries, back-offs of 10, 20 and 40 ms, a
// 2 s ack wait, and a logger that writes to t.Log.
func New(t testing.TB) bus.Options {
	t.Helper()
	return bus.Options{
		StoreDir:   t.TempDir(),
		MaxDeliver: 3,
		BackOff:    []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond},
		AckWait:    2 * time.Second,
		Logger:     Logger(t),
	}
}

// Open opens a bus with o and closes it when the test ends.
func Open(t testing.TB, o bus.Options) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, o)
	if err != nil {
		t.Fatalf("open bus: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Close(ctx); err != nil {
			t.Errorf("close bus: %v", err)
		}
	})
	return b
}

// External starts a nats-server with JetStream that listens on 127.0.0.1 on a
// random port, and returns it and its client URL. It is shut down when the
// test ends.
func External(t testing.TB) (*server.Server, string) {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		Host:               "127.0.0.1",
		Port:               -1,
		NoSigs:             true,
		JetStream:          true,
		StoreDir:           t.TempDir(),
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  256 << 20,
	})
	if err != nil {
		t.Fatalf("configure external nats-server: %v", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatal("external nats-server not ready after 10s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s, s.ClientURL()
}

// CheckFor calls f every sleep until it returns nil, and fails the test with
// f's last error if that has not happened after total.
func CheckFor(t testing.TB, total, sleep time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(sleep)
	}
	t.Fatalf("condition not met after %v: %v", total, err)
}

// Logger returns a logger that writes to t.Log until the test ends, and
// drops what late goroutines log afterwards (t.Log would panic).
func Logger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
