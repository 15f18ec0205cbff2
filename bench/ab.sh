#!/usr/bin/env bash
# Compare scribe builds with each other and with their baseline, in turns:
# round after round, each build (and the baseline) runs once, so that the
# machine's load weighs on all alike. One line per run, as recorded in
# doc/PERFORMANCE.md.
#
#   bench/ab.sh SCENARIO ROUNDS BINARY...
#
# SCENARIO is burst, latency or flood (bench/daemon, `scribe watch` in a
# process of its own, next to bench/bareloop twice: in bench/daemon's own
# process, "bare", and in a child process of its own as scribe is,
# "bare-process") or run (`scribe run -q` on a fresh copy of bench/run.sh's
# corpus, next to `rg -l … | xargs sed -i`).
# Give each build as a copy made the same way (for instance both with cp):
# how a binary's file came into the page cache changes how many of its pages
# end up resident (doc/PERFORMANCE.md).
#
# Environment:
#   WORK=DIR   corpora and state (default: a temporary directory, removed at
#              exit); bench/daemon's corpora are kept between invocations
#   N=20000    notes of the run scenario's corpus
#   GAP=0s     latency: pause between a rewrite seen and the next save
#   STATE=DIR  burst, latency: start each run from a copy of DIR as the
#              state directory (a journal grown by a daemon's use, for
#              instance a copy of $WORK/n10000/state after runs of
#              bench/daemon), instead of an empty one
#
# The flood keeps its state between runs, shared by the builds: a build
# that writes a newer journal format than another makes the other refuse
# it (internal/journal's formatVersion). Give such builds a WORK each.
set -euo pipefail
scenario=${1:?usage: bench/ab.sh burst|latency|flood|run ROUNDS BINARY...}
rounds=${2:?usage: bench/ab.sh burst|latency|flood|run ROUNDS BINARY...}
shift 2
[[ $# -gt 0 ]] || { echo "bench/ab.sh: no binary to measure" >&2; exit 2; }
bins=()
for b in "$@"; do bins+=("$(realpath "$b")"); done
cd "$(dirname "$0")/.."
work=${WORK:-}
if [[ -z "$work" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

case $scenario in
burst | latency | flood)
  go build -o "$work/bench-daemon" ./bench/daemon
  one() { # one run of $1 (a binary, "bare" or "bare-process"); prints its result line
    local target=(-target process -scribe "$1") args=()
    case $scenario in
    burst) args=(-settle 0s) ;;
    latency) args=(-settle 0s -gap "${GAP:-0s}") ;;
    flood) args=(-files 20000) ;;
    esac
    if [[ $1 == bare* ]]; then
      target=(-target bare)
      [[ $1 == bare-process ]] && target+=(-bare-process)
      [[ $scenario == flood ]] && target+=(-workers 16)
    fi
    # A fresh state directory, or a copy of STATE: a journal grown by
    # earlier runs costs more.
    if [[ $scenario != flood ]]; then
      rm -rf "$work/n10000/state"
      [[ -z ${STATE:-} ]] || cp -a "$STATE" "$work/n10000/state"
    fi
    "$work/bench-daemon" -work "$work" -runs 1 -scenario "$scenario" "${args[@]}" "${target[@]}" -header=false 2>&1 |
      grep 'run 1:' | sed 's/^run 1: //'
  }
  for r in $(seq "$rounds"); do
    for b in "${bins[@]}" bare bare-process; do
      echo "$r $(basename "$b"): $(one "$b")"
    done
  done
  ;;
run)
  n=${N:-20000}
  command -v rg >/dev/null || { echo "bench/ab.sh: run needs ripgrep (rg)" >&2; exit 2; }
  if [[ ! -d "$work/run-corpus" ]]; then
    go run ./bench/corpus -n "$n" -change 0.1 -out "$work/run-corpus" >/dev/null
    cp bench/rules.yaml "$work/run-corpus/scribe.yaml"
  fi
  sed_all() {
    rg --no-messages -l -e '^TODO: (.+)$' -e '^status: draft$' -e '^priority: [34]$' . |
      xargs -r sed -i -E -e 's/^TODO: (.+)$/- [ ] \1/' -e '/^status: draft$/a review: pending' -e '/^priority: [34]$/a urgent: true'
  }
  k=0
  for r in $(seq "$rounds"); do
    line="$r"
    for b in "${bins[@]}" sed; do
      # Each run on a copy of its own, and nothing deleted until the end
      # (bench/run.sh says why).
      k=$((k + 1))
      d="$work/copy-$k"
      cp -a "$work/run-corpus" "$d"
      sync
      s=$(date +%s.%N)
      if [[ $b == sed ]]; then
        (cd "$d" && sed_all)
      else
        (cd "$d" && "$b" run -q >/dev/null 2>&1) || true
      fi
      e=$(date +%s.%N)
      line="$line $(basename "$b")=$(echo "$e - $s" | bc -l | cut -c1-5)s"
    done
    echo "$line"
  done
  ;;
*)
  echo "bench/ab.sh: unknown scenario $scenario (burst, latency, flood or run)" >&2
  exit 2
  ;;
esac
