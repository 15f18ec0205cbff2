package journal

import (
	"sync"

	bolt "go.etcd.io/bbolt"
)

// groupCommit merges the transactions of concurrent Record calls into one
// commit: one pair of fsyncs for many entries. There is no timer. A Record
// alone commits at once; Records that arrive while a commit runs queue up,
// and the first of them, when it ends, commits the whole queue. (bbolt's
// own Batch waits MaxBatchDelay for company first, which delays every lone
// write by that much.)
type groupCommit struct {
	mu      sync.Mutex
	running bool
	queue   []*commitReq
}

type commitReq struct {
	fn   func(*bolt.Tx) error
	done chan error    // the outcome, once committed or failed
	lead chan struct{} // closed when this request must lead the next commit
}

// commit runs fn in a write transaction shared with the other requests of
// the moment, and returns once that transaction is durable (or failed). fn
// may run more than once: when another function of its batch fails, the
// others run again in a batch of their own.
func (j *Journal) commit(fn func(*bolt.Tx) error) error {
	req := &commitReq{fn: fn, done: make(chan error, 1), lead: make(chan struct{})}
	g := &j.group
	g.mu.Lock()
	g.queue = append(g.queue, req)
	if g.running {
		g.mu.Unlock()
		select {
		case err := <-req.done:
			return err
		case <-req.lead:
		}
		g.mu.Lock()
	}
	// Lead: commit everything queued (this request with it).
	g.running = true
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()
	j.runBatch(batch)
	g.mu.Lock()
	if len(g.queue) > 0 {
		close(g.queue[0].lead) // its Record leads the next commit
	} else {
		g.running = false
	}
	g.mu.Unlock()
	return <-req.done
}

// releaseEvery is how many committed entries the journal's mapping may
// gather pages for before they are released (ReleaseMemory): a madvise per
// 256 writes, a fraction of a millisecond. Each write into a big journal
// maps pages all over its trees (random keys); in a million-file first pass
// the daemon's peak RSS was 376 MiB with releases only once the backlog
// drained, 335–338 MiB with one per 2,048 entries, and 269 MiB with one
// per 256 (doc/PERFORMANCE.md).
const releaseEvery = 256

// runBatch commits batch in one transaction. A function that fails gets its
// error and the others are committed without it.
func (j *Journal) runBatch(batch []*commitReq) {
	failed := -1
	err := j.db.Update(func(tx *bolt.Tx) error {
		for i, r := range batch {
			if err := r.fn(tx); err != nil {
				failed = i
				return err
			}
		}
		return nil
	})
	switch {
	case err == nil:
		for _, r := range batch {
			r.done <- nil
		}
		if j.sinceRelease.Add(int64(len(batch))) >= releaseEvery {
			// Best effort: the pages are the file's cache either way, and
			// its only errors are a closed journal and a failed madvise.
			_ = j.ReleaseMemory()
		}
	case failed < 0: // the commit itself failed
		for _, r := range batch {
			r.done <- err
		}
	default:
		batch[failed].done <- err
		if rest := append(batch[:failed:failed], batch[failed+1:]...); len(rest) > 0 {
			j.runBatch(rest)
		}
	}
}
