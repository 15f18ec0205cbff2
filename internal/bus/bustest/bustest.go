// Package bustest helps tests run against a real NATS JetStream server: an
// embedded one per test (New, Open), an external one listening on a random
// local port (External), or a cluster of three on loopback (StartCluster).
// Tests wait on it with internal/poll.
//
// Every helper registers its cleanup with t.Cleanup, so a test needs no defer.
// Helpers may be called from parallel tests; each test gets its own server and
// store directory.
package bustest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
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

// Server is an external nats-server for tests, listening on 127.0.0.1.
type Server struct {
	t    testing.TB
	opts *server.Options

	mu  sync.Mutex
	srv *server.Server
}

// External starts a nats-server with JetStream that listens on 127.0.0.1 on a
// random port, with its store in a t.TempDir(). It is shut down when the test
// ends.
func External(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, opts: &server.Options{
		Host:               "127.0.0.1",
		Port:               -1,
		NoSigs:             true,
		JetStream:          true,
		StoreDir:           t.TempDir(),
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  256 << 20,
	}}
	s.start()
	// Restart must come back on the same port, or clients cannot reconnect.
	s.opts.Port = s.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	srv, err := server.NewServer(s.opts)
	if err != nil {
		s.t.Fatalf("configure external nats-server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		s.t.Fatal("external nats-server not ready after 10s")
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
}

// URL returns the client URL.
func (s *Server) URL() string {
	return fmt.Sprintf("nats://127.0.0.1:%d", s.opts.Port)
}

// Stop shuts the server down; it is safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart stops the server and starts it again on the same port and store.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// RefuseFiles makes b's file queue refuse every event from now on, as a
// full store or a cluster without a leader would: its largest message is
// set to one byte. accept gives it back its limit.
func RefuseFiles(t testing.TB, b *bus.Bus) (accept func()) {
	t.Helper()
	ctx := context.Background()
	st, err := b.JetStream().Stream(ctx, b.Name()+"-files")
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	limit := cfg.MaxMsgSize
	cfg.MaxMsgSize = 1
	if _, err := b.JetStream().UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		cfg.MaxMsgSize = limit
		if _, err := b.JetStream().UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
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
