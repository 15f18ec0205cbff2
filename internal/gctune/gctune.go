package gctune

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
)

// Policy is how the collector of a short command is paced.
type Policy struct {
	// GOGC is the collector's target percentage (debug.SetGCPercent).
	GOGC int
	// Floor is the soft memory limit while the live heap is small.
	Floor int64
	// Lean is the floor while a Lean span is open (0: Floor): a backlog
	// that nobody waits on may cost more collections for a smaller peak.
	Lean int64
	// Ratio is how many times the live heap the limit is kept at, at
	// least, once that is above Floor (1.5: the heap may grow by half of
	// what is live between collections, as at GOGC=50).
	Ratio float64
}

// OneShot is the policy of `scribe run` and `scribe check`: Ratio 1.25 keeps
// the every-action check and run of 10,000 notes under 128 MiB of RSS, where
// 1.5 went to 132 MiB once the limit counted the heap's fragmentation (and
// 2 to 142 MiB before); the figures are in doc/PERFORMANCE.md.
var OneShot = Policy{GOGC: 400, Floor: 64 << 20, Ratio: 1.25}

// Daemon is the policy of `scribe watch` and `scribe worker`: the runtime's
// default pace while the heap is small, and a limit of 1.5 times the live
// heap once that is above 64 MiB. Without it the heap of a daemon holding a
// million paths grew to twice what is live (272 MiB held for 120 MiB live);
// the figures are in doc/PERFORMANCE.md.
//
// The daemon's catch-up runs in a Lean span, on a floor of 32 MiB: the peak
// of a 100,000-file catch-up fell from 68 to 60 MiB of RSS, for a drain 7 %
// longer.
var Daemon = Policy{GOGC: 100, Floor: 64 << 20, Lean: 32 << 20, Ratio: 1.5}

// settings is the applied policy of the process and what it replaced.
type settings struct {
	mu       sync.Mutex
	users    int
	policy   Policy
	setGOGC  bool // GOGC was set: prevGOGC is to be restored
	moving   bool // the limit follows the live heap: prevMem is to be restored
	prevGOGC int
	prevMem  int64
	gen      int // counts Apply-to-stop spans, so a stale finalizer stops
	lean     int // Lean spans open
}

// state is the one applied policy of the process.
var state settings

// Apply sets p for the process and returns the function that undoes it.
func Apply(p Policy) (stop func()) {
	s := &state
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users++
	if s.users == 1 {
		s.policy = p
		gogc, limit := os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT")
		s.setGOGC = gogc == ""
		if s.setGOGC {
			s.prevGOGC = debug.SetGCPercent(p.GOGC)
		}
		s.moving = limit == "" && gogc != "off"
		if s.moving {
			// The last collection's live heap may already be past the floor.
			s.prevMem = debug.SetMemoryLimit(s.limit())
			s.gen++
			arm(s.gen)
		}
	}
	var once sync.Once
	return func() { once.Do(release) }
}

func release() {
	s := &state
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users--; s.users > 0 {
		return
	}
	if s.setGOGC {
		debug.SetGCPercent(s.prevGOGC)
	}
	if s.moving {
		debug.SetMemoryLimit(s.prevMem)
		s.moving = false
		s.gen++ // the armed finalizer sees it and stops
	}
}

// sentinel is garbage as soon as it is made: its finalizer runs after the
// next collection. It holds a pointer so that it is not a tiny allocation
// (those share a block, and a finalizer waits for the whole block).
type sentinel struct {
	gen  int
	self *sentinel
}

func arm(gen int) {
	runtime.SetFinalizer(&sentinel{gen: gen}, func(x *sentinel) {
		if follow(x.gen) {
			arm(x.gen)
		}
	})
}

// follow moves the limit to the live heap of the collection just done, and
// reports whether the policy is still in force.
func follow(gen int) bool {
	s := &state
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.moving || s.gen != gen {
		return false
	}
	debug.SetMemoryLimit(s.limit())
	return true
}

// Lean lowers the floor of the applied policy to its Lean until the
// returned function is called, for work that may run slower if it holds
// less: a catch-up. Spans nest; the floor is back once the last one ends.
// Without an applied policy, or with GOMEMLIMIT or GOGC=off set, it does
// nothing.
func Lean() (end func()) {
	state.addLean(1)
	var once sync.Once
	return func() { once.Do(func() { state.addLean(-1) }) }
}

// addLean opens (1) or ends (-1) a Lean span and moves the limit to match.
func (s *settings) addLean(delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lean += delta
	if s.moving {
		debug.SetMemoryLimit(s.limit())
	}
}

// limit is the soft limit for the live heap of the last collection, under
// the applied policy and its lean floor if a span is open. s.mu is held.
func (s *settings) limit() int64 {
	p := s.policy
	if s.lean > 0 && p.Lean > 0 {
		p.Floor = p.Lean
	}
	live, other := heap()
	return limitFor(p, live, other)
}

// limitFor is the soft limit for a live heap of live bytes when the runtime
// holds other bytes beside it: the limit counts all of it, so the heap may
// grow by (Ratio-1) times live before a collection.
func limitFor(p Policy, live, other uint64) int64 {
	want := p.Ratio*float64(live) + float64(other)
	if want >= math.MaxInt64 {
		return math.MaxInt64
	}
	return max(p.Floor, int64(want))
}

// heap returns the heap marked live by the last collection, and the memory
// the runtime holds beside it that no collection gives back, as the memory
// limit counts it: stacks, the collector's metadata and buffers, and the
// unused room in the heap's spans in use. That room is the heap's
// fragmentation: the free slots of spans that still hold a live object.
// After a backlog of many small objects of which some stay (a first pass
// over 10,000 notes with every built-in action) it was 21 MB beside 34 MB
// live; left out of the limit, it put the limit under what the runtime
// held, and the collector ran without pause while the daemon was idle.
// Reading runtime metrics does not stop the world.
func heap() (live, other uint64) {
	m := []rtmetrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	rtmetrics.Read(m)
	var v [5]uint64
	for i := range m {
		if m[i].Value.Kind() != rtmetrics.KindUint64 {
			return 0, 0
		}
		v[i] = m[i].Value.Uint64()
	}
	held := v[1] - v[2] - v[3] - v[4]
	if v[1] < v[2]+v[3]+v[4] {
		held = 0
	}
	return v[0], held
}
