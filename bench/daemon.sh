#!/usr/bin/env bash
# Benchmark `scribe watch` (the daemon, run in-process by bench/daemon) next
# to a bare inotify-plus-rewrite loop (bench/bareloop), and print one Markdown
# table, as recorded in doc/PERFORMANCE.md.
#
# Usage: bench/daemon.sh
#   RUNS=3     measurements per scenario; each row is the best run
#   QUICK=1    skip the 100,000-file scenarios (their first, cold start takes
#              minutes with the current daemon)
#   WORK=DIR   keep corpora and daemon state in DIR (default: a temporary
#              directory, removed at exit); reusing it skips writing corpora
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
work=${WORK:-}
if [[ -z "$work" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
bin="$work/bench-daemon"
go build -o "$bin" ./bench/daemon

header=true
b() { # one scenario; its rows join the table
  "$bin" -work "$work" -runs "$runs" -header="$header" "$@"
  header=false
}

echo "machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
b -scenario latency -target bare
b -scenario latency -target bare -bare-settle 50ms
b -scenario latency -settle 0s
b -scenario latency -settle 1us
b -scenario latency -settle 50ms
b -scenario burst -target bare
b -scenario burst -settle 50ms
b -scenario burst -settle 50ms -target process   # the daemon's memory alone
b -scenario startup -n 10000
if [[ -z "${QUICK:-}" ]]; then
  b -scenario startup -n 100000 -runs 1
  b -scenario startup -n 100000 -cold=false
  b -scenario rss -n 100000
  b -scenario idle -n 20000
  b -scenario flood -files 20000 -target bare -workers 16
  b -scenario flood -files 20000 -runs 1
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
