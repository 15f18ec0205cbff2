package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bus is a connection to NATS JetStream with Scribe's streams and consumer set
// up. It is safe for concurrent use. Open creates it; Close releases it.
type Bus struct {
	o   Options
	log *slog.Logger
	n   names

	srv *server.Server // nil when connected to an external server
	nc  *nats.Conn
	js  jetstream.JetStream

	// Set by Open, read-only afterwards.
	wq, dlq, events jetstream.Stream
	cons, bulkCons  jetstream.Consumer // live and bulk file events

	lastErr errorMemo
	dead    deadIndex // the subjects of the dead letters, to clear them cheaply

	// Live events handed to an idle handler (direct.go): the pull loops
	// of this process's Consume calls receive on direct while they have a
	// free slot; handedOff counts those not settled yet.
	direct    chan *directEvent
	handedOff atomic.Int64
	// consuming counts the pull loops running (Consume), for which a
	// watcher's change may wait (Options.HandOffWait).
	consuming atomic.Int32
	recent    recentIDs // live events' deduplication ids
	retries   delayed   // failed events handed off, waiting to be stored

	connClosed chan struct{} // closed by the connection's ClosedHandler
	done       chan struct{} // closed when Close starts

	mu        sync.Mutex
	closing   bool
	consumers int            // Consume calls in progress
	idle      chan struct{}  // closed once closing and consumers == 0
	mover     sync.WaitGroup // the dead-letter mover goroutine
	advSub    *nats.Subscription

	closeOnce sync.Once
	closeErr  error
}

// names are the subjects, streams and consumer derived from Options.Name.
type names struct {
	wqStream, dlqStream, eventsStream, consumer, bulkConsumer string
	files, bulk, dlq, events                                  string // subject prefixes, ending in '.'
	advisory, moverQueue                                      string
}

func newNames(name string) names {
	n := names{
		wqStream:     name + "-files",
		dlqStream:    name + "-dlq",
		eventsStream: name + "-events",
		consumer:     name + "-workers",
		bulkConsumer: name + "-bulk",
		files:        name + ".files.",
		bulk:         name + ".bulk.",
		dlq:          name + ".dlq.",
		events:       name + ".events.",
		moverQueue:   name + "-dlq-mover",
	}
	// Both consumers' advisories (live and bulk).
	n.advisory = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + n.wqStream + ".*"
	return n
}

// connectTimeout bounds the initial connection when ctx has no deadline.
const connectTimeout = 5 * time.Second

// Open starts the embedded server (when o.URL is "") or connects to o.URL,
// then creates or updates the streams and the durable consumer. On error
// nothing is left running.
func Open(ctx context.Context, o Options) (*Bus, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &Bus{
		o:          o,
		log:        o.Logger.With("component", "bus"),
		n:          newNames(o.Name),
		connClosed: make(chan struct{}),
		done:       make(chan struct{}),
		direct:     make(chan *directEvent),
		recent:     recentIDs{window: o.Duplicates},
	}
	if err := b.open(ctx); err != nil {
		b.abort()
		return nil, err
	}
	return b, nil
}

func (b *Bus) open(ctx context.Context) error {
	timeout := connectTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = max(min(timeout, time.Until(d)), time.Millisecond)
	}
	copts := ClientOptions(b.o.Name, timeout, b.log)
	copts = append(copts, nats.ClosedHandler(func(*nats.Conn) { close(b.connClosed) }))

	var err error
	if b.o.URL == "" {
		if b.srv, err = startEmbedded(ctx, b.o); err != nil {
			return err
		}
		b.nc, err = nats.Connect("", append(copts, nats.InProcessServer(b.srv))...)
		if err != nil {
			return fmt.Errorf("connect to the embedded NATS server: %w", err)
		}
	} else {
		b.nc, err = nats.Connect(b.o.URL, copts...)
		if err != nil {
			return fmt.Errorf("connect to NATS at %s: %w (is the server running and bus.url right?)", redact(b.o.URL), err)
		}
	}
	if b.js, err = jetstream.New(b.nc); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	t, err := b.ensureTopology(ctx)
	if err != nil {
		return err
	}
	b.wq, b.dlq, b.events, b.cons, b.bulkCons = t.wq, t.dlq, t.events, t.cons, t.bulkCons
	if err := b.dead.load(ctx, b.dlq, b.n.dlq); err != nil {
		return err
	}
	if b.o.noMover {
		return nil
	}
	if b.srv != nil {
		// Only an embedded server has a single process on the consumer, so
		// that nothing can be acked behind the sweep's back.
		if err := b.recoverOrphans(ctx); err != nil {
			return err
		}
	}
	return b.startMover()
}

// ClientOptions are the NATS client options of every Scribe connection:
// named, reconnecting forever (a cluster node's loss, a restart), and
// logging disconnects, reconnects and asynchronous errors to log. timeout
// bounds the initial connection. `scribe worker` connects with them too.
func ClientOptions(name string, timeout time.Duration, log *slog.Logger) []nats.Option {
	return []nats.Option{
		nats.Name(name),
		nats.Timeout(timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Warn("nats asynchronous error", "subject", subj, "err", err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
	}
}

// Redact hides the credentials in a NATS URL list, for messages.
func Redact(urls string) string { return redact(urls) }

// Name returns Options.Name, the prefix of every subject, stream and
// consumer: a package that adds its own (internal/remote) uses it.
func (b *Bus) Name() string { return b.o.Name }

// Replicas returns the replication factor the streams were made with (1
// on the embedded server).
func (b *Bus) Replicas() int {
	if b.srv != nil {
		return 1
	}
	return b.o.Replicas
}

// topology holds handles to the streams and the consumer. They address the
// server by name, so they stay valid if the objects are deleted and created
// again.
type topology struct {
	wq, dlq, events jetstream.Stream
	cons, bulkCons  jetstream.Consumer
}

// ensureTopology creates or updates the streams and the consumer. It is
// idempotent; several daemons may run it at once against one cluster.
func (b *Bus) ensureTopology(ctx context.Context) (topology, error) {
	replicas := b.o.Replicas
	if b.srv != nil {
		replicas = 1
	}
	var t topology
	var err error
	t.wq, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        b.n.wqStream,
		Description: "Scribe: files that may have changed, one message per pending check; live changes first, bulk ones (catch-up, rescans, git operations) after",
		Subjects:    []string{b.n.files + "*", b.n.bulk + "*"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		// Refuse new work rather than drop queued work: the publisher learns
		// of it (ErrStorageFull), retries, and when it gives up has the file
		// reported again at the next rescan.
		Discard:    jetstream.DiscardNew,
		Duplicates: b.o.Duplicates,
		Replicas:   replicas,
	})
	if err != nil {
		return t, streamError(b.n.wqStream, err)
	}
	t.dlq, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        b.n.dlqStream,
		Description: "Scribe: file events that kept failing (dead letters)",
		Subjects:    []string{b.n.dlq + "*"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxMsgs:     b.o.DeadLetterMaxMsgs,
		// One subject per file (deadToken), one message per subject: a
		// file that fails again replaces its dead letter.
		MaxMsgsPerSubject: 1,
		Discard:           jetstream.DiscardOld,
		Duplicates:        b.o.Duplicates,
		Replicas:          replicas,
	})
	if err != nil {
		return t, streamError(b.n.dlqStream, err)
	}
	t.events, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        b.n.eventsStream,
		Description: "Scribe: events published by actions",
		Subjects:    []string{b.n.events + ">"},
		Retention:   jetstream.LimitsPolicy,
		// Events are notifications, not state (the journal is): memory keeps
		// them off the fsync path.
		Storage:  jetstream.MemoryStorage,
		MaxAge:   b.o.EventsMaxAge,
		MaxBytes: b.o.EventsMaxBytes,
		Discard:  jetstream.DiscardOld,
		Replicas: replicas,
	})
	if err != nil {
		return t, streamError(b.n.eventsStream, err)
	}
	consumer := func(name, description, filter string) (jetstream.Consumer, error) {
		c, err := t.wq.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:       name,
			Description:   description,
			FilterSubject: filter,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       b.o.AckWait,
			MaxDeliver:    b.o.MaxDeliver,
			MaxAckPending: b.o.MaxAckPending,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			// No BackOff here on purpose: it would override AckWait for every
			// delivery. Failures are delayed with NakWithDelay instead.
		})
		if err != nil {
			return nil, fmt.Errorf("create consumer %s on stream %s: %w", name, b.n.wqStream, err)
		}
		return c, nil
	}
	if t.cons, err = consumer(b.n.consumer, "Scribe workers: live changes", b.n.files+"*"); err != nil {
		return t, err
	}
	if t.bulkCons, err = consumer(b.n.bulkConsumer, "Scribe workers: bulk changes (catch-up, rescans, git operations)", b.n.bulk+"*"); err != nil {
		return t, err
	}
	return t, nil
}

func streamError(name string, err error) error {
	return fmt.Errorf("create or update stream %s: %w (if the stream was created with another configuration, delete it with the nats CLI)", name, err)
}

// Close stops Consume calls (waiting for their handlers while ctx allows),
// drains the connection and shuts the embedded server down. It is safe to call
// more than once; later calls return the first call's result. When ctx is done
// it skips the graceful steps but still releases everything.
func (b *Bus) Close(ctx context.Context) error {
	b.closeOnce.Do(func() { b.closeErr = b.close(ctx) })
	return b.closeErr
}

func (b *Bus) close(ctx context.Context) error {
	b.mu.Lock()
	b.closing = true
	close(b.done)
	b.idle = make(chan struct{})
	if b.consumers == 0 {
		close(b.idle)
	}
	b.mu.Unlock()

	var errs []error
	select {
	case <-b.idle:
	default:
		select {
		case <-b.idle:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("close bus: handlers still running: %w", ctx.Err()))
		}
	}
	b.retries.flush() // bounded: a publish each, with a timeout
	if b.advSub != nil {
		_ = b.advSub.Unsubscribe()
	}
	b.mover.Wait() // bounded: a move is a few requests with a timeout each

	if ctx.Err() == nil && b.nc.Drain() == nil {
		select {
		case <-b.connClosed:
		case <-ctx.Done():
		}
	}
	b.nc.Close()
	b.shutdownServer()
	return errors.Join(errs...)
}

// abort releases what a failed Open acquired.
func (b *Bus) abort() {
	close(b.done)
	if b.nc != nil {
		b.nc.Close()
	}
	b.shutdownServer()
}

func (b *Bus) shutdownServer() {
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}

// enter registers a Consume call; it fails once Close has started.
func (b *Bus) enter() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return ErrClosed
	}
	b.consumers++
	return nil
}

// leave ends a Consume call registered by enter.
func (b *Bus) leave() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.consumers--
	if b.closing && b.consumers == 0 {
		close(b.idle)
	}
}

// check returns ErrClosed once Close has started.
func (b *Bus) check() error {
	select {
	case <-b.done:
		return ErrClosed
	default:
		return nil
	}
}

// Conn returns the underlying connection, for subscribing to action events
// (EventSubjects) or to anything else. Do not close it; Close does.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// JetStream returns the JetStream context of the connection.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Server returns the embedded server, or nil when connected to an external one.
func (b *Bus) Server() *server.Server { return b.srv }

// FileSubject returns the subject ev travels on: <name>.files.<shard>, or
// <name>.bulk.<shard> for a bulk event, where shard is hex of a hash of its
// root and path.
func (b *Bus) FileSubject(ev FileEvent) string { return fileSubject(b.n, ev) }

// DeleteFile removes the queued file event seq (as PublishFile returned it),
// if it is still queued: a newer event for the same file replaces it.
func (b *Bus) DeleteFile(ctx context.Context, seq uint64) error {
	if err := b.check(); err != nil {
		return err
	}
	if err := b.wq.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("delete queued file event %d: %w", seq, err)
	}
	return nil
}

// PurgeFiles empties the file queue. The daemon does it at start, before it
// compares the disk with its file index: every change still queued from an
// earlier run is found again, once, by that comparison.
func (b *Bus) PurgeFiles(ctx context.Context) error {
	if err := b.check(); err != nil {
		return err
	}
	if err := b.wq.Purge(ctx); err != nil {
		return fmt.Errorf("purge the file queue: %w", err)
	}
	return nil
}

// EventSubjects returns the wildcard subject that matches every action event.
func (b *Bus) EventSubjects() string { return b.n.events + ">" }

// Pending returns the depth of the file queue: events published and not yet
// acknowledged or dead-lettered, including those being processed.
func (b *Bus) Pending(ctx context.Context) (int, error) {
	if err := b.check(); err != nil {
		return 0, err
	}
	info, err := b.wq.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("file queue depth: %w", err)
	}
	// An event handed off is pending until it is settled, as one in the
	// stream is until it is acknowledged.
	return int(min(info.State.Msgs+uint64(b.handedOff.Load()), uint64(maxInt))), nil
}

const maxInt = int(^uint(0) >> 1)

// redact hides credentials (user:password@ or token@) in a URL list, for
// error messages.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		switch {
		case err != nil && strings.Contains(p, "@"):
			parts[i] = "(unparsable URL with credentials)"
		case err == nil && u.User != nil:
			u.User = url.User("REDACTED")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
