package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// idleGoal is the bound on an idle daemon: 1 % of one core.
const idleGoal = 0.01

// idleConfig is the idle scenario's scribe.yaml: every built-in action
// configured over the whole corpus (the writing ones on a part of it, so that
// the cold catch-up ends), the state dir next to the tree.
const idleConfig = `version: 1
roots: [tree]
include: ["**/*.md"]
engine:
  workers: 4
  settle: 50ms
  state_dir: state
http:
  listen: %q
security:
  commands:
    - name: cat
      path: %s
rules:
  - id: reviewed
    when: 'fm.status == "done" && fm.reviewed == nil'
    actions:
      - frontmatter.set: { reviewed: "no" }
  - id: drop-legacy
    actions:
      - frontmatter.delete: [legacy_id]
  - id: schema
    actions:
      - frontmatter.validate:
          schema: { type: object, required: [title, status], properties: { title: { type: string } } }
  - id: todo
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
      - log: { message: "task in {{ .Path }}", level: debug }
  - id: links
    actions:
      - links.check: {}
  - id: naming
    actions:
      - naming: { style: kebab-case }
  - id: hub
    actions:
      - index: { output: INDEX.md, from: "area-00/topic-00/*.md", sort: fm.title, template: "- [[{{ .Name }}]]" }
  - id: catalog
    actions:
      - catalog: { output: catalog.json, fields: [title, status] }
  - id: done-event
    when: 'fm.status == "done"'
    actions:
      - publish: { type: note.done, data: { title: "{{ .FM.title }}" } }
  - id: tidy
    files: "area-01/topic-0[0-4]/*.md"
    actions:
      - pipeline:
          stages:
            - exec: { command: [cat], filter: true, files: false }
            - log: { message: "tidied {{ .Path }}", level: debug }
`

// idle runs the idle scenario: `scribe watch` as a child process (the real
// command line, with whatever memory settings it makes) on a corpus with
// every built-in action configured; once it has caught up and gone quiet,
// nothing changes for -idle, and the CPU time the process used meanwhile is
// read from /proc.
func (b *bench) idle(ctx context.Context) ([]row, error) {
	if b.f.target != "daemon" {
		return nil, fmt.Errorf("-scenario idle measures the daemon only")
	}
	n := b.f.ns[0]
	// A corpus of its own: the daemon's rules rewrite it and add files.
	dir, err := b.corpusIn(ctx, "idle-n"+strconv.Itoa(n), n)
	if err != nil {
		return nil, err
	}
	bin, err := b.buildScribe(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := exec.LookPath("cat")
	if err != nil {
		return nil, err
	}
	if cat, err = filepath.EvalSymlinks(cat); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "scribe.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, idleConfig, addr, cat), 0o644); err != nil {
		return nil, err
	}
	if b.f.cold {
		// A cold start: every file is processed in the catch-up, so the
		// daemon holds what a full pass builds (the link graph, say).
		if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
			return nil, err
		}
	}
	var env []string
	if b.f.gomemlimit != "" {
		env = append(env, "GOMEMLIMIT="+b.f.gomemlimit)
	}
	start := time.Now()
	w, err := spawnWatch(bin, cfg, dir, env...)
	if err != nil {
		return nil, err
	}
	exited := w.exited
	defer stopWatch(w.cmd, exited, 30*time.Second)
	pid := w.cmd.Process.Pid
	base := "http://" + addr

	// Caught up: ready, the queue empty, and nothing processed for quiet,
	// longer than the file index saver's period (10 s), so that its one
	// save after the catch-up is not counted as idle work.
	const quiet = 15 * time.Second
	var readyAt time.Duration
	var last idleStatus
	lastChange := time.Now()
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("scribe watch exited before going idle: %v (see %s)", err, w.log)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		st, err := getIdleStatus(ctx, base)
		if err != nil {
			continue // not listening yet
		}
		if st.Ready && readyAt == 0 {
			readyAt = time.Since(start)
		}
		if st.Counters != last.Counters || st.Queue.Pending != 0 || !st.Ready {
			last, lastChange = st, time.Now()
			continue
		}
		if time.Since(lastChange) >= quiet {
			break
		}
		if time.Since(start) > readyLimit {
			return nil, fmt.Errorf("scribe watch not idle after %v", readyLimit)
		}
	}
	caughtUp := time.Since(start) - quiet
	fmt.Fprintf(os.Stderr, "ready after %s, quiet from %s (%d processed, %d written); measuring %s idle\n",
		ms(readyAt), ms(caughtUp), last.Counters.Processed, last.Counters.Written, b.f.idle)

	gs0, _ := readGoStats(ctx, base)
	p0, err := readProc(pid)
	if err != nil {
		return nil, err
	}
	select {
	case err := <-exited:
		return nil, fmt.Errorf("scribe watch exited while idle: %v (see %s)", err, w.log)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(b.f.idle):
	}
	p1, err := readProc(pid)
	if err != nil {
		return nil, err
	}
	gs1, gsErr := readGoStats(ctx, base)
	st, _ := getIdleStatus(ctx, base)

	secs := p1.at.Sub(p0.at).Seconds()
	cpu := float64(p1.cpuTicks-p0.cpuTicks) / clockTicks / secs
	how := "cold start"
	if !b.f.cold {
		how = "warm start"
	}
	setting := fmt.Sprintf("daemon (scribe watch), %d files, every built-in action, %s, %s idle", n, how, b.f.idle)
	if b.f.gomemlimit != "" {
		setting += ", GOMEMLIMIT=" + b.f.gomemlimit
	}
	gcs, allocs := "unknown", "unknown"
	if gsErr == nil {
		gcs = strconv.FormatInt(gs1.gcCycles-gs0.gcCycles, 10)
		allocs = fmt.Sprintf("%.1f KiB/s", float64(gs1.allocBytes-gs0.allocBytes)/1024/secs)
	}
	sc := "idle"
	rows := []row{
		{sc, setting, "CPU while idle (% of one core)", fmt.Sprintf("%.2f %%", 100*cpu), "≤ 1 %", okIf(cpu <= idleGoal)},
		{sc, setting, "VmRSS at the start / end of the idle period", mib(p0.rss) + " / " + mib(p1.rss), "flat", ""},
		{sc, setting, "of which anonymous, start / end", mib(p0.rssAnon) + " / " + mib(p1.rssAnon), "", ""},
		{sc, setting, "GC cycles / Go allocation while idle", gcs + " / " + allocs, "", ""},
		{sc, setting, "context switches while idle (per second, all threads)", fmt.Sprintf("%.1f", float64(p1.switches-p0.switches)/secs), "", ""},
		{sc, setting, "start → ready / → caught up and quiet", ms(readyAt) + " / " + ms(caughtUp), "", ""},
		{sc, setting, "files processed / written during the catch-up", fmt.Sprintf("%d / %d", st.Counters.Processed, st.Counters.Written), "", ""},
	}
	if st.Counters != last.Counters {
		rows = append(rows, row{sc, setting, "WORK DONE WHILE IDLE (counters moved)", fmt.Sprintf("%+v → %+v", last.Counters, st.Counters), "none", "not idle"})
	}
	return rows, nil
}

// idleStatus is the part of GET /api/v1/status the idle scenario reads.
type idleStatus struct {
	Ready bool `json:"ready"`
	Queue struct {
		Pending int `json:"pending"`
	} `json:"queue"`
	Counters struct {
		Processed int64 `json:"processed"`
		Written   int64 `json:"written"`
		Failed    int64 `json:"failed"`
	} `json:"counters"`
}

func getIdleStatus(ctx context.Context, base string) (idleStatus, error) {
	var st idleStatus
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/status", nil)
	if err != nil {
		return st, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET /api/v1/status: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// goStats are the Go runtime's counters of the daemon, from /metrics.
type goStats struct {
	gcCycles   int64
	allocBytes int64 // allocated since start
}

// readGoStats scrapes the daemon's /metrics.
func readGoStats(ctx context.Context, base string) (goStats, error) {
	var g goStats
	var seen int
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return g, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return g, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		var dst *int64
		switch {
		case !ok:
			continue
		case name == "go_gc_duration_seconds_count":
			dst = &g.gcCycles
		case name == "go_memstats_alloc_bytes_total":
			dst = &g.allocBytes
		default:
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return g, fmt.Errorf("/metrics: %s: %w", name, err)
		}
		*dst = int64(f)
		seen++
	}
	if err := sc.Err(); err != nil {
		return g, err
	}
	if seen < 2 {
		return g, errors.New("no go_gc_duration_seconds_count or go_memstats_alloc_bytes_total in /metrics")
	}
	return g, nil
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat: 100
// on every Linux architecture Go supports.
const clockTicks = 100

// procSample is what /proc says of a process at one moment.
type procSample struct {
	at       time.Time
	cpuTicks int64 // user + system time of every thread
	rss      int64 // bytes
	rssAnon  int64 // bytes of it not backed by a file
	switches int64 // voluntary and involuntary context switches of every thread
}

func readProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14 and stime 15.
	i := strings.LastIndexByte(string(b), ')')
	fs := strings.Fields(string(b[i+1:]))
	if len(fs) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(fs[11], 10, 64)
	st, err2 := strconv.ParseInt(fs[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return s, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	s.cpuTicks = ut + st
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != "VmRSS" && k != "RssAnon" {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if k == "VmRSS" {
			s.rss = kb << 10
		} else {
			s.rssAnon = kb << 10
		}
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return s, err
	}
	for _, t := range tasks {
		ts, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, t.Name()))
		if err != nil {
			continue // the thread exited
		}
		for line := range strings.SplitSeq(string(ts), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && (k == "voluntary_ctxt_switches" || k == "nonvoluntary_ctxt_switches") {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				s.switches += n
			}
		}
	}
	return s, nil
}

// freeAddr returns a TCP address on 127.0.0.1 that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
