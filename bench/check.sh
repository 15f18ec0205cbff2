#!/usr/bin/env bash
# Benchmark `scribe check` against ripgrep on the same patterns over the same
# deterministic corpus. Usage: bench/check.sh [N_FILES] (default 20000).
# Prints both times (best of RUNS) and their ratio, as recorded in doc/PERFORMANCE.md.
set -euo pipefail
n=${1:-20000}
runs=${RUNS:-5}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v rg >/dev/null; then
  echo "installing ripgrep (apt-get)…" >&2
  (apt-get update -qq && apt-get install -y -qq ripgrep) >/dev/null
fi
go build -o "$work/scribe" ./cmd/scribe
go run ./bench/corpus -n "$n" -out "$work/corpus"

# The rule set: two regex rules and two front-matter conditions.
cat > "$work/corpus/scribe.yaml" <<'YAML'
version: 1
roots: ["."]
include: ["**/*.md"]
engine: { workers: 4 }
rules:
  - id: todo-to-task
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
  - id: draft-review
    match: '(?m)^status: draft$'
    when: 'fm.status == "draft"'
    actions:
      - frontmatter.set: { review: "pending" }
  - id: priority
    when: 'fm.priority != nil && fm.priority >= 3'
    actions:
      - frontmatter.set: { urgent: true }
YAML

time_best() { # prints the best wall time in seconds of $runs runs of "$@"
  local best=999999 t s e
  for _ in $(seq "$runs"); do
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  printf '%.3f' "$best"
}

cd "$work/corpus"
# Warm the page cache once for both tools.
rg -c -e '^TODO: (.+)$' . >/dev/null || true
scribe_t=$(time_best "$work/scribe" check -q)
rg_t=$(time_best rg --no-messages -c -e '^TODO: (.+)$' -e '^status: draft$' -e '^priority: [34]$' .)
files=$(find . -name '*.md' | wc -l)
changes=$( ("$work/scribe" check --format json 2>/dev/null || true) | grep -m1 '"changed"' | tr -dc 0-9)
# The CI case: a tree the rules already settled (run once, then check).
"$work/scribe" run -q >/dev/null 2>&1 || true
settled_t=$(time_best "$work/scribe" check -q)
printf 'files=%d cores=%d load=%s\n' "$files" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)"
printf 'scribe check, %d files to change: %.3f s (%.0f files/s, %.2fx rg)\n' "$changes" "$scribe_t" "$(echo "$files / $scribe_t" | bc -l)" "$(echo "$scribe_t / $rg_t" | bc -l)"
printf 'scribe check, settled tree:      %.3f s (%.0f files/s, %.2fx rg)\n' "$settled_t" "$(echo "$files / $settled_t" | bc -l)" "$(echo "$settled_t / $rg_t" | bc -l)"
printf 'rg, same patterns:               %.3f s\n' "$rg_t"
