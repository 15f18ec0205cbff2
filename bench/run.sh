#!/usr/bin/env bash
# Benchmark `scribe run` against `rg -l … | xargs sed -i` doing the same
# rewrites over the same deterministic corpus, as recorded in
# doc/PERFORMANCE.md.
#
#   bench/run.sh [N_FILES]          (default 20000)
#
# Environment:
#   RUNS=5        rounds; the best wall time of each command counts
#   CHANGE=0.1    fraction of the notes the rules change (bench/corpus -change)
#   SCRIBE=PATH   measure this scribe binary instead of building the working tree
#
# The rules are bench/rules.yaml (bench/check.sh's): a `TODO:` line becomes a task, drafts get
# `review: pending`, priorities 3 and 4 get `urgent: true`. The sed script
# makes the same three edits to the files rg lists. Each round copies the
# pristine corpus twice (not timed) and runs both on their own copy, one
# after the other, so that the machine's load weighs on both alike. scribe
# journals each write and makes it durable (fsync of the file and its
# directory); sed does neither.
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
if [[ -n ${SCRIBE:-} ]]; then
  cp "$SCRIBE" "$work/scribe"
else
  go build -o "$work/scribe" ./cmd/scribe
fi
go run ./bench/corpus -n "$n" -change "$change" -out "$work/corpus"
cp bench/rules.yaml "$work/corpus/scribe.yaml"

# t DIR CMD...: the wall time of one run of CMD in DIR, in seconds.
t() {
  local dir=$1 s e
  shift
  s=$(date +%s.%N); (cd "$dir" && "$@" >/dev/null 2>&1) || true; e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
min() { printf '%s\n' "$@" | sort -g | head -1; }
sed_all() {
  rg --no-messages -l -e '^TODO: (.+)$' -e '^status: draft$' -e '^priority: [34]$' . |
    xargs -r sed -i -E -e 's/^TODO: (.+)$/- [ ] \1/' -e '/^status: draft$/a review: pending' -e '/^priority: [34]$/a urgent: true'
}
export -f sed_all

files=$(find "$work/corpus" -name '*.md' | wc -l)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
a=() b=() written=""
# Each round copies into new folders and nothing is deleted until the end:
# on a file system without a journal, ext4 skips the inodes freed in the last
# minutes, and creating files (both commands' temporary files) is several
# times slower right after a tree was deleted (doc/PERFORMANCE.md, "The flood
# next to the bare loop, and the disk under both").
for r in $(seq "$runs"); do
  s="$work/s$r" d="$work/r$r"
  cp -a "$work/corpus" "$s"
  cp -a "$work/corpus" "$d"
  sync
  a+=("$(t "$s" "$work/scribe" run -q)")
  b+=("$(t "$d" bash -c sed_all)")
  written=$(cd "$s" && "$work/scribe" history --limit 1000000 --format json 2>/dev/null | grep -c '"id"' || true)
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
# The two trees agree on what changed (the same files differ from the corpus).
ds=$(diff -rq "$work/corpus" "$s" -x .scribe | grep -c differ || true)
dr=$(diff -rq "$work/corpus" "$d" | grep -c differ || true)
scribe_t=$(min "${a[@]}") sed_t=$(min "${b[@]}")
printf 'files=%d cores=%d load before=%s after=%s runs=%d\n' "$files" "$(nproc)" "$load0" "$load1" "$runs"
printf 'scribe run: %.3f s, %d files rewritten (%s journaled), %.2fx rg -l | xargs sed -i (%.3f s, %d files rewritten)\n' \
  "$scribe_t" "$ds" "$written" "$(echo "$scribe_t / $sed_t" | bc -l)" "$sed_t" "$dr"
printf 'every round: scribe %s; sed %s\n' "${a[*]}" "${b[*]}"
