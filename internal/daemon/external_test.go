package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
)

// With bus.url set, the daemon uses an external NATS server (here one
// listening on 127.0.0.1) and processes edits the same way; it keeps no
// embedded store of its own. It rides out a restart of the server.
func TestExternalBus(t *testing.T) {
	t.Parallel()
	srv := bustest.External(t)
	url := srv.URL()
	e := newEnv(t, conf{BusURL: url, Rules: todoRule}, map[string]string{"before.md": "TODO: caught up\n"})
	r := e.start()
	poll.Until(t, 10*time.Second, "catch-up", func() bool { return e.read("before.md") == "- [ ] caught up\n" })
	e.write("a.md", "TODO: over the wire\n")
	poll.Until(t, 10*time.Second, "a.md processed", func() bool { return e.read("a.md") == "- [ ] over the wire\n" })
	poll.Until(t, 10*time.Second, "the journal entry", func() bool { return len(r.history(e.path("a.md"))) == 1 })

	// The catch-up's event went through the external server's work queue
	// (the edit may have been handed to an idle worker directly).
	nc, err := nats.Connect(url)
	must(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "scribe-files")
	must(t, err)
	if info := s.CachedInfo(); info.State.LastSeq < 1 {
		t.Errorf("external work queue: last sequence %d, want ≥1 (the catch-up)", info.State.LastSeq)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "state", "nats")); err == nil {
		t.Errorf("state/nats exists: an embedded server ran although bus.url is set")
	}
	nc.Close()

	// The server goes away and comes back: the daemon reconnects and goes on.
	srv.Restart()
	e.write("b.md", "TODO: after the outage\n")
	poll.Until(t, 30*time.Second, "b.md processed after the server restarted", func() bool { return e.read("b.md") == "- [ ] after the outage\n" })
	must(t, r.stop())
}
