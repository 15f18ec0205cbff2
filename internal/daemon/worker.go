package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/state"
	"github.com/scribe-md/scribe/internal/watch"
)

// forward turns a watcher's settled changes into bus events.
func (d *Daemon) forward(ctx context.Context, rs *rootState) error {
	// Publishes wait for the server's acknowledgement; a burst of changes
	// would queue behind one another, so a few are in flight at once (order
	// does not matter: an event only says "look at this path").
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, forwardPublishers)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ch, ok := <-rs.watcher.Changes():
			if !ok {
				return nil
			}
			d.metrics.events.WithLabelValues(string(ch.Reason)).Inc()
			if ch.Op == watch.Removed {
				d.removed(rs, ch.Rel)
				continue
			}
			reason := bus.ReasonEvent
			if ch.Reason != watch.ReasonEvent {
				reason = bus.ReasonRescan
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				if err := d.enqueue(ctx, rs, ch.Rel, reason, ch.Seen); err != nil && ctx.Err() == nil {
					d.log.Error("queue file event", "path", ch.Rel, "err", err)
				}
			}()
		}
	}
}

// forwardPublishers bounds the publishes in flight from one watcher.
const forwardPublishers = 16

// enqueue publishes "rel may have changed". The message id names the file
// version (size, times, inode), so repeats of one version are stored once.
func (d *Daemon) enqueue(ctx context.Context, rs *rootState, rel, reason string, seen time.Time) error {
	fi, err := rs.root.FS.Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		d.removed(rs, rel)
		return nil
	}
	if err != nil {
		return err
	}
	e := state.FromInfo(fi)
	id := fmt.Sprintf("%s\x00%s\x00%d.%d.%d.%d", rs.name, rel, e.Size, e.ModTime, e.Ctime, e.Ino)
	switch reason {
	case bus.ReasonRequeue:
		id += "\x00requeue\x00" + strconv.FormatInt(time.Now().UnixNano(), 10)
	case bus.ReasonCatchup:
		// The previous run may have published this very version and lost
		// it (a worker killed before its ack, an event given up on): the
		// file index, not the bus, says what still needs doing.
		id += "\x00catchup\x00" + strconv.FormatInt(d.started.UnixNano(), 10)
	}
	if seen.IsZero() {
		seen = time.Now()
	}
	return d.bus.PublishFile(ctx, bus.FileEvent{Root: rs.name, Path: rel, Reason: reason, Time: seen}, id)
}

func (d *Daemon) removed(rs *rootState, rel string) {
	rs.index.Delete(rel)
	rs.root.Docs.Remove(rel)
	d.markDirty()
	d.hub.publish(Event{Type: "removed", Path: rel})
}

// handle processes one file event: the worker body.
func (d *Daemon) handle(hctx context.Context, ev bus.FileEvent, heartbeat func()) error {
	// Work runs on drainCtx, which outlives shutdown by the grace period.
	// Only waiting for a resume ends with hctx, which the bus cancels when
	// the workers stop (pause or shutdown): the event then goes back to the
	// queue rather than being held.
	ctx := d.drainCtx
	rs := d.rootNamed(ev.Root)
	if rs == nil {
		return bus.Permanent(fmt.Errorf("event for root %q, which the configuration no longer has", ev.Root))
	}
	if err := d.waitWhilePaused(hctx, heartbeat); err != nil {
		return err
	}
	unlock, err := d.locks.lock(ctx, rs.name+"\x00"+ev.Path)
	if err != nil {
		return err
	}
	defer unlock()
	if d.loops.quarantined(rs.name, ev.Path) {
		if !d.loops.userChanged(rs, ev.Path) {
			return nil
		}
		d.loops.release(rs.name, ev.Path)
	}
	rs.root.Docs.Add(ev.Path)
	eng := d.engine()
	w := &engine.Writes{OnWrite: func(r *engine.Root, res *engine.Result) { d.recordWrite(d.rootOf(r), res) }}
	res := eng.Process(ctx, rs.root, ev.Path, w)
	d.processed.Add(1)
	result := "unchanged"
	switch {
	case res.Failed():
		result = "failed"
	case res.Skipped != "":
		result = "skipped"
	case res.Written:
		result = "written"
	}
	for _, r := range res.Rules {
		d.metrics.processed.WithLabelValues(r, result).Inc()
	}
	if res.Written {
		d.written.Add(1)
		d.metrics.latency.Observe(time.Since(ev.Time).Seconds())
		d.recordWrite(rs, res)
		if d.loops.wrote(rs.name, ev.Path, res.BeforeHash, res.AfterHash) {
			d.metrics.loopBreaks.Inc()
			d.log.Warn("a rule keeps rewriting its own output; file quarantined until it changes", "path", ev.Path, "rules", res.Rules)
			d.hub.publish(Event{Type: "loop", Path: ev.Path, Rules: res.Rules, Message: "quarantined: a rule keeps rewriting its own output"})
		}
	}
	if res.Skipped == "vanished" {
		d.removed(rs, ev.Path)
	} else if fi, err := rs.root.FS.Lstat(ev.Path); err == nil && !res.Failed() {
		rs.index.Set(ev.Path, state.FromInfo(fi))
	}
	for _, ev2 := range res.Events {
		if err := d.publishEvent(ctx, ev2); err != nil {
			d.log.Warn("publish event", "type", ev2.Type, "err", err)
		}
	}
	for _, p := range res.Affected {
		if p != ev.Path {
			d.enqueue(ctx, rs, p, bus.ReasonRequeue, time.Time{})
		}
	}
	if len(res.Rules) > 0 {
		d.markDirty()
	}
	d.hub.publish(Event{Type: "processed", Path: ev.Path, Rules: res.Rules, Written: res.Written, Findings: len(res.Findings), Error: res.Error, Skipped: res.Skipped})
	if res.Failed() {
		d.failed.Add(1)
		err := errors.New(res.Error)
		// Deliveries also count redeliveries the rules never failed
		// (interrupted workers, crashes), so the failures are counted here.
		last := d.failures.add(ev.Seq) >= maxTries(d.currentRules())
		if last || ev.Deliveries >= d.maxDeliver {
			d.failures.forget(ev.Seq)
			d.metrics.deadAdded.Inc()
			d.hub.publish(Event{Type: "dead-letter", Path: ev.Path, Error: res.Error})
			return bus.Permanent(err)
		}
		return err
	}
	d.failures.forget(ev.Seq)
	return nil
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

// recordWrite journals a write the engine made.
func (d *Daemon) recordWrite(rs *rootState, res *engine.Result) {
	if rs == nil || d.journal == nil {
		return
	}
	ruleID := res.Via
	if ruleID == "" {
		ruleID = strings.Join(res.ChangedBy, ",")
	}
	if res.RenamedTo != "" {
		return // renames are not content writes; the journal keeps contents
	}
	if _, err := d.journal.Record(journal.Entry{
		Time: time.Now(), Root: rs.root.Dir, Path: res.Path, Rule: ruleID,
		BeforeHash: res.BeforeHash, AfterHash: res.AfterHash,
	}, res.Before); err != nil {
		d.log.Error("journal write", "path", res.Path, "err", err)
	}
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

// loopBreaker detects a rule that keeps changing a file it just changed: a
// write whose input is the previous write's output. A user's save in between
// resets the count, so a rule that stamps every user save is never stopped.
type loopBreaker struct {
	limit int
	mu    sync.Mutex
	last  map[string]loopState
}

type loopState struct {
	after       string // hash of the last content the engine wrote
	count       int
	quarantined bool
}

func newLoopBreaker(limit int) *loopBreaker {
	return &loopBreaker{limit: limit, last: map[string]loopState{}}
}

// wrote records a write and reports whether it tripped the breaker.
func (l *loopBreaker) wrote(root, path, before, after string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := root + "\x00" + path
	st := l.last[k]
	if before != "" && before == st.after {
		st.count++
	} else {
		st.count = 1
	}
	st.after = after
	tripped := st.count > l.limit && !st.quarantined
	if tripped {
		st.quarantined = true
	}
	l.last[k] = st
	return tripped
}

func (l *loopBreaker) quarantined(root, path string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last[root+"\x00"+path].quarantined
}

// userChanged reports whether the file no longer holds the engine's last
// output (the user edited it), which lifts the quarantine.
func (l *loopBreaker) userChanged(rs *rootState, path string) bool {
	l.mu.Lock()
	after := l.last[rs.name+"\x00"+path].after
	l.mu.Unlock()
	b, err := rs.root.Docs.ReadFile(path)
	if err != nil {
		return true
	}
	return journal.Hash(b) != after
}

func (l *loopBreaker) release(root, path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.last, root+"\x00"+path)
}

func (l *loopBreaker) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for k, st := range l.last {
		if st.quarantined {
			out = append(out, k)
		}
	}
	return out
}
