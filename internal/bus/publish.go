package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// PublishFile queues ev for the workers (behind every live event when
// ev.Bulk) and returns once the server has stored it, with its sequence; or,
// with Options.HandOff, hands a live event to an idle handler of this
// process (sequence 0) and returns at once. A watcher's change
// (ReasonEvent) may first wait up to Options.HandOffWait for a handler to
// free up.
// dedupID names the change (the daemon passes root, path, size and
// modification time): an event whose dedupID was published within the
// Duplicates window is dropped by the server, and PublishFile returns the
// sequence of the first. An empty dedupID disables deduplication. A full
// store gives an error matching ErrStorageFull. A span in ctx travels with
// the event (W3C traceparent), so the handler's context carries it as its
// remote parent.
func (b *Bus) PublishFile(ctx context.Context, ev FileEvent, dedupID string) (uint64, error) {
	if err := b.check(); err != nil {
		return 0, err
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	data, err := encodeEvent(ev)
	if err != nil {
		return 0, fmt.Errorf("publish file event for %q: %w", ev.Path, err)
	}
	m := &nats.Msg{Subject: fileSubject(b.n, ev), Data: data, Header: injectTrace(ctx)}
	if !b.o.HandOff || ev.Bulk {
		return b.publishFileMsg(ctx, ev, m, dedupID)
	}
	// Live, with hand-offs (direct.go): the bus deduplicates, since an
	// event handed off never reaches the server's deduplication.
	if dedupID != "" && b.recent.add(dedupID, time.Now()) {
		return 0, nil
	}
	var wait time.Duration
	if (ev.Reason == ReasonEvent || ev.Reason == "") && b.consuming.Load() > 0 {
		wait = b.o.HandOffWait
	}
	if b.handOff(ctx, m, dedupID, wait) {
		return 0, nil
	}
	seq, err := b.publishFileMsg(ctx, ev, m, dedupID)
	if err != nil && dedupID != "" {
		b.recent.forget(dedupID)
	}
	return seq, err
}

// publishFileMsg stores the encoded event m in the file queue.
func (b *Bus) publishFileMsg(ctx context.Context, ev FileEvent, m *nats.Msg, dedupID string) (uint64, error) {
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(b.n.wqStream)}
	if dedupID != "" {
		opts = append(opts, jetstream.WithMsgID(dedupHeader(dedupID)))
	}
	ack, err := b.js.PublishMsg(ctx, m, opts...)
	if err != nil {
		return 0, fmt.Errorf("publish file event for %q: %w", ev.Path, classify(err))
	}
	failpoint("bus-publish")
	return ack.Sequence, nil
}

// PublishEvent publishes an action event on <name>.events.<typ> and returns
// once the server has stored it. typ is one or more tokens of letters, digits,
// '-' and '_' separated by dots ("file.written"); data is opaque (the daemon
// sends JSON).
func (b *Bus) PublishEvent(ctx context.Context, typ string, data []byte) error {
	if err := b.check(); err != nil {
		return err
	}
	if err := checkEventType(typ); err != nil {
		return err
	}
	if _, err := b.js.Publish(ctx, b.n.events+typ, data, jetstream.WithExpectStream(b.n.eventsStream)); err != nil {
		return fmt.Errorf("publish %s event: %w", typ, classify(err))
	}
	return nil
}

// checkEventType rejects event types that would make an invalid or wildcard
// subject.
func checkEventType(typ string) error {
	const maxLen = 128
	valid := len(typ) > 0 && len(typ) <= maxLen && typ[0] != '.' && typ[len(typ)-1] != '.'
	for i := 0; valid && i < len(typ); i++ {
		c := typ[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			valid = typ[i-1] != '.'
		default:
			valid = false
		}
	}
	if !valid {
		return fmt.Errorf("event type %q: use dot-separated tokens of letters, digits, '-' and '_' (at most %d bytes)", typ, maxLen)
	}
	return nil
}
