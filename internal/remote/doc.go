// Package remote spreads the rules of an owner daemon's files over worker
// processes on other machines (scale-out; doc/SCALE-OUT.md). The owner
// (`scribe watch` with engine.remote) keeps watching, queueing and
// writing; what moves is the middle of engine.ProcessChange, the rule loop
// on a file's content (engine.Compute), which needs no file system.
//
// # Flow
//
// The owner's engine reads a file and, when none of its rules needs the
// files (engine.Engine.Remote), calls Owner.Offload with the content: a job
// goes on the jobs stream (Nats-Msg-Id: the job id), its content inline up
// to InlineMax, in the object store beyond. Workers (Worker.Run: the
// `scribe worker` processes, and the owner's own engine.workers running
// the same code in-process) pull jobs, compute, and send the result to the
// owner as a request on the results subject; the owner hands it to the
// Offload call waiting for it and replies, and only then does the worker
// acknowledge the job. A result or a reply lost on the way leaves the job
// unacknowledged: it is redelivered and run again. The engine writes the
// result with its compare-and-swap against the content it read, and if the
// file changed meanwhile reads it again and sends a new job. A result whose
// job nobody waits for (a second one, or one for an owner that restarted)
// is dropped: a job is applied at most once, and the file event that made
// it stays unacknowledged on the owner until it is, so nothing is lost
// either.
//
// # The direct hand-off
//
// While the workers' heartbeats announce more slots than the owner has
// jobs out, Offload first offers an inline job on the direct subject, a
// core NATS request to the workers' queue group; the worker it reaches
// takes it (a free slot, the revision loaded) or answers busy, and
// anything but taken within OwnerOptions.DirectWait (50 ms) queues the job
// on the stream. A job taken so has no stored copy: the owner stands in
// for the stream, queueing it when its worker gives it back or sends no
// progress for AckWait (direct.go).
//
// # No worker
//
// The owner follows the workers' heartbeats. A job that no worker can run
// for OwnerOptions.Wait (none has a fresh heartbeat, or every one refuses
// its revision) is taken back (deleted from the stream) and Offload fails
// with engine.ErrNoWorker, which the engine turns into running the rules
// itself (Options.OffloadFallback) or a failure of the file. Jobs queued
// behind busy workers wait as long as it takes.
//
// # Revisions
//
// A job names the revision of the configuration it was made under: the
// sha256 of the configuration's bytes and of every plugin's digest
// (plugin.Set.Digests). The owner publishes each revision in a key-value
// bucket before it makes jobs under it; a worker fetches and loads a
// revision it does not have, and refuses (delayed nak, reported in its
// heartbeat and its log) one it cannot load or whose plugins differ from
// its own: a job never runs under other rules.
//
// # Liveness
//
// A worker sends progress on each job it holds every AckWait/3, so a slow
// job is not redelivered; a worker that dies stops, and its jobs are
// redelivered after AckWait. Every worker puts a heartbeat (id, host,
// capacity, jobs in flight and done) in a key-value bucket whose entries
// expire; Owner.Workers lists them for `scribe status`. While the owner
// waits for a job it calls the file event's heartbeat, so that event is
// not redelivered either.
//
// # What is on the server
//
// With the bus name N: stream N-jobs (subject N.jobs, work queue) and its
// durable consumer N-runners; the subjects N.direct (offers, core NATS
// requests to the workers' queue group) and N.results (core NATS requests
// to the owner, and a direct job's progress; nothing stored); key-value buckets N-config (revisions) and
// N-workers (heartbeats, entries expire); object store N-content
// (contents above InlineMax, deleted once the job is done, expiring after
// a day otherwise). All with the bus's replicas.
//
// # Concurrency
//
// An Owner is safe for concurrent use: Offload is called by the owner's
// file workers at once; Run receives results on one goroutine (the NATS
// subscription's) and follows heartbeats on another; both have ended
// when it returns. Worker.Run runs Concurrency pull loops, one heartbeat
// loop and a goroutine per direct job, all sharing Concurrency slots; all
// have ended when it returns.
package remote
