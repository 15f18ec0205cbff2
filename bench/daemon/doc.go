// Command daemon benchmarks `scribe watch`: it runs the real daemon in this
// process (the daemon package, configured as the CLI would), changes files of
// a deterministic corpus the way a user would, and observes the daemon's
// rewrites with its own inotify watch.
//
//	go run ./bench/daemon -scenario latency -n 10000 -settle 50ms
//	go run ./bench/daemon -scenario latency -target bare
//	go run ./bench/daemon -scenario burst -files 2000
//	go run ./bench/daemon -scenario startup -n 10000,100000
//	go run ./bench/daemon -scenario rss -n 100000
//	go run ./bench/daemon -scenario idle -n 20000 -idle 60s
//
// Run it from the module root: the corpus is written by ./bench/corpus.
// Scenarios:
//
//   - latency: one save at a time (a "TODO: x" line appended in place to a
//     different file each time); the latency is from just before the save to
//     the inotify event of the daemon's rename whose content shows the rule
//     applied. The next save waits for that rewrite.
//   - burst: -files files saved back to back as fast as one goroutine can;
//     reports the time from the last save to the last rewrite, files never
//     rewritten within -timeout (missed) and files renamed over more than
//     once (double writes), cross-checked with the daemon's written counter.
//   - startup: time from Run to Ready, cold (no state dir) then warm (the
//     state left by the cold run), catch-up scan included, for each -n.
//   - rss: VmRSS and VmHWM of this process, which is the daemon, at -n files
//     once ready and once the queue has drained.
//   - idle: unlike the others, the real `scribe watch` (built from
//     ./cmd/scribe) as a child process, with every built-in action configured
//     on its own copy of the corpus. Once it has caught up (a cold start by
//     default: every file processed) and processed nothing for 15 s (the file
//     index is saved in that time), nothing changes for -idle while the
//     child's CPU time (utime+stime of every thread, /proc/PID/stat), RSS,
//     GC cycles and bytes allocated (/metrics, whose scrapes allocate about
//     200 KB themselves) and context switches are read at both ends.
//     -gomemlimit runs it with GOMEMLIMIT set, e.g. 64MiB, the soft limit
//     scribe watch used to set itself.
//
// With -target bare the latency and burst scenarios run against
// bench/bareloop instead: a bare inotify-plus-rewrite loop with fsync, the
// baseline for what the hardware allows (-bare-settle gives it a timer per
// event, to compare with the daemon's settle time).
//
// -work DIR keeps the corpora (one per size) and the daemon's state between
// invocations; startup -cold=false then measures warm starts only.
// -cpuprofile and -memprofile (rss) write pprof profiles of the daemon.
//
// Each scenario prints a Markdown table (scenario, setting, metric, value,
// goal, verdict); bench/daemon.sh runs them all. -runs repeats the measurement
// and reports the best run, listing every run's headline figure too.
//
// Linux only (inotify, /proc).
package main
