package action

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// Pool bounds how many requests run at once. A request that outlives its
// deadline keeps its slot until it really returns, so runaway work can never
// hold more than Size goroutines. Plugin runtimes bound their requests in
// flight with one: a plugin with concurrency 1 is the original engine's
// "sync plugin wrapped in a pool".
type Pool struct {
	slots chan struct{}
}

// NewPool returns a pool of n slots (at least 1).
func NewPool(n int) *Pool {
	if n < 1 {
		n = 1
	}
	return &Pool{slots: make(chan struct{}, n)}
}

// Size reports the number of slots.
func (p *Pool) Size() int { return cap(p.slots) }

// InUse reports how many slots are taken, abandoned requests included.
func (p *Pool) InUse() int { return len(p.slots) }

// Acquire takes a slot, waiting until one is free or ctx ends. The caller
// must call release exactly once when its work is over (even if it was
// abandoned by its own caller meanwhile).
func (p *Pool) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, nil
	case <-ctx.Done():
		busy := fmt.Sprintf("all %d slots stayed busy", cap(p.slots))
		if cap(p.slots) == 1 {
			busy = "its one slot stayed busy"
		}
		return nil, fmt.Errorf("%s: %w", busy, context.Cause(ctx))
	}
}

var abandoned atomic.Int64

// Abandoned reports how many action calls were abandoned since the process
// started.
func Abandoned() int64 { return abandoned.Load() }

// Call runs a.Run under timeout and returns when it finishes or when the
// deadline passes, whichever is first. A context-aware action that ignores its
// deadline is abandoned: Call returns ErrAbandoned, counts it, and the action's
// goroutine is left to end on its own. A panic in the action becomes an error.
// Findings past MaxFindings are cut (see CapFindings).
func Call(ctx context.Context, a Action, in Input, timeout time.Duration) (Output, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	type result struct {
		out Output
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("action panicked: %v", r)}
			}
		}()
		out, err := a.Run(ctx, in)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		r.out.Findings = CapFindings(r.out.Findings, in.Path, 0)
		return r.out, r.err
	case <-ctx.Done():
		// Give a well-behaved action the chance to report its own error
		// (it saw the same ctx); only one that ignores ctx is abandoned.
		grace := time.NewTimer(abandonGrace)
		defer grace.Stop()
		select {
		case r := <-done:
			if r.err == nil {
				r.err = ctx.Err()
			}
			return Output{}, r.err
		case <-grace.C:
			abandoned.Add(1)
			return Output{}, fmt.Errorf("%w (%v)", ErrAbandoned, context.Cause(ctx))
		}
	}
}

// abandonGrace is how long Call waits, after the deadline, for an action to
// notice it. Short: it is only there so a prompt ctx-aware action reports its
// own error rather than being counted as abandoned.
const abandonGrace = 50 * time.Millisecond
