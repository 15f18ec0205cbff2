package dashboard

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// The samples of the activity chart: one per Interval, Window of them.
const (
	Interval = 5 * time.Second
	Window   = 10 * time.Minute
	slots    = int(Window / Interval)
)

// depthTimeout bounds one reading of the queue depth.
const depthTimeout = 2 * time.Second

// Activity keeps what the dashboard charts: files processed, written and
// failed per Interval over the last Window, the queue depth in those
// intervals, and per-rule counts since the daemon started. It lives in the
// daemon, so that a browser that opens the dashboard later still sees the
// last minutes.
//
// Nothing runs on a timer while the daemon is idle: counts are recorded as
// files are processed, and the queue depth is read after activity (at most
// once per Interval, by Run) and whenever a client asks (Snapshot). An
// interval in which neither happened has no depth reading.
//
// Processed and Changed never block and are safe for concurrent use.
type Activity struct {
	depth func(context.Context) (int, error)
	now   func() time.Time
	kick  chan struct{}

	mu      sync.Mutex
	started time.Time
	ring    [slots]sample
	rules   map[string]*RuleCount
}

// sample is one interval of the ring; a zero start means unused.
type sample struct {
	start                      time.Time
	processed, written, failed int
	pending                    int
	sampled                    bool
}

// RuleCount counts what one rule did since the daemon started.
type RuleCount struct {
	Rule string `json:"rule"`
	// Applied counts the files the rule applied to (its globs, match and
	// condition held).
	Applied int64 `json:"applied"`
	// Failed counts the files on which it failed.
	Failed int64 `json:"failed"`
}

// NewActivity returns an Activity that reads the queue depth with depth.
func NewActivity(depth func(context.Context) (int, error)) *Activity {
	return newActivity(depth, time.Now)
}

func newActivity(depth func(context.Context) (int, error), now func() time.Time) *Activity {
	return &Activity{depth: depth, now: now, kick: make(chan struct{}, 1), started: now(), rules: map[string]*RuleCount{}}
}

// Processed records one file worked through its rules: result is
// "written", "unchanged", "failed" or "skipped", rules are those that
// applied and failed those that failed.
func (a *Activity) Processed(result string, rules, failed []string) {
	a.mu.Lock()
	s := a.slot(a.now())
	s.processed++
	switch result {
	case "written":
		s.written++
	case "failed":
		s.failed++
	}
	for _, r := range rules {
		a.rule(r).Applied++
	}
	for _, r := range failed {
		a.rule(r).Failed++
	}
	a.mu.Unlock()
	a.Changed()
}

// Changed says the queue may have changed (a pause, a resume, a retry): Run
// reads its depth soon.
func (a *Activity) Changed() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Run reads the queue depth after each Changed or Processed, at most once
// per Interval, until ctx is done. It sleeps while nothing happens.
func (a *Activity) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.kick:
		}
		a.sampleDepth(ctx)
		now := a.now()
		wait := time.NewTimer(now.Truncate(Interval).Add(Interval).Sub(now))
		select {
		case <-ctx.Done():
			wait.Stop()
			return nil
		case <-wait.C:
		}
	}
}

func (a *Activity) sampleDepth(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, depthTimeout)
	n, err := a.depth(ctx)
	cancel()
	if err != nil {
		return // not known: the interval shows no reading
	}
	a.mu.Lock()
	s := a.slot(a.now())
	s.pending, s.sampled = n, true
	a.mu.Unlock()
}

// slot returns the ring's sample for the interval holding t, reset when it
// still holds an older interval. a.mu must be held.
func (a *Activity) slot(t time.Time) *sample {
	start := t.Truncate(Interval)
	s := &a.ring[int(start.UnixNano()/int64(Interval))%slots]
	if !s.start.Equal(start) {
		*s = sample{start: start}
	}
	return s
}

func (a *Activity) rule(id string) *RuleCount {
	c := a.rules[id]
	if c == nil {
		c = &RuleCount{Rule: id}
		a.rules[id] = c
	}
	return c
}

// Rules returns what each rule did since the daemon started, by rule id
// (a rule that never applied has no entry).
func (a *Activity) Rules() map[string]RuleCount {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]RuleCount, len(a.rules))
	for id, c := range a.rules {
		out[id] = *c
	}
	return out
}

// Snapshot is the document of GET /api/v1/activity.
type Snapshot struct {
	// IntervalSeconds is the width of a sample, WindowSeconds how far
	// back the samples go at most.
	IntervalSeconds int `json:"interval_seconds"`
	WindowSeconds   int `json:"window_seconds"`
	// Samples cover the last Window (or the time since the daemon
	// started), oldest first, one per interval, the current one last.
	Samples []Sample `json:"samples"`
	// Rules are the per-rule counts, by rule id.
	Rules []RuleCount `json:"rules"`
}

// Sample is one interval of a Snapshot.
type Sample struct {
	Time      time.Time `json:"time"` // the interval's start
	Processed int       `json:"processed"`
	Written   int       `json:"written"`
	Failed    int       `json:"failed"`
	// Pending is the queue depth read last in the interval; null when it
	// was not read (nothing happened and no client looked).
	Pending *int `json:"pending"`
}

// Snapshot reads the queue depth now and returns the samples and counts.
func (a *Activity) Snapshot(ctx context.Context) Snapshot {
	a.sampleDepth(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now().Truncate(Interval)
	from := now.Add(-Window + Interval)
	if start := a.started.Truncate(Interval); start.After(from) {
		from = start
	}
	snap := Snapshot{IntervalSeconds: int(Interval / time.Second), WindowSeconds: int(Window / time.Second), Samples: []Sample{}, Rules: []RuleCount{}}
	for t := from; !t.After(now); t = t.Add(Interval) {
		out := Sample{Time: t}
		if s := a.ring[int(t.UnixNano()/int64(Interval))%slots]; s.start.Equal(t) {
			out.Processed, out.Written, out.Failed = s.processed, s.written, s.failed
			if s.sampled {
				out.Pending = &s.pending
			}
		}
		snap.Samples = append(snap.Samples, out)
	}
	for _, c := range a.rules {
		snap.Rules = append(snap.Rules, *c)
	}
	slices.SortFunc(snap.Rules, func(x, y RuleCount) int { return strings.Compare(x.Rule, y.Rule) })
	return snap
}
