package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"

	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/scan"
)

// ctxCheckEvery is how many entries of one directory pass between two checks
// of the context.
const ctxCheckEvery = 256

// session is one crawl: the first one, a rescan, the listing of a new
// directory, or a poll of the directories that could not be watched.
type session struct {
	reason Reason
	// verify reports only documents whose fingerprint changed, and checks
	// the known documents of each listed directory that were not listed.
	verify bool
	// full covers the whole root: at the end, known documents of
	// directories the crawl did not reach are checked too.
	full bool
	// newGen is the first crawl with a new kernel watcher: Sync calls
	// waiting when it watches the root are released when it completes.
	newGen  bool
	initial bool
	// quiet records the documents found without reporting them.
	quiet bool
	// poll lists directories without descending into watched ones.
	poll bool

	outstanding int                 // directories queued or being listed
	visited     map[string]struct{} // for full sessions
	release     []chan struct{}     // closed when the session completes
}

// job is one directory of a session.
type job struct {
	rel string
	s   *session
}

// pushLocked queues directory rel for crawling in session s.
func (w *Watcher) pushLocked(s *session, rel string) {
	if s.full && s.visited == nil {
		s.visited = make(map[string]struct{})
	}
	s.outstanding++
	w.jobs = append(w.jobs, job{rel: rel, s: s})
	kick(w.wakeCrawl)
}

// crawler runs crawl jobs one at a time, depth first, until ctx is done. It
// also starts periodic rescans and polls. New directories reported by the
// drain goroutine go on top of the stack, so they are watched promptly even
// during a long rescan. It returns an error when the root is gone, which it
// checks at every poll tick: the kernel reports the removal of the root only
// once the last open descriptor of it is closed, and the watcher holds one.
func (w *Watcher) crawler(ctx context.Context) error {
	var rescan <-chan time.Time
	if w.opts.Rescan > 0 {
		t := time.NewTicker(w.opts.Rescan)
		defer t.Stop()
		rescan = t.C
	}
	poll := time.NewTicker(w.opts.Poll)
	defer poll.Stop()
	for {
		w.mu.Lock()
		if n := len(w.jobs); n > 0 {
			j := w.jobs[n-1]
			w.jobs[n-1] = job{}
			w.jobs = w.jobs[:n-1]
			w.busy = true
			w.mu.Unlock()
			w.crawl(ctx, j)
			w.mu.Lock()
			w.busy = false
			w.finishLocked(j.s)
			w.mu.Unlock()
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if cap(w.jobs) > shrinkAbove {
			w.jobs = nil
		}
		for _, ch := range w.idle {
			close(ch)
		}
		w.idle = nil
		w.mu.Unlock()

		select {
		case <-ctx.Done():
			return nil
		case <-w.wakeCrawl:
		case <-w.rescanReq:
			w.pushFull(ReasonRescan)
		case <-rescan:
			w.pushFull(ReasonRescan)
		case <-poll.C:
			if !w.rootIntact() {
				return fmt.Errorf("watch root %s was removed or moved away; recreate it and restart scribe", w.rootDir)
			}
			w.mu.Lock()
			if len(w.unwatched) > 0 {
				s := &session{reason: ReasonPoll, verify: true, poll: true}
				for d := range w.unwatched {
					w.pushLocked(s, d)
				}
			}
			w.mu.Unlock()
		}
	}
}

// pushFull queues a full rescan.
func (w *Watcher) pushFull(reason Reason) {
	w.mu.Lock()
	w.pushLocked(&session{reason: reason, verify: true, full: true}, "")
	w.mu.Unlock()
}

// finishLocked accounts for one finished job of s and completes s when it was
// the last.
func (w *Watcher) finishLocked(s *session) {
	s.outstanding--
	if s.outstanding > 0 {
		return
	}
	if s.full {
		now := time.Now()
		for d := range w.known.Dirs() {
			if _, ok := s.visited[d]; ok {
				continue
			}
			for n := range w.known.InDir(d) {
				w.addLocked(join(d, n), now, s.reason, true, false)
			}
		}
		w.rescans.Add(1)
	}
	for _, ch := range s.release {
		close(ch)
	}
	s.release = nil
	if s.initial {
		close(w.ready)
	}
}

// crawl watches the directory of j, then lists it: documents go to the
// coalescer (or, for a quiet session, straight to the known set) and
// subdirectories become jobs of the same session.
func (w *Watcher) crawl(ctx context.Context, j job) {
	s := j.s
	w.mu.Lock()
	f := w.filter
	w.mu.Unlock()
	if j.rel != "" && f.ExcludedDir(j.rel) {
		return
	}
	w.mu.Lock()
	ok := w.watchDirLocked(j.rel, s)
	if !ok && s.verify {
		// The directory is gone: its known documents are checked.
		w.queueKnownLocked(j.rel, time.Now(), s.reason)
	}
	w.mu.Unlock()
	if !ok {
		return
	}

	// One handle on the directory: the listing, then (quiet sessions) one
	// fstatat per document relative to it, not a walk from the root each.
	dir, err := safefile.OpenDir(w.root, dirName(j.rel))
	if err != nil {
		w.warnOnce(j.rel, "cannot list directory; its documents are not seen until it can be read", err)
		return
	}
	defer dir.Close()
	entries, err := dir.List()
	if err != nil {
		w.warnOnce(j.rel, "cannot list directory; its documents are not seen until it can be read", err)
		if entries == nil {
			return
		}
	}
	var docs, subdirs []string
	for i, e := range entries {
		if i%ctxCheckEvery == ctxCheckEvery-1 && ctx.Err() != nil {
			return
		}
		rel := join(j.rel, e.Name())
		if e.Type().IsDir() {
			// A directory entry is never a symbolic link: links are not
			// followed.
			if !f.ExcludedDir(rel) {
				subdirs = append(subdirs, rel)
			}
			continue
		}
		if candidate(f, rel) {
			docs = append(docs, rel)
		}
	}
	var states []state
	if s.quiet {
		states = make([]state, len(docs))
		now := time.Now()
		for i, rel := range docs {
			states[i] = w.probeIn(dir, f, rel, now)
		}
	}

	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.visited != nil {
		s.visited[j.rel] = struct{}{}
	}
	for i, rel := range docs {
		if s.quiet {
			if states[i].doc {
				w.knownSetLocked(rel, states[i].fp)
			}
			continue
		}
		w.addLocked(rel, now, s.reason, s.verify, false)
	}
	if s.verify {
		if w.known.DirLen(j.rel) > 0 {
			listed := make(map[string]struct{}, len(docs))
			for _, rel := range docs {
				_, n := splitRel(rel)
				listed[n] = struct{}{}
			}
			for n := range w.known.InDir(j.rel) {
				if _, ok := listed[n]; !ok {
					w.addLocked(join(j.rel, n), now, s.reason, true, false)
				}
			}
		}
	}
	for _, d := range subdirs {
		if s.poll {
			// A poll lists the directories that cannot be watched, each
			// of which has its own job, and looks into new ones only.
			_, watched := w.watched[d]
			_, polled := w.unwatched[d]
			if watched || polled {
				continue
			}
		}
		w.pushLocked(s, d)
	}
}

// probeIn is probe for a document listed in dir (one fstatat): a symbolic
// link, rare in a vault, is resolved through the root as probe does.
func (w *Watcher) probeIn(dir *safefile.Dir, f *scan.Filter, rel string, now time.Time) state {
	_, name := splitRel(rel)
	mode, v, err := dir.Lstat(name)
	switch {
	case err != nil && gone(err):
		return state{}
	case err != nil:
		return state{err: err}
	case mode&fs.ModeSymlink != 0:
		return w.probe(f, rel)
	case !mode.IsRegular():
		return state{}
	}
	return state{doc: true, v: v, fp: fingerprintOf(v, false, now)}
}

// queueKnownLocked queues every known document at or below dir.
func (w *Watcher) queueKnownLocked(dir string, now time.Time, reason Reason) {
	for d := range w.known.Dirs() {
		if !under(d, dir) {
			continue
		}
		for n := range w.known.InDir(d) {
			w.addLocked(join(d, n), now, reason, true, false)
		}
	}
}

// watchDirLocked makes sure the directory rel is watched, and reports whether
// it is a real directory to list. A symbolic link is never watched or
// entered. When the watch limit is reached the directory is polled instead.
func (w *Watcher) watchDirLocked(rel string, s *session) bool {
	fi, err := w.root.Lstat(dirName(rel))
	if err != nil || !fi.IsDir() {
		if err != nil && !gone(err) {
			w.warnOnceLocked(rel, "cannot inspect directory", err)
		}
		if _, ok := w.unwatched[rel]; ok {
			delete(w.unwatched, rel)
			w.updateDegradedLocked()
		}
		return false
	}
	if rel == "" && s.newGen {
		// From here on, a cookie written in the root shows up through the
		// new watch; the ones written before may be lost, and this crawl
		// stands in for them.
		for name, ch := range w.cookies {
			s.release = append(s.release, ch)
			delete(w.cookies, name)
		}
	}
	if _, ok := w.watched[rel]; ok {
		return true
	}
	err = w.bk.be.Add(w.abs(rel))
	switch {
	case err == nil:
		w.watched[rel] = struct{}{}
		if _, ok := w.unwatched[rel]; ok {
			delete(w.unwatched, rel)
			w.updateDegradedLocked()
		}
	case errors.Is(err, syscall.ENOSPC):
		if _, ok := w.unwatched[rel]; !ok {
			w.unwatched[rel] = struct{}{}
			w.updateDegradedLocked()
		}
	case gone(err):
		return false
	default:
		w.warnOnceLocked(rel, "cannot watch directory; rescans still cover it", err)
	}
	return true
}

// dirName turns a directory rel into a name for os.Root.
func dirName(rel string) string {
	if rel == "" {
		return "."
	}
	return filepath.FromSlash(rel)
}

// gone reports whether err means the path does not exist (any more), as
// opposed to an error that leaves its state unknown (permissions, I/O).
func gone(err error) bool {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ELOOP):
		return true
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EIO), errors.Is(err, syscall.EMFILE),
		errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.ENOMEM), errors.Is(err, syscall.EINTR):
		return false
	}
	// What remains is os.Root refusing a path that escapes it (a component
	// was swapped for a symbolic link): not part of the tree.
	return true
}
