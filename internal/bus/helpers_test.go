package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus"
)

// consume runs b.Consume in the background until the test ends or the
// returned stop is called; stop returns Consume's result.
func consume(t *testing.T, b *bus.Bus, concurrency int, h bus.Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Consume(ctx, concurrency, h) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(30 * time.Second):
				err = errors.New("Consume did not return 30s after its context was cancelled")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("consume: %v", err)
		}
	})
	return stop
}

// recorder collects the events a handler saw, safely across goroutines.
type recorder struct {
	mu     sync.Mutex
	events []bus.FileEvent
}

func (r *recorder) add(ev bus.FileEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) all() []bus.FileEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bus.FileEvent(nil), r.events...)
}

// count returns how many recorded events have path p.
func (r *recorder) count(p string) int {
	n := 0
	for _, ev := range r.all() {
		if ev.Path == p {
			n++
		}
	}
	return n
}

func pendingIs(ctx context.Context, b *bus.Bus, want int) func() error {
	return func() error {
		n, err := b.Pending(ctx)
		if err != nil {
			return err
		}
		if n != want {
			return fmt.Errorf("pending = %d, want %d", n, want)
		}
		return nil
	}
}

func deadLettersAre(ctx context.Context, b *bus.Bus, want int) func() error {
	return func() error {
		dl, err := b.DeadLetters(ctx)
		if err != nil {
			return err
		}
		if len(dl) != want {
			return fmt.Errorf("%d dead letters, want %d: %+v", len(dl), want, dl)
		}
		return nil
	}
}

func publish(t *testing.T, b *bus.Bus, root, path, dedup string) {
	t.Helper()
	if _, err := b.PublishFile(t.Context(), bus.FileEvent{Root: root, Path: path}, dedup); err != nil {
		t.Fatalf("publish %q: %v", path, err)
	}
}
