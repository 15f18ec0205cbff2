package daemon

import (
	"errors"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/rule"
)

var (
	errRuleFailed = errors.New("rule failed")
	// errNotRun is a rule let through that came to no verdict (no
	// worker ran it, or the daemon stopped): excluded from the counts,
	// and a half-open breaker's probe is given back.
	errNotRun = errors.New("rule did not run")
)

// breakers holds one circuit breaker per rule that configures one.
type breakers struct {
	mu sync.Mutex
	m  map[string]*gobreaker.TwoStepCircuitBreaker[struct{}]
}

func newBreakers(set *rule.Set, onChange func(rule, from, to string)) *breakers {
	b := &breakers{m: map[string]*gobreaker.TwoStepCircuitBreaker[struct{}]{}}
	for _, r := range set.Rules {
		cfg := r.OnError.Breaker
		if cfg.Failures <= 0 {
			continue
		}
		failures := uint32(cfg.Failures)
		reset := cfg.Reset.Std()
		if reset <= 0 {
			reset = time.Minute
		}
		b.m[r.ID] = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
			Name:    r.ID,
			Timeout: reset,
			ReadyToTrip: func(c gobreaker.Counts) bool {
				return c.ConsecutiveFailures >= failures
			},
			IsExcluded: func(err error) bool { return errors.Is(err, errNotRun) },
			OnStateChange: func(name string, from, to gobreaker.State) {
				if onChange != nil {
					onChange(name, from.String(), to.String())
				}
			},
		})
	}
	return b
}

// gate is engine.Options.Gate.
func (b *breakers) gate(ruleID string) (func(engine.Verdict), bool) {
	b.mu.Lock()
	cb := b.m[ruleID]
	b.mu.Unlock()
	if cb == nil {
		return func(engine.Verdict) {}, true
	}
	done, err := cb.Allow()
	if err != nil { // gobreaker.ErrOpenState or ErrTooManyRequests
		return nil, false
	}
	return func(v engine.Verdict) {
		switch v {
		case engine.Succeeded:
			done(nil)
		case engine.Failed:
			done(errRuleFailed)
		default:
			done(errNotRun)
		}
	}, true
}

// states returns each breaker's state ("closed", "open", "half-open").
func (b *breakers) states() map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]string, len(b.m))
	for id, cb := range b.m {
		out[id] = cb.State().String()
	}
	return out
}
