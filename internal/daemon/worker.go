package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/pathmap"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/state"
	"github.com/scribe-md/scribe/internal/telemetry"
	"github.com/scribe-md/scribe/internal/watch"
)

// forward turns a watcher's settled changes into bus events, with
// forwardPublishers goroutines that each take the next change: a publish
// waits for the server's acknowledgement, and a burst of changes would
// queue behind one another (order does not matter: an event only says
// "look at this path"). They are kept for the daemon's life rather than
// started per change, which cost a goroutine's start, exit and stack growth
// for each save.
func (d *Daemon) forward(ctx context.Context, rs *rootState) error {
	var wg sync.WaitGroup
	for range forwardPublishers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case ch, ok := <-rs.watcher.Changes():
					if !ok {
						return
					}
					d.forwardChange(ctx, rs, ch)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// forwardChange queues one of the watcher's changes.
func (d *Daemon) forwardChange(ctx context.Context, rs *rootState, ch watch.Change) {
	d.metrics.events.WithLabelValues(string(ch.Reason)).Inc()
	if ch.Op == watch.Removed {
		d.removed(rs, ch.Rel)
		return
	}
	reason := bus.ReasonEvent
	if ch.Reason != watch.ReasonEvent {
		reason = bus.ReasonRescan
	}
	// A change's trace starts when the watcher first saw it.
	sctx, span := d.fileSpan(ctx, "watch change", trace.SpanKindInternal, ch.Seen, rs.root.Dir, ch.Rel, reason, 0)
	err := d.enqueue(sctx, rs, ch.Rel, reason, action.OriginUser, ch.Version, 0, ch.Seen)
	// A publish fails while a cluster elects a new leader for the queue (a
	// node lost): tried again, since the change would otherwise wait for
	// the next rescan. Given up on, it is forgotten by the watcher, which
	// has seen this version: the rescan reports it again.
	for wait, giveUp := 100*time.Millisecond, time.Now().Add(enqueueRetry); err != nil && ctx.Err() == nil && time.Now().Before(giveUp); wait = min(2*wait, 2*time.Second) {
		d.log.WarnContext(sctx, "queue file event; retrying", "path", ch.Rel, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			err = d.enqueue(sctx, rs, ch.Rel, reason, action.OriginUser, ch.Version, 0, ch.Seen)
		}
	}
	endSpan(span, err)
	if err != nil && ctx.Err() == nil {
		rs.watcher.Forget(ch.Rel)
		d.log.ErrorContext(sctx, "queue file event; the file is looked at again at the next rescan", "path", ch.Rel, "err", err)
	}
}

// forwardPublishers bounds the publishes in flight from one watcher.
const forwardPublishers = 16

// handOffWait is how long a watcher's change waits for a free worker
// before it is stored in the file queue (bus.Options.HandOffWait). A
// flood of 20,000 new files ran at 2,240–2,733 files/s through the queue
// and at 2,545–3,428 handed to workers as they freed up
// (doc/PERFORMANCE.md). Workers busy for longer than this (slow commands
// or plugins) get the changes through the queue, as before.
const handOffWait = 100 * time.Millisecond

// enqueueRetry is how long a change's publish is retried before the change
// is left to the next rescan (watch.Forget): longer than a cluster's leader
// election.
const enqueueRetry = 30 * time.Second

// enqueue publishes "rel may have changed", and where the change came from as
// far as the caller knows. v is the file's version as the caller saw it, or
// stamp its stamp when the caller holds only that (a catch-up compares the
// watcher's stamps); with neither, enqueue looks. A catch-up's event needs
// it too, so that a user's edit landing before a worker takes it is seen as
// an edit, not a scan; a bulk event goes with the stamp alone, which spares
// a catch-up a stat of every file through the root. The message id of a
// live event names the version (size, times, inode), so repeats of one
// version are stored once.
//
// A catch-up, a rescan, or a change made by a git operation is bulk work: it
// waits behind every live change (an edit), so that an edit made during a
// big catch-up or a checkout is processed at once. A file has at most one
// bulk event waiting: another bulk change of it is covered by that one (the
// worker reads the file as it is then), and a live one replaces it.
func (d *Daemon) enqueue(ctx context.Context, rs *rootState, rel, reason string, origin action.Origin, v safefile.Version, stamp safefile.Stamp, seen time.Time) error {
	if seen.IsZero() {
		seen = time.Now()
	}
	bulk := reason == bus.ReasonCatchup || reason == bus.ReasonRescan ||
		reason == bus.ReasonEvent && rs.repo != nil && rs.repo.ActiveAt(seen)
	if v == (safefile.Version{}) && (stamp == 0 || !bulk) {
		fi, err := safefile.Lstat(rs.root.FS, rel)
		if errors.Is(err, fs.ErrNotExist) {
			d.removed(rs, rel)
			return nil
		}
		if err != nil {
			return err
		}
		v, stamp = safefile.VersionOf(fi), 0
	}
	if bulk {
		if !rs.bulk.reserve(rel) {
			d.metrics.coalesced.Inc()
			return nil
		}
	} else if seq := rs.bulk.take(rel); seq != 0 {
		// The file's bulk event would only do again what this one does.
		if err := d.bus.DeleteFile(ctx, seq); err != nil {
			d.log.Warn("drop the bulk event of a file edited meanwhile", "path", rel, "err", err)
		}
	}
	// A bulk event needs no message id (the registry above keeps it to one
	// per file), which spares the server a deduplication entry per file of
	// a big catch-up.
	var id string
	if !bulk {
		id = fmt.Sprintf("%s\x00%s\x00%d.%d.%d.%d", rs.name, rel, v.Size, v.ModTime, v.ChangeTime, v.Ino)
		if reason == bus.ReasonRequeue {
			id += "\x00requeue\x00" + strconv.FormatInt(time.Now().UnixNano(), 10)
		}
	}
	pctx, span := d.fileSpan(ctx, "bus publish", trace.SpanKindProducer, time.Time{}, rs.root.Dir, rel, reason, 0)
	seq, err := d.bus.PublishFile(pctx, bus.FileEvent{Root: rs.name, Path: rel, Reason: reason, Origin: string(origin), Version: v, Stamp: stamp, Bulk: bulk, Time: seen}, id)
	endSpan(span, err)
	if bulk {
		rs.bulk.published(rel, seq, err)
	}
	return err
}

// bulkJobs remembers, per file of a root, the bulk event waiting in the
// queue (its stream sequence, 0 while its publish is in flight), from just
// before it is published until a worker starts it. An entry can only be
// missing when an event waits (a live change then publishes without dropping
// it: one more check, never a lost one), not the other way round.
type bulkJobs struct {
	mu    sync.Mutex
	m     pathmap.Map[uint64]
	freed chan struct{} // a signal for waitBelow: an entry went
}

// forgetLocked forgets rel and signals waitBelow.
func (b *bulkJobs) forgetLocked(rel string) {
	if b.m.Delete(rel) && b.freed != nil {
		select {
		case b.freed <- struct{}{}:
		default:
		}
	}
}

// waitBelow returns once fewer than n bulk events wait. One caller at a time
// (a root's catch-up).
func (b *bulkJobs) waitBelow(ctx context.Context, n int) error {
	for {
		b.mu.Lock()
		if b.freed == nil {
			b.freed = make(chan struct{}, 1)
		}
		short, freed := b.m.Len() < n, b.freed
		b.mu.Unlock()
		if short {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-freed:
		}
	}
}

// reserve records a bulk event about to be published for rel, unless one
// waits already.
func (b *bulkJobs) reserve(rel string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.m.Get(rel); ok {
		return false
	}
	b.m.Set(rel, 0)
	return true
}

// published records the sequence of rel's bulk event, or forgets it when the
// publish failed. A worker may have started the event already.
func (b *bulkJobs) published(rel string, seq uint64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, ok := b.m.Get(rel)
	switch {
	case !ok || cur != 0:
	case err != nil:
		b.forgetLocked(rel)
	default:
		b.m.Set(rel, seq)
	}
}

// take forgets rel's waiting bulk event and returns its sequence (0: none, or
// its publish is still in flight).
func (b *bulkJobs) take(rel string) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	seq, _ := b.m.Get(rel)
	if seq != 0 {
		b.forgetLocked(rel)
	}
	return seq
}

// started forgets rel's bulk event: a worker took it (or an older one; the
// file is read as it is now either way).
func (b *bulkJobs) started(rel string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forgetLocked(rel)
}

// waiting returns how many bulk events wait.
func (b *bulkJobs) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m.Len()
}

func (d *Daemon) removed(rs *rootState, rel string) {
	rs.index.Delete(rel)
	rs.root.Docs.Remove(rel)
	d.forgetFindings(rs, rel)
	d.markDirty()
	d.hub.publish(Event{Type: "removed", Root: rs.root.Dir, Path: rel})
}

// handle processes one file event: the worker body.
func (d *Daemon) handle(hctx context.Context, ev bus.FileEvent, heartbeat func()) error {
	// Work runs on drainCtx, which outlives shutdown by the grace period.
	// Only waiting for a resume ends with hctx, which the bus cancels when
	// the workers stop (pause or shutdown): the event then goes back to the
	// queue rather than being held.
	ctx := d.drainCtx
	// The span joins the trace of the change that queued the event.
	if sc := trace.SpanContextFromContext(hctx); sc.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	ctx, span := d.fileSpan(ctx, "bus process", trace.SpanKindConsumer, time.Time{}, ev.Root, ev.Path, ev.Reason, ev.Deliveries)
	defer span.End()
	rs := d.rootNamed(ev.Root)
	if rs == nil {
		return bus.Permanent(fmt.Errorf("event for root %q, which the configuration no longer has", ev.Root))
	}
	if err := d.waitWhileStopped(hctx, heartbeat); err != nil {
		return err
	}
	unlock, err := d.locks.lock(ctx, rs.name+"\x00"+ev.Path)
	if err != nil {
		return err
	}
	defer unlock()
	if ev.Bulk {
		rs.bulk.started(ev.Path)
	}
	// When the change was made: its version's modification time, which a
	// late event (a burst flushed after max_wait, a rescan) does not move.
	made := ev.Time
	if ev.Version.ModTime != 0 {
		made = time.Unix(0, ev.Version.ModTime)
	}
	if d.loops.quarantined(rs.name, ev.Path) {
		if !d.loops.userChanged(rs, ev.Path, made) {
			return nil
		}
		d.loops.release(rs.name, ev.Path)
	}
	// The version the event was made on, as a stamp (a catch-up's event
	// carries only that).
	of := ev.Stamp
	if ev.Version != (safefile.Version{}) {
		of = ev.Version.Stamp()
	}
	d.loops.seen(rs, ev.Path, ev.Reason, of, made)
	rs.root.Docs.Add(ev.Path)
	eng := d.engine()
	origin := action.Origin(ev.Origin)
	if origin == "" {
		origin = action.OriginUser
	}
	var res *engine.Result
	began := time.Now()
	for {
		left, _ := rs.index.Get(ev.Path)
		res = eng.ProcessChange(ctx, rs.root, ev.Path, engine.Change{Origin: origin, Of: of, Left: left, Heartbeat: heartbeat}, &engine.Writes{})
		if res.Held == "" {
			break
		}
		// A git operation started while the rules ran: nothing was
		// written; wait for it to end (or give the event back to the
		// queue if the workers stop meanwhile), then start over.
		d.log.DebugContext(ctx, "write held", "path", ev.Path, "why", res.Held)
		if err := d.waitWhileStopped(hctx, heartbeat); err != nil {
			return err
		}
	}
	d.processed.Add(1)
	for _, r := range res.Rules {
		// Per rule: one that only reported findings did not write.
		d.metrics.processed.WithLabelValues(r, res.RuleOutcome(r)).Inc()
	}
	if res.Written {
		d.written.Add(1)
		d.metrics.latency.Observe(time.Since(ev.Time).Seconds())
		wrote := time.Now()
		if res.Version.ModTime != 0 {
			wrote = time.Unix(0, res.Version.ModTime) // the clock of made
		}
		if tripped, answered := d.loops.wrote(rs.name, ev.Path, res.BeforeHash, res.AfterHash, wrote); tripped {
			d.metrics.loopBreaks.Inc()
			why := "a rule keeps rewriting its own output"
			if answered {
				why = fmt.Sprintf("another program answers each write of the rules with one of its own within %s (another scribe watch on the same files? an editor?)", answerWindow)
			}
			d.log.WarnContext(ctx, why+"; file quarantined until it changes", "path", ev.Path, "rules", res.Rules)
			d.hub.publish(Event{Type: "loop", Root: rs.root.Dir, Path: ev.Path, Rules: res.Rules, Message: "quarantined: " + why})
		}
	}
	switch {
	case res.Skipped == "vanished":
		d.removed(rs, ev.Path)
	case res.Failed():
	case res.Version != (safefile.Version{}):
		rs.index.Set(ev.Path, res.Version.Stamp())
	default:
		if fi, err := safefile.Lstat(rs.root.FS, ev.Path); err == nil {
			rs.index.Set(ev.Path, state.StampOf(fi))
		}
	}
	for _, ev2 := range res.Events {
		if err := d.publishEvent(ctx, ev2); err != nil {
			d.log.WarnContext(ctx, "publish event", "type", ev2.Type, "path", ev.Path, "err", err)
		}
	}
	for _, p := range res.Affected {
		if p != ev.Path {
			d.enqueue(ctx, rs, p, bus.ReasonRequeue, action.OriginScribe, safefile.Version{}, 0, time.Time{})
		}
	}
	// Every processed file wakes the finisher, rules or not: a file no
	// rule selects can still be an input of an aggregating action (the
	// notes an index lists), whose hub must follow it. (Only files a rule
	// ran on did, and an index hub then followed an edit of its inputs
	// only while its own regenerations kept the finisher awake.) The
	// finisher also returns a drained backlog's garbage to the system.
	d.sinceFree.Add(1)
	d.markDirty()
	var failure string
	if err := res.Err(); err != nil {
		failure = err.Error()
	}
	traceID := telemetry.TraceID(ctx)
	d.hub.publish(Event{Type: "processed", Root: rs.root.Dir, Path: ev.Path, Origin: string(res.Origin), Rules: res.Rules, Written: res.Written, LeftCommitted: res.LeftCommitted, Findings: len(res.Findings), Error: failure, Skipped: res.Skipped, TraceID: traceID,
		Result: outcome(res), FailedRules: failedRules(res), DurationMS: float64(time.Since(began).Microseconds()) / 1000})
	if !res.Failed() && res.Skipped != "vanished" {
		// A failed file keeps its findings until it is processed whole.
		d.recordFindings(ctx, rs, res)
	}
	if res.Failed() {
		span.SetStatus(codes.Error, failure)
		// A failed rule fails the event, so the whole file is retried (the
		// other rules' write already landed; they are idempotent, so a
		// retry finds nothing more to do for them).
		d.failed.Add(1)
		err := bus.FailedRule(failedRule(res), res.Err())
		// Deliveries also count redeliveries the rules never failed
		// (interrupted workers, crashes), so the failures are counted here.
		// An event handed off (Seq 0, bus.Options.HandOff) is on its first
		// try; the bus stores it to retry it with this failure counted in
		// EarlierFailures.
		failures := 1
		if ev.Seq != 0 {
			failures = d.failures.add(ev.Seq) + ev.EarlierFailures
		}
		last := failures >= maxTries(d.currentRules())
		if last || ev.Deliveries >= d.maxDeliver {
			d.failures.forget(ev.Seq)
			d.metrics.deadAdded.Inc()
			d.hub.publish(Event{Type: "dead-letter", Root: rs.root.Dir, Path: ev.Path, Rule: failedRule(res), Error: failure, TraceID: traceID})
			return bus.Permanent(err)
		}
		return err
	}
	d.failures.forget(ev.Seq)
	// A file that succeeds has no business in the dead letters.
	if ok, err := d.bus.ClearDeadLetter(ctx, ev.Root, ev.Path); err != nil {
		d.log.WarnContext(ctx, "clear the dead letter of a file processed since", "path", ev.Path, "err", err)
	} else if ok {
		d.log.InfoContext(ctx, "dead letter cleared: the file was processed", "path", ev.Path)
		d.hub.publish(Event{Type: "dead-letter-cleared", Root: rs.root.Dir, Path: ev.Path, TraceID: traceID})
	}
	return nil
}

// failedRule is the first rule that failed on the file ("" for a failure
// of the whole file).
func failedRule(res *engine.Result) string {
	if len(res.Failures) > 0 {
		return res.Failures[0].Rule
	}
	return ""
}

// failureCount counts, per event (stream sequence), the deliveries whose
// rules failed. It forgets an event once it succeeded or was given up on; a
// restart forgets everything, which only gives a failing file a few more
// tries.
type failureCount struct {
	mu sync.Mutex
	m  map[uint64]int
}

func (f *failureCount) add(seq uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[uint64]int{}
	}
	f.m[seq]++
	return f.m[seq]
}

func (f *failureCount) forget(seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, seq)
}

// recordWrite journals a write the engine made (Options.Wrote), logging a
// failure: the engine reports it as the file's, but a finisher's write has
// no file to fail.
func (d *Daemon) recordWrite(r *engine.Root, res *engine.Result) error {
	if d.journal == nil {
		return nil
	}
	err := engine.JournalWrites(d.journal, "")(r, res)
	if err != nil {
		d.log.Error("journal write", "path", res.Path, "err", err)
	}
	return err
}

// undoneRules is Options.Undone: the marks `scribe undo` left in the journal.
func (d *Daemon) undoneRules(r *engine.Root, rel, hash string) []string {
	if d.journal == nil {
		return nil
	}
	return engine.JournalUndone(d.journal, d.log)(r, rel, hash)
}

func (d *Daemon) publishEvent(ctx context.Context, ev action.Event) error {
	d.hub.publish(Event{Type: "event", Path: ev.Path, Message: ev.Type, Data: ev.Data})
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return d.bus.PublishEvent(ctx, ev.Type, b)
}

// pathLocks serialises work on one file: never two workers on the same path.
type pathLocks struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func (l *pathLocks) lock(ctx context.Context, key string) (func(), error) {
	for {
		l.mu.Lock()
		if l.m == nil {
			l.m = map[string]chan struct{}{}
		}
		ch, busy := l.m[key]
		if !busy {
			ch = make(chan struct{})
			l.m[key] = ch
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.m, key)
				l.mu.Unlock()
				close(ch)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// loopLimit is how many consecutive rewrites of the engine's own output a
// file may see before it is quarantined.
const loopLimit = 3

// answerWindow and answerLimit bound the other loop the breaker stops:
// another program that answers each of the engine's writes to a file with a
// write of its own (another `scribe watch` on the same files, an editor that
// saves what it reloads), which the engine takes for a user's edit. A change
// made within answerWindow of the engine's last write to the file is an
// answer; answerLimit writes in a row, each on an answer, are a loop. An
// editor saving on its own (autosave) waits a second or more after the last
// keystroke, and a person is slower still; another daemon answers within
// its settle time.
const (
	answerWindow = 500 * time.Millisecond
	answerLimit  = 5
)

// loopBreaker detects the engine rewriting its own output with no outside
// change: a write whose input is the previous write's output, while nothing
// changed from outside the engine in between. It counts such writes per
// file. A user's save of the file resets its count, so a rule that stamps
// every save is never stopped; so does a change from outside to any other
// file (it starts every count afresh), so a hub that an index or catalog
// regenerates because its inputs changed (A→B→A) is never taken for a
// loop. A loop that feeds itself through requeues (a hub among its own
// inputs, rules of two files rewriting each other) sees no outside change,
// and trips.
//
// It also counts, per file, the engine's writes in a row that each followed
// an outside change made within answerWindow of the write before (answers):
// another program answering every write. That loop is quarantined until a
// change comes that is not such an answer (a user's edit), so that the
// other program's answer to the last write does not restart it.
type loopBreaker struct {
	limit int
	mu    sync.Mutex
	// answers holds, for each file the engine wrote within answerWindow,
	// when it wrote it and how many answered writes led up to it; older
	// entries are swept once the table doubled (answersSwept).
	answers      map[string]answer
	answersSwept int
	// last holds the engine's last write of each file written since the
	// latest outside change. An outside change empties it: a write made
	// before one can no longer count towards a loop, so the map holds the
	// files written since then, not every file ever written (a
	// million-file catch-up, where every event is an outside change,
	// keeps it near empty).
	last map[string]loopState
	// quarantine holds the last output of each stopped file.
	quarantine map[string]stopped
}

type loopState struct {
	after string // hash of the last content the engine wrote
	count int
}

// answer is what the breaker knows of the engine's last write to a file.
type answer struct {
	wrote time.Time // when the engine wrote it
	run   int       // answered writes in a row, up to this one
	quick bool      // an outside change was made within answerWindow since
}

// stopped is a quarantined file.
type stopped struct {
	after    string    // hash of the engine's last output, or of the answer to it ignored
	answered bool      // stopped for answers, not for rewriting its own output
	wrote    time.Time // answered: when the engine last wrote it
}

func newLoopBreaker(limit int) *loopBreaker {
	return &loopBreaker{limit: limit, last: map[string]loopState{}, answers: map[string]answer{}, quarantine: map[string]stopped{}}
}

// seen is told about every event a worker takes. An event from the watcher,
// a rescan or the catch-up is a change from outside the engine (own writes
// are suppressed at the watcher), unless the file is still the version the
// daemon last processed (its file index entry: inode, size, times), as after
// an echo of the engine's own write; requeues come from the engine itself,
// and an operator's retry changes nothing. It compares the stamp of the
// version the event was made on (of), or stats the file when the event has
// none; it never reads the file: a read would touch its access time, which
// the watcher sees.
//
// at is when the change was made: one made within answerWindow after the
// engine's last write to the file is an answer to it.
func (l *loopBreaker) seen(rs *rootState, path, reason string, of safefile.Stamp, at time.Time) {
	if reason == bus.ReasonRequeue || reason == bus.ReasonRetry {
		return
	}
	if s, ok := rs.index.Get(path); ok {
		// The version the event was made on is the one the engine left:
		// no outside change.
		if of != 0 && of == s {
			return
		}
		if of == 0 {
			if fi, err := safefile.Lstat(rs.root.FS, path); err == nil && state.StampOf(fi) == s {
				return
			}
		}
	}
	l.mu.Lock()
	if len(l.last) > 0 {
		l.last = map[string]loopState{}
	}
	k := rs.name + "\x00" + path
	if a, ok := l.answers[k]; ok {
		if answers(a.wrote, at) {
			a.quick = true
			l.answers[k] = a
		} else {
			delete(l.answers, k)
		}
	}
	l.mu.Unlock()
}

// wrote records a write and reports whether it tripped the breaker, and if
// so for which loop: answered is true when another program answered each of
// the engine's last writes (answerLimit in a row), false when the engine
// kept rewriting its own output.
// at is when the engine's write was made (its modification time).
func (l *loopBreaker) wrote(root, path, before, after string, at time.Time) (tripped, answered bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := root + "\x00" + path
	st, ok := l.last[k]
	if ok && before != "" && before == st.after {
		st.count++
	} else {
		st.count = 1
	}
	st.after = after
	l.last[k] = st
	a := l.answers[k]
	if a.quick {
		a.run++
	} else {
		a.run = 0
	}
	a.wrote, a.quick = at, false
	l.keepAnswer(k, a, at)
	if _, stopped := l.quarantine[k]; stopped {
		return false, false
	}
	switch {
	case st.count > l.limit:
		l.quarantine[k] = stopped{after: after}
		return true, false
	case a.run >= answerLimit:
		l.quarantine[k] = stopped{after: after, answered: true, wrote: at}
		return true, true
	}
	return false, false
}

// answers reports whether a change made at made answers a write made at
// wrote: it came after it, within answerWindow. A change dated before the
// write (a copy that kept its modification time) answers nothing.
func answers(wrote, made time.Time) bool {
	d := made.Sub(wrote)
	return d >= 0 && d < answerWindow
}

// keepAnswer records a for key k, first dropping the entries older than
// answerWindow once the table doubled since the last sweep: amortized O(1)
// a write (a million-file catch-up writes thousands of files a second, and
// only those of the last window matter). l.mu is held.
func (l *loopBreaker) keepAnswer(k string, a answer, now time.Time) {
	if n := len(l.answers); n >= 256 && n >= 2*l.answersSwept {
		for key, old := range l.answers {
			if now.Sub(old.wrote) >= answerWindow {
				delete(l.answers, key)
			}
		}
		l.answersSwept = len(l.answers)
	}
	l.answers[k] = a
}

func (l *loopBreaker) quarantined(root, path string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.quarantine[root+"\x00"+path]
	return ok
}

// userChanged reports whether the file no longer holds the engine's last
// output (the user edited it), which lifts the quarantine. For a file
// stopped for answers, a change made (at) within answerWindow of the
// engine's last write is the other program's answer to it, not an edit:
// its content becomes the one the quarantine holds to, so that a later
// event of the same content (a rescan's) does not lift it either.
func (l *loopBreaker) userChanged(rs *rootState, path string, at time.Time) bool {
	k := rs.name + "\x00" + path
	l.mu.Lock()
	q := l.quarantine[k]
	l.mu.Unlock()
	b, err := rs.root.Docs.ReadFile(path)
	if err != nil {
		return true
	}
	h := journal.Hash(b)
	if q.answered && answers(q.wrote, at) {
		l.mu.Lock()
		if cur, ok := l.quarantine[k]; ok {
			cur.after = h
			l.quarantine[k] = cur
		}
		l.mu.Unlock()
		return false
	}
	return h != q.after
}

func (l *loopBreaker) release(root, path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.last, root+"\x00"+path)
	delete(l.answers, root+"\x00"+path)
	delete(l.quarantine, root+"\x00"+path)
}

func (l *loopBreaker) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for k := range l.quarantine {
		out = append(out, k)
	}
	return out
}
