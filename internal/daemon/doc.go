// Package daemon wires Scribe's components into the long-running engine of
// `scribe watch`, and owns their lifecycle. It is the only package that imports
// everything.
//
// # Flow
//
// Watchers (one per root) report settled changes of documents. The daemon
// publishes each as a FileEvent on the bus (a JetStream work queue; subjects
// never carry file names, and the message id de-duplicates repeats of the same
// file version). Workers pull events, run the engine on the file, journal the
// write, update the persisted file index and acknowledge only after the write is
// durable. Failures are retried with backoff by the bus and, after the rule's
// retries, land in the dead-letter stream.
//
// # Start and stop
//
// Start order: bus → journal and file index → workers → watchers (their first
// crawl records the tree) → catch-up (disk compared with the file index; what
// changed while the daemon was down is queued) → HTTP ready. Watchers start
// before the catch-up scan so that no change can fall between the two.
// Shutdown runs in reverse: HTTP readiness drops, watchers stop, workers finish
// the files in flight (within the grace period), the file index is saved, the
// journal and the bus close.
//
// # Concurrency
//
// Every component runs as a goroutine of one errgroup under the daemon's
// context. Never two workers on one file: a per-path lock serialises them.
// Back-pressure: the watcher coalesces in its own map while the bus is slow;
// the bus holds the queue on disk; workers pull at most engine.workers events.
// The rule set is swapped atomically on reload; a file in flight finishes with
// the rules it started with.
package daemon
