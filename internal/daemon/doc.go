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
// Alive tells a live daemon from a wedged one (its state lock can be taken
// and the bus answers, within the caller's deadline); /healthz and the
// systemd watchdog pings of `scribe watch` use it.
//
// # Concurrency
//
// Every component runs as a goroutine of one errgroup under the daemon's
// context. Never two workers on one file: a per-path lock serialises them.
// Back-pressure: the watcher coalesces in its own map while the bus is slow
// (its changes wait up to handOffWait for a free worker, then go to the
// queue); the bus holds the queue on disk; workers hold at most
// filesPerWorker events each, and run rules on engine.workers at once.
// The rule set is swapped atomically on reload; a file in flight finishes with
// the rules it started with. What the components read only when they start
// (the watcher's filter and timing, the bus, the listener) waits for the
// next start, and a reload that changes it names it (atNextStart).
//
// # HTTP
//
// The API listens on http.listen (TCP, TLS or a unix socket) behind an
// httpapi.Guard: Host check, cross-origin protection, and the API token,
// which Run writes to the token file (mode 0600) on first use and keeps. An
// address other machines can reach is refused unless the configuration
// names a token file or TLS, and logged as a warning when allowed
// (doc/SECURITY.md). The dashboard (package dashboard) is served in front of
// the API; on TCP the Guard also takes the dashboard's login links and
// cookies, and Options.Dashboard gets the first link to print. The hub hands
// every event to the dashboard's Activity synchronously; its Run goroutine
// reads the queue depth after activity only.
//
// # Idle
//
// Nothing runs on a short timer when nothing changes: the finisher sleeps
// until a worker marks a batch, an API pause or resume wakes the workers
// through a channel (only the .scribe-pause files are polled, once a
// second), and memory is compared with engine.memory_budget after batches.
// The package sets no soft memory limit of its own: `scribe watch` applies
// gctune.Daemon, a limit that follows the live heap, and the catch-up runs
// in a gctune.Lean span, on a lower floor, until a worker has taken the last
// file it queued.
//
// # Pause, retries and dead letters
//
// A pause (the API's, or a .scribe-pause file in a root) stops the workers:
// files in flight finish, events not yet started go back to the queue, and
// nothing is pulled until the resume, so no event waits out its ack wait in
// a client buffer. Changes keep being queued meanwhile.
//
// A file is tried once plus the largest on_error.retries of any rule; the
// failures are counted per event by the workers, because the bus's delivery
// count also holds redeliveries the rules never failed (a worker interrupted
// by a pause or a shutdown, a crash). The bus allows a few such deliveries
// on top, so they do not send a file to the dead letters. The catch-up at
// start queues every file that changed since the file index, even a version
// the previous run had already queued: what the bus lost is found again.
//
// # What it tells
//
// At info level: a line at start (roots, rules, the dashboard's URL), when
// ready, paused and resumed (logStopped, from the workers' loop), reloaded;
// each new finding once, with its place (recordFindings; the findings store
// decides what is new), and every line about a file names it. The current
// findings per file live in a findings.Store, saved with the file index and
// served at /api/v1/findings; dead letters are one per file, cleared when
// the file later succeeds, grouped by rule and error in the status.
//
// # Traces
//
// With Options.Tracing on, a change is one trace: "watch change" (started at
// the watcher's first sight) → "bus publish" → "bus process" (its parent
// arrives through the bus as a remote span context) → the engine's spans.
// Off, no span is started at all.
package daemon
