package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// row is one line of the results table.
type row struct {
	scenario string // e.g. "latency"
	setting  string // e.g. "daemon, settle 50ms, 10000 files"
	metric   string // e.g. "p99"
	value    string
	goal     string // "" when the issue sets none
	verdict  string // "ok", "MISSED by ...", or ""
}

func printRows(w io.Writer, rows []row, header bool) {
	if header {
		fmt.Fprintln(w, "| scenario | setting | metric | value | goal | verdict |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
	}
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.scenario, r.setting, r.metric, r.value, r.goal, r.verdict)
	}
}

// atMost returns the verdict of value against a goal of at most limit.
func atMost(value, limit time.Duration) string {
	if value <= limit {
		return "ok"
	}
	r := float64(value) / float64(limit)
	if r < 10 {
		return fmt.Sprintf("missed by %s (%.2fx)", ms(value-limit), r)
	}
	return fmt.Sprintf("missed by %s (%.0fx)", ms(value-limit), r)
}

// ms formats d in milliseconds with a precision that suits its size.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 1000:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f s", v/1000)
	}
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted samples,
// by the nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// summary is the distribution of one run's samples.
type summary struct {
	n                       int
	p50, p90, p99, max, min time.Duration
}

func summarize(samples []time.Duration) summary {
	s := slices.Clone(samples)
	slices.Sort(s)
	if len(s) == 0 {
		return summary{}
	}
	return summary{n: len(s), p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[len(s)-1], min: s[0]}
}
