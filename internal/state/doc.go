// Package state keeps the daemon's persisted file index: for every document of
// a root, the size, times, inode and content hash it had when the engine last
// finished with it. On start the daemon compares the disk against it to find
// exactly the files that changed while it was down (catch-up). One-shot runs
// (`scribe run`) use the same index to tell files edited since the last run
// (origin "user") from files Scribe has no news of (origin "scan").
//
// The index is a cache of disk state, never the truth: losing it (or a crash
// before a save) only means more files are looked at again, and rules are
// idempotent. It is saved atomically (temp file, fsync, rename, directory fsync).
//
// # Concurrency
//
// An Index is safe for concurrent use. Save may run while workers update it.
package state
