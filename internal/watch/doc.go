// Package watch turns kernel file events under one root into settled,
// level-triggered changes of documents: "rel now exists with new content" or
// "rel is no longer a document".
//
// Events are hints and disk is the truth. Every reported path is looked at
// on disk when it is due; a rescan (at start, after a kernel queue overflow,
// periodically, and on request) finds what events missed by comparing each
// document's fingerprint (inode, size, mtime, ctime) with the last one seen.
//
// # Usage
//
//	w, err := watch.New(watch.Options{Root: abs, FS: root, Filter: f, Logger: log})
//	if err != nil { ... }
//	go func() { errc <- w.Run(ctx) }()
//	for c := range w.Changes() {
//		// c.Rel, c.Op (Changed or Removed), c.Reason
//	}
//
// The engine calls Suppress(rel, sha256(newContent)) just before it writes a
// file, so that its own write does not come back as a change.
// A consumer that could not act on a change (its queue refused the event)
// calls Forget(rel): the next rescan then reports rel again, where it would
// otherwise find the version it already reported.
//
// # What is reported
//
// Only documents: paths the scan.Filter includes, minus the scratch files of
// editors and of Scribe itself (vim's 4913 probe, name~ backups and .swp
// files, emacs .#locks and #autosaves#, JetBrains ___jb_tmp___, .scribe-*),
// whatever the include globs say. A document is a regular file, or a symbolic
// link to a regular file inside the root; links are never followed while
// walking or watching, and a directory reached through one is not watched.
//
// Events of a path are coalesced: the change is reported Settle after its
// last event, but never later than MaxWait after its first, so a file written
// continuously is still reported. An editor's save (in place, write temp and
// rename, vim's rename-to-backup dance) is therefore one change of the real
// path, and a path that appears and disappears within the settle time is not
// reported at all. Removed is reported only for a path that was a document
// before (reported, or found by a crawl).
//
// A directory that is created or moved in is watched first and listed
// second, and its documents are reported, so files written into it before the
// watch existed are not lost. Such a listing, as a rescan does, leaves out a
// document whose fingerprint is the one already reported: a tree made at once
// is listed from its parent and again for its creation event, which may come
// after its files were reported. A directory removed or moved away has its
// watches, and those of every directory below it, dropped at once (inotify
// would otherwise go on reporting events under the old path) and its known
// documents reported as removed.
//
// Kernel queue overflow (fsnotify.ErrEventOverflow) replaces the kernel
// watcher with a new one and rescans the root (ReasonOverflow), counted in
// Stats.Overflows. When the per-user inotify watch limit is reached, the
// directories that could not be watched are listed every Options.Poll
// instead, and Stats.Degraded says so with the sysctl command that fixes it;
// the watcher retries the watch at each poll.
//
// A rescan trusts an unchanged fingerprint except for a file recorded within
// its mtime's timestamp tick (git's "racy git" case: a same-size edit in the
// same tick changes nothing the fingerprint sees); such a file is checked
// again once the tick is over and reported then, so a rescan may report a
// file that was written just before its state was recorded a second time.
//
// The kernel reports the removal of the root itself only once the last
// descriptor of it is closed, and the watcher holds one; so Run also checks
// at every Poll tick that the root path still names the directory it opened,
// and returns an error when it does not.
//
// fsnotify does not expose inotify's IN_CLOSE_WRITE on its public API, so the
// settle time alone decides when a burst is over. It must exceed the
// scheduling delays of the machine, or a save can be split in two bursts.
//
// Paths that are not valid UTF-8 are never documents (scan.Filter rejects
// them), so the watcher ignores them.
//
// # Concurrency
//
// Run starts four goroutines and waits for them before it returns:
//
//   - drain receives fsnotify's events. It never waits on the consumer or on
//     a crawl: per event it updates a map under the watcher's mutex, lstats a
//     created entry, or removes the watches of a vanished directory. A stalled
//     consumer therefore never stalls the kernel queue.
//   - the error forwarder turns fsnotify's errors into an overflow signal. It
//     takes no lock, because fsnotify sends some errors while holding its own.
//   - the crawler lists directories (new ones, rescans, polls), one job at a
//     time, depth first; new directories jump the queue.
//   - the emitter sleeps until the earliest due path, looks at it on disk,
//     and sends the Change, blocking on the consumer while the others go on.
//     While it blocks, further events of every path, the one in hand
//     included, are coalesced in the map (one entry per path), so the memory
//     used is bounded by the number of paths and the latest state of a path
//     is never dropped.
//
// Adding or removing a watch happens under the mutex together with the
// watched-set update, so a directory rename cannot slip between them. The
// Changes channel is unbuffered and closed when Run returns. Suppress,
// Forget, Sync, Rescan and Stats are safe to call from any goroutine; Sync
// needs Run.
package watch
