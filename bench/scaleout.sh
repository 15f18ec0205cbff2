#!/bin/sh
# Scale-out figures (doc/PERFORMANCE.md#scale-out): throughput of 1, 2 and 4
# remote workers on an I/O-bound rule (a command, or a process plugin, that
# waits 50 ms per file), with the CPU it cost per file; the latency a remote
# round trip adds to a single save; and the round trip alone (owner and
# worker in one process).
# Each run starts a 3-node NATS cluster on loopback, and the owner and the
# workers as processes of the real binary (built by the test).
set -eu
cd "$(dirname "$0")/.."
exec go test -run '^$' -bench 'BenchmarkThroughput|BenchmarkSingleSave|BenchmarkOffload' -benchtime 1x -count "${COUNT:-1}" ./internal/remote
