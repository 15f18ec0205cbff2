package watch

import (
	"container/heap"
	"time"
)

// pending is one path waiting to settle.
type pending struct {
	rel    string
	first  time.Time // the first event of the burst
	last   time.Time // the latest event of the burst
	due    time.Time // min(last+settle, first+maxWait)
	reason Reason    // what first noticed the change
	// verify is set while only rescans touched the path: it is reported
	// only if its state differs from the last one seen. A kernel event
	// clears it.
	verify bool
	// ignore marks an ignore file: the filter is rebuilt when it is due.
	ignore bool
	index  int // in the heap
}

// shrinkAbove is the heap capacity above which an emptied coalescer drops its
// storage.
const shrinkAbove = 1024

// coalescer merges the events of each path into one pending entry and hands
// entries out when they are due: settle after the last event, but never later
// than maxWait after the first. It is a pure data structure driven by the
// times its caller passes; it is not safe for concurrent use.
//
// Each path has exactly one entry in a min-heap ordered by due time, so add
// and pop cost O(log n) and memory is bounded by the number of distinct
// paths, however many events arrive.
type coalescer struct {
	settle, maxWait time.Duration
	byPath          map[string]*pending
	h               pendingHeap
}

func newCoalescer(settle, maxWait time.Duration) *coalescer {
	return &coalescer{settle: settle, maxWait: maxWait, byPath: make(map[string]*pending)}
}

// add records an event for rel at now and returns the path's due time.
func (c *coalescer) add(rel string, now time.Time, reason Reason, verify, ignore bool) time.Time {
	if p := c.byPath[rel]; p != nil {
		if now.After(p.last) {
			p.last = now
		}
		if p.verify && !verify {
			// A kernel event is what noticed the change, not the rescan
			// that queued a verification.
			p.reason = reason
		}
		p.verify = p.verify && verify
		p.ignore = p.ignore || ignore
		p.due = c.dueOf(p)
		heap.Fix(&c.h, p.index)
		return p.due
	}
	p := &pending{rel: rel, first: now, last: now, reason: reason, verify: verify, ignore: ignore}
	p.due = c.dueOf(p)
	c.byPath[rel] = p
	heap.Push(&c.h, p)
	return p.due
}

func (c *coalescer) dueOf(p *pending) time.Time {
	d := p.last.Add(c.settle)
	if limit := p.first.Add(c.maxWait); limit.Before(d) {
		d = limit
	}
	return d
}

// firstCap is when the path due first is flushed however its events go on:
// its first event plus maxWait. Something must be pending.
func (c *coalescer) firstCap() time.Time { return c.h[0].first.Add(c.maxWait) }

// next returns the earliest due time, and false when nothing is pending.
func (c *coalescer) next() (time.Time, bool) {
	if len(c.h) == 0 {
		return time.Time{}, false
	}
	return c.h[0].due, true
}

// popDue removes and returns the entry due first if it is due at now.
func (c *coalescer) popDue(now time.Time) (pending, bool) {
	if len(c.h) == 0 || c.h[0].due.After(now) {
		return pending{}, false
	}
	p := heap.Pop(&c.h).(*pending)
	delete(c.byPath, p.rel)
	if len(c.h) == 0 && cap(c.h) > shrinkAbove {
		// Give back what a burst (an overflow rescan, a big initial crawl)
		// made grow: Go maps and slices never shrink by themselves.
		c.h = nil
		c.byPath = make(map[string]*pending)
	}
	return *p, true
}

// len returns the number of pending paths.
func (c *coalescer) len() int { return len(c.h) }

// pendingHeap orders entries by due time, then by first event, then by path,
// so that the order is deterministic.
type pendingHeap []*pending

func (h pendingHeap) Len() int { return len(h) }

func (h pendingHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	if !a.first.Equal(b.first) {
		return a.first.Before(b.first)
	}
	return a.rel < b.rel
}

func (h pendingHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *pendingHeap) Push(x any) {
	p := x.(*pending)
	p.index = len(*h)
	*h = append(*h, p)
}

func (h *pendingHeap) Pop() any {
	old := *h
	n := len(old)
	p := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	p.index = -1
	return p
}
