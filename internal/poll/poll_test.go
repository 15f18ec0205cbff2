package poll

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a testing.TB whose Fatalf records the failure and ends the
// goroutine, as testing's does.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}

// run calls f with a recorder and returns what it failed with ("" when it
// returned).
func run(t *testing.T, f func(tb testing.TB)) string {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		f(r)
	}()
	return r.failed
}

func TestUntil(t *testing.T) {
	// A condition that turns true on its fifth call: polled until then.
	var calls atomic.Int32
	if failed := run(t, func(tb testing.TB) {
		Until(tb, 10*time.Second, "the fifth call", func() bool { return calls.Add(1) == 5 })
	}); failed != "" || calls.Load() != 5 {
		t.Fatalf("failed %q after %d calls; want no failure after 5", failed, calls.Load())
	}

	// One that never holds: the failure names it, after the deadline and
	// a last poll there.
	calls.Store(0)
	start := time.Now()
	failed := run(t, func(tb testing.TB) {
		Until(tb, 200*time.Millisecond, "the impossible", func() bool { calls.Add(1); return false })
	})
	if took := time.Since(start); took < 200*time.Millisecond || !strings.Contains(failed, "waiting for the impossible") {
		t.Fatalf("failed %q after %v; want a failure naming the condition after 200ms", failed, took)
	}
	// 1, 2, 4, …, 100 ms pauses: about ten polls in 200 ms, not
	// hundreds.
	if n := calls.Load(); n < 2 || n > 20 {
		t.Errorf("%d polls in 200ms; want the pause to double from 1ms up to 100ms", n)
	}
}

func TestNoError(t *testing.T) {
	var calls atomic.Int32
	if failed := run(t, func(tb testing.TB) {
		NoError(tb, 10*time.Second, func() error {
			if calls.Add(1) < 3 {
				return errors.New("not yet")
			}
			return nil
		})
	}); failed != "" || calls.Load() != 3 {
		t.Fatalf("failed %q after %d calls; want no failure after 3", failed, calls.Load())
	}
	calls.Store(0)
	failed := run(t, func(tb testing.TB) {
		NoError(tb, 50*time.Millisecond, func() error { return fmt.Errorf("attempt %d", calls.Add(1)) })
	})
	if want := fmt.Sprintf("attempt %d", calls.Load()); !strings.HasSuffix(failed, want) {
		t.Fatalf("failed %q; want the last error, %q", failed, want)
	}
}
