package watch

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/scribe-md/scribe/internal/pathmap"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/scan"
)

// drain receives kernel events until ctx is done. It does only quick work
// per event (a map update, an lstat for a created entry, removing the watches
// of a vanished directory) and hands everything slow to the crawler and the
// emitter, so the kernel queue is emptied as fast as it fills.
func (w *Watcher) drain(ctx context.Context) error {
	w.mu.Lock()
	k := w.bk
	w.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-k.overflow:
			k = w.restart(k)
		case ev, ok := <-k.be.Events():
			if !ok {
				return fmt.Errorf("watch %s: the kernel watcher stopped unexpectedly; restart scribe", w.rootDir)
			}
			if w.drainHook != nil {
				w.drainHook(ev)
			}
			if err := w.handle(ev); err != nil {
				return err
			}
			if w.waitDrain.Load() && len(k.be.Events()) == 0 {
				// Caught up: the emitter may flush what is due.
				w.waitDrain.Store(false)
				kick(w.wakeEmit)
			}
		}
	}
}

// handle turns one kernel event into work.
func (w *Watcher) handle(ev fsnotify.Event) error {
	w.events.Add(1)
	rel, ok := w.relOf(ev.Name)
	if !ok {
		return nil
	}
	gone := ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
	if rel == "" {
		// The root's own watch reports its removal only when the last
		// descriptor of it closes, and the watcher holds one; so any
		// event of the root is a cue to check that its path still names
		// the same directory (the crawler also checks at every poll).
		if gone || !w.rootIntact() {
			return fmt.Errorf("watch root %s was removed or moved away; recreate it and restart scribe", w.rootDir)
		}
		return nil
	}
	name := path.Base(rel)
	if strings.HasPrefix(name, cookiePrefix) {
		if ev.Has(fsnotify.Create) && !strings.Contains(rel, "/") {
			w.cookieSeen(name)
		}
		return nil
	}
	now := time.Now()
	if gone {
		w.mu.Lock()
		if w.isDirLocked(rel) {
			w.dropSubtreeLocked(rel, now)
		}
		w.mu.Unlock()
	}
	// A created name may be a directory to watch; Scribe's own temporary
	// files (one per write the engine makes) never are, and need no stat.
	// A name known as a document is looked at too: the directory must be
	// watched before Sync returns, which a look when the name settles
	// would be too late for. The look is one lstat(2) of the event's
	// absolute path, where a stat below the root (safefile.Lstat) takes
	// three calls: it only tells the crawler to look, and the crawler
	// opens the directory below the root itself.
	if ev.Has(fsnotify.Create) && !strings.HasPrefix(name, safefile.TempPrefix) {
		if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
			// A new or moved-in directory: the crawler watches it, then
			// lists it, and reports what it holds unless it reported it
			// as it is (verify). A tree made at once is listed twice,
			// from its parent's listing and for this event; an event
			// that comes later than the settle time (a loaded machine)
			// would otherwise report its files again.
			w.mu.Lock()
			f := w.filter
			w.mu.Unlock()
			if !f.ExcludedDir(rel) {
				w.mu.Lock()
				w.pushLocked(&session{reason: ReasonEvent, verify: true}, rel)
				w.mu.Unlock()
			}
			return nil
		}
	}
	if ev.Op == fsnotify.Chmod {
		// Attributes only: the content did not change.
		return nil
	}
	w.notePath(rel, now, ReasonEvent, false, scan.IsIgnoreFile(name))
	return nil
}

// relOf returns the slash-separated path of name relative to the root ("" for
// the root itself), and false for a name outside it.
func (w *Watcher) relOf(name string) (string, bool) {
	if name == w.rootDir {
		return "", true
	}
	if !strings.HasPrefix(name, w.prefix) {
		return "", false
	}
	rel := filepath.ToSlash(name[len(w.prefix):])
	if !safefile.ValidRel(rel) {
		// Not a clean path below the root: nothing the watcher tracks.
		// (A name that is not UTF-8 is tracked like any other.)
		return "", false
	}
	return rel, true
}

// abs returns the absolute path of rel.
func (w *Watcher) abs(rel string) string {
	if rel == "" {
		return w.rootDir
	}
	return w.prefix + filepath.FromSlash(rel)
}

// notePath queues rel for reporting if it is a document or was one. ignore
// marks an ignore file, which rebuilds the filter when it settles.
func (w *Watcher) notePath(rel string, now time.Time, reason Reason, verify, ignore bool) {
	w.mu.Lock()
	f := w.filter
	w.mu.Unlock()
	cand := candidate(f, rel)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !cand && !ignore && !w.isKnownLocked(rel) {
		return
	}
	w.addLocked(rel, now, reason, verify, ignore)
}

// addLocked queues rel in the coalescer and wakes the emitter if rel is due
// before the emitter's timer.
func (w *Watcher) addLocked(rel string, now time.Time, reason Reason, verify, ignore bool) {
	due := w.co.add(rel, now, reason, verify, ignore)
	if w.armed.IsZero() || due.Before(w.armed) {
		kick(w.wakeEmit)
	}
}

// isDirLocked reports whether rel is a directory the watcher knows: watched,
// polled, or holding known documents.
func (w *Watcher) isDirLocked(rel string) bool {
	if _, ok := w.watched[rel]; ok {
		return true
	}
	if _, ok := w.unwatched[rel]; ok {
		return true
	}
	return w.known.DirLen(rel) > 0
}

// dropSubtreeLocked forgets the directory rel, which was removed or renamed
// away: it removes the watches of rel and of every directory below it (a
// renamed directory keeps its inode, so its sub-watches would otherwise go on
// reporting events under the old path), and queues every known document
// below it, which the emitter reports as removed unless it is back.
func (w *Watcher) dropSubtreeLocked(rel string, now time.Time) {
	for d := range w.watched {
		if under(d, rel) {
			// Errors are expected: the kernel drops the watch of a deleted
			// directory by itself.
			_ = w.bk.be.Remove(w.abs(d))
			delete(w.watched, d)
		}
	}
	for d := range w.unwatched {
		if under(d, rel) {
			delete(w.unwatched, d)
		}
	}
	w.updateDegradedLocked()
	for d := range w.known.Dirs() {
		if !under(d, rel) {
			continue
		}
		for n := range w.known.InDir(d) {
			w.addLocked(join(d, n), now, ReasonEvent, true, false)
		}
	}
}

// candidate reports whether rel may be a document: the filter includes it and
// it is not an editor's or Scribe's scratch file.
func candidate(f *scan.Filter, rel string) bool {
	return !transient(path.Base(rel)) && f.Included(rel)
}

// under reports whether p is dir or lies below it ("" is the root, above
// everything).
func under(p, dir string) bool {
	if dir == "" {
		return true
	}
	return p == dir || (len(p) > len(dir) && p[len(dir)] == '/' && p[:len(dir)] == dir)
}

// join joins a directory ("" for the root) and a name.
func join(dir, name string) string { return pathmap.Join(dir, name) }

// splitRel splits rel into its directory ("" at the top) and name.
func splitRel(rel string) (dir, name string) { return pathmap.Split(rel) }

// rootIntact reports whether the root path still names the directory the
// watcher opened.
func (w *Watcher) rootIntact() bool {
	byPath, err := os.Stat(w.rootDir)
	if err != nil {
		return !gone(err)
	}
	opened, err := w.root.Stat(".")
	if err != nil {
		return !gone(err)
	}
	return os.SameFile(byPath, opened)
}
