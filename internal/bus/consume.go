package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one file event. It returns nil once the effect is durable
// (the file written and synced): only then is the event acknowledged. An error
// is retried after Options.BackOff, up to Options.MaxDeliver deliveries, then
// the event is dead-lettered; an error marked with Permanent is dead-lettered
// at once. A handler whose work may outlast Options.AckWait calls heartbeat
// now and then (cheap; extra calls are dropped) so that the server does not
// redeliver the event meanwhile. Handlers must be idempotent: JetStream
// delivers at least once.
type Handler func(ctx context.Context, ev FileEvent, heartbeat func()) error

const (
	// opTimeout bounds an acknowledgement or a dead-letter move.
	opTimeout = 5 * time.Second
	// maxPullBackOff caps the wait between failed pulls (server away).
	maxPullBackOff = 5 * time.Second
)

// Consume pulls file events and calls handle for each, with at most
// concurrency calls in flight. It returns nil when ctx is done, ErrClosed when
// the bus is closed, or an error if it cannot consume at all. Before returning
// it cancels the handlers' context and waits for them; an event whose handler
// was interrupted is redelivered at once (this counts as a delivery). Several
// Consume calls, in this process or others sharing the cluster, share the work.
func (b *Bus) Consume(ctx context.Context, concurrency int, handle Handler) error {
	if concurrency < 1 {
		return fmt.Errorf("consume file events: concurrency %d, want at least 1", concurrency)
	}
	if handle == nil {
		return errors.New("consume file events: nil handler")
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // Close stops every Consume
		select {
		case <-b.done:
			cancel()
		case <-ctx.Done():
		}
	}()

	var (
		handlers sync.WaitGroup
		stopped  heldEvents
	)
	err := b.pullLoop(ctx, concurrency, handle, &handlers, &stopped)
	cancel()
	handlers.Wait()
	stopped.release() // every pull iterator is closed by now
	if err != nil {
		return err
	}
	if b.check() != nil {
		return ErrClosed
	}
	return nil
}

// pullLoop keeps a pull iterator open on each consumer (live and bulk
// events) and hands each event to a handler goroutine (one waiting for work,
// or a new one), never more than concurrency events at once, until ctx is
// done. A live event always goes first: bulk events are taken only when no
// live one is waiting. Each iterator buffers a few events per handler ahead
// (prefetch); their AckWait runs meanwhile, which the default of 30 s leaves
// ample room for.
func (b *Bus) pullLoop(ctx context.Context, concurrency int, handle Handler, handlers *sync.WaitGroup, stopped *heldEvents) error {
	b.consuming.Add(1)
	defer b.consuming.Add(-1)
	fctx, cancel := context.WithCancel(ctx)
	live, bulk := make(chan jetstream.Msg), make(chan jetstream.Msg)
	errc := make(chan error, 2)
	var fetchers sync.WaitGroup
	defer fetchers.Wait() // after cancel: they nak what they hold
	defer cancel()
	for _, f := range []struct {
		cons jetstream.Consumer
		out  chan<- jetstream.Msg
	}{{b.cons, live}, {b.bulkCons, bulk}} {
		fetchers.Go(func() {
			if err := b.fetch(fctx, f.cons, concurrency, f.out, stopped); err != nil {
				errc <- err
			}
		})
	}
	slots := make(chan struct{}, concurrency)
	work := make(chan job) // to a handler waiting for its next event
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		var j job
		select {
		case j.msg = <-live:
		case j.direct = <-b.direct:
		default:
			select {
			case j.msg = <-live:
			case j.direct = <-b.direct:
			case j.msg = <-bulk:
			case err := <-errc:
				return err
			case <-ctx.Done():
				return nil
			}
		}
		select {
		case work <- j: // a handler waiting for work took it
		default:
			handlers.Add(1)
			go func() {
				defer handlers.Done()
				b.handleLoop(ctx, j, work, slots, handle, stopped)
			}()
		}
	}
}

// job is an event for a handler: delivered by the server (msg) or handed
// off (direct).
type job struct {
	msg    jetstream.Msg
	direct *directEvent
}

// handlerIdle is how long a handler goroutine waits for its next event
// before it exits.
//
// Handlers outlive their event because a goroutine starts with a small stack
// and the path through a handler is deep (decoding, rules, encoding,
// writing): a goroutine per event grew its stack by copying three or four
// times per event, 5.8 % of the daemon's CPU in the first pass over a
// million files. A handler that goes on to the next event keeps the stack it
// grew; after a second without work it exits and its stack is freed.
const handlerIdle = time.Second

// handleLoop processes j, then each event handed to it on work, until none
// comes for handlerIdle or ctx is done. Each event's slot is released once
// the event is settled.
func (b *Bus) handleLoop(ctx context.Context, j job, work <-chan job, slots <-chan struct{}, handle Handler, stopped *heldEvents) {
	idle := time.NewTimer(handlerIdle)
	defer idle.Stop()
	for {
		if j.direct != nil {
			b.processDirect(ctx, j.direct, handle)
		} else {
			b.process(ctx, j.msg, handle, stopped)
		}
		<-slots
		idle.Reset(handlerIdle)
		select {
		case j = <-work:
		case <-idle.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// fetch hands cons's events to out, one at a time, until ctx is done,
// reopening its pull iterator after an error. It returns an error only when
// consuming cannot go on (the connection closed under it).
func (b *Bus) fetch(ctx context.Context, cons jetstream.Consumer, concurrency int, out chan<- jetstream.Msg, stopped *heldEvents) error {
	failures := 0
	for {
		iter, err := cons.Messages(jetstream.PullMaxMessages(prefetch(concurrency)),
			jetstream.PullHeartbeat(pullHeartbeat), jetstream.WithMessagesErrOnMissingHeartbeat(false))
		if err == nil {
			err = b.feed(ctx, iter, out, stopped)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			failures = 0
			continue
		case errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConnectionClosed):
			if b.check() != nil {
				return nil
			}
			return fmt.Errorf("consume file events: %w", err)
		case errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) ||
			errors.Is(err, jetstream.ErrStreamNotFound):
			// Someone deleted our stream or consumer (or the cluster lost
			// it): put it back rather than spin.
			b.log.Warn("file queue consumer gone; recreating it", "err", err)
			if _, err := b.ensureTopology(ctx); err != nil {
				b.log.Warn("recreate file queue", "err", err)
			}
		default:
			b.log.Warn("pull file events failed; retrying", "err", err, "failures", failures+1)
		}
		failures++
		wait := min(time.Duration(1<<min(failures, 16))*50*time.Millisecond, maxPullBackOff)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
	}
}

// feed passes iter's events to out until ctx is done (nil) or iter fails
// (its error). Either way it drains iter and gives back what was buffered,
// and what it held, so that those events are redelivered at once rather
// than after AckWait: naked at once after a failure, held in stopped when
// stopping.
func (b *Bus) feed(ctx context.Context, iter jetstream.MessagesContext, out chan<- jetstream.Msg, stopped *heldEvents) error {
	defer b.drain(ctx, iter, stopped)
	for {
		msg, err := b.next(ctx, iter)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case out <- msg:
		case <-ctx.Done():
			stopped.add(msg)
			return nil
		}
	}
}

// nextWait bounds the first wait in next. nats.go v1.55's iterator skips
// asking for more events while its previous pull request is still marked in
// flight, and with an in-process server the events can arrive, and be taken,
// before that mark is cleared; the iterator then waits for the next heartbeat
// (15 s) before asking again. Calling Next again makes it check again.
// Measured without it: 2,000 queued events stalled after 49 under -race.
//
// The mark is left behind only as an event is taken, and clears within
// microseconds, so the first call after an event is what matters; after
// that the wait doubles up to maxNextWait, so that an idle daemon does not
// wake up 20 times a second per consumer (1.18 % of a core and 288 context
// switches a second while idle, measured when a rewrite of this file had
// lost the doubling).
const (
	nextWait    = 50 * time.Millisecond
	maxNextWait = 5 * time.Second
)

// pullHeartbeat is how often the server tells the iterator that its waiting
// pull request is still there. A pull request can be lost on the way (its
// consumer's leader gone as it arrived, a connection cut): the server never
// hears of it, and the iterator waits for the events it asked for, which
// never come. nats.go notices two heartbeats missed and asks again, but only
// within one Next call, and next's calls last at most maxNextWait: the
// default heartbeat (15 s, so 30 s of silence) was never noticed, and
// consuming stopped for good (TestConsumeAfterALostPullRequest). Two missed
// at 2 s fit in a call of 5 s; the cost is a heartbeat every 2 s per
// consumer while idle.
const pullHeartbeat = 2 * time.Second

// next returns the next event of iter, or ctx's error. A cancelled ctx ends
// the wait at once.
func (b *Bus) next(ctx context.Context, iter jetstream.MessagesContext) (jetstream.Msg, error) {
	for wait := nextWait; ; wait = min(2*wait, maxNextWait) {
		wctx, cancel := context.WithTimeout(ctx, wait)
		msg, err := iter.Next(jetstream.NextContext(wctx))
		cancel()
		switch {
		case err == nil:
			return msg, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			continue
		}
		return nil, err
	}
}

// drain closes iter and gives back the events it buffered: held in stopped
// when ctx is done, naked at once otherwise (the iterator failed and
// another replaces it).
func (b *Bus) drain(ctx context.Context, iter jetstream.MessagesContext, stopped *heldEvents) {
	iter.Drain()
	for {
		msg, err := iter.Next(jetstream.NextMaxWait(opTimeout))
		if err != nil {
			return
		}
		if ctx.Err() != nil {
			stopped.add(msg)
		} else {
			_ = msg.Nak()
		}
	}
}

// heldEvents are the events a stopping Consume holds without having handled
// them. They are given back (naked, so redelivered at once) only once every
// pull iterator of that Consume is closed: an event naked while an
// iterator's pull request is still open comes straight back into it, to be
// naked again, each time counting a delivery, until MaxDeliver dead-letters
// an event that never failed (TestRestartKeepsUnackedEvents saw the event
// whose handler was interrupted delivered three times in one stop).
type heldEvents struct {
	mu   sync.Mutex
	msgs []jetstream.Msg
}

func (h *heldEvents) add(msg jetstream.Msg) {
	h.mu.Lock()
	h.msgs = append(h.msgs, msg)
	h.mu.Unlock()
}

// release naks the held events.
func (h *heldEvents) release() {
	h.mu.Lock()
	msgs := h.msgs
	h.msgs = nil
	h.mu.Unlock()
	for _, msg := range msgs {
		_ = msg.Nak()
	}
}

// process runs the handler for one delivered event and settles the message:
// ack, delayed nak, or dead letter.
func (b *Bus) process(ctx context.Context, msg jetstream.Msg, handle Handler, stopped *heldEvents) {
	md, err := msg.Metadata()
	if err != nil {
		b.log.Error("file event without JetStream metadata; redelivering", "subject", msg.Subject(), "err", err)
		_ = msg.Nak()
		return
	}
	// A handed-off try that failed (direct.go) was the first delivery.
	earlier := earlierFailures(msg.Headers())
	seq, deliveries := md.Sequence.Stream, int(md.NumDelivered)+earlier
	ev, err := decodeEvent(msg.Data())
	if err != nil {
		// Redelivering cannot fix bytes; keep them for the operator.
		b.deadLetterDelivered(ctx, msg, seq, deliveries, Permanent(err))
		return
	}
	if ctx.Err() != nil {
		stopped.add(msg) // stopping: let another worker, or the next start, take it
		return
	}
	ev.Seq, ev.Deliveries, ev.EarlierFailures = seq, deliveries, earlier
	log := func() *slog.Logger {
		return b.log.With("root", ev.Root, "path", ev.Path, "seq", seq, "delivery", deliveries)
	}

	// The handler's context carries the publisher's span (if any) as its
	// remote parent; it is cancelled with ctx.
	tctx := extractTrace(ctx, msg.Headers())
	herr := b.call(tctx, log, handle, ev, b.heartbeat(msg))
	switch {
	case herr == nil:
		b.lastErr.forget(seq)
		failpoint("bus-ack")
		if err := msg.Ack(); err != nil {
			// The effect is durable; a redelivery finds nothing to do
			// (handlers are idempotent). Not awaited (see doc.go).
			log().WarnContext(tctx, "acknowledge file event", "err", err)
		}
	case ctx.Err() != nil:
		stopped.add(msg)
	case IsPermanent(herr) || deliveries >= b.o.MaxDeliver:
		b.deadLetterDelivered(tctx, msg, seq, deliveries, herr)
	default:
		b.lastErr.set(seq, herr)
		delay := b.o.backOff(deliveries)
		log().InfoContext(tctx, "file event failed; will retry", "err", herr, "retry_in", delay)
		if err := msg.NakWithDelay(delay); err != nil {
			log().WarnContext(tctx, "nak file event", "err", err) // AckWait expiry redelivers it
		}
	}
}

// call runs handle, turning a panic into an error so that one bad file cannot
// take the daemon down. log makes the event's logger: only when it logs,
// since slog's With formats its attributes at once, and most events log
// nothing.
func (b *Bus) call(ctx context.Context, log func() *slog.Logger, handle Handler, ev FileEvent, hb func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			log().Error("file event handler panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return handle(ctx, ev, hb)
}

// heartbeat returns a function that tells the server the event is still being
// worked on, at most every AckWait/10.
func (b *Bus) heartbeat(msg jetstream.Msg) func() {
	gap := int64(max(b.o.AckWait/10, time.Millisecond))
	var last atomic.Int64
	return func() {
		now := time.Now().UnixNano()
		prev := last.Load()
		if now-prev < gap || !last.CompareAndSwap(prev, now) {
			return
		}
		if err := msg.InProgress(); err != nil {
			b.log.Debug("file event heartbeat", "subject", msg.Subject(), "err", err)
		}
	}
}

// prefetch is how many events a pull iterator asks for ahead of the
// handlers: a few per handler, and enough that a pull request per event does
// not set the pace (each is a round trip to the server).
func prefetch(concurrency int) int { return max(4*concurrency, 64) }
