package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// deadIndex is the set of dead-letter subjects (one per file) this process
// knows of: those in the stream when Open ran and those it made since. It
// lets ClearDeadLetter skip the server for the files that have none, which
// is nearly every file. Dead letters another daemon of a cluster made later
// are not in it, and stay until retried or dropped.
type deadIndex struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func (x *deadIndex) load(ctx context.Context, dlq jetstream.Stream, prefix string) error {
	info, err := dlq.Info(ctx, jetstream.WithSubjectFilter(prefix+"*"))
	if err != nil {
		return fmt.Errorf("list dead-letter subjects: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.m = make(map[string]struct{}, len(info.State.Subjects))
	for s := range info.State.Subjects {
		x.m[s] = struct{}{}
	}
	return nil
}

func (x *deadIndex) add(subject string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m == nil {
		x.m = map[string]struct{}{}
	}
	x.m[subject] = struct{}{}
}

// take reports whether subject is known, and forgets it.
func (x *deadIndex) take(subject string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.m[subject]
	delete(x.m, subject)
	return ok
}

// DeadLetterCount returns how many dead letters the stream holds, in one
// request whatever their number.
func (b *Bus) DeadLetterCount(ctx context.Context) (int, error) {
	if err := b.check(); err != nil {
		return 0, err
	}
	info, err := b.dlq.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("count dead letters: %w", err)
	}
	return int(min(info.State.Msgs, uint64(maxInt))), nil
}

// ClearDeadLetter removes the dead letter of file path of root, if there is
// one: the daemon calls it when the file was processed successfully, so
// that a dead letter never outlives its failure. It reports whether one
// was removed. For a file with no dead letter it costs a map lookup.
func (b *Bus) ClearDeadLetter(ctx context.Context, root, path string) (bool, error) {
	if err := b.check(); err != nil {
		return false, err
	}
	subject := b.n.dlq + fileToken(root, path)
	if !b.dead.take(subject) {
		return false, nil
	}
	if err := b.dlq.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
		b.dead.add(subject) // try again at the next success
		return false, fmt.Errorf("clear the dead letter of %q: %w", path, err)
	}
	return true, nil
}

// RetryDeadLetters retries (as RetryDeadLetter) every dead letter for which
// match returns true (nil: all of them), and returns how many it retried.
// It stops at the first failure, returning the count so far with it.
func (b *Bus) RetryDeadLetters(ctx context.Context, match func(DeadLetter) bool) (int, error) {
	dl, err := b.DeadLetters(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range dl {
		if match != nil && !match(d) {
			continue
		}
		if err := b.RetryDeadLetter(ctx, d.ID); err != nil {
			if errors.Is(err, ErrNotFound) {
				continue // retried or dropped meanwhile
			}
			return n, err
		}
		n++
	}
	return n, nil
}
