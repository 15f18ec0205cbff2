package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scribe-md/scribe/internal/engine"
)

// Runtime is a revision made ready to run: its engine and the scratch root
// its actions get (empty: a job carries the content, and nothing else of
// the files is there).
type Runtime struct {
	Engine *engine.Engine
	Root   *engine.Root
	// Close releases the revision (its plugins, its scratch root); nil
	// for nothing.
	Close func()
}

// Loader makes a revision ready: the configuration loaded from its bytes,
// its plugins (whose digests must equal the owner's) started, its rules
// compiled. An error refuses the revision.
type Loader func(ctx context.Context, id string, rev Revision) (*Runtime, error)

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// JetStream is the connection to the owner's cluster; Bus the owner's
	// bus name (bus.DefaultName unless it set another).
	JetStream jetstream.JetStream
	Bus       string
	// Concurrency is how many jobs run at once (at least 1).
	Concurrency int
	// Load makes a revision ready (once per revision; the last few are
	// kept).
	Load Loader
	// Local marks the owner's own runner in the workers list.
	Local bool
	// Grace bounds how long Run waits for jobs in flight when ctx ends
	// (default 10s); those still running then are given back.
	Grace  time.Duration
	Logger *slog.Logger
}

// Worker runs jobs: `scribe worker`, and the owner's engine.workers.
type Worker struct {
	opts WorkerOptions
	log  *slog.Logger
	info WorkerInfo

	o       *objects
	ackWait time.Duration

	mu       sync.Mutex
	runtimes map[string]*Runtime  // by revision id
	order    []string             // revision ids, oldest first
	refused  map[string]time.Time // revision id → when it was refused
	refusal  string
	stopping bool // no more direct jobs

	// slots bound the jobs running at once (Concurrency): a pull loop
	// takes one once it has a job, a direct job only if one is free.
	slots chan struct{}
	jobs  sync.WaitGroup // direct jobs running; added to under mu

	inFlight             atomic.Int64
	done, failed, direct atomic.Int64
}

// keepRevisions is how many loaded revisions a worker keeps: a reload on
// the owner leaves jobs of the previous one in flight for a while.
const keepRevisions = 3

// retryRefused is how long a worker waits before trying again to load a
// revision it refused (its plugin may have been installed meanwhile).
const retryRefused = 30 * time.Second

// NewWorker prepares a worker; Run starts it.
func NewWorker(o WorkerOptions) (*Worker, error) {
	if o.Concurrency < 1 {
		return nil, fmt.Errorf("worker concurrency %d: want at least 1", o.Concurrency)
	}
	if o.Load == nil || o.JetStream == nil {
		return nil, errors.New("worker: a connection and a loader are required")
	}
	if o.Grace <= 0 {
		o.Grace = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	var r [3]byte
	rand.Read(r[:])
	// A key of the heartbeat bucket: letters, digits, '-', '_', '='.
	safe := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			return c
		}
		return '_'
	}, host)
	id := fmt.Sprintf("%s-%d-%s", safe, os.Getpid(), hex.EncodeToString(r[:]))
	if o.Local {
		id = "owner-" + id
	}
	w := &Worker{opts: o, runtimes: map[string]*Runtime{}, refused: map[string]time.Time{}, slots: make(chan struct{}, o.Concurrency),
		info: WorkerInfo{ID: id, Host: host, PID: os.Getpid(), Local: o.Local, Capacity: o.Concurrency, Started: time.Now().UTC()}}
	w.log = o.Logger.With("component", "worker", "worker", id)
	return w, nil
}

// ID returns the worker's id, as the workers list shows it.
func (w *Worker) ID() string { return w.info.ID }

// Provide makes rt the runtime of revision id, without loading it (the
// owner's runner, which has its revisions already).
func (w *Worker) Provide(id string, rt *Runtime) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addLocked(id, rt)
}

func (w *Worker) addLocked(id string, rt *Runtime) {
	if _, ok := w.runtimes[id]; ok {
		return
	}
	w.runtimes[id] = rt
	w.order = append(w.order, id)
	delete(w.refused, id)
	for len(w.order) > keepRevisions {
		old := w.order[0]
		w.order = w.order[1:]
		if c := w.runtimes[old].Close; c != nil {
			c()
		}
		delete(w.runtimes, old)
	}
}

// Run pulls and runs jobs until ctx ends, then waits for those in flight
// (Grace) and returns nil. It waits for the owner to create the streams
// if it starts first.
func (w *Worker) Run(ctx context.Context) error {
	defer w.closeRuntimes()
	if err := w.lookup(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	w.log.Info("worker ready", "concurrency", w.opts.Concurrency, "ack_wait", w.ackWait)
	// Jobs in flight outlive ctx by the grace period.
	drain, cancelDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDrain()
	directSub, err := w.o.js.Conn().QueueSubscribe(w.o.n.direct, w.o.n.direct, w.takeDirect(drain))
	if err != nil {
		return fmt.Errorf("take direct jobs: %w", err)
	}
	var wg sync.WaitGroup
	for range w.opts.Concurrency {
		wg.Go(func() { w.pull(ctx, drain) })
	}
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		w.heartbeats(ctx)
	}()
	<-ctx.Done()
	directSub.Unsubscribe()
	w.mu.Lock()
	w.stopping = true
	w.mu.Unlock()
	timer := time.AfterFunc(w.opts.Grace, cancelDrain)
	wg.Wait()
	w.jobs.Wait()
	timer.Stop()
	<-hbDone
	dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	w.o.workers.Delete(dctx, w.info.ID)
	cancel()
	return nil
}

// lookup finds the objects the owner creates, waiting for them.
func (w *Worker) lookup(ctx context.Context) error {
	n := newNames(w.opts.Bus)
	js := w.opts.JetStream
	logged := false
	for {
		o, err := find(ctx, js, n)
		if err == nil {
			w.o = o
			info, err := o.runners.Info(ctx)
			if err != nil {
				return err
			}
			w.ackWait = info.Config.AckWait
			return nil
		}
		if !errors.Is(err, jetstream.ErrStreamNotFound) && !errors.Is(err, jetstream.ErrConsumerNotFound) &&
			!errors.Is(err, jetstream.ErrBucketNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
			w.log.Warn("look up the owner's streams; retrying", "err", err)
		} else if !logged {
			w.log.Info("waiting for the owner (scribe watch with engine.remote) to create its streams", "bus", w.opts.Bus)
			logged = true
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func find(ctx context.Context, js jetstream.JetStream, n names) (*objects, error) {
	o := &objects{n: n, js: js}
	var err error
	if o.jobs, err = js.Stream(ctx, n.jobsStream); err != nil {
		return nil, err
	}
	if o.runners, err = o.jobs.Consumer(ctx, n.runners); err != nil {
		return nil, err
	}
	if o.config, err = js.KeyValue(ctx, n.configBucket); err != nil {
		return nil, err
	}
	if o.workers, err = js.KeyValue(ctx, n.workersBucket); err != nil {
		return nil, err
	}
	if o.content, err = js.ObjectStore(ctx, n.objects); err != nil {
		return nil, err
	}
	return o, nil
}

// pull takes one job at a time until ctx ends; drain is the jobs' context.
func (w *Worker) pull(ctx, drain context.Context) {
	failures := 0
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		batch, err := w.o.runners.Fetch(1, jetstream.FetchContext(fctx))
		if err == nil {
			for msg := range batch.Messages() {
				w.handle(drain, msg, false)
			}
			err = batch.Error()
		}
		cancel()
		switch {
		case err == nil || ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout):
			failures = 0
			continue
		}
		failures++
		w.log.Debug("pull jobs failed; retrying", "err", err, "failures", failures)
		t := time.NewTimer(min(time.Duration(failures)*100*time.Millisecond, 2*time.Second))
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// handle runs one job and settles it: ack once its result is stored, nak
// (now, or later for a revision refused) otherwise. It waits for a slot
// unless it has one.
func (w *Worker) handle(ctx context.Context, msg delivery, slot bool) {
	var m jobMsg
	if err := decode(msg.Data(), &m, func(m *jobMsg) int { return m.V }); err != nil {
		if errors.Is(err, errVersion) && m.Revision != "" {
			// An owner of another release: refused like a revision
			// that cannot load, so that the owner sees it.
			w.log.Warn("job refused: made by another Scribe release", "revision", short(m.Revision), "err", err)
			w.refuse(m.Revision, err)
			msg.NakWithDelay(2 * time.Second)
			return
		}
		w.log.Error("job that cannot be read; dropped", "err", err)
		msg.Term()
		return
	}
	log := w.log.With("job", m.ID, "path", m.Job.Path)
	rt, err := w.runtime(ctx, m.Revision)
	if err != nil {
		log.Warn("job refused: its configuration revision cannot run here", "revision", short(m.Revision), "err", err)
		msg.NakWithDelay(2 * time.Second)
		return
	}
	// Progress keeps the job from being redelivered while it waits for a
	// slot and while it runs.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(max(w.ackWait/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	if !slot {
		select {
		case w.slots <- struct{}{}:
			defer func() { <-w.slots }()
		case <-ctx.Done():
			msg.Nak()
			return
		}
	}
	w.inFlight.Add(1)
	defer w.inFlight.Add(-1)

	if m.Object != "" {
		err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
			var err error
			m.Job.Content, err = w.o.content.GetBytes(ctx, m.Object)
			if errors.Is(err, jetstream.ErrObjectNotFound) {
				return fmt.Errorf("%w: %w", errPermanent, err)
			}
			return err
		})
		if err != nil {
			log.Warn("fetch the job's content", "err", err)
			w.failed.Add(1)
			w.reply(ctx, msg, log, resultMsg{V: wireVersion, ID: m.ID, Worker: w.info.ID, Error: "fetch the content: " + err.Error()})
			return
		}
	}
	c, err := rt.Engine.Compute(ctx, rt.Root, m.Job)
	if err != nil {
		// Stopping: another worker takes it.
		msg.Nak()
		return
	}
	r := resultMsg{V: wireVersion, ID: m.ID, Worker: w.info.ID, Computed: c}
	if len(c.Content) > InlineMax {
		cc := *c
		r.Object, cc.Content = m.ID+".out", nil
		r.Computed = &cc
		err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
			_, err := w.o.content.PutBytes(ctx, r.Object, c.Content)
			return err
		})
		if err != nil {
			log.Warn("store the new content; the job is given back", "err", err)
			msg.Nak()
			return
		}
	}
	if len(c.Failures) > 0 {
		w.failed.Add(1)
	}
	w.reply(ctx, msg, log, r)
}

// reply sends r to the owner, a request it answers once it has it, and
// then acknowledges the job. Until the owner has answered, the job stays
// the server's to redeliver: an answer or a result lost on the way costs a
// second run, whose result the owner drops. The ack is not waited for
// either: a lost one redelivers the job, with the same outcome.
func (w *Worker) reply(ctx context.Context, msg delivery, log *slog.Logger, r resultMsg) {
	data, err := json.Marshal(r)
	if err == nil {
		nc := w.o.js.Conn()
		// No responders: the owner is reconnecting, or its
		// subscription has not reached this server yet; retried.
		err = retry(ctx, 30*time.Second, func(ctx context.Context) error {
			_, err := nc.RequestWithContext(ctx, w.o.n.results, data)
			return err
		})
	}
	if err != nil {
		// The owner is gone (a restarted one removes the jobs of the
		// earlier run) or unreachable: not again soon.
		log.Warn("send the job's result to the owner; the job is given back", "err", err)
		msg.NakWithDelay(10 * time.Second)
		return
	}
	w.done.Add(1)
	if err := msg.Ack(); err != nil {
		log.Debug("acknowledge the job; it will be redelivered, and its result dropped", "err", err)
	}
}

// runtime returns revision id made ready, loading it the first time.
func (w *Worker) runtime(ctx context.Context, id string) (*Runtime, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if rt, ok := w.runtimes[id]; ok {
		return rt, nil
	}
	if at, ok := w.refused[id]; ok && time.Since(at) < retryRefused {
		return nil, errors.New(w.refusal)
	}
	rt, err := w.load(ctx, id)
	if err != nil {
		w.refuseLocked(id, err)
		return nil, err
	}
	w.log.Info("configuration revision loaded", "revision", short(id))
	w.addLocked(id, rt)
	return rt, nil
}

// refuse records that jobs of revision id cannot run here, and why (the
// heartbeat tells the owner).
func (w *Worker) refuse(id string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.refuseLocked(id, err)
}

func (w *Worker) refuseLocked(id string, err error) {
	w.refused[id] = time.Now()
	w.refusal = fmt.Sprintf("revision %s: %v", short(id), err)
}

func (w *Worker) load(ctx context.Context, id string) (*Runtime, error) {
	var e jetstream.KeyValueEntry
	err := retry(ctx, 10*time.Second, func(ctx context.Context) error {
		var err error
		e, err = w.o.config.Get(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("%w: %w", errPermanent, err)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("fetch it from %s: %w", w.o.n.configBucket, err)
	}
	var rev Revision
	if err := json.Unmarshal(e.Value(), &rev); err != nil {
		return nil, fmt.Errorf("read it: %w", err)
	}
	if got := rev.ID(); got != id {
		return nil, fmt.Errorf("its content hashes to %s", short(got))
	}
	return w.opts.Load(ctx, id, rev)
}

func (w *Worker) closeRuntimes() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range w.order {
		if c := w.runtimes[id].Close; c != nil {
			c()
		}
	}
	w.runtimes, w.order = map[string]*Runtime{}, nil
}

// Info returns the worker's heartbeat as it stands.
func (w *Worker) Info() WorkerInfo {
	wi := w.info
	wi.InFlight = int(w.inFlight.Load())
	wi.Done, wi.Failed, wi.Direct = w.done.Load(), w.failed.Load(), w.direct.Load()
	w.mu.Lock()
	for _, id := range w.order {
		wi.Revisions = append(wi.Revisions, short(id))
	}
	if len(w.refused) > 0 {
		wi.Refused = w.refusal
		for _, id := range slices.Sorted(maps.Keys(w.refused)) {
			wi.RefusedRevisions = append(wi.RefusedRevisions, short(id))
		}
	}
	w.mu.Unlock()
	wi.Seen = time.Now().UTC()
	return wi
}

func (w *Worker) heartbeats(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		data, _ := json.Marshal(w.Info())
		pctx, cancel := context.WithTimeout(ctx, heartbeatEvery)
		if _, err := w.o.workers.Put(pctx, w.info.ID, data); err != nil && ctx.Err() == nil {
			w.log.Debug("heartbeat", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sortWorkers(ws []WorkerInfo) {
	slices.SortFunc(ws, func(a, b WorkerInfo) int { return strings.Compare(a.ID, b.ID) })
}
