package bus_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
)

func TestPublishConsumeAck(t *testing.T) {
	b := bustest.Open(t, bustest.New(t))
	ctx := t.Context()

	before := time.Now()
	if _, err := b.PublishFile(ctx, bus.FileEvent{Root: "/vault", Path: "notes/a b.md", Reason: bus.ReasonRescan}, "d1"); err != nil {
		t.Fatal(err)
	}
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 1))

	var rec recorder
	consume(t, b, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		return nil
	})
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	got := rec.all()
	if len(got) != 1 {
		t.Fatalf("handled %d events, want 1: %+v", len(got), got)
	}
	ev := got[0]
	if ev.Root != "/vault" || ev.Path != "notes/a b.md" || ev.Reason != bus.ReasonRescan {
		t.Errorf("event = %+v", ev)
	}
	if ev.Seq == 0 || ev.Deliveries != 1 {
		t.Errorf("Seq = %d, Deliveries = %d; want >0 and 1", ev.Seq, ev.Deliveries)
	}
	if ev.Time.Before(before.Add(-time.Second)) || ev.Time.After(time.Now()) {
		t.Errorf("Time = %v, want about %v", ev.Time, before)
	}
}

// N1: the same Nats-Msg-Id published three times is stored once.
func TestPublishDeduplicates(t *testing.T) {
	b := bustest.Open(t, bustest.New(t))
	ctx := t.Context()
	for range 3 {
		publish(t, b, "/r", "a.md", "/r\x00a.md\x00120\x00170000")
	}
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 1))
	publish(t, b, "/r", "a.md", "/r\x00a.md\x00121\x00170001") // a new change
	publish(t, b, "/r", "a.md", "")                            // no dedup ID: always stored
	publish(t, b, "/r", "a.md", "")
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 4))
}

func TestPublishRejectsBadEvents(t *testing.T) {
	b := bustest.Open(t, bustest.New(t))
	ctx := t.Context()
	for _, ev := range []bus.FileEvent{
		{Root: "/r"},
		{Root: "/r", Path: "a.md", Reason: "because"},
	} {
		if _, err := b.PublishFile(ctx, ev, ""); err == nil {
			t.Errorf("PublishFile(%+v) succeeded, want an error", ev)
		}
	}
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
}

// N3: a handler that always fails sends its event to the dead-letter stream
// after MaxDeliver deliveries, and other files flow meanwhile.
func TestPoisonEventIsDeadLettered(t *testing.T) {
	o := bustest.New(t)
	b := bustest.Open(t, o)
	ctx := t.Context()

	var rec recorder
	start := time.Now()
	consume(t, b, 4, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		if ev.Path == "poison.md" {
			return fmt.Errorf("parse front matter of %s: line 3: bad indent", ev.Path)
		}
		return nil
	})
	publish(t, b, "/r", "poison.md", "p")
	for i := range 20 {
		publish(t, b, "/r", fmt.Sprintf("ok-%d.md", i), "")
	}
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
	elapsed := time.Since(start)
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))

	dl, err := b.DeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := dl[0]
	if d.Event.Path != "poison.md" || d.Event.Root != "/r" {
		t.Errorf("dead letter event = %+v", d.Event)
	}
	if d.Deliveries != o.MaxDeliver {
		t.Errorf("Deliveries = %d, want %d", d.Deliveries, o.MaxDeliver)
	}
	if !strings.Contains(d.Error, "line 3: bad indent") {
		t.Errorf("Error = %q, want the handler's error", d.Error)
	}
	if n := rec.count("poison.md"); n != o.MaxDeliver {
		t.Errorf("poison.md handled %d times, want %d", n, o.MaxDeliver)
	}
	for i := range 20 {
		if n := rec.count(fmt.Sprintf("ok-%d.md", i)); n != 1 {
			t.Errorf("ok-%d.md handled %d times, want 1", i, n)
		}
	}
	var backoff time.Duration
	for _, d := range o.BackOff[:o.MaxDeliver-1] {
		backoff += d
	}
	if elapsed > backoff+5*time.Second {
		t.Errorf("dead-lettered after %v, want <= %v", elapsed, backoff+5*time.Second)
	}
	t.Logf("dead-lettered after %v (back-off sum %v)", elapsed, backoff)
}

func TestPermanentErrorIsDeadLetteredAtOnce(t *testing.T) {
	b := bustest.Open(t, bustest.New(t))
	ctx := t.Context()
	var calls atomic.Int32
	consume(t, b, 1, func(context.Context, bus.FileEvent, func()) error {
		calls.Add(1)
		return bus.Permanent(errors.New("permission denied"))
	})
	publish(t, b, "/r", "locked.md", "")
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
	dl, _ := b.DeadLetters(ctx)
	if dl[0].Deliveries != 1 || dl[0].Error != "permission denied" {
		t.Errorf("dead letter = %+v", dl[0])
	}
}

func TestPanickingHandlerIsRetriedThenDeadLettered(t *testing.T) {
	o := bustest.New(t)
	b := bustest.Open(t, o)
	ctx := t.Context()
	consume(t, b, 1, func(context.Context, bus.FileEvent, func()) error {
		panic("nil map")
	})
	publish(t, b, "/r", "boom.md", "")
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
	dl, _ := b.DeadLetters(ctx)
	if !strings.Contains(dl[0].Error, "panicked: nil map") || dl[0].Deliveries != o.MaxDeliver {
		t.Errorf("dead letter = %+v", dl[0])
	}
}

func TestRetryAndDropDeadLetter(t *testing.T) {
	b := bustest.Open(t, bustest.New(t))
	ctx := t.Context()
	var healed atomic.Bool
	var rec recorder
	consume(t, b, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		if !healed.Load() {
			return bus.Permanent(errors.New("broken"))
		}
		return nil
	})
	publish(t, b, "/r", "x.md", "")
	publish(t, b, "/r", "y.md", "")
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 2))
	dl, _ := b.DeadLetters(ctx)
	if dl[0].ID >= dl[1].ID {
		t.Errorf("dead letters not oldest first: %+v", dl)
	}
	byPath := map[string]uint64{}
	for _, d := range dl {
		byPath[d.Event.Path] = d.ID
	}

	healed.Store(true)
	if err := b.RetryDeadLetter(ctx, byPath["x.md"]); err != nil {
		t.Fatal(err)
	}
	poll.NoError(t, 20*time.Second, func() error {
		if rec.count("x.md") != 2 {
			return fmt.Errorf("x.md handled %d times, want 2", rec.count("x.md"))
		}
		return nil
	})
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	last := rec.all()[len(rec.all())-1]
	if last.Reason != bus.ReasonRetry || last.Deliveries != 1 {
		t.Errorf("retried event = %+v, want reason retry, delivery 1", last)
	}
	if err := b.DropDeadLetter(ctx, byPath["y.md"]); err != nil {
		t.Fatal(err)
	}
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 0))
	if err := b.RetryDeadLetter(ctx, byPath["x.md"]); !errors.Is(err, bus.ErrNotFound) {
		t.Errorf("retry of a retried dead letter: %v, want ErrNotFound", err)
	}
	if err := b.DropDeadLetter(ctx, 999); !errors.Is(err, bus.ErrNotFound) {
		t.Errorf("drop of an unknown dead letter: %v, want ErrNotFound", err)
	}
	if n := rec.count("y.md"); n != 1 {
		t.Errorf("dropped y.md handled %d times, want 1", n)
	}
}

// A message the workers cannot decode is dead-lettered with the reason, and
// can be dropped but not retried.
func TestUndecodableEventIsDeadLettered(t *testing.T) {
	b := bustest.Open(t, bustest.New(t))
	ctx := t.Context()
	if _, err := b.JetStream().Publish(ctx, "scribe.files.00", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	consume(t, b, 1, func(context.Context, bus.FileEvent, func()) error {
		calls.Add(1)
		return nil
	})
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	if calls.Load() != 0 {
		t.Errorf("handler called for an undecodable event")
	}
	dl, _ := b.DeadLetters(ctx)
	if !strings.Contains(dl[0].Error, "decode file event") {
		t.Errorf("Error = %q", dl[0].Error)
	}
	if err := b.RetryDeadLetter(ctx, dl[0].ID); err == nil || !strings.Contains(err.Error(), "drop it") {
		t.Errorf("retry of an undecodable dead letter: %v", err)
	}
	if err := b.DropDeadLetter(ctx, dl[0].ID); err != nil {
		t.Fatal(err)
	}
}

// N4: a handler slower than AckWait is not redelivered while it sends
// heartbeats, and is redelivered when it does not.
func TestHeartbeatPreventsRedelivery(t *testing.T) {
	const ackWait = 400 * time.Millisecond
	const work = 4 * ackWait
	for _, beat := range []bool{true, false} {
		t.Run(fmt.Sprintf("heartbeat=%v", beat), func(t *testing.T) {
			o := bustest.New(t)
			o.AckWait = ackWait
			o.MaxDeliver = 10
			b := bustest.Open(t, o)
			ctx := t.Context()
			var rec recorder
			done := make(chan struct{}, 10)
			consume(t, b, 4, func(ctx context.Context, ev bus.FileEvent, heartbeat func()) error {
				rec.add(ev)
				defer func() { done <- struct{}{} }()
				tick := time.NewTicker(ackWait / 8)
				defer tick.Stop()
				end := time.NewTimer(work) // the slow work itself
				defer end.Stop()
				for {
					select {
					case <-tick.C:
						if beat {
							heartbeat()
						}
					case <-end.C:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				}
			})
			publish(t, b, "/r", "slow.md", "")
			poll.NoError(t, 20*time.Second, func() error {
				select {
				case <-done:
					return nil
				default:
					return errors.New("slow handler has not finished")
				}
			})
			poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
			n := rec.count("slow.md")
			if beat && n != 1 {
				t.Errorf("with heartbeats: delivered %d times, want 1", n)
			}
			if !beat && n < 2 {
				t.Errorf("without heartbeats: delivered %d times, want a redelivery", n)
			}
			t.Logf("deliveries: %d", n)
		})
	}
}

// N6: a full store makes publishes fail with ErrStorageFull, never a panic,
// and publishing works again once the queue drains.
func TestStorageFull(t *testing.T) {
	o := bustest.New(t)
	o.MaxStore = 1 << 20
	o.SyncInterval = time.Minute // speed: this test is about limits
	b := bustest.Open(t, o)
	ctx := t.Context()

	long := strings.Repeat("x", 2000)
	t0 := time.Now()
	var err error
	n := 0
	for ; n < 5000; n++ {
		if _, err = b.PublishFile(ctx, bus.FileEvent{Root: "/r", Path: fmt.Sprintf("%s-%d.md", long, n)}, ""); err != nil {
			break
		}
	}
	if err == nil {
		t.Fatalf("published %d events of 2 KB into a 1 MiB store without an error", n)
	}
	if !errors.Is(err, bus.ErrStorageFull) {
		t.Fatalf("error = %v, want ErrStorageFull", err)
	}
	t.Logf("store full after %d events (%v): %.200s", n, time.Since(t0), err)
	t0 = time.Now()

	consume(t, b, 4, func(context.Context, bus.FileEvent, func()) error { return nil })
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	t.Logf("drained in %v", time.Since(t0))
	poll.NoError(t, 20*time.Second, func() error {
		_, err := b.PublishFile(ctx, bus.FileEvent{Root: "/r", Path: "after.md"}, "")
		return err
	})
}

func TestPublishEvent(t *testing.T) {
	b := bustest.Open(t, bustest.New(t))
	ctx := t.Context()
	got := make(chan *nats.Msg, 1)
	sub, err := b.Conn().ChanSubscribe(b.EventSubjects(), got)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := b.PublishEvent(ctx, "file.written", []byte(`{"path":"a.md"}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Subject != "scribe.events.file.written" || string(m.Data) != `{"path":"a.md"}` {
			t.Errorf("got %s %s", m.Subject, m.Data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("event not received")
	}
	for _, typ := range []string{"", "a..b", ".a", "a.", "a.*", "a.>", "a b", "é", "a\x00", strings.Repeat("a", 200)} {
		if err := b.PublishEvent(ctx, typ, nil); err == nil {
			t.Errorf("PublishEvent(%q) succeeded, want an error", typ)
		}
	}
}

// The file store keeps unacknowledged events across a restart of the
// embedded server, including one whose handler was interrupted, and a stop
// costs each event one delivery at most.
func TestRestartKeepsUnackedEvents(t *testing.T) {
	o := bustest.New(t)
	ctx := t.Context()
	b, err := bus.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		publish(t, b, "/r", fmt.Sprintf("%d.md", i), "")
	}
	started := make(chan struct{}, 5)
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		errc <- b.Consume(cctx, 1, func(ctx context.Context, _ bus.FileEvent, _ func()) error {
			started <- struct{}{}
			<-ctx.Done() // interrupted mid-work
			return ctx.Err()
		})
	}()
	<-started
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Consume: %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}

	b2 := bustest.Open(t, o)
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b2, 5))
	var rec recorder
	consume(t, b2, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		return nil
	})
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b2, 0))
	for i := range 5 {
		if n := rec.count(fmt.Sprintf("%d.md", i)); n != 1 {
			t.Errorf("%d.md handled %d times after restart, want 1", i, n)
		}
	}
	// The stop gave each event back once: the interrupted one was
	// delivered to its handler, the others at most into the pull buffer.
	for _, ev := range rec.all() {
		if ev.Deliveries > 2 {
			t.Errorf("%s: delivery %d after the restart, want at most 2 (the stop naked it while a pull request was open, which delivered it again)", ev.Path, ev.Deliveries)
		}
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	o := bustest.New(t)
	ctx := t.Context()
	b, err := bus.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	consumeErr := make(chan error, 1)
	go func() {
		consumeErr <- b.Consume(context.Background(), 2, func(context.Context, bus.FileEvent, func()) error { return nil })
	}()
	publish(t, b, "/r", "a.md", "")
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))

	if err := b.Close(ctx); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := <-consumeErr; !errors.Is(err, bus.ErrClosed) {
		t.Errorf("Consume during Close returned %v, want ErrClosed", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Close(done); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := b.PublishFile(ctx, bus.FileEvent{Path: "a.md"}, ""); !errors.Is(err, bus.ErrClosed) {
		t.Errorf("PublishFile after Close: %v, want ErrClosed", err)
	}
	if err := b.Consume(ctx, 1, func(context.Context, bus.FileEvent, func()) error { return nil }); !errors.Is(err, bus.ErrClosed) {
		t.Errorf("Consume after Close: %v, want ErrClosed", err)
	}
	if _, err := b.Pending(ctx); !errors.Is(err, bus.ErrClosed) {
		t.Errorf("Pending after Close: %v, want ErrClosed", err)
	}
}

// Close with a context that is already done still releases everything.
func TestCloseWithDoneContext(t *testing.T) {
	b, err := bus.Open(t.Context(), bustest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	if b.Server().Running() {
		t.Error("embedded server still running after Close")
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		o    bus.Options
		want string
	}{
		{"no store", bus.Options{}, "StoreDir"},
		{"store is a file", bus.Options{StoreDir: aFile(t)}, "bus store directory"},
		{"bad name", bus.Options{StoreDir: t.TempDir(), Name: "Scribe.X"}, "bus name"},
		{"negative", bus.Options{StoreDir: t.TempDir(), MaxDeliver: -1}, "MaxDeliver"},
		{"bad backoff", bus.Options{StoreDir: t.TempDir(), BackOff: []time.Duration{0}}, "BackOff[0]"},
		{"unreachable", bus.Options{URL: "nats://alice:s3cret@127.0.0.1:1"}, "is the server running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := bus.Open(ctx, tc.o)
			if err == nil {
				b.Close(ctx)
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func aFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
