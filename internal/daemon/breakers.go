package daemon

import (
	"errors"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/scribe-md/scribe/internal/rule"
)

var errRuleFailed = errors.New("rule failed")

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
func (b *breakers) gate(ruleID string) (func(bool), bool) {
	b.mu.Lock()
	cb := b.m[ruleID]
	b.mu.Unlock()
	if cb == nil {
		return func(bool) {}, true
	}
	done, err := cb.Allow()
	if err != nil { // gobreaker.ErrOpenState or ErrTooManyRequests
		return nil, false
	}
	return func(ok bool) {
		if ok {
			done(nil)
		} else {
			done(errRuleFailed)
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
