package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"
	"sync/atomic"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
)

func TestDebugThroughput(t *testing.T) {
	o := bustest.New(t)
	o.SyncInterval = time.Minute
	b := bustest.Open(t, o)
	ctx := t.Context()
	start := time.Now()
	const n = 2000
	for i := range n {
		if err := b.PublishFile(ctx, bus.FileEvent{Root: "/r", Path: fmt.Sprint(i)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("publish: %v", time.Since(start))
	start = time.Now()
	var c atomic.Int64
	t.Cleanup(func() {
		s, _ := b.JetStream().Stream(context.Background(), "scribe-files")
		c, _ := s.Consumer(context.Background(), "scribe-workers")
		ci, _ := c.Info(context.Background())
		t.Logf("consumer: pending=%d ackpending=%d waiting=%d redelivered=%d delivered=%+v ackfloor=%+v", ci.NumPending, ci.NumAckPending, ci.NumWaiting, ci.NumRedelivered, ci.Delivered, ci.AckFloor)
	})
	consume(t, b, 4, func(context.Context, bus.FileEvent, func()) error { c.Add(1); return nil })
	bustest.CheckFor(t, 8*time.Second, 10*time.Millisecond, pendingIs(ctx, b, 0))
	t.Logf("consume: %v (%d)", time.Since(start), c.Load())
}
