package watch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// emitted is a change and the fake-clock time it reached the consumer.
type emitted struct {
	at time.Duration // since the bubble's start
	c  Change
}

// bubble runs the emitter of a Watcher on a real temporary root inside a
// synctest bubble, with the given settle and cap, and collects what it
// delivers. Events are injected with notePath, as the drain goroutine does.
type bubble struct {
	w     *Watcher
	t0    time.Time
	mu    sync.Mutex
	got   []emitted
	stop  func()
	write func(rel string)
}

func newBubble(t *testing.T, settle, maxWait time.Duration) *bubble {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "x.md"), []byte("x"), 0o644))
	root, err := os.OpenRoot(dir)
	must(t, err)
	t.Cleanup(func() { root.Close() })
	w := newTestWatcher(t, dir, root)
	w.opts.Settle, w.opts.MaxWait = settle, maxWait
	w.co = newCoalescer(settle, maxWait)

	b := &bubble{w: w, t0: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.emitter(ctx) })
	wg.Go(func() {
		for {
			select {
			case c := <-w.out:
				b.mu.Lock()
				b.got = append(b.got, emitted{time.Since(b.t0), c})
				b.mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	})
	b.stop = func() { cancel(); wg.Wait() }
	b.write = func(rel string) { w.notePath(rel, time.Now(), ReasonEvent, false, false) }
	return b
}

// TestDebounceExact is W10 (first half) in a synctest bubble: 100 writes 5 ms
// apart are one change, exactly settle after the last write.
func TestDebounceExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const settle = 50 * time.Millisecond
		b := newBubble(t, settle, 2*time.Second)
		for i := range 100 {
			if i > 0 {
				time.Sleep(5 * time.Millisecond)
			}
			b.write("x.md")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		b.stop()
		if len(b.got) != 1 {
			t.Fatalf("%d changes, want 1: %v", len(b.got), b.got)
		}
		if want := 495*time.Millisecond + settle; b.got[0].at != want {
			t.Errorf("reported at %v, want %v", b.got[0].at, want)
		}
		if b.got[0].c.Seen.Sub(b.t0) != 0 {
			t.Errorf("Seen = +%v, want the first write (+0)", b.got[0].c.Seen.Sub(b.t0))
		}
	})
}

// TestMaxWaitExact is W10 (second half): a file written every 5 ms for five
// minutes is reported exactly every MaxWait, never starved by the settle time.
func TestMaxWaitExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxWait = 2 * time.Second
		b := newBubble(t, 50*time.Millisecond, maxWait)
		const period, total = 5 * time.Millisecond, 5 * time.Minute
		for at := time.Duration(0); at < total; at += period {
			if at > 0 {
				time.Sleep(period)
			}
			// Let the emitter handle what is due at this instant first, so
			// that the order of simultaneous timers cannot matter.
			synctest.Wait()
			b.write("x.md")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		b.stop()
		if want := int(total / maxWait); len(b.got) != want {
			t.Fatalf("%d changes in %v, want %d", len(b.got), total, want)
		}
		for i, e := range b.got {
			if want := time.Duration(i+1) * maxWait; e.at != want {
				t.Fatalf("change %d at %v, want %v", i, e.at, want)
			}
		}
	})
}

// TestCoalescerManyPaths: independent paths settle independently, in due
// order, each once.
func TestCoalescerManyPaths(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := newCoalescer(50*time.Millisecond, time.Second)
	c.add("b", t0, ReasonEvent, false, false)
	c.add("a", t0.Add(10*time.Millisecond), ReasonEvent, false, false)
	c.add("b", t0.Add(20*time.Millisecond), ReasonEvent, false, false)
	if _, ok := c.popDue(t0.Add(59 * time.Millisecond)); ok {
		t.Fatal("popped before anything was due")
	}
	p, ok := c.popDue(t0.Add(60 * time.Millisecond))
	if !ok || p.rel != "a" {
		t.Fatalf("popDue(+60ms) = %v %v, want a", p.rel, ok)
	}
	if d, _ := c.next(); !d.Equal(t0.Add(70 * time.Millisecond)) {
		t.Fatalf("next = %v, want +70ms", d.Sub(t0))
	}
	p, ok = c.popDue(t0.Add(time.Hour))
	if !ok || p.rel != "b" || !p.first.Equal(t0) {
		t.Fatalf("popDue = %+v %v", p, ok)
	}
	if c.len() != 0 {
		t.Fatalf("len = %d", c.len())
	}
}

// TestCoalescerReason: a kernel event that joins a rescan's verification
// becomes the reason, and the entry is no longer a mere verification.
func TestCoalescerReason(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := newCoalescer(time.Millisecond, time.Second)
	c.add("a", t0, ReasonRescan, true, false)
	c.add("a", t0, ReasonEvent, false, false)
	c.add("a", t0, ReasonOverflow, true, false)
	p, _ := c.popDue(t0.Add(time.Hour))
	if p.reason != ReasonEvent || p.verify {
		t.Fatalf("reason %s verify %v, want event and false", p.reason, p.verify)
	}
}

// checkCoalescer runs ops against a coalescer and checks its invariants:
// nothing is handed out before it is due, nothing later than settle after
// its last event or maxWait after its first, each path is pending at most
// once, and every event is followed by a pop of its path (the last event of
// a path is never lost). Each op is (path, time step, pop).
func checkCoalescer(t *testing.T, settle, maxWait time.Duration, ops [][3]int) {
	t.Helper()
	c := newCoalescer(settle, maxWait)
	now := time.Unix(1e6, 0)
	type span struct{ first, last time.Time }
	open := map[string]*span{}
	pop := func(p pending) {
		s := open[p.rel]
		if s == nil {
			t.Fatalf("popped %s, which had no event since its last pop", p.rel)
		}
		if !p.first.Equal(s.first) || !p.last.Equal(s.last) {
			t.Fatalf("%s: first/last %v/%v, want %v/%v", p.rel, p.first, p.last, s.first, s.last)
		}
		due := s.last.Add(settle)
		if cp := s.first.Add(maxWait); cp.Before(due) {
			due = cp
		}
		if now.Before(due) {
			t.Fatalf("%s popped at %v before it was due at %v", p.rel, now, due)
		}
		delete(open, p.rel)
	}
	for _, op := range ops {
		now = now.Add(time.Duration(op[1]) * time.Millisecond)
		if op[2] != 0 {
			for {
				p, ok := c.popDue(now)
				if !ok {
					break
				}
				pop(p)
			}
			// Whatever is still open must not be overdue.
			if d, ok := c.next(); ok && !d.After(now) {
				t.Fatalf("next due %v is not after now %v after draining", d, now)
			}
			continue
		}
		rel := fmt.Sprint("p", op[0])
		c.add(rel, now, ReasonEvent, false, false)
		if s := open[rel]; s != nil {
			s.last = now
		} else {
			open[rel] = &span{now, now}
		}
		if c.len() != len(open) {
			t.Fatalf("%d pending entries for %d open paths", c.len(), len(open))
		}
	}
	now = now.Add(maxWait + settle)
	for {
		p, ok := c.popDue(now)
		if !ok {
			break
		}
		pop(p)
	}
	if len(open) != 0 || c.len() != 0 {
		t.Fatalf("lost %d paths: %v", len(open), open)
	}
}

// TestCoalescerProperties is G4: 10,000 random event sequences.
func TestCoalescerProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := 10000
	if testing.Short() {
		cases = 1000
	}
	for range cases {
		settle := time.Duration(1+rng.IntN(100)) * time.Millisecond
		maxWait := settle + time.Duration(rng.IntN(500))*time.Millisecond
		ops := make([][3]int, rng.IntN(60))
		for i := range ops {
			ops[i] = [3]int{rng.IntN(5), rng.IntN(40), boolInt(rng.IntN(4) == 0)}
		}
		checkCoalescer(t, settle, maxWait, ops)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzCoalescer checks the same invariants on fuzzed sequences: each group
// of three bytes is a path (0-7), a time step in ms, and a pop flag.
func FuzzCoalescer(f *testing.F) {
	f.Add(uint16(50), uint16(100), []byte{0, 5, 0, 0, 5, 0, 1, 60, 1, 0, 200, 1})
	f.Add(uint16(1), uint16(1), []byte{0, 0, 0, 0, 0, 1})
	f.Add(uint16(10), uint16(2000), []byte{3, 255, 0, 3, 1, 0, 4, 9, 1})
	f.Fuzz(func(t *testing.T, settleMS, extraMS uint16, data []byte) {
		settle := time.Duration(settleMS%1000+1) * time.Millisecond
		maxWait := settle + time.Duration(extraMS%5000)*time.Millisecond
		var ops [][3]int
		for len(data) >= 3 {
			ops = append(ops, [3]int{int(data[0] % 8), int(data[1]), int(data[2] & 1)})
			data = data[3:]
		}
		checkCoalescer(t, settle, maxWait, ops)
	})
}
