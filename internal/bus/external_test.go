package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
)

// Two daemons on one external server share the work, and keep working
// across a restart of the server.
func TestExternalServer(t *testing.T) {
	srv := bustest.External(t)
	o := bustest.New(t)
	o.URL, o.StoreDir = srv.URL(), ""
	b1 := bustest.Open(t, o)
	b2 := bustest.Open(t, o)
	ctx := t.Context()

	var rec recorder
	h := func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		return nil
	}
	consume(t, b1, 2, h)
	consume(t, b2, 2, h)

	const n = 50
	for i := range n {
		publish(t, b1, "/r", fmt.Sprintf("%d.md", i), "")
	}
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b2, 0))
	poll.NoError(t, 20*time.Second, func() error {
		for i := range n {
			if c := rec.count(fmt.Sprintf("%d.md", i)); c != 1 {
				return fmt.Errorf("%d.md handled %d times, want 1", i, c)
			}
		}
		return nil
	})

	srv.Restart()
	poll.NoError(t, 20*time.Second, func() error { // publishes fail until the client reconnects
		_, err := b2.PublishFile(ctx, bus.FileEvent{Root: "/r", Path: "after.md"}, "after")
		return err
	})
	poll.NoError(t, 20*time.Second, func() error {
		if rec.count("after.md") != 1 {
			return fmt.Errorf("after.md handled %d times after the restart", rec.count("after.md"))
		}
		return nil
	})
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b1, 0))
}
