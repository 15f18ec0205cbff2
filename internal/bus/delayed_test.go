package bus

import (
	"sync/atomic"
	"testing"
	"time"
)

// flush runs every function still waiting, exactly once, including those
// whose timer fires while flush runs, and returns only after they ran.
func TestDelayedFlushRunsEachOnce(t *testing.T) {
	for range 200 {
		var q delayed
		var ran atomic.Int64
		const n = 20
		for i := range n {
			q.after(time.Duration(i%3)*time.Microsecond, func() { ran.Add(1) })
		}
		q.flush()
		if got := ran.Load(); got != n {
			t.Fatalf("%d of %d functions ran by the end of flush", got, n)
		}
		q.after(time.Hour, func() { ran.Add(1) }) // flushed: runs at once
		q.running.Wait()
		if got := ran.Load(); got != n+1 {
			t.Fatalf("after flush: %d ran, want %d", got, n+1)
		}
	}
}
