#!/usr/bin/env bash
# Benchmark `scribe check` against ripgrep on the same patterns over the same
# deterministic corpus, as recorded in doc/PERFORMANCE.md.
#
#   bench/check.sh [N_FILES]        (default 20000)
#
# Environment:
#   RUNS=5        runs of each command; the best wall time counts
#   CHANGE=0.1    fraction of the notes the rules would change (bench/corpus -change)
#   STRACE=1      also count system calls per file (strace -f -c), once each
#   SCRIBE=PATH   measure this scribe binary (e.g. a build of another commit)
#                 instead of building the working tree
#
# With GNU time (/usr/bin/time) present, scribe's runs also report their CPU
# time (user + system; best of the runs) and peak RSS (highest of the runs).
#
# Two cases: the corpus as generated (CHANGE of the notes would change: their
# diffs are computed and printed), and the CI case, a tree the rules already
# settled (`scribe run` once, then `scribe check`). In each, rg runs with the
# rules' three patterns, both counting matches (-c, reads every file whole)
# and listing matching files (-l), in the same rounds as scribe (one of each
# per round, so that the load of a shared machine weighs on all alike);
# ratios are to the faster rg of the same case.
set -euo pipefail
n=${1:-20000}
runs=${RUNS:-5}
change=${CHANGE:-0.1}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v rg >/dev/null; then
  echo "installing ripgrep (apt-get)…" >&2
  (apt-get update -qq && apt-get install -y -qq ripgrep) >/dev/null
fi
if [[ ${STRACE:-} == 1 ]] && ! command -v strace >/dev/null; then
  echo "installing strace (apt-get)…" >&2
  (apt-get update -qq && apt-get install -y -qq strace) >/dev/null
fi
if [[ -n ${SCRIBE:-} ]]; then
  cp "$SCRIBE" "$work/scribe"
else
  go build -o "$work/scribe" ./cmd/scribe
fi
go run ./bench/corpus -n "$n" -change "$change" -out "$work/corpus"

# The rule set: two regex rules and two front-matter conditions.
cp bench/rules.yaml "$work/corpus/scribe.yaml"
patterns=(-e '^TODO: (.+)$' -e '^status: draft$' -e '^priority: [34]$')

# t CMD...: the wall time of one run of CMD, in seconds.
t() {
  local s e
  s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
min() { printf '%s\n' "$@" | sort -g | head -1; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }

# ts CMD...: like t, for scribe: also appends its CPU time (user + system)
# and peak RSS (MiB) to $work/res.txt when GNU time is there.
ts() {
  if [[ ! -x /usr/bin/time ]]; then t "$@"; return; fi
  local s e
  s=$(date +%s.%N); /usr/bin/time -f '%U %S %M' -o "$work/time.txt" "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
  # (GNU time writes "Command exited with non-zero status 1" first when a
  # check finds changes: the figures are on the last line.)
  tail -1 "$work/time.txt" | awk '{printf "%.2f %.1f\n", $1 + $2, $3 / 1024}' >> "$work/res.txt"
  echo "$e - $s" | bc -l
}

# usage: CPU time and RSS of the scribe runs since the last call, as text.
usage() {
  [[ -s $work/res.txt ]] || return 0
  printf '; CPU %.2f s, peak RSS %.1f MiB' "$(min $(awk '{print $1}' "$work/res.txt"))" "$(max $(awk '{print $2}' "$work/res.txt"))"
  rm -f "$work/res.txt"
}

# side_by_side: $runs rounds of scribe check, rg -c and rg -l one after the
# other (so that the machine's load weighs on all three alike); sets
# scribe_t, rgc_t, rgl_t to the best of each, and rg_t to the faster rg.
side_by_side() {
  local a=() b=() c=()
  for _ in $(seq "$runs"); do
    a+=("$(ts "$work/scribe" check -q)")
    b+=("$(t rg --no-messages -c "${patterns[@]}" .)")
    c+=("$(t rg --no-messages -l "${patterns[@]}" .)")
  done
  scribe_t=$(min "${a[@]}") rgc_t=$(min "${b[@]}") rgl_t=$(min "${c[@]}")
  rg_t=$(min "$rgc_t" "$rgl_t")
}

# syscalls_per_file LABEL CMD...: system calls per file from strace -c, all of
# them and those on files (open, stat, read, close, directory reads).
syscalls_per_file() {
  local label=$1 out="$work/strace.txt"
  shift
  strace -f -c -o "$out" "$@" >/dev/null 2>&1 || true
  awk -v files="$files" -v label="$label" '
    $NF ~ /^(openat|open|read|pread64|close|fstat|newfstatat|statx|lstat|stat|getdents64|lseek|fcntl)$/ { fs += $4 }
    $NF == "total" { all = $4 }
    END { printf "%-28s %5.2f file system calls per file (%.2f with the runtime'"'"'s futex, nanosleep, epoll…)\n", label ":", fs / files, all / files }' "$out"
}

cd "$work/corpus"
files=$(find . -name '*.md' | wc -l)
# Warm the page cache once for both tools.
rg -c "${patterns[@]}" . >/dev/null || true
"$work/scribe" check -q >/dev/null 2>&1 || true
load0=$(cut -d' ' -f1-3 /proc/loadavg)
side_by_side
changed_t=$scribe_t changed_rgc=$rgc_t changed_rgl=$rgl_t changed_rg=$rg_t
changed_usage=$(usage)
changes=$( ("$work/scribe" check --format json 2>/dev/null || true) | grep -m1 '"changed"' | tr -dc 0-9)
if [[ ${STRACE:-} == 1 ]]; then
  syscalls_per_file "scribe check, $changes to change" "$work/scribe" check -q
  syscalls_per_file "rg -c" rg --no-messages -c "${patterns[@]}" .
  syscalls_per_file "rg -l" rg --no-messages -l "${patterns[@]}" .
fi
# The CI case: a tree the rules already settled (run once, then check).
"$work/scribe" run -q >/dev/null 2>&1 || true
side_by_side
settled_usage=$(usage)
if [[ ${STRACE:-} == 1 ]]; then
  syscalls_per_file "scribe check, settled" "$work/scribe" check -q
fi
load1=$(cut -d' ' -f1-3 /proc/loadavg)
printf 'files=%d cores=%d load before=%s after=%s runs=%d\n' "$files" "$(nproc)" "$load0" "$load1" "$runs"
printf 'scribe check, %d files to change: %.3f s (%.0f files/s, %.2fx rg); rg -c %.3f s, rg -l %.3f s%s\n' \
  "$changes" "$changed_t" "$(echo "$files / $changed_t" | bc -l)" "$(echo "$changed_t / $changed_rg" | bc -l)" "$changed_rgc" "$changed_rgl" "$changed_usage"
printf 'scribe check, settled tree:      %.3f s (%.0f files/s, %.2fx rg); rg -c %.3f s, rg -l %.3f s%s\n' \
  "$scribe_t" "$(echo "$files / $scribe_t" | bc -l)" "$(echo "$scribe_t / $rg_t" | bc -l)" "$rgc_t" "$rgl_t" "$settled_usage"
