package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
)

// An event whose handler hangs past AckWait on its last delivery reaches the
// dead-letter stream through the MAX_DELIVERIES advisory, with the error of
// its earlier failed delivery.
func TestHungHandlerIsDeadLetteredByAdvisory(t *testing.T) {
	o := bustest.New(t)
	o.AckWait = 300 * time.Millisecond
	o.MaxDeliver = 2
	b := bustest.Open(t, o)
	ctx := t.Context()

	release := make(chan struct{})
	var calls atomic.Int32
	consume(t, b, 4, func(ctx context.Context, ev bus.FileEvent, _ func()) error {
		if calls.Add(1) == 1 {
			return errors.New("disk on fire")
		}
		select { // hang, without heartbeats, until released
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	publish(t, b, "/r", "hang.md", "")
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	dl, _ := b.DeadLetters(ctx)
	d := dl[0]
	if d.Event.Path != "hang.md" || d.Deliveries < o.MaxDeliver {
		t.Errorf("dead letter = %+v", d)
	}
	if !strings.Contains(d.Error, "not acknowledged") || !strings.Contains(d.Error, "disk on fire") {
		t.Errorf("Error = %q, want the ack timeout and the earlier error", d.Error)
	}
	close(release) // the late success must not bring it back
	poll.NoError(t, 20*time.Second, func() error {
		if n := calls.Load(); n != int32(o.MaxDeliver) {
			return fmt.Errorf("handler called %d times, want %d", n, o.MaxDeliver)
		}
		return nil
	})
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
}

// An event the consumer gave up on while no mover was running (its advisory
// lost) is found and dead-lettered when the embedded server next starts.
func TestOrphanIsDeadLetteredOnRestart(t *testing.T) {
	o := bustest.New(t)
	o.AckWait = 200 * time.Millisecond
	o.MaxDeliver = 1
	ctx := t.Context()

	b, err := bus.Open(ctx, bus.WithoutMover(o))
	if err != nil {
		t.Fatal(err)
	}
	stop := consume(t, b, 1, func(ctx context.Context, _ bus.FileEvent, _ func()) error {
		<-ctx.Done() // never finishes
		return ctx.Err()
	})
	publish(t, b, "/r", "orphan.md", "")
	cons, err := b.JetStream().Consumer(ctx, "scribe-files", "scribe-workers")
	if err != nil {
		t.Fatal(err)
	}
	poll.NoError(t, 20*time.Second, func() error { // the server gave up on it
		ci, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if ci.Delivered.Stream < 1 || ci.NumAckPending != 0 {
			return fmt.Errorf("consumer still holds the event: %+v", ci)
		}
		return nil
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Pending(ctx); n != 1 {
		t.Fatalf("pending = %d before restart, want the orphan", n)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}

	b2 := bustest.Open(t, o)
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b2, 1))
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b2, 0))
	dl, _ := b2.DeadLetters(ctx)
	if dl[0].Event.Path != "orphan.md" || !strings.Contains(dl[0].Error, "before a restart") {
		t.Errorf("dead letter = %+v", dl[0])
	}
}
