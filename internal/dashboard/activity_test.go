package dashboard

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// runActivity runs an Activity's Run in the bubble; the depth it reads is
// *depth, and reads counts the readings.
func runActivity(t *testing.T) (a *Activity, depth *atomic.Int64, reads *atomic.Int64, stop func()) {
	depth, reads = new(atomic.Int64), new(atomic.Int64)
	a = NewActivity(func(context.Context) (int, error) {
		reads.Add(1)
		return int(depth.Load()), nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return a, depth, reads, func() { cancel(); wg.Wait() }
}

// Idle costs nothing: the queue depth is read after activity, at most once
// per interval, and never while nothing happens.
func TestActivityReadsDepthOnlyAfterActivity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, depth, reads, stop := runActivity(t)
		defer stop()
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := reads.Load(); n != 0 {
			t.Fatalf("%d depth readings in an idle hour, want 0", n)
		}

		depth.Store(7)
		for range 100 {
			a.Processed("written", []string{"todo"}, nil)
		}
		synctest.Wait()
		if n := reads.Load(); n != 1 {
			t.Fatalf("%d depth readings right after a burst, want 1", n)
		}
		time.Sleep(Interval)
		synctest.Wait()
		if n := reads.Load(); n != 2 {
			t.Fatalf("%d depth readings an interval after the burst, want 2 (the burst went on after the first)", n)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := reads.Load(); n != 2 {
			t.Fatalf("%d depth readings an hour after the burst, want still 2", n)
		}
	})
}

func TestActivitySnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, depth, _, stop := runActivity(t)
		defer stop()
		start := time.Now()

		a.Processed("written", []string{"todo", "links"}, nil)
		a.Processed("unchanged", []string{"links"}, nil)
		a.Processed("failed", []string{"todo", "links"}, []string{"links"})
		synctest.Wait()
		time.Sleep(3 * Interval)
		depth.Store(4)
		snap := a.Snapshot(context.Background())
		if snap.IntervalSeconds != 5 || len(snap.Samples) != 4 {
			t.Fatalf("snapshot %+v; want 4 samples of 5 s since the start", snap)
		}
		first, last := snap.Samples[0], snap.Samples[3]
		if !first.Time.Equal(start.Truncate(Interval)) || first.Processed != 3 || first.Written != 1 || first.Failed != 1 || first.Pending == nil || *first.Pending != 0 {
			t.Errorf("first sample %+v; want 3 processed, 1 written, 1 failed, depth 0", first)
		}
		// Run may take the first event's kick and read the depth before
		// the other two arrive; those then kick one more reading, an
		// interval later (see TestActivityReadsDepthOnlyAfterActivity).
		// Which happens is up to the scheduler.
		if s := snap.Samples[1]; s.Processed != 0 || s.Pending != nil && *s.Pending != 0 {
			t.Errorf("sample after the burst %+v; want nothing processed and at most the burst's follow-up reading, depth 0", s)
		}
		if s := snap.Samples[2]; s.Processed != 0 || s.Pending != nil {
			t.Errorf("quiet sample %+v; want nothing processed and no depth reading", s)
		}
		if last.Pending == nil || *last.Pending != 4 {
			t.Errorf("last sample %+v; want the depth read by the snapshot, 4", last)
		}
		want := []RuleCount{{Rule: "links", Applied: 3, Failed: 1}, {Rule: "todo", Applied: 2}}
		if len(snap.Rules) != 2 || snap.Rules[0] != want[0] || snap.Rules[1] != want[1] {
			t.Errorf("rules %+v, want %+v", snap.Rules, want)
		}

		// After more than a window, the ring has reused every slot: the
		// snapshot covers exactly the window, and no old count shows.
		for range 2 * slots {
			time.Sleep(Interval)
			a.Processed("written", nil, nil)
		}
		time.Sleep(Interval / 2)
		snap = a.Snapshot(context.Background())
		if len(snap.Samples) != slots {
			t.Fatalf("%d samples after 20 minutes, want %d", len(snap.Samples), slots)
		}
		now := time.Now().Truncate(Interval)
		if got := snap.Samples[0].Time; !got.Equal(now.Add(-Window + Interval)) {
			t.Errorf("oldest sample at %v, want %v", got, now.Add(-Window+Interval))
		}
		for i, s := range snap.Samples {
			if s.Processed != 1 || s.Written != 1 {
				t.Errorf("sample %d (%v): %+v, want the one file of that interval", i, s.Time, s)
			}
		}
	})
}

// A depth that cannot be read leaves the interval without a reading.
func TestActivityDepthError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := NewActivity(func(ctx context.Context) (int, error) { return 0, context.DeadlineExceeded })
		snap := a.Snapshot(context.Background())
		if len(snap.Samples) != 1 || snap.Samples[0].Pending != nil {
			t.Errorf("samples %+v; want one, with no depth", snap.Samples)
		}
	})
}
