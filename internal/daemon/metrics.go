package daemon

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/sandbox"
)

// metrics are the daemon's Prometheus metrics, on a registry of its own so
// that tests can run several daemons in one process.
type metrics struct {
	reg        *prometheus.Registry
	events     *prometheus.CounterVec
	processed  *prometheus.CounterVec
	actionDur  *prometheus.HistogramVec
	latency    prometheus.Histogram
	loopBreaks prometheus.Counter
	deadAdded  prometheus.Counter
}

func newMetrics(d *Daemon) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scribe_events_received_total", Help: "Settled file changes reported by the watchers, by reason.",
	}, []string{"reason"})
	m.processed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scribe_files_processed_total", Help: "Files processed, by rule and what that rule did: written (it changed the file), unchanged (it ran, findings or not), failed, skipped (the file was not read).",
	}, []string{"rule", "result"})
	m.actionDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "scribe_action_duration_seconds", Help: "Duration of one action call.",
		Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"action"})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "scribe_change_to_write_seconds", Help: "Time from the first event of a change to the engine's write.",
		Buckets: []float64{.001, .002, .003, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	m.loopBreaks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "scribe_loop_breaks_total", Help: "Files quarantined because a rule kept rewriting them.",
	})
	m.deadAdded = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "scribe_dead_letters_added_total", Help: "Events whose processing kept failing and went to the dead-letter queue.",
	})
	m.reg.MustRegister(m.events, m.processed, m.actionDur, m.latency, m.loopBreaks, m.deadAdded,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scribe_queue_depth", Help: "File events waiting on the bus."},
			func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				n, _ := d.pending(ctx)
				return float64(n)
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scribe_dead_letters", Help: "Files in the dead-letter queue (one entry per file)."},
			func() float64 {
				// One request, whatever the count (listing them within
				// the deadline read 0 for 6,283).
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if d.bus == nil {
					return 0
				}
				n, _ := d.bus.DeadLetterCount(ctx)
				return float64(n)
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scribe_actions_abandoned_total", Help: "Action calls abandoned after ignoring their deadline."},
			func() float64 { return float64(action.Abandoned()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scribe_exec_escaped_total", Help: "Processes that left an exec command's process group (setsid) and were killed when the command ended."},
			func() float64 { return float64(sandbox.Escaped()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scribe_watch_overflows_total", Help: "Kernel event queue overflows (each followed by a rescan)."},
			func() float64 { return float64(d.watchStats().Overflows) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scribe_rescans_total", Help: "Full rescans of the roots, the first crawl included."},
			func() float64 { return float64(d.watchStats().Rescans) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scribe_memory_budget_bytes", Help: "engine.memory_budget, or the automatic budget (0 until set); reported, never enforced."},
			func() float64 { return float64(d.checkMemory(false).Budget) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scribe_memory_over_budget", Help: "1 while the daemon holds more memory than its budget."},
			func() float64 {
				if d.checkMemory(false).Over {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scribe_paused", Help: "1 while processing is paused."},
			func() float64 {
				if p, _ := d.paused(); p {
					return 1
				}
				return 0
			}),
	)
	m.reg.MustRegister(breakerCollector{d}, pluginCollector{d}, findingsCollector{d})
	return m
}

// pluginCollector exports each plugin's calls, failures, restarts, running
// instances and call durations, read from the current plugin set (it
// changes on reload; a reused plugin keeps its counts).
type pluginCollector struct{ d *Daemon }

var (
	pluginCallsDesc     = prometheus.NewDesc("scribe_plugin_calls_total", "Plugin action calls.", []string{"plugin"}, nil)
	pluginFailuresDesc  = prometheus.NewDesc("scribe_plugin_failures_total", "Plugin action calls that failed.", []string{"plugin"}, nil)
	pluginRestartsDesc  = prometheus.NewDesc("scribe_plugin_restarts_total", "Plugin instances that ended on their own (crash, hang, protocol violation) or failed to start.", []string{"plugin"}, nil)
	pluginInstancesDesc = prometheus.NewDesc("scribe_plugin_instances", "Plugin instances running.", []string{"plugin"}, nil)
	pluginDurationDesc  = prometheus.NewDesc("scribe_plugin_call_duration_seconds", "Duration of one plugin action call.", []string{"plugin"}, nil)
)

func (c pluginCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pluginCallsDesc, pluginFailuresDesc, pluginRestartsDesc, pluginInstancesDesc, pluginDurationDesc} {
		ch <- d
	}
}

func (c pluginCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.d.currentPlugins().Metrics() {
		ch <- prometheus.MustNewConstMetric(pluginCallsDesc, prometheus.CounterValue, float64(m.Calls), m.Name)
		ch <- prometheus.MustNewConstMetric(pluginFailuresDesc, prometheus.CounterValue, float64(m.Failures), m.Name)
		ch <- prometheus.MustNewConstMetric(pluginRestartsDesc, prometheus.CounterValue, float64(m.Restarts), m.Name)
		ch <- prometheus.MustNewConstMetric(pluginInstancesDesc, prometheus.GaugeValue, float64(m.Instances), m.Name)
		buckets := make(map[float64]uint64, len(m.Buckets))
		for i, b := range m.Buckets {
			buckets[b] = m.Counts[i]
		}
		ch <- prometheus.MustNewConstHistogram(pluginDurationDesc, uint64(m.Calls), m.Sum, buckets, m.Name)
	}
}

// breakerCollector exports each rule's breaker state: 0 closed, 1 half-open, 2 open.
type breakerCollector struct{ d *Daemon }

var breakerDesc = prometheus.NewDesc("scribe_breaker_state", "Circuit breaker state per rule: 0 closed, 1 half-open, 2 open.", []string{"rule"}, nil)

func (c breakerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- breakerDesc }

func (c breakerCollector) Collect(ch chan<- prometheus.Metric) {
	for id, st := range c.d.breakerStates() {
		v := 0.0
		switch st {
		case "half-open":
			v = 1
		case "open":
			v = 2
		}
		ch <- prometheus.MustNewConstMetric(breakerDesc, prometheus.GaugeValue, v, id)
	}
}

// findingsCollector exports the current findings by rule and severity, and
// the files that have any.
type findingsCollector struct{ d *Daemon }

var (
	findingsDesc      = prometheus.NewDesc("scribe_findings", "Current findings (broken links, schema violations, ...) by rule and severity.", []string{"rule", "severity"}, nil)
	findingsFilesDesc = prometheus.NewDesc("scribe_files_with_findings", "Files that have findings.", nil, nil)
)

func (c findingsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- findingsDesc
	ch <- findingsFilesDesc
}

func (c findingsCollector) Collect(ch chan<- prometheus.Metric) {
	counts, files := c.d.findings.Counts()
	for _, n := range counts {
		ch <- prometheus.MustNewConstMetric(findingsDesc, prometheus.GaugeValue, float64(n.N), n.Rule, n.Severity)
	}
	ch <- prometheus.MustNewConstMetric(findingsFilesDesc, prometheus.GaugeValue, float64(files))
}
