package bus

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultName              = "scribe"
	DefaultMaxMemory         = 64 << 20
	DefaultMaxStore          = 1 << 30
	DefaultMaxDeliver        = 5
	DefaultAckWait           = 30 * time.Second
	DefaultMaxAckPending     = 1000
	DefaultDuplicates        = 2 * time.Minute
	DefaultEventsMaxAge      = 24 * time.Hour
	DefaultEventsMaxBytes    = 16 << 20
	DefaultDeadLetterMaxMsgs = 10000
)

// DefaultBackOff is the delay before each redelivery after a failure; the last
// value repeats.
var DefaultBackOff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}

// Options configures Open. The zero value, with StoreDir set, is an embedded
// server with the defaults above.
type Options struct {
	// URL is "" for an embedded server with no network listener, else a NATS
	// URL (or a comma-separated list) of an external server or cluster with
	// JetStream enabled.
	URL string
	// StoreDir is the embedded server's JetStream store directory (under the
	// daemon's state_dir). Required when URL is "", ignored otherwise.
	StoreDir string
	// MaxMemory and MaxStore are the embedded server's hard JetStream limits in
	// bytes (default 64 MiB and 1 GiB). A publish that would exceed them fails
	// with ErrStorageFull.
	MaxMemory, MaxStore int64
	// SyncInterval is how often the embedded server fsyncs its store. Zero means
	// after every write (nats-server's SyncAlways): an acknowledged publish
	// survives an OS crash. A positive value trades that for throughput.
	SyncInterval time.Duration

	// MaxDeliver is how many times a file event is delivered before it goes to
	// the dead-letter stream (default 5).
	MaxDeliver int
	// BackOff is the delay before redelivering an event whose handler failed:
	// BackOff[n-1] after the n-th delivery, the last value repeating
	// (default DefaultBackOff). It is applied with a delayed Nak, not through
	// the consumer's BackOff setting, which would also shorten AckWait.
	BackOff []time.Duration
	// AckWait is how long a delivered event may stay unacknowledged before the
	// server redelivers it (default 30s). Long handlers extend it with the
	// heartbeat function Consume passes them.
	AckWait time.Duration
	// MaxAckPending caps events delivered and not yet acknowledged across all
	// workers sharing the consumer (default 1000).
	MaxAckPending int
	// Duplicates is the window in which PublishFile drops an event whose
	// dedupID was already seen (default 2m).
	Duplicates time.Duration
	// EventsMaxAge and EventsMaxBytes bound the in-memory stream of action
	// events (default 24h and 16 MiB; the oldest are dropped first).
	EventsMaxAge   time.Duration
	EventsMaxBytes int64
	// DeadLetterMaxMsgs bounds the dead-letter stream (default 10000; the
	// oldest entries are dropped first, the files themselves stay on disk,
	// and the daemon's next start finds them unprocessed).
	DeadLetterMaxMsgs int64
	// Replicas is the stream replication factor on an external cluster
	// (default 1). The embedded server always uses 1.
	Replicas int
	// HandOff lets PublishFile hand a live event straight to an idle
	// handler of a Consume running in this process, without the server
	// (direct.go). For a daemon whose file queue holds nothing across its
	// restarts: an event handed off is in no stream until it fails.
	HandOff bool
	// HandOffWait is how long PublishFile, with HandOff, waits for a
	// handler of a running Consume to free up for a watcher's change
	// (ReasonEvent) before it stores the event (0: not at all). Other
	// live events are stored at once when no handler is free.
	HandOffWait time.Duration
	// Lost, when set, is told of a file event that could be stored nowhere:
	// one handed off whose handler failed or was interrupted, and whose
	// publish into the file queue then failed too. The daemon has its
	// watcher report the file again at the next rescan (watch.Forget).
	Lost func(root, path string)

	// Name prefixes every subject, stream and consumer (default "scribe"). It is
	// lowercase letters, digits, '-' and '_', starting with a letter, at most 32
	// bytes, so that several independent Scribe daemons can share one cluster.
	Name string
	// Logger receives the bus's and the embedded server's logs (default: none).
	Logger *slog.Logger

	// noMover disables the dead-letter mover and the startup sweep (tests
	// use it to leave an event the consumer gave up on in the queue).
	noMover bool
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// withDefaults returns a copy of o with zero values replaced by defaults, or an
// error that says which option is wrong.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if o.Name == "" {
		o.Name = DefaultName
	}
	if !nameRE.MatchString(o.Name) {
		bad("bus name %q: use 1-32 lowercase letters, digits, '-' or '_', starting with a letter", o.Name)
	}
	if o.URL == "" && o.StoreDir == "" {
		bad("bus store directory is empty: set StoreDir (state_dir) for the embedded server")
	}
	setDefault(&o.MaxMemory, DefaultMaxMemory)
	setDefault(&o.MaxStore, DefaultMaxStore)
	setDefault(&o.MaxDeliver, DefaultMaxDeliver)
	setDefault(&o.AckWait, DefaultAckWait)
	setDefault(&o.MaxAckPending, DefaultMaxAckPending)
	setDefault(&o.Duplicates, DefaultDuplicates)
	setDefault(&o.EventsMaxAge, DefaultEventsMaxAge)
	setDefault(&o.EventsMaxBytes, DefaultEventsMaxBytes)
	setDefault(&o.DeadLetterMaxMsgs, DefaultDeadLetterMaxMsgs)
	setDefault(&o.Replicas, 1)
	if len(o.BackOff) == 0 {
		o.BackOff = DefaultBackOff
	}
	o.BackOff = append([]time.Duration(nil), o.BackOff...)

	for _, c := range []struct {
		name string
		neg  bool
	}{
		{"MaxMemory", o.MaxMemory < 0}, {"MaxStore", o.MaxStore < 0},
		{"SyncInterval", o.SyncInterval < 0}, {"MaxDeliver", o.MaxDeliver < 0},
		{"AckWait", o.AckWait < 0}, {"MaxAckPending", o.MaxAckPending < 0},
		{"Duplicates", o.Duplicates < 0}, {"EventsMaxAge", o.EventsMaxAge < 0},
		{"EventsMaxBytes", o.EventsMaxBytes < 0}, {"DeadLetterMaxMsgs", o.DeadLetterMaxMsgs < 0},
		{"Replicas", o.Replicas < 0},
	} {
		if c.neg {
			bad("bus option %s is negative", c.name)
		}
	}
	for i, d := range o.BackOff {
		if d <= 0 {
			bad("bus option BackOff[%d] = %v: delays must be positive", i, d)
		}
	}
	if o.URL == "" && o.EventsMaxBytes > o.MaxMemory {
		bad("bus option EventsMaxBytes (%d) exceeds MaxMemory (%d)", o.EventsMaxBytes, o.MaxMemory)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, errors.Join(errs...)
}

func setDefault[T int | int64 | time.Duration](p *T, def T) {
	if *p == 0 {
		*p = def
	}
}

// backOff returns the delay before redelivering after the n-th delivery failed.
func (o *Options) backOff(n int) time.Duration {
	i := min(max(n-1, 0), len(o.BackOff)-1)
	return o.BackOff[i]
}
