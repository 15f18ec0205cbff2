// Package bus carries Scribe's work over NATS JetStream: the watcher publishes
// "file X of root R may have changed", workers pull those events, process the
// file and acknowledge only once the effect is durable; events that keep
// failing end in a dead-letter stream that `scribe status` lists and an
// operator can retry. Action events go out on their own stream.
//
// By default the server is embedded: no network listener, in-process
// connections, its store under the daemon's state_dir, hard memory and store
// limits, every write fsynced. With Options.URL it connects to an external
// server or cluster instead, so that daemons on several machines share the
// work.
//
// # Usage
//
//	b, err := bus.Open(ctx, bus.Options{StoreDir: filepath.Join(stateDir, "nats"), Logger: log})
//	if err != nil { ... }
//	defer b.Close(context.Background())
//
//	// watcher
//	err = b.PublishFile(ctx, bus.FileEvent{Root: root, Path: rel, Reason: bus.ReasonEvent},
//		root+"\x00"+rel+"\x00"+size+"\x00"+mtime)
//
//	// workers
//	err = b.Consume(ctx, workers, func(ctx context.Context, ev bus.FileEvent, heartbeat func()) error {
//		return engine.Process(ctx, ev.Root, ev.Path) // nil only once the write is durable
//	})
//
//	// status
//	depth, _ := b.Pending(ctx)
//	dead, _ := b.DeadLetters(ctx)
//	err = b.RetryDeadLetter(ctx, dead[0].ID)
//	n, _ := b.DeadLetterCount(ctx)
//	_, err = b.ClearDeadLetter(ctx, root, rel) // the file succeeded
//
// # What is on the server
//
// With the default Name "scribe":
//
//   - stream scribe-files, subjects scribe.files.<shard> (live events) and
//     scribe.bulk.<shard> (bulk ones: a catch-up, a rescan, a git
//     operation's changes): a work queue of FileEvents in the file store. The shard is two hex digits of a SHA-256 of
//     root and path, so no byte of a file name ever reaches a subject (names
//     may hold '.', '*', '>', spaces, NUL, invalid UTF-8; the event body
//     carries them intact). Duplicates window 2 minutes: PublishFile's dedupID
//     is hashed into Nats-Msg-Id. Discard new: a full store refuses
//     publishes (ErrStorageFull) rather than dropping queued work.
//   - durable pull consumers scribe-workers (live) and scribe-bulk: explicit
//     acks, AckWait, MaxDeliver, MaxAckPending. Deliberately no consumer
//     BackOff, which would silently replace AckWait; failures are delayed
//     with NakWithDelay. Workers take a live event whenever one waits, so an
//     edit never queues behind a catch-up of a whole tree.
//   - stream scribe-dlq, subjects scribe.dlq.<file>: dead letters, the
//     original event bytes plus Scribe-Error, Scribe-Deliveries,
//     Scribe-Source-Seq and (when the handler named it with FailedRule)
//     Scribe-Rule headers; bounded by count, oldest dropped first. <file> is
//     32 hex digits of a SHA-256 of root and path, and the stream keeps one
//     message per subject: a file has at most one dead letter, its latest.
//     ClearDeadLetter purges a file's subject; the Bus remembers which
//     subjects hold one (read at Open, updated as it makes and removes
//     them), so that clearing a file with none costs no request.
//   - stream scribe-events, subjects scribe.events.<type>: action events, in
//     memory, bounded by age and size (notifications, not state).
//
// # Delivery and dead letters
//
// JetStream delivers at least once; handlers must be idempotent (the engine's
// compare-and-swap write makes a repeated event a no-op). The handler's result
// decides:
//
//   - nil: Ack, without waiting for the server's confirmation; the event
//     leaves the queue. The effect is durable before the ack is sent, so an
//     ack lost on the way (a dropped connection) only costs a redelivery the
//     handler finds nothing to do for; waiting for the confirmation would
//     hold a handler slot for a round trip per event.
//   - an error: NakWithDelay(BackOff[n-1]) after the n-th delivery, and the
//     error is remembered (in memory, per stream sequence).
//   - an error on the last delivery (MaxDeliver), an error marked with
//     Permanent, or an event that cannot be decoded: the worker publishes it
//     to the dead-letter stream with the error, then acknowledges it.
//   - no answer within AckWait (handler hung without heartbeats, worker died):
//     the server redelivers; after MaxDeliver it emits the MAX_DELIVERIES
//     advisory ($JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>).
//     A mover, subscribed in a queue group so that one daemon of a cluster
//     acts, fetches the event by sequence, publishes it to the dead-letter
//     stream (with the remembered error, if this process saw one) and deletes
//     it from the queue.
//
// # Hand-offs
//
// With Options.HandOff (the daemon sets it), PublishFile hands a live event
// to a handler of this process's Consume that is free at that moment,
// without the server; otherwise the event is stored as above, a watcher's
// change (ReasonEvent) after waiting up to Options.HandOffWait for a handler
// to free up. An event
// handed off is counted by Pending until settled; a failure stores it
// after the first back-off delay, counted as its first delivery
// (FileEvent.EarlierFailures), a failure for good dead-letters it, an
// interrupted handler stores it at once; live events are deduplicated by
// the bus within the Duplicates window, whichever way they went. See
// direct.go.
//
// Every path publishes the dead letter with a Nats-Msg-Id derived from the
// queue sequence before removing the original, so a crash in between leaves a
// duplicate that the window drops, never a loss. An advisory sent while
// nobody listened (the embedded server restores its consumers before Open
// subscribes) leaves an orphan: stored, never delivered again. Open sweeps
// those into the dead-letter stream, with the embedded server only, before
// anything else connects (see recoverOrphans for the exact rule and its gap).
//
// # Trace context
//
// PublishFile adds the W3C trace context of its ctx's span (traceparent,
// tracestate) as message headers; the handler's ctx carries it as a remote
// span context, so that the worker's spans join the trace of the change
// that queued the event. Without a span nothing is added.
//
// # Durability
//
// The embedded server runs with SyncAlways unless Options.SyncInterval is set:
// nats-server's default fsyncs every 2 minutes, and acknowledged messages can
// then be lost in an OS crash. SyncAlways is server-wide (nats-server has no
// per-stream setting), so the dead-letter stream gets it too; action events
// avoid it by living in memory. Even so, the bus is not the source of truth:
// the files are, and the daemon's startup and periodic rescans republish
// whatever the bus lost. BenchmarkPublishConsume measures the cost.
//
// # Concurrency
//
// A Bus is safe for concurrent use. Open and Close are the only lifecycle
// calls: Close stops every Consume (their handlers' context is cancelled and
// Close waits for them while its ctx allows), stops the dead-letter mover,
// drains the connection, and shuts the embedded server down (Shutdown then
// WaitForShutdown). Later calls return ErrClosed.
//
// Consume owns its goroutines: one pull loop, a fetcher per consumer,
// handler goroutines, and a small watcher of Close; all have ended when it
// returns. At most concurrency events are handled at once. A handler
// goroutine takes the next event when one is waiting and exits after a
// second without one, so that a busy queue is served by goroutines whose
// stacks have grown already; one is started when none is free, so their
// number can briefly exceed concurrency (by those releasing their slot at
// that moment), never twice it. Each pull iterator buffers a few events per
// handler ahead (a pull request per event would set the pace);
// back-pressure: nothing more is pulled while those wait. A pull request
// lost on the way is noticed by its missing heartbeats (one every
// pullHeartbeat) and made again. A stopping Consume
// gives back the events it holds unhandled only once its iterators are
// closed, so that a stop costs an event one delivery.
// Handlers run concurrently, in no particular order; events of one file are
// not serialised by the bus. The heartbeat function passed to a handler may be
// called from any goroutine.
//
// Open starts one goroutine (the dead-letter mover) besides those of the NATS
// client and server; Close ends them all.
package bus
