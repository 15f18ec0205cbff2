package gctune

import (
	"math"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/poll"
)

// The tests change process-wide settings: none of them is parallel.

func gogc() int {
	v := debug.SetGCPercent(100)
	debug.SetGCPercent(v)
	return v
}

func limit() int64 { return debug.SetMemoryLimit(-1) }

func cycles() uint64 {
	m := []rtmetrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	rtmetrics.Read(m)
	return m[0].Value.Uint64()
}

// unset clears GOGC and GOMEMLIMIT for the test, as if the user set neither.
func unset(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
}

func TestLimitFor(t *testing.T) {
	p := Policy{GOGC: 400, Floor: 64 << 20, Ratio: 2}
	for _, c := range []struct {
		name        string
		live, other uint64
		want        int64
	}{
		{"nothing live", 0, 0, 64 << 20},
		{"small heap: the floor", 20 << 20, 8 << 20, 64 << 20},
		{"at the floor", 28 << 20, 8 << 20, 64 << 20},
		{"past it: twice the heap and the rest", 100 << 20, 10 << 20, 210 << 20},
		{"no overflow", math.MaxUint64, 0, math.MaxInt64},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := limitFor(p, c.live, c.other); got != c.want {
				t.Errorf("limitFor(live %d, other %d) = %d, want %d", c.live, c.other, got, c.want)
			}
		})
	}
}

func TestApplyAndRestore(t *testing.T) {
	unset(t)
	g0, l0 := gogc(), limit()
	stop := Apply(Policy{GOGC: 400, Floor: 64 << 20, Ratio: 2})
	if g, l := gogc(), limit(); g != 400 || l < 64<<20 {
		t.Errorf("applied: GOGC %d, limit %d; want 400 and at least 64 MiB", g, l)
	}
	stop()
	stop() // a second call does nothing
	if g, l := gogc(), limit(); g != g0 || l != l0 {
		t.Errorf("stopped: GOGC %d, limit %d; want the settings before, %d and %d", g, l, g0, l0)
	}
}

func TestNested(t *testing.T) {
	unset(t)
	g0, l0 := gogc(), limit()
	outer := Apply(Policy{GOGC: 400, Floor: 64 << 20, Ratio: 2})
	inner := Apply(Policy{GOGC: 300, Floor: 32 << 20, Ratio: 3})
	if g := gogc(); g != 400 {
		t.Errorf("nested Apply changed GOGC to %d; the first policy holds", g)
	}
	inner()
	if g := gogc(); g != 400 {
		t.Errorf("an inner stop restored GOGC (%d) while the outer policy holds", g)
	}
	outer()
	if g, l := gogc(), limit(); g != g0 || l != l0 {
		t.Errorf("after the last stop: GOGC %d, limit %d; want %d and %d", g, l, g0, l0)
	}
}

// TestEnvironmentWins: what the user set is left alone. (The runtime read
// the variables when the test binary started; here Apply only reads them.)
func TestEnvironmentWins(t *testing.T) {
	for _, c := range []struct {
		gogc, memlimit       string
		wantGOGC, wantLimits bool // whether Apply sets them
	}{
		{"", "", true, true},
		{"150", "", false, true},
		{"", "1GiB", true, false},
		{"150", "1GiB", false, false},
		{"off", "", false, false}, // GOGC=off asks for no collection: no limit either
	} {
		t.Run("GOGC="+c.gogc+",GOMEMLIMIT="+c.memlimit, func(t *testing.T) {
			t.Setenv("GOGC", c.gogc)
			t.Setenv("GOMEMLIMIT", c.memlimit)
			const mark = 1<<40 + 12345 // a limit nobody sets
			old := debug.SetMemoryLimit(mark)
			defer debug.SetMemoryLimit(old)
			oldGOGC := debug.SetGCPercent(123)
			defer debug.SetGCPercent(oldGOGC)

			stop := Apply(Policy{GOGC: 400, Floor: 64 << 20, Ratio: 2})
			g, l := gogc(), limit()
			stop()
			if set := g != 123; set != c.wantGOGC {
				t.Errorf("GOGC became %d; want it set: %v", g, c.wantGOGC)
			}
			if set := l != mark; set != c.wantLimits {
				t.Errorf("the limit became %d; want it set: %v", l, c.wantLimits)
			}
			if g, l := gogc(), limit(); g != 123 || l != mark {
				t.Errorf("after stop: GOGC %d, limit %d; want 123 and %d", g, l, mark)
			}
		})
	}
}

var live, garbage []byte

// TestFollowsLiveHeap: the limit rises with a live heap above the floor and
// falls back when the heap is freed.
func TestFollowsLiveHeap(t *testing.T) {
	unset(t)
	const floor = 8 << 20
	stop := Apply(Policy{GOGC: 400, Floor: floor, Ratio: 2})
	defer stop()
	live = make([]byte, 32<<20)
	defer func() { live = nil }()
	runtime.GC()
	poll.Until(t, 10*time.Second, "the limit to reach twice the 32 MiB live heap", func() bool {
		return limit() >= 64<<20
	})
	live = nil
	poll.Until(t, 10*time.Second, "the limit to fall back once the heap is freed", func() bool {
		runtime.GC()
		return limit() < 32<<20
	})
	stop()
	want := limit()
	runtime.GC()
	runtime.GC()
	if l := limit(); l != want {
		t.Errorf("the limit moved to %d after stop", l)
	}
}

// TestApplyOverAHeldHeap: a process that already holds more than the floor
// gets a limit above what it holds at once, not at the next collection.
func TestApplyOverAHeldHeap(t *testing.T) {
	unset(t)
	live = make([]byte, 32<<20)
	defer func() { live = nil }()
	runtime.GC()
	stop := Apply(Policy{GOGC: 400, Floor: 8 << 20, Ratio: 1.5})
	defer stop()
	if l := limit(); l < 48<<20 {
		t.Errorf("limit %d MiB right after Apply over a 32 MiB live heap; want at least 48 MiB", l>>20)
	}
}

// churn allocates n bytes of short-lived garbage and returns the
// collections it took.
func churn(n int) uint64 {
	c0 := cycles()
	for range n / (64 << 10) {
		garbage = make([]byte, 64<<10)
	}
	garbage = nil
	return cycles() - c0
}

// TestNoSpin is the reason for the package: with a live heap above a fixed
// limit the collector runs back to back; with the moving limit it collects
// about once per live heap's worth of allocation, as at GOGC=100.
func TestNoSpin(t *testing.T) {
	unset(t)
	const (
		floor   = 8 << 20
		held    = 32 << 20
		churned = 512 << 20
	)
	live = make([]byte, held)
	defer func() { live = nil }()

	stop := Apply(Policy{GOGC: 400, Floor: floor, Ratio: 2})
	runtime.GC()
	poll.Until(t, 10*time.Second, "the limit to follow the live heap", func() bool {
		return limit() >= 2*held
	})
	moving := churn(churned)
	stop()

	// The policy this package replaced: GOGC=400 and a fixed limit.
	oldGOGC, oldLimit := debug.SetGCPercent(400), debug.SetMemoryLimit(floor)
	runtime.GC()
	fixed := churn(churned)
	debug.SetGCPercent(oldGOGC)
	debug.SetMemoryLimit(oldLimit)

	t.Logf("%d MiB churned over a %d MiB live heap: %d collections with the moving limit, %d with a fixed %d MiB one",
		churned>>20, held>>20, moving, fixed, floor>>20)
	// About churned/held = 16 collections; twice that is the bound.
	if moving > 2*churned/held {
		t.Errorf("moving limit: %d collections for %d MiB churned over %d MiB live; want at most %d", moving, churned>>20, held>>20, 2*churned/held)
	}
	// The comparison shows the test can tell a spinning collector.
	if fixed < 4*moving {
		t.Errorf("the fixed limit took only %d collections against %d: the test no longer tells a spinning collector", fixed, moving)
	}
}

// small is a 32-byte object: many of them fill the runtime's spans of
// that size class.
type small [32]byte

var kept []*small

// TestNoSpinFragmented: a heap whose spans are mostly empty but each still
// holds a live object (a backlog of small objects of which one in four
// stays) holds far more than is live. The limit must count that room, which
// no collection gives back, or it sits under what the runtime holds and the
// collector runs without pause, as the daemon's did while idle after a
// first pass over 10,000 notes with every built-in action.
func TestNoSpinFragmented(t *testing.T) {
	unset(t)
	const (
		objects = 3 << 20 // 96 MiB of 32-byte objects
		churned = 256 << 20
	)
	// All are live while they are made, so that no collection in between
	// packs the ones that stay together; then three in four go.
	all := make([]*small, objects)
	for i := range all {
		all[i] = new(small)
	}
	kept = make([]*small, 0, objects/4)
	for i := 0; i < objects; i += 4 {
		kept = append(kept, all[i])
	}
	all = nil
	defer func() { kept = nil }()
	runtime.GC()
	m := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	rtmetrics.Read(m)
	live, unused := m[0].Value.Uint64(), m[1].Value.Uint64()
	t.Logf("live %d MiB, unused room in spans %d MiB", live>>20, unused>>20)
	if unused < live {
		t.Fatalf("the heap is not fragmented as the test needs: %d MiB unused beside %d MiB live", unused>>20, live>>20)
	}

	// The floor is above Ratio times live, as the daemon's 64 MiB was above
	// 1.5 times its 34 MB: the limit is the floor unless it counts the room.
	stop := Apply(Policy{GOGC: 100, Floor: int64(live) * 2, Ratio: 1.5})
	defer stop()
	runtime.GC()
	collections := churn(churned)
	// A collection per half a live heap of allocation: churned/(live/2).
	want := 2 * churned / (live / 2)
	t.Logf("%d MiB churned over a %d MiB live heap: %d collections (at most %d)", churned>>20, live>>20, collections, want)
	if collections > want {
		t.Errorf("%d collections for %d MiB churned over %d MiB live in a fragmented heap; want at most %d: the collector spins", collections, churned>>20, live>>20, want)
	}
}

// TestLean: a Lean span lowers the floor to the policy's Lean, spans nest,
// and the floor is back once the last one ends; without Lean in the policy,
// or without a policy, a span changes nothing.
func TestLean(t *testing.T) {
	unset(t)
	runtime.GC() // this package's tests leave no live heap near these floors
	stop := Apply(Policy{GOGC: 100, Floor: 512 << 20, Lean: 256 << 20, Ratio: 1.5})
	if l := limit(); l != 512<<20 {
		t.Fatalf("applied: limit %d MiB, want the floor, 512", l>>20)
	}
	outer := Lean()
	if l := limit(); l != 256<<20 {
		t.Errorf("in a Lean span: limit %d MiB, want the lean floor, 256", l>>20)
	}
	inner := Lean()
	inner()
	inner() // a second call does nothing
	if l := limit(); l != 256<<20 {
		t.Errorf("an inner span's end raised the limit to %d MiB while the outer one is open", l>>20)
	}
	// The finalizer that follows the live heap keeps the lean floor: mark
	// the limit, and wait for a collection's finalizer to set it again.
	const mark = 1<<40 + 12345
	debug.SetMemoryLimit(mark)
	poll.Until(t, 10*time.Second, "the finalizer to move the limit", func() bool {
		runtime.GC()
		return limit() != mark
	})
	if l := limit(); l != 256<<20 {
		t.Errorf("after a collection in a span: limit %d MiB, want 256", l>>20)
	}
	outer()
	if l := limit(); l != 512<<20 {
		t.Errorf("after the last span: limit %d MiB, want the floor back, 512", l>>20)
	}
	stop()

	l0 := limit()
	Lean()() // no policy applied
	stop = Apply(Policy{GOGC: 100, Floor: 512 << 20, Ratio: 1.5})
	end := Lean()
	if l := limit(); l != 512<<20 {
		t.Errorf("a policy without Lean: limit %d MiB in a span, want the floor, 512", l>>20)
	}
	end()
	stop()
	if l := limit(); l != l0 {
		t.Errorf("after stop: limit %d, want the limit before, %d", l, l0)
	}
}
