package bus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
)

// BenchmarkDeadLetters lists 6,000 dead letters, the size of the dead-letter
// queue a real vault's first start once produced.
func BenchmarkDeadLetters(b *testing.B) {
	ctx := context.Background()
	bs, err := bus.Open(ctx, bus.Options{StoreDir: b.TempDir(), SyncInterval: 1 << 40, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer bs.Close(ctx)
	const n = 6000
	for i := range n {
		ev := bus.FileEvent{Root: "/vault", Path: fmt.Sprintf("notes/n%05d.md", i)}
		if err := bs.PutDeadLetter(ctx, ev, uint64(i+1), bus.FailedRule("r", errors.New("boom"))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		dl, err := bs.DeadLetters(ctx)
		if err != nil || len(dl) != n {
			b.Fatalf("%d dead letters, %v", len(dl), err)
		}
	}
}

// A file has at most one dead letter: failing again replaces the older one.
// The rule named with FailedRule is kept; a success clears the file's dead
// letter; DeadLetterCount agrees with the list; RetryDeadLetters retries
// those of one rule.
func TestDeadLetterPerFile(t *testing.T) {
	b := bustest.Open(t, bustest.New(t))
	ctx := t.Context()
	var healed atomic.Bool
	var rec recorder
	consume(t, b, 2, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		if healed.Load() && ev.Path == "a.md" {
			return nil
		}
		rule := "links"
		if ev.Path == "c.md" {
			rule = "schema"
		}
		return bus.Permanent(bus.FailedRule(rule, errors.New("broken "+ev.Path)))
	})
	publish(t, b, "/r", "a.md", "a1")
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
	first, _ := b.DeadLetters(ctx)
	publish(t, b, "/r", "a.md", "a2") // the same file fails again
	publish(t, b, "/r", "b.md", "")
	publish(t, b, "/r", "c.md", "")
	poll.NoError(t, 20*time.Second, func() error {
		if n := rec.count("a.md") + rec.count("b.md") + rec.count("c.md"); n != 4 {
			return fmt.Errorf("%d events handled, want 4", n)
		}
		return nil
	})
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 3))
	dl, _ := b.DeadLetters(ctx)
	byPath := map[string]bus.DeadLetter{}
	for _, d := range dl {
		byPath[d.Event.Path] = d
	}
	if a := byPath["a.md"]; a.ID == first[0].ID || a.Rule != "links" || a.Error != "broken a.md" {
		t.Errorf("a.md's dead letter %+v; want a new one (not %d) replacing the first, rule links", a, first[0].ID)
	}
	if c := byPath["c.md"]; c.Rule != "schema" {
		t.Errorf("c.md's rule = %q, want schema", c.Rule)
	}
	if n, err := b.DeadLetterCount(ctx); n != 3 || err != nil {
		t.Errorf("DeadLetterCount = %d, %v; want 3", n, err)
	}

	// b.md succeeds through another way (the daemon clears on success).
	if ok, err := b.ClearDeadLetter(ctx, "/r", "b.md"); !ok || err != nil {
		t.Errorf("ClearDeadLetter(b.md) = %v, %v; want true", ok, err)
	}
	if ok, err := b.ClearDeadLetter(ctx, "/r", "b.md"); ok || err != nil {
		t.Errorf("ClearDeadLetter(b.md) again = %v, %v; want false", ok, err)
	}
	if ok, err := b.ClearDeadLetter(ctx, "/r", "never.md"); ok || err != nil {
		t.Errorf("ClearDeadLetter(never.md) = %v, %v; want false", ok, err)
	}
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 2))

	healed.Store(true)
	n, err := b.RetryDeadLetters(ctx, func(d bus.DeadLetter) bool { return d.Rule == "links" })
	if n != 1 || err != nil {
		t.Fatalf("RetryDeadLetters(rule links) = %d, %v; want 1", n, err)
	}
	poll.NoError(t, 20*time.Second, func() error {
		if rec.count("a.md") != 3 {
			return fmt.Errorf("a.md handled %d times, want 3", rec.count("a.md"))
		}
		return nil
	})
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 1))
	if n, err := b.DeadLetterCount(ctx); n != 1 || err != nil {
		t.Errorf("DeadLetterCount = %d, %v; want 1 (c.md)", n, err)
	}
}

// The index of dead-lettered files survives a restart: a file that failed
// before it is cleared by its first success after.
func TestClearDeadLetterAfterRestart(t *testing.T) {
	o := bustest.New(t)
	b := bustest.Open(t, o)
	ctx := t.Context()
	if err := b.PutDeadLetter(ctx, bus.FileEvent{Root: "/r", Path: "x.md"}, 1, errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b = bustest.Open(t, o)
	if ok, err := b.ClearDeadLetter(ctx, "/r", "x.md"); !ok || err != nil {
		t.Errorf("ClearDeadLetter after a restart = %v, %v; want true", ok, err)
	}
	poll.NoError(t, 20*time.Second, deadLettersAre(ctx, b, 0))
}
