// Command daemon benchmarks `scribe watch`: it runs the real daemon in this
// process (the daemon package, configured as the CLI would), changes files of
// a deterministic corpus the way a user would, and observes the daemon's
// rewrites with its own inotify watch.
//
//	go run ./bench/daemon -scenario latency -n 10000 -settle 50ms
//	go run ./bench/daemon -scenario latency -target bare
//	go run ./bench/daemon -scenario burst -files 2000
//	go run ./bench/daemon -scenario burst -files 2000 -target process
//	go run ./bench/daemon -scenario flood -files 20000
//	go run ./bench/daemon -scenario flood -files 20000 -target bare -workers 16
//	go run ./bench/daemon -scenario startup -n 10000,100000
//	go run ./bench/daemon -scenario rss -n 100000
//	go run ./bench/daemon -scenario idle -n 20000 -idle 60s
//	go run ./bench/daemon -scenario million -drain-timeout 30m
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
//   - flood: -files new notes written back to back into one new folder (by
//     default more than the kernel's inotify queue holds, so the daemon's
//     watcher overflows and rescans); reports the time from the first file
//     written to the last rewrite, and checks every file byte for byte.
//     Each run writes its own folder, created before the target starts,
//     and once the target stopped the folders are moved out of the tree
//     (into spent/ beside it), not deleted: on ext4 without a journal,
//     deleting 20,000 files makes creating files in their block group slow
//     for minutes after (the kernel skips recently freed inodes one by
//     one), which would weigh on the next runs, bare or not. So every
//     invocation starts on the same tree: the corpus, in a directory of its
//     own (nN-flood in -work), apart from the one the other scenarios of
//     the same size start on. A daemon's state kept from an earlier
//     invocation finds the moved files gone at its start.
//   - startup: time from Run to Ready, cold (no state dir) then warm (the
//     state left by the cold run), catch-up scan included, for each -n.
//   - rss: VmRSS and VmHWM of this process, which is the daemon, at -n files
//     once ready and once the queue has drained; with -target process, of
//     `scribe watch` alone in a child process.
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
//   - million: a tree of -n notes (default 1,000,000) in n/100 folders. A
//     cold start queues every file; during that backlog one edit is saved
//     once a quarter is done (it must be rewritten within a second: live
//     changes jump the bulk queue) and the daemon is restarted at half (it
//     must not queue the backlog twice). Reports both starts to ready, the
//     first pass's rate, the queue's largest size, a warm start with the
//     whole index, and the resident memory throughout.
//
// With -target bare the latency, burst and flood scenarios run against
// bench/bareloop instead: a bare inotify-plus-rewrite loop with fsync, the
// baseline for what the hardware allows (-workers sets its rewriting
// goroutines; -bare-settle gives it a timer per event, to compare with the
// daemon's settle time). The bare loop does not recover from an overflow of
// the kernel's queue: a flood it falls behind on ends with an error.
// -bare-process runs it in a child process of its own (this program
// re-executed), as -target process runs scribe watch: each then pays for a
// process and a Go runtime of its own, and a burst reports the child's CPU
// alone beside the total. In this program's process the loop shares the
// saver's scheduler, which wakes it less often than a separate process is
// woken (see doc/PERFORMANCE.md, "The bare loop in a process of its own").
//
// With -target process they run against `scribe watch`, built from this
// checkout, in a child process with the same configuration: the burst's
// peak memory is then the daemon's alone, not shared with the saver and the
// observer (and the binary's own pages are those of the real command), and
// the CPU figures add the child's to this process's. -scribe BINARY runs
// that binary instead of building one, to compare two builds (the daemon
// target is compiled into this program, so comparing it takes two builds
// of the benchmark).
//
// -work DIR keeps the corpora (one per size) and the daemon's state between
// invocations; startup -cold=false then measures warm starts only.
// -cpuprofile and -memprofile write pprof profiles of the daemon; for
// latency, burst and flood, -memprofile FILE writes FILE.start too, so that
// `go tool pprof -sample_index=alloc_space -base FILE.start FILE` shows what
// the measured part allocated.
// latency -slow D prints each save slower than D with the wall-clock time
// it was made, to line the tail up with the daemon's log. latency -gap D
// pauses D between a rewrite seen and the next save: back to back (0, the
// default), the work a target does after its rewrite (fsyncs, a journal
// entry) still runs when the next save comes; spaced, each save finds the
// target idle, as a user's saves do.
//
// Each scenario prints a Markdown table (scenario, setting, metric, value,
// goal, verdict); bench/daemon.sh runs them all. -runs repeats the measurement
// and reports the best run, listing every run's headline figure too.
//
// Linux only (inotify, /proc).
package main
