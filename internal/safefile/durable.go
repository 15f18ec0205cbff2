package safefile

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Durability is made in groups. Every write makes two things durable: the
// temporary file's data before the exchange, and the directory entries
// after it. A caller alone fsyncs its descriptor, as before. When writes of
// several files are ready at once (a burst, a checkout, a flood of new
// files), their requests are merged: while one round runs, the requests that
// arrive wait for the next, which makes them all durable with one syncfs(2)
// on their file system: a single flush and journal commit instead of one per
// descriptor. A request is only ever answered by a round that started after
// it was made, so its data was written before the flush began.
//
// syncfs flushes every dirty page of the file system, other programs' too;
// that is why a lone request (an isolated save) keeps its own fsync.

// syncRounds holds one group per file system (device).
var syncRounds = struct {
	mu sync.Mutex
	m  map[uint64]*syncGroup
}{m: map[uint64]*syncGroup{}}

// syncGroup merges the durability requests of one file system.
type syncGroup struct {
	mu      sync.Mutex
	cond    sync.Cond
	running bool
	started uint64 // rounds started
	done    uint64 // rounds finished
	waiting []int  // descriptors of the requests for the next round
	rounds  map[uint64]*syncRound
}

// syncRound is the outcome of one round, kept until its last waiter read it.
type syncRound struct {
	err     error
	waiters int
}

// durable makes what was written through fd durable (the data of a file, or
// the entries of a directory), on the file system dev, merged with the
// requests made at the same time.
func durable(dev uint64, fd int) error {
	syncRounds.mu.Lock()
	g := syncRounds.m[dev]
	if g == nil {
		g = &syncGroup{rounds: map[uint64]*syncRound{}}
		g.cond.L = &g.mu
		syncRounds.m[dev] = g
	}
	syncRounds.mu.Unlock()
	return g.sync(fd)
}

func (g *syncGroup) sync(fd int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	round := g.started + 1 // the next round to start: it covers this request
	r := g.rounds[round]
	if r == nil {
		r = &syncRound{}
		g.rounds[round] = r
	}
	r.waiters++
	g.waiting = append(g.waiting, fd)
	for g.done < round {
		if g.running {
			g.cond.Wait()
			continue
		}
		// Lead the next round with every request waiting for it.
		g.running = true
		g.started++
		fds := g.waiting
		g.waiting = nil
		g.mu.Unlock()
		var err error
		if len(fds) == 1 {
			err = fsync(fds[0])
		} else {
			err = syncfs(fds[0])
			groupedSyncs.Add(uint64(len(fds)))
		}
		g.mu.Lock()
		g.running = false
		g.rounds[g.started].err = err
		g.done = g.started
		g.cond.Broadcast()
	}
	if r.waiters--; r.waiters == 0 {
		delete(g.rounds, round)
	}
	return r.err
}

// fsync and syncfs retry on EINTR, which a Go program's signals can cause.
func fsync(fd int) error {
	for {
		if err := unix.Fsync(fd); err != unix.EINTR {
			return err
		}
	}
}

func syncfs(fd int) error {
	for {
		if err := unix.Syncfs(fd); err != unix.EINTR {
			return err
		}
	}
}
