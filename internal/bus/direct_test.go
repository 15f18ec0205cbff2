package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
)

// handOffOptions is an embedded bus that hands live events to idle
// handlers.
func handOffOptions(t *testing.T) bus.Options {
	o := bustest.New(t)
	o.HandOff = true
	o.BackOff = []time.Duration{10 * time.Millisecond}
	return o
}

// recordedHandOffs opens a bus with hand-offs and consumes its events with
// two handlers that record them.
func recordedHandOffs(t *testing.T) (*bus.Bus, *recorder) {
	b := bustest.Open(t, handOffOptions(t))
	rec := &recorder{}
	consume(t, b, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		return nil
	})
	return b, rec
}

// ids numbers the events publishHandedOff publishes, so that none is a
// repeat of another.
var ids atomic.Int64

// publishHandedOff publishes live events for path until one is handed off
// (sequence 0) rather than stored: the pull loop takes them only while it
// waits with a free slot, which it does soon after Consume starts and after
// each event it finishes.
func publishHandedOff(t *testing.T, b *bus.Bus, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		seq, err := b.PublishFile(t.Context(), bus.FileEvent{Root: "/r", Path: path}, fmt.Sprintf("%s-%d", path, ids.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		if seq == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event for %s was handed off in 20 s", path)
		}
		time.Sleep(time.Millisecond)
	}
}

// A live event published while a handler is idle goes to it without the
// stream: sequence 0, one delivery, nothing stored. A bulk event is always
// stored.
func TestHandOffToIdleHandler(t *testing.T) {
	b, rec := recordedHandOffs(t)
	ctx := t.Context()
	publishHandedOff(t, b, "live.md")
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	var direct int
	for _, ev := range rec.all() {
		if ev.Seq == 0 {
			direct++
			if ev.Deliveries != 1 || ev.Root != "/r" || ev.Path != "live.md" || ev.Reason != bus.ReasonEvent || ev.Time.IsZero() {
				t.Errorf("handed-off event = %+v", ev)
			}
		}
	}
	if direct != 1 {
		t.Fatalf("%d events handed off, want 1: %+v", direct, rec.all())
	}
	if n, err := b.Stored(ctx); err != nil || n != 0 {
		t.Fatalf("stored %d, %v", n, err)
	}

	seq, err := b.PublishFile(ctx, bus.FileEvent{Root: "/r", Path: "bulk.md", Reason: bus.ReasonCatchup, Bulk: true}, "")
	if err != nil || seq == 0 {
		t.Fatalf("bulk event: seq %d, %v; want it stored", seq, err)
	}
	poll.NoError(t, 20*time.Second, func() error {
		if rec.count("bulk.md") != 1 {
			return errors.New("the bulk event was not handled")
		}
		return nil
	})
}

// A handed-off event whose handler fails is stored in the file queue after
// the first back-off delay and retried from there as its second delivery;
// Pending counts it all along.
func TestHandedOffFailureIsQueued(t *testing.T) {
	b := bustest.Open(t, handOffOptions(t))
	ctx := t.Context()
	var rec recorder
	release := make(chan struct{})
	consume(t, b, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		if ev.Path == "fails.md" && ev.Seq == 0 {
			<-release
			return errors.New("the rules failed")
		}
		return nil
	})
	publishHandedOff(t, b, "fails.md")
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 1)) // in the handler: not stored, still pending
	if n, _ := b.Stored(ctx); n != 0 {
		t.Fatalf("stored %d while handed off", n)
	}
	close(release)
	poll.NoError(t, 20*time.Second, func() error {
		// (Events stored before one was handed off come as first
		// deliveries without earlier failures.)
		for _, ev := range rec.all() {
			if ev.Path == "fails.md" && ev.Seq != 0 && ev.EarlierFailures > 0 {
				if ev.Deliveries != 2 || ev.EarlierFailures != 1 {
					return fmt.Errorf("the retry came as delivery %d with %d earlier failures; want 2 and 1", ev.Deliveries, ev.EarlierFailures)
				}
				return nil
			}
		}
		return errors.New("the failed event was not retried from the stream")
	})
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
}

// A handed-off event whose handler fails and whose store into the file
// queue is then refused too (the stream takes no more) is reported to
// Options.Lost, for the daemon's watcher to report the file again.
func TestHandedOffLostIsReported(t *testing.T) {
	o := handOffOptions(t)
	lost := make(chan string, 4)
	o.Lost = func(root, path string) { lost <- root + " " + path }
	b := bustest.Open(t, o)
	ctx := t.Context()
	release := make(chan struct{})
	consume(t, b, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		if ev.Path == "fails.md" && ev.Seq == 0 {
			<-release
			return errors.New("the rules failed")
		}
		return nil
	})
	publishHandedOff(t, b, "fails.md")
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 1))

	bustest.RefuseFiles(t, b)
	if _, err := b.PublishFile(ctx, bus.FileEvent{Root: "/r", Path: "refused.md", Bulk: true}, ""); err == nil {
		t.Fatal("the file queue took an event larger than its largest")
	}
	select {
	case got := <-lost:
		t.Fatalf("lost %q before the handler failed", got)
	default:
	}
	close(release)
	select {
	case got := <-lost:
		if got != "/r fails.md" {
			t.Fatalf("lost %q, want /r fails.md", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the event the file queue refused was not reported lost")
	}
}

// A handed-off event whose Consume stops under it is stored, and the next
// Consume gets it.
func TestHandedOffInterruptedIsQueued(t *testing.T) {
	b := bustest.Open(t, handOffOptions(t))
	ctx := t.Context()
	started := make(chan time.Time, 1) // the handed-off event's publish time: its identity
	stop := consume(t, b, 1, func(hctx context.Context, ev bus.FileEvent, _ func()) error {
		if ev.Seq == 0 {
			select {
			case started <- ev.Time:
			default:
			}
			<-hctx.Done()
			return hctx.Err()
		}
		return nil
	})
	publishHandedOff(t, b, "slow.md")
	handedOff := <-started
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// Events stored before the hand-off and not handled yet (the only
	// handler was busy) are given back too.
	if n, err := b.Stored(ctx); err != nil || n < 1 {
		t.Fatalf("stored %d, %v; want the interrupted event", n, err)
	}
	var rec recorder
	consume(t, b, 1, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		return nil
	})
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	var again int
	for _, ev := range rec.all() {
		if ev.Seq == 0 || ev.Path != "slow.md" {
			t.Fatalf("the next Consume handled %+v", ev)
		}
		if ev.Time.Equal(handedOff) {
			again++
		}
	}
	if again != 1 {
		t.Fatalf("the interrupted event was handled %d times by the next Consume, want 1: %+v", again, rec.all())
	}
}

// A handed-off event whose handler fails for good is dead-lettered at once;
// with MaxDeliver 1, any failure is for good.
func TestHandedOffPermanentFailureIsDeadLettered(t *testing.T) {
	o := handOffOptions(t)
	o.MaxDeliver = 1
	b := bustest.Open(t, o)
	ctx := t.Context()
	var calls atomic.Int64
	consume(t, b, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		if ev.Seq == 0 { // those stored while no handler was free succeed
			calls.Add(1)
			return errors.New("the rules failed")
		}
		return nil
	})
	publishHandedOff(t, b, "bad.md")
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	dl, err := b.DeadLetters(ctx)
	if err != nil || len(dl) != 1 || dl[0].Event.Path != "bad.md" || dl[0].Deliveries != 1 || !strings.Contains(dl[0].Error, "the rules failed") {
		t.Fatalf("dead letters %+v, %v", dl, err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the handler ran %d times for a bad event it was handed, want 1", n)
	}
	// A second one gets its own dead letter id (a repeat of the first's
	// would be dropped by the server): it replaces the first as the same
	// file's.
	publishHandedOff(t, b, "bad.md")
	poll.NoError(t, 20*time.Second, func() error {
		if n := calls.Load(); n != 2 {
			return fmt.Errorf("%d calls", n)
		}
		return nil
	})
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
}

// With hand-offs the bus deduplicates live events itself: a repeat of an
// id handed off is dropped, as the server drops one it stored.
func TestHandOffDeduplicates(t *testing.T) {
	b, rec := recordedHandOffs(t)
	ctx := t.Context()
	publishHandedOff(t, b, "a.md")
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	before, last := rec.count("a.md"), ids.Load()
	for i := range 50 {
		seq, err := b.PublishFile(ctx, bus.FileEvent{Root: "/r", Path: "a.md"}, fmt.Sprintf("a.md-%d", last-int64(i%before)))
		if err != nil || seq != 0 {
			t.Fatalf("repeat %d: seq %d, %v; want it dropped", i, seq, err)
		}
	}
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	if n := rec.count("a.md"); n != before {
		t.Fatalf("a.md handled %d times after its repeats, %d before", n, before)
	}
}

// Close stores the failed events handed off that wait for their retry, so
// that the next Consume gets them.
func TestCloseStoresWaitingRetries(t *testing.T) {
	o := handOffOptions(t)
	o.BackOff = []time.Duration{time.Hour}
	first := bustest.Open(t, o)
	stop := consume(t, first, 1, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		if ev.Seq == 0 {
			return errors.New("the rules failed")
		}
		return nil
	})
	publishHandedOff(t, first, "later.md")
	poll.NoError(t, 20*time.Second, pendingIs(t.Context(), first, 1))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	again := bustest.Open(t, o) // the same store
	if n, err := again.Stored(t.Context()); err != nil || n != 1 {
		t.Fatalf("stored %d, %v after Close; want the event waiting for its retry", n, err)
	}
}

// publishAsync publishes ev in a goroutine and returns a channel that
// receives its sequence (or -1 on an error) once PublishFile returns.
func publishAsync(t *testing.T, b *bus.Bus, ev bus.FileEvent) <-chan int64 {
	t.Helper()
	done := make(chan int64, 1)
	go func() {
		seq, err := b.PublishFile(t.Context(), ev, fmt.Sprintf("%s-%d", ev.Path, ids.Add(1)))
		if err != nil {
			t.Error(err)
			done <- -1
			return
		}
		done <- int64(seq)
	}()
	return done
}

// returnsWithin waits for the sequence done sends, failing the test after
// limit.
func returnsWithin(t *testing.T, done <-chan int64, limit time.Duration, what string) int64 {
	t.Helper()
	select {
	case seq := <-done:
		return seq
	case <-time.After(limit):
		t.Fatalf("%s: PublishFile still waits after %v", what, limit)
		return 0
	}
}

// heldHandler opens a bus whose watcher changes wait up to wait for a
// handler (Options.HandOffWait), consumes it with one handler that records
// each event, and hands that handler an event (busy.md) it holds until
// release is called (at the latest when the test ends, before consuming
// stops).
func heldHandler(t *testing.T, wait time.Duration) (b *bus.Bus, rec *recorder, release func()) {
	t.Helper()
	o := handOffOptions(t)
	o.HandOffWait = wait
	b = bustest.Open(t, o)
	rec = &recorder{}
	held := make(chan struct{})
	consume(t, b, 1, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		if ev.Path == "busy.md" && ev.Seq == 0 {
			<-held
		}
		return nil
	})
	release = sync.OnceFunc(func() { close(held) })
	t.Cleanup(release)
	publishHandedOff(t, b, "busy.md")
	return b, rec, release
}

// With every handler busy, a watcher's change waits (Options.HandOffWait)
// for one to free up and is handed to it, never stored; Pending counts it
// while it waits. Any other live event is stored at once.
func TestHandOffWaitsForABusyHandler(t *testing.T) {
	b, rec, release := heldHandler(t, time.Hour)
	ctx := t.Context()

	requeued := publishAsync(t, b, bus.FileEvent{Root: "/r", Path: "requeued.md", Reason: bus.ReasonRequeue})
	if seq := returnsWithin(t, requeued, 20*time.Second, "a requeue"); seq <= 0 {
		t.Fatalf("a requeue with no free handler: seq %d, want it stored", seq)
	}

	stored, err := b.Stored(ctx)
	if err != nil {
		t.Fatal(err)
	}
	changed := publishAsync(t, b, bus.FileEvent{Root: "/r", Path: "changed.md", Reason: bus.ReasonEvent})
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, stored+2)) // the held event, the stored ones, and this one
	if n, err := b.Stored(ctx); err != nil || n != stored {
		t.Fatalf("stored %d (%v) while the change waits, want %d", n, err, stored)
	}
	release()
	if seq := returnsWithin(t, changed, 20*time.Second, "a change once a handler is free"); seq != 0 {
		t.Fatalf("the change waiting for a handler: seq %d, want it handed off (0)", seq)
	}
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	for _, ev := range rec.all() {
		if ev.Path == "changed.md" && (ev.Seq != 0 || ev.Deliveries != 1) {
			t.Errorf("changed.md handled as %+v, want handed off", ev)
		}
	}
	if n := rec.count("changed.md"); n != 1 {
		t.Fatalf("changed.md handled %d times, want 1", n)
	}
}

// A watcher's change that finds no handler free within HandOffWait is
// stored; with no Consume running it does not wait at all.
func TestHandOffWaitEnds(t *testing.T) {
	t.Run("busy", func(t *testing.T) {
		b, _, _ := heldHandler(t, 10*time.Millisecond)
		changed := publishAsync(t, b, bus.FileEvent{Root: "/r", Path: "changed.md", Reason: bus.ReasonEvent})
		if seq := returnsWithin(t, changed, 20*time.Second, "a change with every handler held"); seq <= 0 {
			t.Fatalf("seq %d, want the change stored", seq)
		}
	})
	t.Run("no consumer", func(t *testing.T) {
		o := handOffOptions(t)
		o.HandOffWait = time.Hour
		b := bustest.Open(t, o)
		changed := publishAsync(t, b, bus.FileEvent{Root: "/r", Path: "changed.md", Reason: bus.ReasonEvent})
		if seq := returnsWithin(t, changed, 20*time.Second, "a change with no Consume"); seq <= 0 {
			t.Fatalf("seq %d, want the change stored", seq)
		}
	})
}
