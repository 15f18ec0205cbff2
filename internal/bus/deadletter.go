package bus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DeadLetter is a file event that kept failing, as kept in the dead-letter
// stream. The file itself is never moved or deleted.
type DeadLetter struct {
	// ID names the dead letter for RetryDeadLetter and DropDeadLetter (its
	// sequence in the dead-letter stream).
	ID uint64 `json:"id"`
	// Event is the event as published. It is zero if the stored bytes could
	// not be decoded; Error says so.
	Event FileEvent `json:"event"`
	// Error is why the event was dead-lettered: the handler's last error, or
	// that it was never acknowledged.
	Error string `json:"error"`
	// Rule is the rule that failed, when the handler said (FailedRule);
	// "" otherwise.
	Rule string `json:"rule,omitempty"`
	// Deliveries is how many times the event was delivered.
	Deliveries int `json:"deliveries"`
	// Time is when the event was dead-lettered.
	Time time.Time `json:"time"`
}

// Headers of a dead-letter message; its data is the original event's bytes.
const (
	hdrError      = "Scribe-Error"
	hdrDeliveries = "Scribe-Deliveries"
	hdrSourceSeq  = "Scribe-Source-Seq"
	hdrRule       = "Scribe-Rule"
)

// maxErrorLen bounds the error text kept with a dead letter.
const maxErrorLen = 1024

// deadSource is a work-queue message on its way to the dead-letter stream.
type deadSource struct {
	seq        uint64 // sequence in the work-queue stream; 0 for an event handed off
	subject    string
	data       []byte
	deliveries int
	err        string
	rule       string // the rule that failed, if known
}

// deadDirect numbers the dead letters of events handed off.
var deadDirect atomic.Uint64

// publishDeadLetter stores src in the dead-letter stream. Its Nats-Msg-Id is
// derived from the work-queue sequence, so that the worker, the advisory mover
// and the startup sweep can all try without making duplicates. Its subject
// names the file (deadSubject), and the stream keeps one message per
// subject: a file's new dead letter replaces its older one.
func (b *Bus) publishDeadLetter(ctx context.Context, src deadSource) error {
	subject := b.n.dlq + deadToken(src.data)
	m := nats.NewMsg(subject)
	m.Data = src.data
	m.Header.Set(hdrError, headerSafe(src.err))
	m.Header.Set(hdrDeliveries, strconv.Itoa(src.deliveries))
	m.Header.Set(hdrSourceSeq, strconv.FormatUint(src.seq, 10))
	if src.rule != "" {
		m.Header.Set(hdrRule, headerSafe(src.rule))
	}
	id := b.n.wqStream + "-dlq-" + strconv.FormatUint(src.seq, 10)
	if src.seq == 0 {
		// Handed off (direct.go): in no stream, dead-lettered by one
		// worker only, so any id that is not another's will do.
		id = b.n.wqStream + "-dlq-direct-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatUint(deadDirect.Add(1), 36)
	}
	_, err := b.js.PublishMsg(ctx, m, jetstream.WithMsgID(id), jetstream.WithExpectStream(b.n.dlqStream))
	if err != nil {
		return fmt.Errorf("publish dead letter for file event %d: %w", src.seq, classify(err))
	}
	b.dead.add(subject)
	return nil
}

// deadToken is the last subject token of a file's dead letters: a hash of
// its root and path (never a byte of the name itself, as for the work
// queue), long enough that two files never share it; for bytes that are not
// an event, a hash of the bytes.
func deadToken(data []byte) string {
	if ev, err := decodeEvent(data); err == nil {
		return fileToken(ev.Root, ev.Path)
	}
	sum := sha256.Sum256(append([]byte("undecodable\x00"), data...))
	return hex.EncodeToString(sum[:16])
}

// fileToken is deadToken of a file.
func fileToken(root, path string) string {
	h := sha256.New()
	h.Write([]byte(root))
	h.Write([]byte{0})
	h.Write([]byte(path))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// pathAttrs returns the root and path of an event's bytes as log
// attributes, so that every dead-letter log line names the file.
func pathAttrs(data []byte) []any {
	ev, err := decodeEvent(data)
	if err != nil {
		return []any{"path", "(undecodable event)"}
	}
	return []any{"root", ev.Root, "path", ev.Path}
}

// deadLetterDelivered dead-letters an event this worker holds, then
// acknowledges it, which removes it from the work queue. If the publish fails
// the event is nak'ed: the next delivery, or the MAX_DELIVERIES advisory,
// tries again.
func (b *Bus) deadLetterDelivered(ctx context.Context, msg jetstream.Msg, seq uint64, deliveries int, cause error) {
	tctx := ctx
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()
	src := deadSource{seq: seq, subject: msg.Subject(), data: msg.Data(), deliveries: deliveries, err: cause.Error(), rule: failedRule(cause)}
	log := b.log.With(pathAttrs(src.data)...).With("seq", seq)
	if err := b.publishDeadLetter(ctx, src); err != nil {
		log.ErrorContext(tctx, "dead-letter file event", "err", err)
		_ = msg.NakWithDelay(b.o.backOff(deliveries))
		return
	}
	b.lastErr.forget(seq)
	failpoint("bus-dead-letter")
	if err := msg.DoubleAck(ctx); err != nil {
		log.WarnContext(tctx, "acknowledge dead-lettered file event", "err", err)
	}
	log.WarnContext(tctx, "file event dead-lettered", "deliveries", deliveries, "rule", src.rule, "err", cause)
}

// moveToDeadLetter moves work-queue message seq, which the consumer gave up
// on, to the dead-letter stream: copy, then delete. A crash in between leaves
// a copy in each; the sweep or the next advisory finishes the move, and the
// Nats-Msg-Id keeps the copy single.
func (b *Bus) moveToDeadLetter(ctx context.Context, seq uint64, deliveries int, why string) error {
	raw, err := b.wq.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // already moved, or acknowledged late
	}
	if err != nil {
		return fmt.Errorf("load file event %d: %w", seq, err)
	}
	last := b.lastErr.take(seq)
	if last.msg != "" {
		why += "; last error: " + last.msg
	}
	src := deadSource{seq: seq, subject: raw.Subject, data: raw.Data, deliveries: deliveries, err: why, rule: last.rule}
	if err := b.publishDeadLetter(ctx, src); err != nil {
		return err
	}
	failpoint("bus-dead-letter")
	if err := b.wq.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("remove dead-lettered file event %d from the queue: %w", seq, err)
	}
	b.log.Warn("file event dead-lettered", append(pathAttrs(raw.Data), "seq", seq, "deliveries", deliveries, "rule", src.rule, "err", why)...)
	return nil
}

// advisory is the part of the MAX_DELIVERIES advisory the mover needs.
type advisory struct {
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries int    `json:"deliveries"`
}

// startMover subscribes to the MAX_DELIVERIES advisory of the work-queue
// consumer, in a queue group so that one daemon of a cluster handles each,
// and starts the goroutine that moves those events to the dead-letter stream.
func (b *Bus) startMover() error {
	ch := make(chan *nats.Msg, 1024)
	sub, err := b.nc.ChanQueueSubscribe(b.n.advisory, b.n.moverQueue, ch)
	if err != nil {
		return fmt.Errorf("subscribe to delivery advisories: %w", err)
	}
	if err := b.nc.Flush(); err != nil {
		return fmt.Errorf("subscribe to delivery advisories: %w", err)
	}
	b.advSub = sub
	b.mover.Add(1)
	go func() {
		defer b.mover.Done()
		for {
			select {
			case m := <-ch:
				b.onAdvisory(m)
			case <-b.done:
				return
			}
		}
	}()
	return nil
}

func (b *Bus) onAdvisory(m *nats.Msg) {
	var a advisory
	if err := json.Unmarshal(m.Data, &a); err != nil || a.StreamSeq == 0 {
		b.log.Warn("malformed delivery advisory", "subject", m.Subject, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	why := fmt.Sprintf("not acknowledged after %d deliveries (handler hung past the ack wait, or its worker stopped)", a.Deliveries)
	if err := b.moveToDeadLetter(ctx, a.StreamSeq, a.Deliveries, why); err != nil {
		b.log.Error("dead-letter file event", "seq", a.StreamSeq, "err", err)
	}
}

// recoverOrphans dead-letters work-queue messages the consumer has given up
// on whose advisory was lost: an advisory sent while nobody listened (the
// server restores its consumers, and may give up on an event, before Open
// subscribes) or received just before the daemon stopped. Such a message is
// still stored but will never be delivered again: it lies below the ack floor,
// or the consumer has delivered it and holds nothing pending. The server
// leaves the ack floor behind in some of these cases (seen with MaxDeliver 1),
// hence the second test. An orphan above the ack floor while other events are
// pending waits for a later start. It must run before anything else connects:
// an event acknowledged at that moment could look abandoned.
func (b *Bus) recoverOrphans(ctx context.Context) error {
	for _, c := range []struct {
		cons    jetstream.Consumer
		name    string
		subject string
	}{{b.cons, b.n.consumer, b.n.files + "*"}, {b.bulkCons, b.n.bulkConsumer, b.n.bulk + "*"}} {
		if err := b.recoverOrphansOf(ctx, c.cons, c.name, c.subject); err != nil {
			return err
		}
	}
	return nil
}

// recoverOrphansOf is recoverOrphans for one consumer, whose events travel on
// subject.
func (b *Bus) recoverOrphansOf(ctx context.Context, cons jetstream.Consumer, name, subject string) error {
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("read consumer %s: %w", name, err)
	}
	floor := info.AckFloor.Stream
	if info.NumAckPending == 0 {
		floor = max(floor, info.Delivered.Stream)
	}
	for seq := uint64(1); seq <= floor; {
		raw, err := b.wq.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("scan file queue for abandoned events: %w", err)
		}
		if raw.Sequence > floor {
			return nil
		}
		why := fmt.Sprintf("delivery limit (%d) reached before a restart", b.o.MaxDeliver)
		if err := b.moveToDeadLetter(ctx, raw.Sequence, b.o.MaxDeliver, why); err != nil {
			return err
		}
		seq = raw.Sequence + 1
	}
	return nil
}

// DeadLetters lists the dead-letter stream, oldest first. It reads the
// stream through an ordered consumer, in batches: one request per message
// took half a second for 6,000 dead letters (BenchmarkDeadLetters).
func (b *Bus) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	info, err := b.dlq.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	if info.State.Msgs == 0 {
		return nil, nil
	}
	cons, err := b.dlq.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{b.n.dlq + "*"},
		// The server removes it soon after the last fetch.
		InactiveThreshold: listInactive,
	})
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, min(info.State.Msgs, uint64(listBatch)))
	for {
		// No wait: Fetch would wait for a full batch.
		batch, err := cons.FetchNoWait(listBatch)
		if err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		got, pending := 0, uint64(1)
		for msg := range batch.Messages() {
			got++
			md, err := msg.Metadata()
			if err != nil {
				continue
			}
			pending = md.NumPending
			out = append(out, toDeadLetter(&jetstream.RawStreamMsg{
				Subject: msg.Subject(), Sequence: md.Sequence.Stream, Header: msg.Headers(), Data: msg.Data(), Time: md.Timestamp,
			}))
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		// Done when the last message said nothing follows, or when the
		// stream ran dry meanwhile (dead letters retried or dropped).
		if got == 0 || pending == 0 {
			return out, nil
		}
	}
}

// listBatch is how many dead letters DeadLetters fetches per request, and
// listInactive how soon the server drops its consumer.
const (
	listBatch    = 1000
	listInactive = 10 * time.Second
)

func toDeadLetter(raw *jetstream.RawStreamMsg) DeadLetter {
	d := DeadLetter{ID: raw.Sequence, Time: raw.Time, Error: raw.Header.Get(hdrError), Rule: raw.Header.Get(hdrRule)}
	d.Deliveries, _ = strconv.Atoi(raw.Header.Get(hdrDeliveries))
	ev, err := decodeEvent(raw.Data)
	if err != nil {
		d.Error = strings.TrimPrefix(d.Error+"; ", "; ") + err.Error()
	} else {
		d.Event = ev
	}
	return d
}

// RetryDeadLetter puts dead letter id back on the work queue, with reason
// ReasonRetry and a fresh delivery count, and removes it from the dead-letter
// stream. An unknown id gives an error matching ErrNotFound.
func (b *Bus) RetryDeadLetter(ctx context.Context, id uint64) error {
	if err := b.check(); err != nil {
		return err
	}
	raw, err := b.dlq.GetMsg(ctx, id)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("retry dead letter %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("retry dead letter %d: %w", id, err)
	}
	ev, err := decodeEvent(raw.Data)
	if err != nil {
		return fmt.Errorf("retry dead letter %d: %w (drop it instead)", id, err)
	}
	ev.Reason, ev.Time = ReasonRetry, time.Now()
	// A fresh dedup ID: the original one may still be inside the window.
	dedup := fmt.Sprintf("retry\x00%d\x00%d", id, raw.Time.UnixNano())
	if _, err := b.PublishFile(ctx, ev, dedup); err != nil {
		return fmt.Errorf("retry dead letter %d: %w", id, err)
	}
	if err := b.dlq.DeleteMsg(ctx, id); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("retry dead letter %d: requeued, but removing it failed: %w", id, err)
	}
	b.dead.take(raw.Subject)
	return nil
}

// DropDeadLetter removes dead letter id without retrying it. An unknown id
// gives an error matching ErrNotFound.
func (b *Bus) DropDeadLetter(ctx context.Context, id uint64) error {
	if err := b.check(); err != nil {
		return err
	}
	// Look first: the server reports a missing sequence on delete only as a
	// generic "deletion failed".
	raw, err := b.dlq.GetMsg(ctx, id)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("drop dead letter %d: %w", id, ErrNotFound)
	}
	if err == nil {
		err = b.dlq.DeleteMsg(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("drop dead letter %d: %w", id, err)
	}
	b.dead.take(raw.Subject)
	return nil
}

// headerSafe makes s fit in a NATS header value: valid UTF-8, no control
// characters (CR and LF would end the header), bounded length.
func headerSafe(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxErrorLen {
		s = strings.ToValidUTF8(s[:maxErrorLen], "") + "…"
	}
	return strings.TrimSpace(s)
}

// errorMemo remembers the last handler error of each event being retried, so
// that a dead letter made by the advisory mover can still say why. It lives in
// memory: after a restart, or when another daemon handled the failure, the
// dead letter says only that the event was never acknowledged.
type errorMemo struct {
	mu sync.Mutex
	m  map[uint64]memo
}

// memo is a remembered handler error and the rule that failed, if known.
type memo struct{ msg, rule string }

// maxMemo bounds errorMemo; past it new errors are not remembered.
const maxMemo = 10000

func (e *errorMemo) set(seq uint64, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = make(map[uint64]memo)
	}
	if _, ok := e.m[seq]; ok || len(e.m) < maxMemo {
		e.m[seq] = memo{err.Error(), failedRule(err)}
	}
}

func (e *errorMemo) take(seq uint64) memo {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.m[seq]
	delete(e.m, seq)
	return m
}

func (e *errorMemo) forget(seq uint64) { e.take(seq) }
