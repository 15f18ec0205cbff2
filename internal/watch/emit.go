package watch

import (
	"context"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/scan"
)

// emitter hands settled paths to the consumer until ctx is done. It sleeps on
// one timer armed for the earliest due path; the drain goroutine and the
// crawler wake it when they queue a path due earlier.
//
// The settle time is measured between events as the drain goroutine handles
// them. When a path is due while events wait in fsnotify's channel, the
// drain goroutine is behind (descheduled, or busy), and the waiting events
// may belong to the same save: the emitter waits until the drain goroutine
// has caught up, unless the path reached its MaxWait cap.
func (w *Watcher) emitter(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		w.mu.Lock()
		now := time.Now()
		if w.deferLocked(now) {
			w.armed = time.Time{}
			// The drain goroutine's kick ends the wait; the timer only
			// bounds it by the path's cap, after which it is flushed
			// anyway. (A timer of the settle time instead spun this
			// loop with settle: 0 for as long as the drain goroutine was
			// behind: a quarter of the daemon's CPU in a burst.)
			capAt := w.co.firstCap()
			w.mu.Unlock()
			timer.Reset(capAt.Sub(now))
			select {
			case <-ctx.Done():
				return
			case <-w.wakeEmit:
			case <-timer.C:
			}
			timer.Stop()
			continue
		}
		if p, ok := w.co.popDue(now); ok {
			w.inFlight++
			w.armed = time.Time{}
			w.mu.Unlock()
			delivered := true
			if c, report := w.resolve(p); report {
				select {
				case w.out <- c:
					w.changes.Add(1)
				case <-ctx.Done():
					delivered = false
				}
			}
			w.mu.Lock()
			w.inFlight--
			w.mu.Unlock()
			if !delivered {
				return
			}
			continue
		}
		next, has := w.co.next()
		w.armed = next
		w.mu.Unlock()

		var fire <-chan time.Time
		if has {
			timer.Reset(next.Sub(now))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wakeEmit:
		case <-fire:
		}
		timer.Stop()
	}
}

// deferLocked reports whether the emitter should wait for the drain
// goroutine before it flushes the path due first: one is due, it has not
// reached its cap, and kernel events wait in fsnotify's channel. When it
// returns true the drain goroutine kicks the emitter once it caught up (the
// flag is raised before the channel is looked at, so that kick is not lost).
func (w *Watcher) deferLocked(now time.Time) bool {
	d, ok := w.co.next()
	if !ok || d.After(now) || w.bk == nil || !now.Before(w.co.firstCap()) {
		return false
	}
	w.waitDrain.Store(true)
	if len(w.bk.be.Events()) > 0 {
		return true
	}
	w.waitDrain.Store(false)
	return false
}

// state is what probe found at a path.
type state struct {
	doc bool // a document: included, and a regular file (or a link to one inside the root)
	v   safefile.Version
	fp  fingerprint
	err error // the state is unknown (permissions, I/O)
}

// probe looks at rel on disk. Disk is the truth: whatever the events said,
// this decides between Changed, Removed and nothing.
func (w *Watcher) probe(f *scan.Filter, rel string) state {
	if !candidate(f, rel) {
		return state{}
	}
	name := filepath.FromSlash(rel)
	fi, err := safefile.Lstat(w.root, rel)
	if err != nil {
		if gone(err) {
			return state{}
		}
		return state{err: err}
	}
	link := fi.Mode()&fs.ModeSymlink != 0
	if link {
		// A link is a document when it leads to a regular file inside the
		// root; a dangling one (an emacs lock) or one that escapes is not.
		if fi, err = w.root.Stat(name); err != nil {
			return state{}
		}
	}
	if !fi.Mode().IsRegular() {
		return state{}
	}
	v := safefile.VersionOf(fi)
	return state{doc: true, v: v, fp: fingerprintOf(v, link, time.Now())}
}

// resolve decides what to report for a settled path, and records its state.
func (w *Watcher) resolve(p pending) (Change, bool) {
	if p.ignore {
		w.refilter()
	}
	w.mu.Lock()
	f := w.filter
	sup, armed := w.suppress[p.rel]
	w.mu.Unlock()
	armed = armed && time.Now().Before(sup.until)
	// A path the engine wrote a moment ago: one open tells both what it is
	// and whether it holds that write (probeOwn). Anything else is probed,
	// a link among them: a hash, which opens without following it, could
	// not have found the write there either.
	st, own, probed := w.probeOwn(f, p.rel, armed, sup.hash)
	if !probed {
		st = w.probe(f, p.rel)
	}
	if st.err != nil {
		w.warnOnce(p.rel, "cannot inspect file; it is retried at the next event or rescan", st.err)
		return Change{}, false
	}
	c := Change{Rel: p.rel, Reason: p.reason, Seen: p.first}

	w.mu.Lock()
	old, had := w.knownGetLocked(p.rel)
	if !st.doc {
		if had {
			w.knownDelLocked(p.rel)
		}
		w.mu.Unlock()
		// Only a path that was a document can be removed; a temp file
		// that came and went never existed for the consumer.
		c.Op = Removed
		return c, had
	}
	w.knownSetLocked(p.rel, st.fp)
	w.mu.Unlock()

	if p.verify && had && old.same(st.fp) {
		if !old.racy() {
			return Change{}, false
		}
		if st.fp.racy() {
			// The file may still change within its mtime's timestamp
			// tick without its fingerprint showing it: decide once the
			// tick is surely over.
			w.mu.Lock()
			mtime := time.Unix(0, st.v.ModTime)
			w.recheckLocked(p.rel, mtime.Add(racyWindow(mtime)), p.reason)
			w.mu.Unlock()
			return Change{}, false
		}
		// Unchanged, but it was recorded within its mtime's tick: a
		// change hidden in that tick is possible, so report it, once.
	}
	if probed && own {
		w.suppressed.Add(1)
		return Change{}, false
	}
	c.Op = Changed
	c.Version = st.v
	return c, true
}

// recheckLocked queues a verification of rel due at the time at.
func (w *Watcher) recheckLocked(rel string, at time.Time, reason Reason) {
	// The coalescer reports a path settle after its last event: an event
	// dated settle before at makes it due at at.
	w.addLocked(rel, at.Add(-w.opts.Settle), reason, true, false)
}

// refilter rebuilds the filter after an ignore file changed, and rescans.
func (w *Watcher) refilter() {
	if w.opts.Refilter == nil {
		w.log.Info("an ignore file changed; it applies when the watcher restarts")
		return
	}
	f, err := w.opts.Refilter()
	if err != nil {
		w.log.Warn("an ignore file changed but the new filter cannot be built; keeping the old one", "err", err)
		return
	}
	w.mu.Lock()
	w.filter = f
	w.pushLocked(&session{reason: ReasonRescan, verify: true, full: true}, "")
	w.mu.Unlock()
}

// knownGetLocked returns the recorded state of document rel.
func (w *Watcher) knownGetLocked(rel string) (fingerprint, bool) { return w.known.Get(rel) }

// isKnownLocked reports whether rel is a known document.
func (w *Watcher) isKnownLocked(rel string) bool {
	_, ok := w.known.Get(rel)
	return ok
}

// knownSetLocked records the state of document rel.
func (w *Watcher) knownSetLocked(rel string, fp fingerprint) { w.known.Set(rel, fp) }

// knownDelLocked forgets document rel.
func (w *Watcher) knownDelLocked(rel string) { w.known.Delete(rel) }
