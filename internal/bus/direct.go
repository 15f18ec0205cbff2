package bus

import (
	"context"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Live events handed straight to an idle handler.
//
// A file event's trip through the embedded server (stored, acknowledged,
// pulled by the iterator, handed to a handler) is about a quarter of a
// millisecond, most of the time a single save waits beyond the rewrite
// itself (BenchmarkEventLatency). When a Consume of this process has a
// handler slot free and no live event waiting, the stream adds nothing
// but that trip: PublishFile (with Options.HandOff) then gives the live
// event to the pull loop directly, on an unbuffered channel that the loop
// receives on only while it holds a free slot. With no loop ready, the
// event goes to the stream as before, at once or, for a watcher's change
// (ReasonEvent) while a Consume runs, after waiting up to
// Options.HandOffWait for a slot to free up. Bulk events always go to the
// stream: they wait behind live ones.
//
// The wait is for floods. With every handler busy, each live event made
// the whole trip through the server (stored, pulled, acknowledged, deleted),
// 13–14 % of the daemon's CPU in a flood of 20,000 new files, only to wait
// there for a handler, which frees up within milliseconds when the files
// are many. Only a watcher's changes wait: their publisher (the daemon's
// forwarders) holds nothing else back, the watcher coalescing what follows
// per path meanwhile; a requeue comes from a handler, whose own slot is one
// of those waited for.
//
// An event handed off is in no stream, so the bus does for it what the
// stream does for the others:
//   - Deduplication: the bus remembers the deduplication ids of the live
//     events published in the last Options.Duplicates, by either path,
//     and drops a repeat as the server would.
//   - Pending counts it until it is settled.
//   - A handler that fails has the event stored in the file queue after
//     BackOff's first delay (the same message, its trace and deduplication
//     id included), where it is retried and dead-lettered like any other;
//     the failed try counts as its first delivery (FileEvent.Deliveries and
//     EarlierFailures). Close stores the ones still waiting at once.
//   - One interrupted by a stopping Consume is stored at once, to be given
//     to the next Consume, as the stream gives back an unsettled event.
//   - Its handler is called with Seq 0 and Deliveries 1; heartbeats are
//     not needed (nothing redelivers it) and do nothing.
//
// What the stream gives and a hand-off does not: survival of a crash of
// the process (the daemon empties the file queue at every start, and its
// catch-up finds again whatever was queued, so the daemon loses nothing).

// directEvent is a live event handed off: the message as it would have
// been published, and the event it decodes to (what a handler gets; set by
// processDirect, so that a publisher whose event finds no free handler
// does not decode it for nothing).
type directEvent struct {
	msg     *nats.Msg
	dedupID string
	ev      FileEvent
}

// handOff gives the encoded live event m to a pull loop with a free slot,
// and reports whether one took it. With every slot busy it waits up to wait
// for one to free up.
func (b *Bus) handOff(ctx context.Context, m *nats.Msg, dedupID string, wait time.Duration) bool {
	b.handedOff.Add(1) // Pending counts it from here: it is on its way
	d := &directEvent{msg: m, dedupID: dedupID}
	select {
	case b.direct <- d:
		return true
	default:
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case b.direct <- d:
			return true
		case <-t.C:
		case <-ctx.Done():
		}
	}
	b.handedOff.Add(-1)
	return false
}

// processDirect runs the handler for an event handed off. One that fails
// is stored in the file queue after the first back-off delay; one that is
// interrupted, at once.
func (b *Bus) processDirect(ctx context.Context, d *directEvent, handle Handler) {
	ev, err := decodeEvent(d.msg.Data) // the event exactly as a delivery decodes it
	if err != nil {
		// Redelivering cannot fix bytes; keep them for the operator.
		b.deadLetterDirect(ctx, b.log, d, Permanent(err))
		return
	}
	d.ev = ev
	ev.Deliveries = 1
	log := func() *slog.Logger { return b.log.With("root", ev.Root, "path", ev.Path, "handed_off", true) }
	tctx := extractTrace(ctx, d.msg.Header)
	herr := ctx.Err()
	if herr == nil {
		herr = b.call(tctx, log, handle, ev, func() {})
	}
	switch {
	case herr == nil:
		b.handedOff.Add(-1)
	case ctx.Err() != nil:
		b.requeue(tctx, d)
	case IsPermanent(herr) || b.o.MaxDeliver <= 1:
		b.deadLetterDirect(tctx, log(), d, herr)
	default:
		delay := b.o.backOff(1)
		log().InfoContext(tctx, "file event failed; will retry", "err", herr, "retry_in", delay)
		h := nats.Header{}
		maps.Copy(h, d.msg.Header)
		h.Set(headerEarlierFailures, "1")
		d.msg = &nats.Msg{Subject: d.msg.Subject, Data: d.msg.Data, Header: h}
		b.retries.after(delay, func() { b.requeue(tctx, d) })
	}
}

// deadLetterDirect dead-letters an event handed off whose handler failed
// for good. If that fails, the event is stored in the file queue instead,
// to be dead-lettered from there.
func (b *Bus) deadLetterDirect(ctx context.Context, log *slog.Logger, d *directEvent, cause error) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()
	src := deadSource{subject: d.msg.Subject, data: d.msg.Data, deliveries: 1, err: cause.Error(), rule: failedRule(cause)}
	if err := b.publishDeadLetter(dctx, src); err != nil {
		log.ErrorContext(ctx, "dead-letter file event", "err", err)
		b.requeue(ctx, d)
		return
	}
	b.handedOff.Add(-1)
	log.WarnContext(ctx, "file event dead-lettered", "deliveries", 1, "rule", src.rule, "err", cause)
}

// headerEarlierFailures carries, on an event stored after a handed-off try
// failed, how many tries failed before it was stored.
const headerEarlierFailures = "Scribe-Earlier-Failures"

// earlierFailures reads headerEarlierFailures (0 when absent or garbled).
func earlierFailures(h nats.Header) int {
	n, err := strconv.Atoi(h.Get(headerEarlierFailures))
	if err != nil || n < 0 || n > 1<<10 {
		return 0
	}
	return n
}

// requeue stores an event handed off in the file queue, and then no longer
// counts it as handed off.
func (b *Bus) requeue(ctx context.Context, d *directEvent) {
	defer b.handedOff.Add(-1) // once stored: Pending never misses it
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()
	if _, err := b.publishFileMsg(pctx, d.ev, d.msg, d.dedupID); err != nil {
		if b.o.Lost == nil {
			b.log.WarnContext(ctx, "queue a file event handed off; the file waits for the next start", "root", d.ev.Root, "path", d.ev.Path, "err", err)
			return
		}
		b.log.WarnContext(ctx, "queue a file event handed off; the file is looked at again at the next rescan", "root", d.ev.Root, "path", d.ev.Path, "err", err)
		b.o.Lost(d.ev.Root, d.ev.Path)
	}
}

// delayed runs functions after a delay, and all those still waiting at
// once when flushed (Close, before the connection goes).
type delayed struct {
	mu      sync.Mutex
	flushed bool
	waiting map[*time.Timer]func()
	running sync.WaitGroup
}

// after runs f after delay, or at once when flushed already.
func (q *delayed) after(delay time.Duration, f func()) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running.Add(1)
	if q.flushed {
		go func() { defer q.running.Done(); f() }()
		return
	}
	if q.waiting == nil {
		q.waiting = make(map[*time.Timer]func())
	}
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		q.mu.Lock()
		_, mine := q.waiting[t]
		delete(q.waiting, t)
		q.mu.Unlock()
		if mine {
			defer q.running.Done()
			f()
		}
	})
	q.waiting[t] = f
}

// flush runs the functions still waiting, now, and waits for every one
// started.
func (q *delayed) flush() {
	q.mu.Lock()
	q.flushed = true
	var now []func()
	for t, f := range q.waiting {
		// A timer that fired already runs its function itself (it finds
		// its entry, which stays).
		if t.Stop() {
			now = append(now, f)
			delete(q.waiting, t)
		}
	}
	q.mu.Unlock()
	for _, f := range now {
		f()
		q.running.Done()
	}
	q.running.Wait()
}

// recentIDs are the deduplication ids of the live events published within
// a window.
type recentIDs struct {
	mu     sync.Mutex
	window time.Duration
	seen   map[string]time.Time
	swept  time.Time
}

// add records id and reports whether it was published within the window
// already (a repeat, to drop).
func (r *recentIDs) add(id string, now time.Time) (repeat bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.seen[id]; ok && now.Sub(t) < r.window {
		return true
	}
	if r.seen == nil {
		r.seen = make(map[string]time.Time)
	}
	r.seen[id] = now
	if now.Sub(r.swept) >= r.window {
		for k, t := range r.seen {
			if now.Sub(t) >= r.window {
				delete(r.seen, k)
			}
		}
		r.swept = now
	}
	return false
}

// forget drops id (its publish failed: a new try must not be a repeat).
func (r *recentIDs) forget(id string) {
	r.mu.Lock()
	delete(r.seen, id)
	r.mu.Unlock()
}
