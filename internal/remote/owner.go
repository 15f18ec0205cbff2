package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/engine"
)

// Owner is the owner daemon's side: it publishes revisions, sends jobs,
// and hands results to the Offload calls waiting for them.
type Owner struct {
	o          *objects
	log        *slog.Logger
	wait       time.Duration
	ackWait    time.Duration
	directWait time.Duration // OwnerOptions.DirectWait

	prefix string // of job ids: random per Owner, so ids never repeat across restarts
	seq    atomic.Uint64

	mu      sync.Mutex
	waiting map[string]*waiter

	// seen are the workers' heartbeats by worker id, with when each
	// arrived here (Run's watcher keeps it).
	seenMu sync.Mutex
	seen   map[string]heartbeat

	sent, direct, dropped, untaken atomic.Int64
}

// waiter is an Offload call waiting for its job's result.
type waiter struct {
	result chan resultMsg // buffered: one result per job
	back   chan struct{}  // buffered: a direct job given back
	heard  atomic.Int64   // when its direct job's worker was last heard of (Unix ns)
}

type heartbeat struct {
	info WorkerInfo
	at   time.Time
}

// OwnerOptions configure an Owner.
type OwnerOptions struct {
	// AckWait is how long a worker may hold a job without a sign of life.
	AckWait time.Duration
	// Wait is how long a job may wait while no worker can run it (none
	// is connected, or every one refused its revision); Offload then
	// fails with engine.ErrNoWorker. Default 30s.
	Wait time.Duration
	// DirectWait is how long an offer of a job to an idle worker waits
	// for its answer before the job goes on the stream (see direct.go).
	// Default 50ms: a worker on the same network answers within a
	// millisecond.
	DirectWait time.Duration
	Logger     *slog.Logger
}

// NewOwner creates the scale-out objects on b's server (cluster) and
// returns the owner's side. Call Run to receive results. Jobs left in the
// stream by an earlier run of the owner are removed: nobody waits for
// their results (the file events that made them were not acknowledged, so
// the owner processes those files again).
func NewOwner(ctx context.Context, b *bus.Bus, opts OwnerOptions) (*Owner, error) {
	o, err := setup(ctx, b.JetStream(), b.Name(), b.Replicas(), opts.AckWait)
	if err != nil {
		return nil, err
	}
	if err := o.jobs.Purge(ctx); err != nil {
		return nil, fmt.Errorf("remove the jobs of an earlier run from %s: %w", o.n.jobsStream, err)
	}
	if opts.Wait <= 0 {
		opts.Wait = 30 * time.Second
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 30 * time.Second // the server's default
	}
	if opts.DirectWait <= 0 {
		opts.DirectWait = directWait
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var r [6]byte
	rand.Read(r[:])
	return &Owner{o: o, log: opts.Logger.With("component", "remote"), wait: opts.Wait, ackWait: opts.AckWait, directWait: opts.DirectWait,
		prefix: hex.EncodeToString(r[:]), waiting: map[string]*waiter{}, seen: map[string]heartbeat{}}, nil
}

// Publish stores rev for the workers and returns its id. It is idempotent.
func (w *Owner) Publish(ctx context.Context, rev Revision) (string, error) {
	id := rev.ID()
	if rev.Made.IsZero() {
		rev.Made = time.Now().UTC()
	}
	data, err := json.Marshal(rev)
	if err != nil {
		return "", err
	}
	err = retry(ctx, 30*time.Second, func(ctx context.Context) error {
		_, err := w.o.config.Put(ctx, id, data)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("publish configuration revision %s: %w", short(id), err)
	}
	return id, nil
}

// Run receives results, and follows the workers' heartbeats, until ctx
// ends. A result whose job nobody waits for is dropped.
func (w *Owner) Run(ctx context.Context) error {
	hb, err := w.o.workers.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("follow the workers' heartbeats: %w", err)
	}
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		w.follow(hb)
	}()
	defer func() {
		hb.Stop()
		<-hbDone
	}()
	nc := w.o.js.Conn()
	sub, err := nc.Subscribe(w.o.n.results, w.receive)
	if err != nil {
		return fmt.Errorf("receive results: %w", err)
	}
	handled := make(chan struct{})
	sub.SetClosedHandler(func(string) { close(handled) })
	// A burst of results must not count as a slow consumer: each is
	// handled at once, and one dropped costs a worker a retry.
	sub.SetPendingLimits(-1, 256<<20)
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		w.log.Warn("receive results: flush the subscription", "err", err)
	}
	<-ctx.Done()
	// Drain hands the results that arrived to receive, then closes.
	if err := sub.Drain(); err != nil {
		sub.Unsubscribe()
	}
	select {
	case <-handled:
	case <-time.After(5 * time.Second):
		return errors.New("receive results: the subscription did not close")
	}
	return nil
}

// follow keeps seen up to date with the heartbeats until hb stops. A
// heartbeat's entry expires on the server without a notice, so each one
// is stamped with when it arrived here.
func (w *Owner) follow(hb jetstream.KeyWatcher) {
	for e := range hb.Updates() {
		if e == nil {
			continue // the initial values are in
		}
		w.seenMu.Lock()
		if e.Operation() == jetstream.KeyValuePut {
			var wi WorkerInfo
			if json.Unmarshal(e.Value(), &wi) == nil {
				w.seen[e.Key()] = heartbeat{info: wi, at: time.Now()}
			}
		} else {
			delete(w.seen, e.Key())
		}
		w.seenMu.Unlock()
	}
}

// canRun reports whether some worker can run jobs of revision rev: one
// whose heartbeat is recent and that has not refused rev. When none can,
// why says so, with the workers' refusals.
func (w *Owner) canRun(rev string) (ok bool, why string) {
	w.seenMu.Lock()
	defer w.seenMu.Unlock()
	var refusals []string
	for id, h := range w.seen {
		if time.Since(h.at) > heartbeatTTL {
			delete(w.seen, id)
			continue
		}
		if !slices.Contains(h.info.RefusedRevisions, short(rev)) {
			return true, ""
		}
		refusals = append(refusals, fmt.Sprintf("worker %s: %s", id, h.info.Refused))
	}
	if len(refusals) == 0 {
		return false, "no worker is connected"
	}
	slices.Sort(refusals)
	return false, "every worker refused configuration revision " + short(rev) + " (" + strings.Join(refusals, "; ") + ")"
}

// receive hands a result to the Offload call waiting for it, and only then
// tells the worker it has it: the worker acknowledges the job after this
// reply, so a result lost on the way is a job redelivered, never a job
// lost. A second result of a job (redelivered after a lost reply or ack)
// finds nobody waiting and is dropped: a job is applied at most once.
func (w *Owner) receive(msg *nats.Msg) {
	var r resultMsg
	if err := decode(msg.Data, &r, func(r *resultMsg) int { return r.V }); err != nil {
		// Replied to all the same: no owner of this release will ever
		// take it, and the worker must let the job go.
		w.log.Error("result that cannot be read; dropped", "err", err)
		msg.Respond(nil)
		return
	}
	if r.State != "" {
		// News of a job taken directly; no reply is expected.
		w.mu.Lock()
		wt := w.waiting[r.ID]
		w.mu.Unlock()
		if wt != nil {
			wt.heard.Store(time.Now().UnixNano())
			if r.State == stateReleased {
				select {
				case wt.back <- struct{}{}:
				default:
				}
			}
		}
		return
	}
	w.mu.Lock()
	wt := w.waiting[r.ID]
	delete(w.waiting, r.ID)
	w.mu.Unlock()
	if wt == nil {
		// A second result of a redelivered job, or one for an earlier
		// run of the owner: its file is (or will be) processed anew.
		w.dropped.Add(1)
		w.log.Debug("result of a job nobody waits for; dropped", "job", r.ID, "worker", r.Worker)
	} else {
		wt.result <- r // buffered, one result per id
	}
	if err := msg.Respond(nil); err != nil {
		w.log.Debug("reply to a result; the worker sends it again", "job", r.ID, "err", err)
	}
}

// For returns the engine's Offload for rules of revision rev.
func (w *Owner) For(rev string) func(context.Context, engine.Job, func()) (*engine.Computed, error) {
	return func(ctx context.Context, j engine.Job, heartbeat func()) (*engine.Computed, error) {
		return w.Offload(ctx, rev, j, heartbeat)
	}
}

// Offload sends j as a job of revision rev, to an idle worker directly if
// one takes it (direct.go), else on the jobs stream, and waits for its
// result, or for ctx to end, calling heartbeat (when set) every second
// meanwhile.
// When no worker can run the job for the owner's Wait (none is connected,
// or every one refused rev), it takes the job back and fails with
// engine.ErrNoWorker; so it does when the job cannot be queued.
func (w *Owner) Offload(ctx context.Context, rev string, j engine.Job, heartbeat func()) (*engine.Computed, error) {
	id := w.prefix + "-" + strconv.FormatUint(w.seq.Add(1), 36)
	wt := &waiter{result: make(chan resultMsg, 1), back: make(chan struct{}, 1)}
	w.mu.Lock()
	w.waiting[id] = wt
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.waiting, id)
		w.mu.Unlock()
	}()

	m := jobMsg{V: wireVersion, ID: id, Revision: rev, Job: j, Made: time.Now().UTC()}
	if len(j.Content) > InlineMax {
		m.Object, m.Job.Content = id+".in", nil
		err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
			_, err := w.o.content.PutBytes(ctx, m.Object, j.Content)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("store the content of %s for a worker: %w", j.Path, err)
		}
		defer w.deleteObject(m.Object)
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	w.sent.Add(1)
	var seq uint64 // of the job on the stream, once queued
	queue := func() error {
		err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
			ack, err := w.o.js.PublishMsg(ctx, &nats.Msg{Subject: w.o.n.jobs, Data: data},
				jetstream.WithMsgID(id), jetstream.WithExpectStream(w.o.n.jobsStream))
			if err == nil {
				seq = ack.Sequence
			}
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: queue the job of %s: %w", engine.ErrNoWorker, j.Path, err)
		}
		return nil
	}
	// direct is true while a worker that took the job directly runs it
	// (direct.go).
	direct := m.Object == "" && w.slotFree() && w.handOff(ctx, id, rev, data)
	if direct {
		w.direct.Add(1)
		wt.heard.Store(time.Now().UnixNano())
	} else if err := queue(); err != nil {
		return nil, err
	}

	// takeBack stops waiting and removes the job if no worker has it
	// yet; one that has it finishes, and its result is dropped.
	takeBack := func() {
		w.mu.Lock()
		delete(w.waiting, id)
		w.mu.Unlock()
		if seq == 0 {
			return
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		w.o.jobs.DeleteMsg(dctx, seq)
		cancel()
	}
	runnable := time.Now() // last time some worker could run it
	tick := time.NewTicker(waitTick)
	defer tick.Stop()
	for {
		select {
		case r := <-wt.result:
			return w.result(ctx, j, r)
		case <-wt.back:
			if direct {
				direct = false
				w.log.Debug("a job taken directly was given back; queued", "job", id, "path", j.Path)
				if err := queue(); err != nil {
					return nil, err
				}
			}
		case now := <-tick.C:
			if heartbeat != nil {
				heartbeat()
			}
			if direct && now.Sub(time.Unix(0, wt.heard.Load())) > w.ackWait {
				// As the stream redelivers a job whose worker fell
				// silent; if that worker answers after all, the
				// first result is applied.
				direct = false
				w.log.Warn("the worker that took a job directly fell silent; queued", "job", id, "path", j.Path, "ack_wait", w.ackWait)
				if err := queue(); err != nil {
					return nil, err
				}
			}
			ok, why := w.canRun(rev)
			if ok {
				runnable = now
				continue
			}
			if now.Sub(runnable) >= w.wait {
				takeBack()
				w.untaken.Add(1)
				return nil, fmt.Errorf("%w for %s in %s: %s", engine.ErrNoWorker, j.Path, w.wait, why)
			}
		case <-ctx.Done():
			// Nobody will write what the job produces.
			takeBack()
			return nil, ctx.Err()
		}
	}
}

// slotFree reports whether the workers' slots outnumber the jobs waiting
// for a result, so that a direct offer is likely to be taken; in a burst
// the offers would only cost a round trip each.
func (w *Owner) slotFree() bool {
	w.mu.Lock()
	n := len(w.waiting) // this job's call included
	w.mu.Unlock()
	return n <= w.slots()
}

// slots is how many jobs the workers whose heartbeats are fresh can run at
// once.
func (w *Owner) slots() int {
	n := 0
	w.seenMu.Lock()
	defer w.seenMu.Unlock()
	for _, h := range w.seen {
		if time.Since(h.at) <= heartbeatTTL {
			n += h.info.Capacity
		}
	}
	return n
}

// handOff offers job id to the workers directly and reports whether one
// took it.
func (w *Owner) handOff(ctx context.Context, id, rev string, data []byte) bool {
	rctx, cancel := context.WithTimeout(ctx, w.directWait)
	defer cancel()
	reply, err := w.o.js.Conn().RequestMsgWithContext(rctx, &nats.Msg{Subject: w.o.n.direct, Data: data,
		Header: nats.Header{jetstream.MsgIDHeader: {id}, revisionHeader: {rev}}})
	return err == nil && string(reply.Data) == directTaken
}

// waitTick is how often Offload heartbeats and looks for a worker that can
// run its job.
const waitTick = time.Second

func (w *Owner) result(ctx context.Context, j engine.Job, r resultMsg) (*engine.Computed, error) {
	if r.Error != "" {
		return nil, fmt.Errorf("worker %s: %s", r.Worker, r.Error)
	}
	if r.Computed == nil {
		return nil, fmt.Errorf("worker %s returned no result for %s", r.Worker, j.Path)
	}
	if r.Object != "" {
		defer w.deleteObject(r.Object)
		var b []byte
		err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
			var err error
			b, err = w.o.content.GetBytes(ctx, r.Object)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("fetch the new content of %s from worker %s: %w", j.Path, r.Worker, err)
		}
		r.Computed.Content = b
	}
	if r.Computed.Content != nil && bytes.Equal(r.Computed.Content, j.Content) {
		r.Computed.Content = nil
	}
	return r.Computed, nil
}

func (w *Owner) deleteObject(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.o.content.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		w.log.Debug("delete stored content; it expires by itself", "object", name, "err", err)
	}
}

// Workers lists the workers whose heartbeat has not expired, sorted by id.
func (w *Owner) Workers(ctx context.Context) ([]WorkerInfo, error) {
	return listWorkers(ctx, w.o.workers)
}

func listWorkers(ctx context.Context, kv jetstream.KeyValue) ([]WorkerInfo, error) {
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list workers: %w", err)
	}
	var out []WorkerInfo
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue // expired meanwhile
		}
		var wi WorkerInfo
		if json.Unmarshal(e.Value(), &wi) == nil {
			out = append(out, wi)
		}
	}
	sortWorkers(out)
	return out, nil
}

// Jobs returns how many jobs wait in the jobs stream or run on a worker.
func (w *Owner) Jobs(ctx context.Context) (int, error) {
	info, err := w.o.jobs.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("jobs stream: %w", err)
	}
	return int(info.State.Msgs), nil
}

// Stats are the owner's counters since it started.
type Stats struct {
	// Sent counts jobs sent; Direct those of them a worker took
	// directly; Waiting the Offload calls waiting now; Dropped the
	// results nobody waited for (redelivered jobs' seconds); Untaken the
	// jobs taken back because no worker could run them.
	Sent, Direct, Waiting, Dropped, Untaken int64
}

// Stats returns the owner's counters.
func (w *Owner) Stats() Stats {
	w.mu.Lock()
	n := len(w.waiting)
	w.mu.Unlock()
	return Stats{Sent: w.sent.Load(), Direct: w.direct.Load(), Waiting: int64(n), Dropped: w.dropped.Load(), Untaken: w.untaken.Load()}
}
