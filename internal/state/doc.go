// Package state keeps the daemon's persisted file index: for every document of
// a root, the stamp (safefile.Stamp: a digest of size, times and inode) of
// the version it had when the engine last finished with it. On start the daemon compares the disk against it to find
// exactly the files that changed while it was down (catch-up). One-shot runs
// (`scribe run`) use the same index to tell files edited since the last run
// (origin "user") from files Scribe has no news of (origin "scan").
//
// The index is a cache of disk state, never the truth: losing it (or a crash
// before a save) only means more files are looked at again, and rules are
// idempotent. It is saved atomically (temp file, fsync, rename, directory
// fsync), with a checksum: a damaged index is dropped, not half-read.
//
// # Memory
//
// An entry is a file's name and eight bytes, grouped by directory, so that
// a million files cost tens of megabytes, not the hundreds a map of whole
// paths to whole versions took.
//
// # Concurrency
//
// An Index is safe for concurrent use. Save may run while workers update it.
package state
