package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"golang.org/x/sync/errgroup"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/gctune"
	"github.com/scribe-md/scribe/internal/pathmap"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/state"
)

// catchUpPublishers bounds the catch-up's publishes in flight. Fed after
// ready through a window, the catch-up only has to stay ahead of the
// workers: 32 do, at a million files too. With 128, the 100,000-file
// catch-up peaked 9 MiB higher, and on the lean floor (gctune.Lean) it
// drained a seventh slower (doc/PERFORMANCE.md, "A lean catch-up").
const catchUpPublishers = 32

// defaultCatchUpWindow bounds the bulk events waiting in the queue while the
// catch-up feeds it (Options.CatchUpWindow): about a second of work for the
// workers, so that the queue's store stays small (a million-file backlog is
// not a million messages) and a restart has nothing to undo.
const defaultCatchUpWindow = 4096

// catchUp compares every root with its file index: files changed while the
// daemon was down are counted (rootState.catchup) for feedCatchUp to queue
// once the daemon is ready; files gone since are forgotten. It works from
// what the watcher's first crawl found (each document's stamp), one
// directory at a time: the tree is walked and stated once at start, and no
// structure of the whole tree is built for the comparison.
func (d *Daemon) catchUp(ctx context.Context) error {
	for _, rs := range d.roots {
		// The document list is built from the watcher if an action asks.
		rs.root.Docs.SetSource(func(yield func(string)) {
			for _, dir := range rs.watcher.Dirs() {
				rs.watcher.Known(dir, func(name string, _ safefile.Stamp) { yield(pathmap.Join(dir, name)) })
			}
		})
		if err := rs.root.RefreshTargets(ctx, 2*d.cfg.Engine.Workers); err != nil && ctx.Err() == nil {
			d.log.Warn("list the files excluded from processing (links to them may be reported broken)", "root", rs.root.Dir, "err", err)
		}
		docs, queued := 0, 0
		err := d.changedSince(ctx, rs, func(string, action.Origin, safefile.Stamp) error {
			queued++
			return nil
		}, &docs)
		if err != nil {
			return err
		}
		rs.index.Retain(rs.watcher.IsDocument)
		for _, p := range d.findings.Paths(rs.root.Dir) {
			if !rs.watcher.IsDocument(pathmap.Split(p)) {
				d.forgetFindings(rs, p)
			}
		}
		rs.catchup.Store(int64(queued))
		d.log.Info("caught up", "root", rs.root.Dir, "documents", docs, "queued", queued)
	}
	return nil
}

// feedCatchUp queues what catchUp counted, keeping at most a window of bulk
// events waiting (Options.CatchUpWindow, publishes in flight included): the
// comparison runs again, so a file processed meanwhile (an edit, which goes
// first) is not queued again. A root where catchUp counted nothing is left
// alone: what changed since, the watcher reports.
func (d *Daemon) feedCatchUp(ctx context.Context) error {
	window := d.opts.CatchUpWindow
	if window <= 0 {
		window = defaultCatchUpWindow
	}
	var queued int64
	for _, rs := range d.roots {
		queued += rs.catchup.Load()
	}
	if queued > 0 {
		// Nobody waits on a catch-up: it runs on less memory, for more
		// collections, until a worker has taken the last file it queued.
		defer gctune.Lean()()
	}
	type job struct {
		rel    string
		origin action.Origin
		stamp  safefile.Stamp
	}
	for _, rs := range d.roots {
		if rs.catchup.Load() == 0 {
			continue // a warm start with nothing changed: no second pass
		}
		g, gctx := errgroup.WithContext(ctx)
		// A fixed set of publishers rather than a goroutine per file: each
		// keeps the stack its first publish grew.
		jobs := make(chan job)
		for range min(catchUpPublishers, window) {
			g.Go(func() error {
				for j := range jobs {
					d.feeding.RLock()
					err := d.enqueue(gctx, rs, j.rel, bus.ReasonCatchup, j.origin, safefile.Version{}, j.stamp, time.Time{})
					d.feeding.RUnlock()
					// Queued (or given up on): no longer the catch-up's to do.
					if rs.catchup.Add(-1) < 0 {
						rs.catchup.Store(0)
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
		}
		err := d.changedSince(gctx, rs, func(rel string, origin action.Origin, stamp safefile.Stamp) error {
			if err := rs.bulk.waitBelow(gctx, window); err != nil {
				return err
			}
			select {
			case jobs <- job{rel, origin, stamp}:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}, nil)
		close(jobs)
		if werr := g.Wait(); err == nil {
			err = werr
		}
		rs.catchup.Store(0)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("catch-up of %s: %w", rs.root.Dir, err)
		}
	}
	for _, rs := range d.roots {
		if rs.bulk.waitBelow(ctx, 1) != nil {
			return nil // stopping
		}
	}
	return nil
}

// changedSince calls fn with every document of rs that a rule applies to and
// that differs from its record in the file index, and the origin of that
// change: a file with no record (a first start, a new clone, a lost index, a
// file new since) is seen for the first time, a scan; a recorded file that
// changed was edited meanwhile. docs, if not nil, receives the number of
// documents compared.
func (d *Daemon) changedSince(ctx context.Context, rs *rootState, fn func(rel string, origin action.Origin, stamp safefile.Stamp) error, docs *int) error {
	type doc struct {
		name  string
		stamp safefile.Stamp
	}
	var batch []doc
	eng := d.engine()
	for _, dir := range rs.watcher.Dirs() {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch = batch[:0]
		rs.watcher.Known(dir, func(name string, s safefile.Stamp) { batch = append(batch, doc{name, s}) })
		if docs != nil {
			*docs += len(batch)
		}
		for _, dc := range batch {
			rel := pathmap.Join(dir, dc.name)
			if !eng.Applies(rel) {
				continue
			}
			old, ok := rs.index.Get(rel)
			if ok && old == dc.stamp {
				continue
			}
			origin := action.OriginUser
			if !ok {
				origin = action.OriginScan
			}
			if err := fn(rel, origin, dc.stamp); err != nil {
				return err
			}
		}
	}
	return nil
}

// finisher lets aggregating actions (catalog, index) finish each batch: when
// files were processed and the queue is empty, or at the latest every second.
// It sleeps while nothing was processed. It also returns a drained backlog's
// memory to the system (releaseMemory), once nothing was processed for
// freeQuiet.
func (d *Daemon) finisher(ctx context.Context) error {
	t := time.NewTimer(finishTick)
	defer t.Stop()
	free := time.NewTimer(freeQuiet)
	free.Stop()
	defer free.Stop()
	freeAt := int64(-1) // sinceFree when free was set; -1 when it is not
	last := time.Now()
	for {
		if !d.dirty.Load() {
			select {
			case <-ctx.Done():
				return nil
			case <-d.finishKick:
			case <-free.C:
				if d.sinceFree.Load() == freeAt {
					// A backlog drained (a catch-up, a checkout): its
					// garbage goes back to the system now rather than over
					// the next minutes, so an idle daemon's footprint is
					// its live state.
					d.sinceFree.Store(0)
					d.releaseMemory()
				}
				freeAt = -1
			}
			continue
		}
		t.Reset(finishTick)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if busy, _ := d.gitBusy(); busy {
			continue // the outputs are written once git is done
		}
		n, err := d.pending(ctx)
		if err == nil && n > 0 && time.Since(last) < time.Second {
			continue
		}
		d.dirty.Store(false)
		last = time.Now()
		roots := make([]*engine.Root, len(d.roots))
		for i, rs := range d.roots {
			roots[i] = rs.root
		}
		again, _, ferr := d.engine().Finish(ctx, roots, &engine.Writes{})
		if ferr != nil {
			if ctx.Err() != nil {
				return nil
			}
			d.log.Error("finish batch", "err", ferr)
			continue
		}
		for r, paths := range again {
			rs := d.rootOf(r)
			for _, p := range paths {
				d.enqueue(ctx, rs, p, bus.ReasonRequeue, action.OriginScribe, safefile.Version{}, 0, time.Time{})
			}
		}
		idle := err == nil && n == 0 && len(again) == 0
		if done := d.sinceFree.Load(); idle && done >= freeAfter && done != freeAt {
			// Not at once: live saves never wait in the queue, so it is
			// empty between a burst's saves too, and a collection there
			// would only make the heap grow back.
			freeAt = done
			free.Reset(freeQuiet)
		}
		// Memory is looked at when work was done, and only then.
		d.checkMemory(idle)
	}
}

// finishTick is how long the finisher lets a batch grow.
const finishTick = 250 * time.Millisecond

// freeAfter is how many files processed make a drained queue worth a
// collection that returns memory to the system (a few milliseconds).
const freeAfter = 1000

// freeQuiet is how long nothing must be processed after such a queue
// drained before its memory is returned: a burst of saves has gaps of
// milliseconds between them, a drained backlog is followed by silence.
const freeQuiet = 500 * time.Millisecond

// markDirty records that files were processed, so that aggregating actions
// finish the batch.
func (d *Daemon) markDirty() {
	d.dirty.Store(true)
	select {
	case d.finishKick <- struct{}{}:
	default: // already kicked
	}
}

// saver persists the file indexes periodically (and Run saves them at exit):
// a changed index every indexSaveEvery of its size.
func (d *Daemon) saver(ctx context.Context) error {
	t := time.NewTicker(minIndexSave)
	defer t.Stop()
	saved := map[*state.Index]time.Time{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			for _, rs := range d.roots {
				ix := rs.index
				if !ix.Changed() || now.Sub(saved[ix]) < indexSaveEvery(ix.Size()) {
					continue
				}
				if err := ix.Save(); err != nil {
					d.log.Error("save file index", "root", rs.root.Dir, "err", err)
					continue
				}
				saved[ix] = now
			}
			d.saveFindings()
		}
	}
}

// A save rewrites the whole index: 23 MB for a million files, 65 ms of a
// core with its fsync. Every ten seconds while files change, that was 2.3
// MB/s written for a tree that size. The index is a cache (a file it did
// not record in time is looked at again at the next start), so a large one
// is saved less often: about indexWriteRate bytes a second on average,
// between minIndexSave and maxIndexSave apart (doc/DECISIONS.md).
const (
	indexWriteRate = 64 << 10
	minIndexSave   = 10 * time.Second
	maxIndexSave   = 5 * time.Minute
)

// indexSaveEvery returns how long after its last save an index of size
// bytes is saved again, if it changed.
func indexSaveEvery(size int64) time.Duration {
	return min(max(time.Duration(size)*time.Second/indexWriteRate, minIndexSave), maxIndexSave)
}

// pruner applies the journal's retention hourly.
func (d *Daemon) pruner(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := d.journal.Prune(time.Now()); err != nil {
			d.log.Error("prune journal", "err", err)
		} else if n > 0 {
			d.log.Info("pruned journal", "entries", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// reloader reloads the configuration when its file changes or on request
// (SIGHUP). An invalid new configuration is reported and the old one stays.
func (d *Daemon) reloader(ctx context.Context) error {
	if d.opts.Load == nil || d.cfg.File == "" {
		return nil
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		d.log.Warn("config file not watched; reload with SIGHUP", "err", err)
	} else {
		defer fw.Close()
		if err := fw.Add(filepath.Dir(d.cfg.File)); err != nil {
			d.log.Warn("config file not watched; reload with SIGHUP", "err", err)
		}
	}
	var fsEvents <-chan fsnotify.Event
	if fw != nil {
		fsEvents = fw.Events
	}
	name := filepath.Clean(d.cfg.File)
	saves := newBurst(reloadSettle, reloadMaxWait)
	defer saves.stop()
	// Plugin folders are watched too: a changed manifest, script, binary or
	// module reloads, and the plugins whose files changed restart.
	pluginDirs := map[string]bool{}
	watchPlugins := func() {
		for _, dir := range d.currentPlugins().Dirs() {
			if fw != nil && !pluginDirs[dir] {
				if err := fw.Add(dir); err != nil {
					d.log.Warn("plugin folder not watched; reload with SIGHUP after changing it", "dir", dir, "err", err)
				}
				pluginDirs[dir] = true
			}
		}
	}
	watchPlugins()
	why := ""
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fsEvents:
			if !ok {
				fsEvents = nil
				continue
			}
			if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename|fsnotify.Remove) == 0 {
				continue
			}
			switch {
			case filepath.Clean(ev.Name) == name:
				if ev.Op&fsnotify.Remove != 0 {
					continue // a save by rename removes nothing for long
				}
				if why == "" {
					why = "file changed"
				}
			case pluginDirs[filepath.Dir(ev.Name)] && !strings.HasPrefix(filepath.Base(ev.Name), ".") && filepath.Base(ev.Name) != "__pycache__":
				if why == "" {
					why = "plugin changed: " + ev.Name
				}
			default:
				continue
			}
			saves.add()
		case <-saves.C():
			saves.done()
			d.reload(ctx, why)
			why = ""
			watchPlugins()
		case <-d.opts.Reload:
			d.reload(ctx, "SIGHUP")
			watchPlugins()
		}
	}
}

// A burst of saves to the configuration (an editor writes in several steps;
// a script or a sync tool may save it many times in a row) is one reload:
// reloadSettle after the last save, and at most reloadMaxWait after the
// first, so that saves that never stop still take effect.
const (
	reloadSettle  = 300 * time.Millisecond
	reloadMaxWait = 3 * time.Second
)

// burst coalesces events into one firing: settle after the last event, or
// maxWait after the first of the burst, whichever comes first. Its owner
// calls add for each event and done after each firing of C; it is not safe
// for concurrent use.
type burst struct {
	settle, maxWait time.Duration
	timer           *time.Timer
	first           time.Time // of the burst; zero when idle
}

func newBurst(settle, maxWait time.Duration) *burst {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &burst{settle: settle, maxWait: maxWait, timer: t}
}

// add records an event: the burst fires settle from now, but no later than
// maxWait after its first event.
func (b *burst) add() {
	now := time.Now()
	if b.first.IsZero() {
		b.first = now
	}
	b.timer.Reset(min(b.settle, b.maxWait-now.Sub(b.first)))
}

// C fires when the burst is over.
func (b *burst) C() <-chan time.Time { return b.timer.C }

// done starts a new burst.
func (b *burst) done() { b.first = time.Time{} }

func (b *burst) stop() { b.timer.Stop() }

func (d *Daemon) reload(ctx context.Context, why string) {
	cfg, rules, plugins, err := d.opts.Load(d.currentPlugins())
	if err != nil {
		d.log.Error("configuration reload failed; the previous configuration keeps running", "why", why, "err", err)
		d.hub.publish(Event{Type: "reload", Error: err.Error()})
		return
	}
	later := atNextStart(d.opts.Config, cfg)
	if len(later) > 0 {
		d.log.Warn("changed settings that take effect at the next start", "settings", strings.Join(later, ", "))
	}
	d.install(cfg, rules, plugins)
	if err := plugins.Start(ctx); err != nil {
		d.log.Error("plugins failed to start; their actions fail until they do", "err", err)
	}
	d.log.Info("configuration reloaded", "why", why, "rules", len(rules.Rules))
	msg := fmtCount(len(rules.Rules), "rule")
	if len(later) > 0 {
		msg += "; at the next start: " + strings.Join(later, ", ")
	}
	d.hub.publish(Event{Type: "reload", Message: msg})
	// Rules changed: look at every file again (cheap for unchanged ones).
	for _, rs := range d.roots {
		rs.watcher.Rescan()
	}
}

// atNextStart names the settings that differ between the configuration the
// daemon started with (run) and cfg, and that it reads only when it starts:
// the watcher's filter and timing, the files in flight, the state, git, the
// scale-out owner, the bus, the HTTP listener and telemetry. A reload applies
// the rest at once (rules, actions, plugins, commands, limits); for
// engine.workers, the rules' slots follow at once, the files in flight at
// the next start. Compared with run rather than with the last reload, a
// setting changed and changed back names nothing.
func atNextStart(run, cfg *config.Config) []string {
	var names []string
	add := func(changed bool, name string) {
		if changed {
			names = append(names, name)
		}
	}
	e, n := run.Engine, cfg.Engine
	add(!slices.Equal(run.Roots, cfg.Roots), "roots")
	add(!slices.Equal(run.Include, cfg.Include), "include")
	add(!slices.Equal(run.Exclude, cfg.Exclude), "exclude")
	add(e.Workers != n.Workers, "engine.workers")
	add(e.Settle != n.Settle, "engine.settle")
	add(e.MaxWait != n.MaxWait, "engine.max_wait")
	add(e.StateDir != n.StateDir, "engine.state_dir")
	add(e.VCS != n.VCS, "engine.vcs")
	add(e.Remote != n.Remote, "engine.remote")
	add(e.RemoteAckWait != n.RemoteAckWait, "engine.remote_ack_wait")
	add(e.RemoteWait != n.RemoteWait, "engine.remote_wait")
	add(e.RemoteInFlight != n.RemoteInFlight, "engine.remote_in_flight")
	add(run.Bus != cfg.Bus, "bus")
	add(run.HTTP != cfg.HTTP, "http")
	add(run.Telemetry != cfg.Telemetry, "telemetry")
	return names
}

// pauseFile in a root pauses processing while it exists.
const pauseFile = ".scribe-pause"

// apiPauseFile, in the state dir, records a pause made through the API (or
// `scribe pause`) so that it survives a restart: a user who paused expects
// the daemon to stay paused until they resume it.
const apiPauseFile = "paused"

// setAPIPause pauses or resumes through the API and records it.
func (d *Daemon) setAPIPause(on bool) {
	d.apiPaused.Store(on)
	d.stopChanged()
	p := filepath.Join(d.stateDir(), apiPauseFile)
	var err error
	if on {
		err = os.WriteFile(p, []byte("paused through the API; `scribe resume` resumes\n"), 0o644)
	} else if err = os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err != nil {
		d.log.Warn("record the pause; it will not survive a restart", "err", err)
	}
}

// loadAPIPause restores a pause recorded by setAPIPause.
func (d *Daemon) loadAPIPause() {
	if _, err := os.Stat(filepath.Join(d.stateDir(), apiPauseFile)); err == nil {
		d.apiPaused.Store(true)
		d.log.Info("paused (a pause made through the API before the restart); `scribe resume` resumes")
	}
}

// stopChanged wakes whoever waits for a pause, a resume, or the start or end
// of a git operation.
func (d *Daemon) stopChanged() {
	d.pauseMu.Lock()
	close(d.pauseChanged)
	d.pauseChanged = make(chan struct{})
	d.pauseMu.Unlock()
}

// pauseSignal returns a channel closed at the next pause or resume made
// through the API, or start or end of a git operation. A .scribe-pause file
// is looked for every pauseFilePoll.
func (d *Daemon) pauseSignal() <-chan struct{} {
	d.pauseMu.Lock()
	defer d.pauseMu.Unlock()
	return d.pauseChanged
}

// paused reports whether processing is paused and why.
func (d *Daemon) paused() (bool, []string) {
	var why []string
	if d.apiPaused.Load() {
		why = append(why, "api")
	}
	for _, rs := range d.roots {
		if _, err := rs.root.FS.Lstat(pauseFile); err == nil {
			why = append(why, filepath.Join(rs.root.Dir, pauseFile))
		} else if !errors.Is(err, fs.ErrNotExist) {
			why = append(why, err.Error())
		}
	}
	return len(why) > 0, why
}

// gitBusy reports whether a git operation holds writes in one of the work
// trees, and says which.
func (d *Daemon) gitBusy() (bool, string) {
	for _, repo := range d.repos {
		if busy, why := repo.Busy(); busy {
			return true, "git: " + why + " in " + repo.Top
		}
	}
	return false, ""
}

// stopped reports whether the workers must not run: processing is paused,
// or a git operation is in progress.
func (d *Daemon) stopped() bool {
	if p, _ := d.paused(); p {
		return true
	}
	busy, _ := d.gitBusy()
	return busy
}

// consume runs the workers while processing is not paused. A pause stops
// them (the files in flight finish first) rather than holding events: the
// bus client buffers events ahead of busy workers, and those would run out
// of ack wait, and deliveries, during a long pause.
func (d *Daemon) consume(ctx context.Context) error {
	d.mu.RLock()
	inFlight := d.cfg.Engine.Workers * filesPerWorker
	if d.owner != nil {
		// The owner's handlers mostly wait for remote results.
		inFlight = d.cfg.Engine.RemoteInFlight
	}
	d.mu.RUnlock()
	for {
		d.logStopped()
		if err := d.waitWhileStopped(ctx, func() {}); err != nil {
			return nil
		}
		d.logStopped()
		cctx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			t := time.NewTicker(pauseFilePoll)
			defer t.Stop()
			for {
				sig := d.pauseSignal()
				if d.stopped() {
					cancel()
					return
				}
				select {
				case <-cctx.Done():
					return
				case <-sig:
				case <-t.C:
				}
			}
		}()
		err := d.bus.Consume(cctx, max(inFlight, 1), d.handle)
		paused := cctx.Err() != nil
		cancel()
		<-stopped
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !paused:
			return fmt.Errorf("workers: %w", err)
		}
	}
}

// filesPerWorker is how many files the daemon keeps in flight per engine
// worker: rules run on at most engine.workers files at once (the engine's
// RuleSlots), while the others wait for the disk (fsyncs, the journal's
// commit), which then serves several files at a time. A file in flight
// waits for four flushes in turn (its own, its folder's, the journal's two),
// and on a journaling file system each is a journal commit shared by the
// files waiting at that moment: the more files wait, the fewer commits per
// file. A flood of 20,000 files into one folder ran at 657–761 files/s
// with 8, 804–889 with 16 and 856–1,080 with 32 per worker on ext4 with its
// journal; on ext4 without one, 1,047–1,281 with 8 and 1,181–1,340 with 32
// (doc/PERFORMANCE.md).
const filesPerWorker = 32

// pauseFilePoll is how often a .scribe-pause file is looked for, and a
// paused worker tells the bus it still holds its event. A pause or resume
// through the API, and the start or end of a git operation, take effect at
// once. The workers look for the file before each event too, so no event
// starts once it exists.
const pauseFilePoll = time.Second

// gitPoll is how often a worker held by a git operation looks again: the
// operation's end is signalled, the quiet time after it is not.
const gitPoll = 50 * time.Millisecond

// waitWhileStopped holds a worker while processing is paused or a git
// operation runs, telling the bus the message is still being worked on.
// Every event passes through it: its timer is made only when it waits.
func (d *Daemon) waitWhileStopped(ctx context.Context, heartbeat func()) error {
	sig := d.pauseSignal()
	if !d.stopped() {
		return nil
	}
	t := time.NewTimer(pauseFilePoll)
	defer t.Stop()
	for {
		heartbeat()
		poll := pauseFilePoll
		if busy, _ := d.gitBusy(); busy {
			poll = gitPoll
		}
		t.Reset(poll)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sig:
		case <-t.C:
		}
		sig = d.pauseSignal()
		if !d.stopped() {
			return nil
		}
	}
}

func fmtCount(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
