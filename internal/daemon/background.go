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
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"golang.org/x/sync/errgroup"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/scan"
	"github.com/scribe-md/scribe/internal/state"
)

// catchUpPublishers bounds the catch-up's publishes in flight.
const catchUpPublishers = 128

// catchUp compares every root with its file index and queues what changed
// while the daemon was down; files gone since are forgotten.
func (d *Daemon) catchUp(ctx context.Context) error {
	for _, rs := range d.roots {
		entries, werrs, err := scan.List(ctx, rs.root.FS, rs.root.Filter, 2*d.cfg.Engine.Workers)
		if err != nil {
			return err
		}
		for _, we := range werrs {
			d.log.Warn("unreadable directory", "root", rs.root.Dir, "err", we)
		}
		present := make(map[string]bool, len(entries))
		var docs []string
		queued := 0
		for _, en := range entries {
			if !en.Type.IsRegular() {
				continue
			}
			present[en.Rel] = true
			docs = append(docs, en.Rel)
		}
		rs.root.Docs.Set(docs)
		// Publishes wait for the server's acknowledgement; a few in flight
		// at once keep a cold start (every file queued) short.
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(catchUpPublishers)
		var n atomic.Int64
		eng := d.engine()
		for _, rel := range docs {
			if !eng.Applies(rel) {
				continue
			}
			g.Go(func() error {
				fi, err := rs.root.FS.Lstat(rel)
				if err != nil {
					return nil
				}
				if old, ok := rs.index.Get(rel); ok && old.Same(state.FromInfo(fi)) {
					return nil
				}
				n.Add(1)
				return d.enqueue(gctx, rs, rel, bus.ReasonCatchup, time.Time{})
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		queued = int(n.Load())
		for _, p := range rs.index.Paths() {
			if !present[p] {
				rs.index.Delete(p)
			}
		}
		d.log.Info("caught up", "root", rs.root.Dir, "documents", len(docs), "queued", queued)
	}
	return nil
}

// finisher lets aggregating actions (catalog, index) finish each batch: when
// files were processed and the queue is empty, or at the latest every second.
// It sleeps while nothing was processed.
func (d *Daemon) finisher(ctx context.Context) error {
	t := time.NewTimer(finishTick)
	defer t.Stop()
	last := time.Now()
	for {
		if !d.dirty.Load() {
			select {
			case <-ctx.Done():
				return nil
			case <-d.finishKick:
			}
			continue
		}
		t.Reset(finishTick)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
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
		w := &engine.Writes{OnWrite: func(r *engine.Root, res *engine.Result) { d.recordWrite(d.rootOf(r), res) }}
		again, _, ferr := d.engine().Finish(ctx, roots, w)
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
				d.enqueue(ctx, rs, p, bus.ReasonRequeue, time.Time{})
			}
		}
		// Memory is looked at when work was done, and only then.
		d.checkMemory(err == nil && n == 0 && len(again) == 0)
	}
}

// finishTick is how long the finisher lets a batch grow.
const finishTick = 250 * time.Millisecond

// markDirty records that files were processed, so that aggregating actions
// finish the batch.
func (d *Daemon) markDirty() {
	d.dirty.Store(true)
	select {
	case d.finishKick <- struct{}{}:
	default: // already kicked
	}
}

// saver persists the file indexes periodically (and Run saves them at exit).
func (d *Daemon) saver(ctx context.Context) error {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			for _, rs := range d.roots {
				if err := rs.index.Save(); err != nil {
					d.log.Error("save file index", "root", rs.root.Dir, "err", err)
				}
			}
		}
	}
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
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fsEvents:
			if !ok {
				fsEvents = nil
				continue
			}
			if filepath.Clean(ev.Name) == name && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				debounce = time.After(100 * time.Millisecond) // editors write in several steps
			}
		case <-debounce:
			d.reload("file changed")
		case <-d.opts.Reload:
			d.reload("SIGHUP")
		}
	}
}

func (d *Daemon) reload(why string) {
	cfg, rules, err := d.opts.Load()
	if err != nil {
		d.log.Error("configuration reload failed; the previous configuration keeps running", "why", why, "err", err)
		d.hub.publish(Event{Type: "reload", Error: err.Error()})
		return
	}
	old := d.cfg
	if !slices.Equal(cfg.Roots, old.Roots) || cfg.Bus != old.Bus || cfg.HTTP != old.HTTP || cfg.Engine.StateDir != old.Engine.StateDir {
		d.log.Warn("roots, bus, http and state_dir changes take effect at the next start")
	}
	d.install(cfg, rules)
	d.log.Info("configuration reloaded", "why", why, "rules", len(rules.Rules))
	d.hub.publish(Event{Type: "reload", Message: fmtCount(len(rules.Rules), "rule")})
	// Rules changed: look at every file again (cheap for unchanged ones).
	for _, rs := range d.roots {
		rs.watcher.Rescan()
	}
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
	d.pauseMu.Lock()
	close(d.pauseChanged) // wake whoever waits for a pause or a resume
	d.pauseChanged = make(chan struct{})
	d.pauseMu.Unlock()
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

// pauseSignal returns a channel closed at the next pause or resume made
// through the API. A .scribe-pause file is looked for every pauseFilePoll.
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

// consume runs the workers while processing is not paused. A pause stops
// them (the files in flight finish first) rather than holding events: the
// bus client buffers events ahead of busy workers, and those would run out
// of ack wait, and deliveries, during a long pause.
func (d *Daemon) consume(ctx context.Context) error {
	d.mu.RLock()
	workers := d.cfg.Engine.Workers
	d.mu.RUnlock()
	for {
		if err := d.waitWhilePaused(ctx, func() {}); err != nil {
			return nil
		}
		cctx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			t := time.NewTicker(pauseFilePoll)
			defer t.Stop()
			for {
				sig := d.pauseSignal()
				if p, _ := d.paused(); p {
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
		err := d.bus.Consume(cctx, workers, d.handle)
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

// pauseFilePoll is how often a .scribe-pause file is looked for, and a
// paused worker tells the bus it still holds its event. A pause or resume
// through the API takes effect at once. The workers look for the file
// before each event too, so no event starts once it exists.
const pauseFilePoll = time.Second

// waitWhilePaused holds a worker while processing is paused, telling the bus
// the message is still being worked on.
func (d *Daemon) waitWhilePaused(ctx context.Context, heartbeat func()) error {
	t := time.NewTimer(pauseFilePoll)
	defer t.Stop()
	for {
		sig := d.pauseSignal()
		p, _ := d.paused()
		if !p {
			return nil
		}
		heartbeat()
		t.Reset(pauseFilePoll)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sig:
		case <-t.C:
		}
	}
}

func fmtCount(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
