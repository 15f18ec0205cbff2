package daemon

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/rule"
)

func breakerFor(failures int, reset time.Duration) *breakers {
	return newBreakers(&rule.Set{Rules: []*rule.Rule{{ID: "r", OnError: config.OnError{
		Breaker: config.Breaker{Failures: failures, Reset: config.Duration(reset)}}}}}, nil)
}

func report(t *testing.T, b *breakers, v engine.Verdict) {
	t.Helper()
	done, ok := b.gate("r")
	if !ok {
		t.Fatalf("the breaker refused the rule before a %v verdict; states %v", v, b.states())
	}
	done(v)
}

// A rule that did not run (no worker reached) is no success: it does not
// break a run of failures, which still opens the breaker.
func TestNotRunDoesNotResetFailures(t *testing.T) {
	b := breakerFor(2, time.Minute)
	report(t, b, engine.Failed)
	report(t, b, engine.NotRun)
	report(t, b, engine.NotRun)
	report(t, b, engine.Failed)
	if s := b.states()["r"]; s != "open" {
		t.Fatalf("breaker %s after failed, not run, not run, failed; want open", s)
	}
}

// Nor is it a failure: any number of them leaves the breaker closed.
func TestNotRunDoesNotOpenTheBreaker(t *testing.T) {
	b := breakerFor(1, time.Minute)
	for range 10 {
		report(t, b, engine.NotRun)
	}
	if s := b.states()["r"]; s != "closed" {
		t.Fatalf("breaker %s after ten rules not run; want closed", s)
	}
}

// A half-open breaker's trial that comes to no verdict gives the trial
// back: the next file tries, and its success closes the breaker.
func TestNotRunGivesBackTheHalfOpenTrial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := breakerFor(1, time.Minute)
		report(t, b, engine.Failed)
		time.Sleep(time.Minute + time.Second)
		if s := b.states()["r"]; s != "half-open" {
			t.Fatalf("breaker %s after its reset; want half-open", s)
		}
		report(t, b, engine.NotRun)
		report(t, b, engine.Succeeded)
		if s := b.states()["r"]; s != "closed" {
			t.Fatalf("breaker %s after a trial not run and one that succeeded; want closed", s)
		}
	})
}
