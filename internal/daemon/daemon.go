package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/dashboard"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/findings"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/remote"
	"github.com/scribe-md/scribe/internal/rule"
	"github.com/scribe-md/scribe/internal/ruleset"
	"github.com/scribe-md/scribe/internal/sandbox"
	"github.com/scribe-md/scribe/internal/scan"
	"github.com/scribe-md/scribe/internal/state"
	"github.com/scribe-md/scribe/internal/telemetry"
	"github.com/scribe-md/scribe/internal/vcs"
	"github.com/scribe-md/scribe/internal/watch"
)

// Options configure a Daemon.
type Options struct {
	// Config is the loaded, valid configuration.
	Config *config.Config
	// Load re-reads and compiles the configuration for a hot reload, with
	// the running plugins as prev (unchanged ones are reused); nil disables
	// reloading.
	Load func(prev *plugin.Set) (*config.Config, *rule.Set, *plugin.Set, error)
	// Rules are the compiled rules of Config.
	Rules *rule.Set
	// Plugins are Config's plugins, prepared (the daemon starts and stops
	// them); nil for none.
	Plugins *plugin.Set
	// Reload receives a value for each explicit reload request (SIGHUP).
	Reload <-chan struct{}
	// Grace bounds how long shutdown waits for files in flight (default 10s).
	Grace time.Duration
	// Logger receives the daemon's logs.
	Logger *slog.Logger
	// Ready, when set, is closed once the daemon is watching and caught up.
	Ready chan<- struct{}
	// Clock is the time actions see (tests); nil means time.Now.
	Clock func() time.Time
	// Rescan is the watchers' periodic full rescan (0: the watcher's default).
	Rescan time.Duration
	// CatchUpWindow bounds the catch-up's bulk events waiting in the queue
	// at once (0: 4096).
	CatchUpWindow int
	// Tracing makes the spans of each change (watch → bus → engine →
	// actions → write → journal); nil or off makes none.
	Tracing *telemetry.Tracing
	// Dashboard, when set, is called once HTTP listens on TCP with a
	// one-time login link of the dashboard (`scribe watch` prints it).
	Dashboard func(loginURL string)
}

// Daemon is the running engine of `scribe watch`.
type Daemon struct {
	opts Options
	log  *slog.Logger

	mu      sync.RWMutex // guards cfg, rules, plugins, eng, brk
	cfg     *config.Config
	rules   *rule.Set
	plugins *plugin.Set
	eng     *engine.Engine
	brk     *breakers
	old     []*rule.Set // replaced rule sets, closed at exit

	roots []*rootState
	// feeding is read-locked by each catch-up publish and its count, and
	// locked to read the queue's size (queued).
	feeding sync.RWMutex
	repos   []*vcs.Repo // the git work trees holding the roots (engine.vcs: auto)
	bus     *bus.Bus
	liveBus atomic.Pointer[bus.Bus] // bus, for Alive: set once it is open
	journal *journal.Journal
	metrics *metrics
	hub     *hub
	locks   pathLocks
	loops   *loopBreaker
	// findings are the current findings of every file processed.
	findings *findings.Store
	// tracer makes spans; nil when tracing is off (no span is started).
	tracer trace.Tracer
	// lastStop is what the workers were last stopped by ("" running), to
	// log each pause and resume once.
	lastStop atomic.Value

	apiPaused    atomic.Bool
	pauseMu      sync.Mutex
	pauseChanged chan struct{} // closed and replaced at each API pause or resume
	finishKick   chan struct{} // a worker marked the batch dirty
	memory       memoryBudget
	ready        atomic.Bool
	evicted      atomic.Bool  // the binary's pages were evicted once (releaseImage)
	dirty        atomic.Bool  // a batch ran since aggregating actions last finished
	sinceFree    atomic.Int64 // files processed since memory was last returned (finisher)
	drainCtx     context.Context
	processed    atomic.Int64
	written      atomic.Int64
	failed       atomic.Int64
	started      time.Time
	addr         atomic.Value // string: the HTTP address actually listened on
	dashURL      string       // the dashboard's URL ("" without HTTP), set once in Run

	maxDeliver int // the bus's MaxDeliver, set once in Run
	failures   failureCount

	// Scale-out (engine.remote): the owner's side, set once in Run before
	// the workers start; the owner's own runner and its scratch root
	// (nil with engine.workers: 0); the current revision (under mu).
	owner      *remote.Owner
	runner     *remote.Worker
	runnerRoot *engine.Root
	revision   string
	activity   *dashboard.Activity // the dashboard's chart and rule counts, fed by the hub
}

type rootState struct {
	name    string // as configured
	root    *engine.Root
	watcher *watch.Watcher
	index   *state.Index
	// repo is the git work tree holding the root (nil: none, or
	// engine.vcs: off), and repoRel the root's path inside it ("" or
	// "dir/").
	repo    *vcs.Repo
	repoRel string
	bulk    bulkJobs // the bulk events waiting in the queue, per file
	// catchup counts the files the start's catch-up found changed and has
	// not queued yet (they are pending work all the same).
	catchup atomic.Int64
}

// New prepares a daemon; Run starts it.
func New(opts Options) (*Daemon, error) {
	if opts.Config == nil || opts.Rules == nil {
		return nil, errors.New("daemon: a configuration and its rules are required")
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{opts: opts, log: opts.Logger, hub: newHub(), loops: newLoopBreaker(loopLimit),
		pauseChanged: make(chan struct{}), finishKick: make(chan struct{}, 1),
		findings: findings.New(findings.Limits{}), tracer: opts.Tracing.Tracer()}
	d.lastStop.Store("")
	d.metrics = newMetrics(d)
	d.activity = dashboard.NewActivity(d.pending)
	d.hub.tap = d.recordActivity
	return d, nil
}

// Addr returns the HTTP address the daemon listens on, host:port or a unix
// socket's path ("" before it listens).
func (d *Daemon) Addr() string {
	s, _ := d.addr.Load().(string)
	return s
}

func (d *Daemon) stateDir() string { return d.cfg.StatePath() }

// Run runs the daemon until ctx is done, then shuts down in order. It returns
// nil after a clean shutdown.
func (d *Daemon) Run(ctx context.Context) (err error) {
	d.started = time.Now()
	d.install(d.opts.Config, d.opts.Rules, d.opts.Plugins)
	defer d.closeRules()
	sd := d.stateDir()
	if err := state.PrepareDir(sd); err != nil {
		return err
	}
	if err := d.findings.Load(filepath.Join(sd, findingsFile)); err != nil {
		d.log.Warn("findings of the last run not loaded", "err", err)
	}
	defer d.saveFindings()

	// HTTP first, so health and status answer during start-up; /readyz says
	// 503 until the catch-up is done.
	var srv *http.Server
	if d.cfg.HTTP.Listen != "" {
		ln, guard, err := d.listen()
		if err != nil {
			return err
		}
		d.addr.Store(ln.Addr().String())
		d.dashURL = dashboardURL(d.cfg, ln.Addr().String())
		srv = &http.Server{Handler: guard.Wrap(d.handler(guard)), ReadHeaderTimeout: 5 * time.Second}
		if u := d.loginURL(guard); u != "" && d.opts.Dashboard != nil {
			d.opts.Dashboard(u)
		}
		go srv.Serve(ln)
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			d.hub.close()
			srv.Shutdown(sctx)
		}()
	}

	d.logStart()

	// 1. Bus.
	d.maxDeliver = maxTries(d.opts.Rules) + redeliverySlack
	d.bus, err = bus.Open(ctx, bus.Options{
		URL:        d.cfg.Bus.URL,
		StoreDir:   filepath.Join(sd, "nats"),
		MaxDeliver: d.maxDeliver,
		Replicas:   d.cfg.Bus.Replicas,
		// The bus is never the state (RELIABILITY rule 10): the file index
		// only records a file once it is processed, and the catch-up queues
		// whatever differs, so an event lost to an OS crash before the next
		// sync is found again at start. So no fsync per message; and not
		// every second either, since the server syncs each stream's state
		// file at every interval even when nothing changed.
		SyncInterval: busSyncInterval,
		// A live event goes straight to an idle worker: the file queue
		// holds nothing across a restart anyway (it is emptied below).
		HandOff: true,
		// A flood of changes goes through the workers without the
		// server too: a worker frees up within milliseconds then.
		HandOffWait: handOffWait,
		Lost:        d.lostEvent,
		Logger:      d.log, // the bus names itself (component=bus)
	})
	if err != nil {
		return fmt.Errorf("bus: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if cerr := d.bus.Close(cctx); cerr != nil && err == nil {
			err = cerr
		}
	}()

	// The file index, not the queue, says what still needs doing: whatever
	// an earlier run left queued is found again, once, by the catch-up
	// (a restart never queues a file twice).
	if err := d.bus.PurgeFiles(ctx); err != nil {
		return fmt.Errorf("bus: %w", err)
	}

	if d.cfg.Engine.Remote {
		stopRemote, err := d.startRemote(ctx)
		if err != nil {
			return err
		}
		// After the workers' files in flight, before the bus closes.
		defer stopRemote()
	}
	// From here the HTTP handlers may use the bus (and the owner's side).
	d.liveBus.Store(d.bus)

	// 2. Journal and file indexes.
	d.loadAPIPause()
	d.journal, err = journal.Open(filepath.Join(sd, "journal.db"), journal.Retention{})
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer d.journal.Close()
	// A daemon that did not shut down cleanly may have left temp files
	// beside files it was writing: clean them up (a walk of every root),
	// and only then.
	crashed, err := markRunning(sd)
	if err != nil {
		return err
	}
	if err := d.openRoots(sd, crashed); err != nil {
		return err
	}
	defer d.closeRoots()
	if err := d.openRepos(); err != nil {
		return err
	}

	// Plugins start before the workers and stop after them (shutdown, then
	// a kill 2 s later). One that cannot start fails its own actions only.
	if err := d.currentPlugins().Start(ctx); err != nil {
		d.log.Error("plugins failed to start; their actions fail until they do", "err", err)
	}
	defer d.closePlugins()

	// Workers get a context that outlives ctx by the grace period, so files
	// in flight at shutdown finish and are acknowledged.
	drainCtx, cancelDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDrain()
	d.drainCtx = drainCtx

	g, gctx := errgroup.WithContext(ctx)
	for _, repo := range d.repos {
		g.Go(func() error { return repo.Run(gctx, d.log.With("component", "git", "repo", repo.Top), d.stopChanged) })
	}
	// 3. Workers.
	g.Go(func() error { return d.consume(gctx) })
	// 4. Watchers, each with a forwarder to the bus.
	for _, rs := range d.roots {
		g.Go(func() error {
			if err := rs.watcher.Run(gctx); err != nil && gctx.Err() == nil {
				return fmt.Errorf("watch %s: %w", rs.root.Dir, err)
			}
			return nil
		})
		g.Go(func() error { return d.forward(gctx, rs) })
	}
	g.Go(func() error { return d.finisher(gctx) })
	g.Go(func() error { return d.saver(gctx) })
	g.Go(func() error { return d.reloader(gctx) })
	g.Go(func() error { return d.pruner(gctx) })
	g.Go(func() error { return d.activity.Run(gctx) })

	// 5. Catch-up once every watcher has its watches in place.
	g.Go(func() error {
		for _, rs := range d.roots {
			select {
			case <-rs.watcher.Ready():
			case <-gctx.Done():
				return nil
			}
		}
		if err := d.catchUp(gctx); err != nil {
			if gctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("catch-up: %w", err)
		}
		// 6. Ready. With nothing queued the daemon is idle already: the
		// moment for an automatic memory budget.
		if n, err := d.pending(gctx); err == nil && n == 0 {
			// The start's garbage (the crawl, the catch-up) goes back to
			// the system now rather than over the next minutes.
			d.releaseMemory()
			d.checkMemory(true)
		} else {
			d.releaseImage()
		}
		d.ready.Store(true)
		g.Go(func() error { return d.feedCatchUp(gctx) })
		d.hub.publish(Event{Type: "ready"})
		d.log.Info("ready: watching for changes", "roots", len(d.roots), "rules", len(d.currentRules().Rules), "dashboard", orOff(d.dashURL), "startup", time.Since(d.started).Round(time.Millisecond))
		if d.opts.Ready != nil {
			close(d.opts.Ready)
		}
		return nil
	})

	<-gctx.Done()
	d.ready.Store(false)
	d.log.Info("shutting down", "grace", d.opts.Grace)
	// Workers stop pulling as gctx ends; files in flight get the grace
	// period, then their context is cancelled too.
	timer := time.AfterFunc(d.opts.Grace, cancelDrain)
	err = g.Wait()
	timer.Stop()
	clean := true
	for _, rs := range d.roots {
		if serr := rs.index.Save(); serr != nil {
			d.log.Error("save file index", "root", rs.root.Dir, "err", serr)
			clean = false
		}
	}
	if clean && err == nil {
		unmarkRunning(sd)
	}
	if ctx.Err() != nil && err == nil {
		return nil
	}
	return err
}

// install makes cfg, rules and plugins current. Plugins of the previous set
// that the new one does not reuse are shut down.
func (d *Daemon) install(cfg *config.Config, rules *rule.Set, plugins *plugin.Set) {
	brk := newBreakers(rules, func(r, from, to string) {
		d.log.Warn("circuit breaker", "rule", r, "from", from, "to", to)
		d.hub.publish(Event{Type: "breaker", Rule: r, Message: from + " → " + to})
	})
	d.mu.Lock()
	if d.rules != nil && d.rules != rules {
		d.old = append(d.old, d.rules)
	}
	d.mu.Unlock()
	var rev string
	if d.owner != nil {
		rev = d.publishRevision(cfg, plugins)
	}
	d.mu.Lock()
	prev := d.plugins
	d.cfg, d.rules, d.plugins, d.brk = cfg, rules, plugins, brk
	opts := d.engineOptions(cfg, brk)
	if rev != "" {
		opts.Offload = d.owner.For(rev)
		// A job no worker can run is run here, if this owner runs jobs.
		opts.OffloadFallback = cfg.Engine.Workers > 0
		if d.runner != nil {
			d.runner.Provide(rev, d.runnerRuntime(cfg, rules))
		}
	}
	d.revision = rev
	d.eng = engine.New(rules, opts)
	d.mu.Unlock()
	if prev != nil && prev != plugins {
		prev.Retire(context.Background(), plugins)
	}
}

func (d *Daemon) currentPlugins() *plugin.Set {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.plugins
}

func (d *Daemon) closePlugins() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.currentPlugins().Close(ctx); err != nil {
		d.log.Warn("stop plugins", "err", err)
	}
}

func (d *Daemon) closeRules() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range append(d.old, d.rules) {
		s.Close(context.Background())
	}
}

func (d *Daemon) currentRules() *rule.Set {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.rules
}

func (d *Daemon) engine() *engine.Engine {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.eng
}

func (d *Daemon) engineOptions(cfg *config.Config, brk *breakers) engine.Options {
	cmds := ruleset.Commands(cfg)
	runners := sync.Map{}
	return engine.Options{
		Workers:     cfg.Engine.Workers,
		RuleSlots:   make(chan struct{}, max(cfg.Engine.Workers, 1)),
		MaxFileSize: int64(cfg.Engine.MaxFileSize),
		Logger:      d.log,
		Clock:       d.opts.Clock,
		Gate:        brk.gate,
		Commands: func(r *engine.Root) action.CommandRunner {
			if v, ok := runners.Load(r); ok {
				return v.(action.CommandRunner)
			}
			v, _ := runners.LoadOrStore(r, sandbox.NewRunner(r.Dir, cmds, cfg.Security.Env, sandbox.DefaultOutputCap))
			return v.(action.CommandRunner)
		},
		Publisher: busPublisher{d},
		BeforeWrite: func(r *engine.Root, rel string, _ []byte, sum [32]byte) {
			if rs := d.rootOf(r); rs != nil {
				rs.watcher.Suppress(rel, sum)
			}
		},
		ActionDone: func(_, name string, dur time.Duration, _ error) {
			d.metrics.actionDur.WithLabelValues(name).Observe(dur.Seconds())
		},
		Wrote:  d.recordWrite,
		Tracer: d.tracer,
		Undone: d.undoneRules,
		// Inside a git work tree: content equal to its committed version
		// is git's, and left alone when it arrived through git or a scan;
		// nothing is written while a git operation runs.
		VCS: func(r *engine.Root, rel string, content []byte, changed time.Time) engine.VCSInfo {
			rs := d.rootOf(r)
			if rs == nil || rs.repo == nil {
				return engine.VCSInfo{}
			}
			committed, tracked, err := rs.repo.Committed(rs.repoRel+rel, content)
			if err != nil {
				d.log.Warn("compare with the committed version", "path", rel, "err", err)
			}
			return engine.VCSInfo{Committed: committed, Tracked: tracked, DuringOp: rs.repo.ActiveAt(changed)}
		},
		LeaveCommitted: true,
		MayWrite: func(r *engine.Root) error {
			if rs := d.rootOf(r); rs != nil && rs.repo != nil {
				if busy, why := rs.repo.Busy(); busy {
					return fmt.Errorf("%w: %s", engine.ErrHeld, why)
				}
			}
			return nil
		},
	}
}

// openRepos finds the git work trees holding the roots, unless engine.vcs is
// off. Roots in one work tree share its Repo.
func (d *Daemon) openRepos() error {
	if d.cfg.Engine.VCS == "off" {
		return nil
	}
	for _, rs := range d.roots {
		repo, err := vcs.Open(rs.root.Dir, vcs.Options{})
		if err != nil {
			return fmt.Errorf("root %s: find its git work tree: %w (set engine.vcs: off to ignore git)", rs.root.Dir, err)
		}
		if repo == nil {
			continue
		}
		for _, known := range d.repos {
			if known.GitDir == repo.GitDir {
				repo.Close()
				repo = known
				break
			}
		}
		if !slices.Contains(d.repos, repo) {
			d.repos = append(d.repos, repo)
			d.log.Info("git work tree: writes wait for git operations; content that arrives through git is left to rules with rewrite_committed", "top", repo.Top)
		}
		rel, _ := repo.Rel(rs.root.Dir)
		if rel == "." {
			rel = ""
		} else {
			rel += "/"
		}
		rs.repo, rs.repoRel = repo, rel
	}
	return nil
}

// runningMark, in the state dir, exists while a daemon runs: found at start,
// it says the last one did not shut down cleanly.
const runningMark = "running"

// markRunning creates the running mark and reports whether it was there.
func markRunning(stateDir string) (crashed bool, err error) {
	p := filepath.Join(stateDir, runningMark)
	if _, err := os.Lstat(p); err == nil {
		crashed = true
	}
	if err := os.WriteFile(p, []byte("a scribe daemon runs, or did not shut down cleanly\n"), 0o644); err != nil {
		return crashed, fmt.Errorf("state dir %s: %w", stateDir, err)
	}
	return crashed, nil
}

// unmarkRunning removes the running mark after a clean shutdown.
func unmarkRunning(stateDir string) { os.Remove(filepath.Join(stateDir, runningMark)) }

func (d *Daemon) openRoots(stateDir string, crashed bool) error {
	for _, name := range d.cfg.Roots {
		dir := name
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(d.cfg.Dir, dir)
		}
		sdRel := relInside(dir, stateDir)
		r, err := engine.OpenRoot(dir, d.opts.Rules.Globs(d.cfg.Include), d.cfg.Exclude, sdRel)
		if err != nil {
			return err
		}
		// A crash mid-write leaves a temp file beside its target, which
		// is whole; rarely, the temp file holds a save to put back.
		// Nothing writes in the root yet.
		if crashed {
			r.CleanTemps(d.log)
		}
		ix, err := state.Load(state.PathFor(stateDir, r.Dir))
		if err != nil {
			d.log.Warn("file index unusable; every file will be checked", "root", r.Dir, "err", err)
		}
		globs, exclude := d.opts.Rules.Globs(d.cfg.Include), d.cfg.Exclude
		w, err := watch.New(watch.Options{
			Root: r.Dir, FS: r.FS, Filter: r.Filter,
			// An edited .gitignore or .scribeignore takes effect at once.
			Refilter: func() (*scan.Filter, error) { return scan.NewFilter(r.Dir, globs, exclude, sdRel) },
			// settle: 0 means "no quiet time"; the watcher reads 0 as its default.
			Settle: max(d.cfg.Engine.Settle.Std(), time.Nanosecond), MaxWait: d.cfg.Engine.MaxWait.Std(),
			Rescan: d.opts.Rescan, SkipInitial: true,
			Logger: d.log.With("component", "watch", "root", r.Dir),
		})
		if err != nil {
			r.Close()
			return fmt.Errorf("watch %s: %w", r.Dir, err)
		}
		d.roots = append(d.roots, &rootState{name: name, root: r, watcher: w, index: ix})
	}
	return nil
}

func (d *Daemon) closeRoots() {
	for _, repo := range d.repos {
		repo.Close()
	}
	for _, rs := range d.roots {
		rs.root.Close()
	}
}

func (d *Daemon) rootOf(r *engine.Root) *rootState {
	for _, rs := range d.roots {
		if rs.root == r {
			return rs
		}
	}
	return nil
}

// lostEvent is bus.Options.Lost: the event of path in root could be stored
// nowhere, and its watcher, which has seen this version, reports the file
// again at its next rescan.
func (d *Daemon) lostEvent(root, path string) {
	if rs := d.rootNamed(root); rs != nil && rs.watcher != nil {
		rs.watcher.Forget(path)
	}
}

func (d *Daemon) rootNamed(name string) *rootState {
	for _, rs := range d.roots {
		if rs.name == name {
			return rs
		}
	}
	return nil
}

// relInside returns target relative to dir when it lies inside it, else "".
func relInside(dir, target string) string {
	rel, err := filepath.Rel(dir, target)
	if err != nil || rel == ".." || filepath.IsAbs(rel) || len(rel) >= 3 && rel[:3] == ".."+string(filepath.Separator) {
		return ""
	}
	return filepath.ToSlash(rel)
}

// maxTries is how many times a file whose rules fail is tried before it
// becomes a dead letter: once, plus the largest retries any rule asks for.
func maxTries(set *rule.Set) int {
	n := 0
	for _, r := range set.Rules {
		n = max(n, r.OnError.Retries)
	}
	return n + 1
}

// busSyncInterval is how often the embedded NATS server fsyncs its store:
// about when the kernel writes dirty pages back by itself.
const busSyncInterval = 30 * time.Second

// redeliverySlack is how many deliveries of a file event, on top of
// maxTries, may end without the rules failing: a worker interrupted by a
// pause or a shutdown, a crash, an ack wait that ran out. Without it a
// rule with no retries would send such an event to the dead letters without
// ever having run on it. The failures themselves are counted by handle.
const redeliverySlack = 5

type busPublisher struct{ d *Daemon }

func (p busPublisher) Publish(ctx context.Context, ev action.Event) error {
	return p.d.publishEvent(ctx, ev)
}
