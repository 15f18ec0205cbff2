#!/usr/bin/env bash
# Time and memory of the knowledge-base actions on an Obsidian-style vault.
# Usage: bench/kb.sh [N_NOTES] (default 10000); RUNS=n runs of each (default 3);
# SCRIBE=PATH measures this scribe binary (e.g. a build of another commit)
# instead of building the working tree.
#
# Writes `go run ./bench/corpus -vault -n N -links 10` and measures, with
# /usr/bin/time -v (wall time and peak RSS of the real binary):
#   check, links.check only     (scribe-links.yaml)
#   check, every built-in action (scribe-all.yaml: replace, frontmatter.set,
#          frontmatter.delete, frontmatter.validate, links.check, naming,
#          three indexes, catalog, publish, log, pipeline with exec)
#   run, every built-in action   (on a fresh copy of the vault each time)
# Every run's figures are printed, then the best wall and CPU times and the
# highest RSS, as recorded in doc/PERFORMANCE.md.
set -euo pipefail
n=${1:-10000}
runs=${RUNS:-3}
cd "$(dirname "$0")/.."
if [[ ! -x /usr/bin/time ]]; then
  echo "bench/kb.sh needs GNU time: apt-get install time" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ -n ${SCRIBE:-} ]]; then
  cp "$SCRIBE" "$work/scribe"
else
  go build -o "$work/scribe" ./cmd/scribe
fi
go run ./bench/corpus -vault -n "$n" -links 10 -out "$work/vault"
cd "$work/vault"

cat > scribe-links.yaml <<'YAML'
version: 1
roots: ["."]
include: ["**/*.md"]
rules:
  - id: links
    actions:
      - links.check: { attachment_folders: [attachments] }
YAML

cat > scribe-all.yaml <<'YAML'
version: 1
roots: ["."]
include: ["**/*.md"]
rules:
  - id: todo-to-task
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
  - id: draft-review
    when: 'fm.status == "draft"'
    actions:
      - frontmatter.set: { review: pending }
  - id: drop-legacy
    actions:
      - frontmatter.delete: [legacy_id]
  - id: schema
    files: "area-*/**/*.md"
    actions:
      - frontmatter.validate: { schema: schemas/note.schema.json }
  - id: links
    actions:
      - links.check: { attachment_folders: [attachments], ambiguous: warning }
  - id: naming
    actions:
      - naming: { style: kebab-case }
  - id: home
    files: home.md
    actions:
      - index:
          name: recent
          from: "area-*/**/*.md"
          sort: fm.created
          order: desc
          limit: 20
          template: '- [[{{ .Name }}|{{ .FM.title }}]] ({{ date "2006-01-02" .FM.created }})'
      - index:
          name: active
          from: "area-*/**/*.md"
          where: 'fm.status == "active" && fm.priority != nil'
          sort: fm.priority
          order: desc
          template: '- [{{ .FM.title }}]({{ .Match.link }}) p{{ .FM.priority }}'
  - id: all-notes
    files: home.md
    actions:
      - index:
          output: all-notes.md
          from: "area-*/**/*.md"
          template: '- [[{{ .Name }}]] {{ .FM.status }}'
  - id: catalog
    actions:
      - catalog: { output: catalog.json }
  - id: announce
    when: 'fm.status == "done"'
    actions:
      - publish: { type: note.done }
      - log: { message: "done: {{ .Path }}", level: debug }
  - id: tidy
    files: "area-00/topic-00/*.md"
    actions:
      - pipeline:
          mode: sequence
          stages:
            - exec: { command: [sed, -e, 's/[[:space:]]*$//'], filter: true, timeout: 5s }
security:
  commands:
    - name: sed
      path: /usr/bin/sed
YAML

# measure NAME DIR ARGS...: one run; prints its wall time, CPU time (user +
# system: less sensitive than wall time to other work on the machine) and
# peak RSS, and records them.
declare -A best_t best_c worst_m
measure() {
  local name=$1 dir=$2; shift 2
  local out="$work/time.txt"
  (cd "$dir" && /usr/bin/time -v -o "$out" "$work/scribe" "$@" >/dev/null 2>&1) || true
  local t c m
  t=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$out")
  c=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$out")
  m=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$out")
  printf '  %-34s %6.2f s wall %6.2f s CPU %7.1f MiB\n' "$name" "$t" "$c" "$m"
  if [[ -z ${best_t[$name]:-} ]] || (( $(echo "$t < ${best_t[$name]}" | bc -l) )); then best_t[$name]=$t; fi
  if [[ -z ${best_c[$name]:-} ]] || (( $(echo "$c < ${best_c[$name]}" | bc -l) )); then best_c[$name]=$c; fi
  if [[ -z ${worst_m[$name]:-} ]] || (( $(echo "$m > ${worst_m[$name]}" | bc -l) )); then worst_m[$name]=$m; fi
}

notes=$(find . -name '*.md' | wc -l)
printf 'notes=%d cores=%d load=%s\n' "$notes" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
"$work/scribe" check -q -c scribe-links.yaml >/dev/null 2>&1 || true # warm the page cache
for _ in $(seq "$runs"); do
  measure "check, links.check" . check -q -c scribe-links.yaml
  measure "check, every built-in action" . check -q -c scribe-all.yaml
  rm -rf "$work/copy" && cp -a . "$work/copy"
  measure "run, every built-in action" "$work/copy" run -q -c scribe-all.yaml
done
printf 'load after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
for name in "check, links.check" "check, every built-in action" "run, every built-in action"; do
  printf '%-34s best %.2f s wall, %.2f s CPU; peak RSS %s MiB (highest of %d runs)\n' "$name:" "${best_t[$name]}" "${best_c[$name]}" "${worst_m[$name]}" "$runs"
done
