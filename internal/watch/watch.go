package watch

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/scribe-md/scribe/internal/pathmap"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/scan"
)

// Defaults for the zero values of Options.
const (
	DefaultSettle  = 50 * time.Millisecond
	DefaultMaxWait = 2 * time.Second
	DefaultRescan  = 10 * time.Minute
	DefaultPoll    = 5 * time.Second
)

// suppressTTL is how long an own-write suppression stays armed. The engine
// calls Suppress just before its rename, so the event follows within the
// settle time; ten seconds leaves room for a slow disk without letting a stale
// entry hide a user's edit much later (and a user's edit has a different
// hash anyway).
const suppressTTL = 10 * time.Second

// Options configures a Watcher.
type Options struct {
	// Root is the absolute path of the directory to watch.
	Root string
	// FS is Root opened as an os.Root. Every stat, listing and read goes
	// through it, so no path the watcher touches can lead outside Root. The
	// watcher also creates and removes its sync cookies through it. The
	// caller keeps ownership and closes it after Run returned.
	FS *os.Root
	// Filter decides which paths are documents and which directories to
	// watch. It must have been built for Root.
	Filter *scan.Filter
	// Refilter, when set, builds a fresh Filter after a .gitignore or
	// .scribeignore file changed; the watcher then swaps it in and rescans.
	// When nil, ignore-file edits take effect only with a new Watcher.
	Refilter func() (*scan.Filter, error)
	// Settle is the quiet time after the last event of a path before its
	// change is reported (DefaultSettle when zero).
	Settle time.Duration
	// MaxWait caps the time from the first event of a path to its report, so
	// that a file written continuously is still reported (DefaultMaxWait
	// when zero; never less than Settle).
	MaxWait time.Duration
	// Rescan is the period of the slow full rescan that catches what events
	// missed (DefaultRescan when zero; negative disables it).
	Rescan time.Duration
	// Poll is how often directories that could not be watched (the inotify
	// watch limit was reached) are listed instead (DefaultPoll when zero).
	Poll time.Duration
	// SkipInitial makes the first crawl record the documents it finds without
	// reporting them, for a caller that catches up by itself. By default the
	// first crawl reports every document with ReasonInitial.
	SkipInitial bool
	// Logger receives warnings (degraded watching, unreadable directories,
	// overflows); nil discards them.
	Logger *slog.Logger
}

// Op says what happened to a document.
type Op uint8

// The operations of a Change.
const (
	// Changed means the document exists and may have new content (created,
	// written, renamed into place, or found changed by a rescan).
	Changed Op = iota + 1
	// Removed means a path that was a document is no longer one: deleted,
	// renamed away, replaced by a directory or excluded by a new filter.
	Removed
)

// String returns "changed" or "removed".
func (o Op) String() string {
	switch o {
	case Changed:
		return "changed"
	case Removed:
		return "removed"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Reason says what made the watcher report a change.
type Reason string

// The reasons of a Change.
const (
	// ReasonEvent: a kernel event (including the listing of a directory
	// that was just created or moved in).
	ReasonEvent Reason = "event"
	// ReasonInitial: the first crawl after Run started.
	ReasonInitial Reason = "initial"
	// ReasonRescan: a periodic or requested full rescan, or a filter change.
	ReasonRescan Reason = "rescan"
	// ReasonOverflow: the rescan that follows a kernel queue overflow.
	ReasonOverflow Reason = "overflow"
	// ReasonPoll: the listing of a directory that could not be watched.
	ReasonPoll Reason = "poll"
)

// Change is one settled change of one document.
type Change struct {
	// Rel is the slash-separated path relative to the root.
	Rel string
	// Op is Changed or Removed.
	Op Op
	// Reason is what first noticed the change.
	Reason Reason
	// Seen is when the first event of the coalesced burst arrived, for
	// event-to-action latency.
	Seen time.Time
	// Version is the file's version as the watcher saw it when it decided
	// to report the change (Changed only).
	Version safefile.Version
}

// Stats is a snapshot of a Watcher's counters and state.
type Stats struct {
	// Events is the number of kernel events received.
	Events uint64
	// Changes is the number of changes delivered on the Changes channel.
	Changes uint64
	// Overflows is the number of kernel queue overflows.
	Overflows uint64
	// Rescans is the number of completed full rescans, the first crawl
	// included.
	Rescans uint64
	// Suppressed is the number of own writes dropped (see Suppress).
	Suppressed uint64
	// Watches is the number of directories watched now.
	Watches int
	// Polled is the number of directories polled because they could not be
	// watched.
	Polled int
	// Pending is the number of paths waiting to be reported or verified,
	// the one being handed to the consumer included.
	Pending int
	// Degraded is empty when every directory is watched, else a message that
	// says what is wrong and how to fix it.
	Degraded string
}

// Watcher watches one root. Create it with New, start it with Run.
type Watcher struct {
	rootDir string // clean absolute path
	prefix  string // rootDir with a trailing separator
	root    *os.Root
	opts    Options
	log     *slog.Logger

	out   chan Change
	ready chan struct{} // closed when the first crawl completed
	done  chan struct{} // closed when Run returned

	// newBackend opens the kernel watcher; a seam for fault injection.
	newBackend func() (backend, error)
	// drainHook, when set, is called by the drain goroutine before it
	// handles each event; tests use it to stall draining.
	drainHook func(fsnotify.Event)

	started   atomic.Bool
	cookieN   atomic.Uint64
	waitDrain atomic.Bool // the emitter waits for the drain goroutine to catch up

	events, changes, overflows, rescans, suppressed atomic.Uint64

	// mu guards everything below. It is held for map updates and for the
	// short system calls that must be atomic with them (adding and removing
	// a watch), never while sending on a channel or waiting for another
	// goroutine.
	mu        sync.Mutex
	filter    *scan.Filter
	bk        *kernel                  // the current kernel watcher; nil outside Run
	watched   map[string]struct{}      // directories with a watch in bk
	unwatched map[string]struct{}      // directories polled instead (watch limit)
	known     pathmap.Map[fingerprint] // the last state of each document
	co        *coalescer               // paths waiting to settle
	inFlight  int                      // popped from co, not yet delivered
	armed     time.Time                // the emitter's timer deadline; zero when idle
	jobs      []job                    // the crawler's stack
	busy      bool                     // the crawler is working on a job
	idle      []chan struct{}          // closed when the crawler is idle
	cookies   map[string]chan struct{} // sync cookies in flight
	suppress  map[string]suppression   // own writes to drop
	sweptAt   int                      // len(suppress) after the last sweep
	degraded  string                   // see Stats.Degraded
	warned    map[string]struct{}      // paths already warned about

	wakeEmit  chan struct{} // kicks the emitter (buffered, never blocks)
	wakeCrawl chan struct{} // kicks the crawler (buffered, never blocks)
	rescanReq chan struct{} // Rescan requests (buffered, never blocks)
}

// New checks o and returns a Watcher that does nothing until Run.
func New(o Options) (*Watcher, error) {
	if o.Root == "" || !filepath.IsAbs(o.Root) {
		return nil, fmt.Errorf("watch: root %q must be an absolute path", o.Root)
	}
	if o.FS == nil || o.Filter == nil {
		return nil, errors.New("watch: options need the root opened as FS and a Filter")
	}
	dir := filepath.Clean(o.Root)
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("watch root %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("watch root %s: not a directory", dir)
	}
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	o.MaxWait = max(o.MaxWait, o.Settle)
	if o.Rescan == 0 {
		o.Rescan = DefaultRescan
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prefix := dir
	if prefix[len(prefix)-1] != filepath.Separator {
		prefix += string(filepath.Separator)
	}
	return &Watcher{
		rootDir:    dir,
		prefix:     prefix,
		root:       o.FS,
		opts:       o,
		log:        log.With("root", dir),
		out:        make(chan Change),
		ready:      make(chan struct{}),
		done:       make(chan struct{}),
		newBackend: newFsnotify,
		filter:     o.Filter,
		watched:    make(map[string]struct{}),
		unwatched:  make(map[string]struct{}),
		co:         newCoalescer(o.Settle, o.MaxWait),
		cookies:    make(map[string]chan struct{}),
		suppress:   make(map[string]suppression),
		warned:     make(map[string]struct{}),
		wakeEmit:   make(chan struct{}, 1),
		wakeCrawl:  make(chan struct{}, 1),
		rescanReq:  make(chan struct{}, 1),
	}, nil
}

// Changes returns the channel on which settled changes are delivered. It is
// closed when Run returns. The watcher never blocks its kernel-draining
// goroutine on it: while the consumer is slow, changes wait in the
// coalescer, one entry per path, and the latest state of every path is kept.
func (w *Watcher) Changes() <-chan Change { return w.out }

// Ready returns a channel closed when the first crawl has completed: every
// directory is watched (or polled) and every document found was queued.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Rescan requests a full rescan of the root as soon as the crawler is free.
// Changes it finds are reported with ReasonRescan. It never blocks; requests
// made while one is pending are merged.
func (w *Watcher) Rescan() {
	select {
	case w.rescanReq <- struct{}{}:
	default:
	}
}

// Forget drops the version of document rel the watcher last saw, so that the
// next rescan reports rel as changed. A consumer that could not act on a
// change it was given (a queue that refused its event) calls it: a rescan
// only reports what differs from the version last seen, and that was this
// one. Forgetting a path that is not a known document does nothing.
func (w *Watcher) Forget(rel string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if fp, ok := w.knownGetLocked(rel); ok {
		w.knownSetLocked(rel, fp&fpLink) // no version's stamp: unlike what the disk has
	}
}

// Dirs returns every directory ("" for the root) in which the watcher knows
// documents (after Ready: the whole tree, as its first crawl found it), in no
// particular order.
func (w *Watcher) Dirs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Collect(w.known.Dirs())
}

// Known calls fn with every regular file the watcher knows as a document in
// directory dir, by name, with the stamp of its version as last seen, in no
// particular order; symbolic links to documents are left out, as a one-shot
// run leaves them. A name shares the watcher's memory (pathmap.Map.InDir):
// fn copies it to keep it long. fn must not call the Watcher.
func (w *Watcher) Known(dir string, fn func(name string, s safefile.Stamp)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for n, fp := range w.known.InDir(dir) {
		if !fp.link() {
			fn(n, fp.stamp())
		}
	}
}

// Documents returns how many documents the watcher knows.
func (w *Watcher) Documents() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.known.Len()
}

// IsDocument reports whether the watcher knows the file name in directory
// dir ("" for the root) as a document.
func (w *Watcher) IsDocument(dir, name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.known.GetIn(dir, name)
	return ok
}

// Stats returns a snapshot of the counters and state.
func (w *Watcher) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Stats{
		Events:     w.events.Load(),
		Changes:    w.changes.Load(),
		Overflows:  w.overflows.Load(),
		Rescans:    w.rescans.Load(),
		Suppressed: w.suppressed.Load(),
		Watches:    len(w.watched),
		Polled:     len(w.unwatched),
		Pending:    w.co.len() + w.inFlight,
		Degraded:   w.degraded,
	}
}

// kick wakes a goroutine waiting on ch without ever blocking.
func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
