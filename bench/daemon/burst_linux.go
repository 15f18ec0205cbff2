package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lateWindow is how long the burst keeps watching after the last rewrite,
// to catch a late second write of a file.
const lateWindow = 2 * time.Second

// burstResult is one burst.
type burstResult struct {
	drain      time.Duration // last save → last rewrite (can be a few µs below 0: the rewrite may land before the save call returns)
	saving     time.Duration // first save → last save
	total      time.Duration // first save → last rewrite
	missed     int
	double     int   // files renamed over more than once
	writtenCnt int64 // the target's own count of rewrites during the burst
	// cpu is the CPU time (user and system) the whole process, and the
	// target's if it runs in a child, spent from the first save to the
	// last rewrite: the target's work plus the saves, which cost the same
	// for every target.
	cpu time.Duration
	// ownCPU is the part of cpu spent by the target's child process: its
	// work alone, without the saves (0 when it runs in this process).
	ownCPU time.Duration
	// peak is the resident peak (VmHWM) of the target's process (this
	// one, or its child) from the first save to the end of the burst,
	// reset before it; 0 where the kernel cannot reset it.
	peak int64
	// anon and file split the resident set at the end of the burst into
	// anonymous memory (heaps, stacks) and file pages (the binary, the
	// journal's memory map).
	anon, file int64
}

// burst runs the burst scenario.
func (b *bench) burst(ctx context.Context) ([]row, error) {
	n := b.f.ns[0]
	if b.f.files > n {
		return nil, fmt.Errorf("-files %d is more than the corpus's %d notes", b.f.files, n)
	}
	tgt, s, setting, done, err := b.setUp(ctx, n, 2)
	if err != nil {
		return nil, err
	}
	defer done()
	var best burstResult
	var runs []string
	var peak int64 // the highest of the runs
	var split string
	for r := range b.f.runs {
		res, err := b.oneBurst(ctx, s, tgt)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "run %d: saving %s, drain %s after the last save, %.0f files/s, CPU %s (the target's process %s), missed %d, double %d, target counted %d, peak RSS %s (load %s)\n",
			r+1, ms(res.saving), ms(res.drain), float64(b.f.files)/res.total.Seconds(), ms(res.cpu), ms(res.ownCPU), res.missed, res.double, res.writtenCnt, mib(res.peak), loadAvg())
		runs = append(runs, ms(res.drain))
		if res.peak > peak {
			peak, split = res.peak, fmt.Sprintf("%s anonymous, %s file pages", mib(res.anon), mib(res.file))
		}
		if r == 0 || better(res, best) {
			best = res
		}
	}
	if err := s.obs.Err(); err != nil {
		return nil, err
	}
	sc := fmt.Sprintf("burst of %d", b.f.files)
	goal, verdict := "", "" // the goal is the daemon's; the bare loop is the baseline
	if b.f.target != "bare" {
		goal, verdict = "≤ 500 ms", atMost(best.drain, 500*time.Millisecond)
	}
	rows := []row{
		{sc, setting, "saving took", ms(best.saving), "", ""},
		{sc, setting, "last save → last rewrite", ms(best.drain), goal, verdict},
		{sc, setting, "throughput (first save → last rewrite)", fmt.Sprintf("%.0f files/s", float64(b.f.files)/best.total.Seconds()), "", ""},
		{sc, setting, "CPU, saves included (first save → last rewrite)", ms(best.cpu), "", ""},
	}
	if targetPID(tgt) != 0 {
		rows = append(rows, row{sc, setting, "of which the target's process alone", ms(best.ownCPU), "", ""})
	}
	rows = append(rows, []row{
		{sc, setting, "missed (not rewritten within " + b.f.timeout.String() + ")", fmt.Sprint(best.missed), "0", okIf(best.missed == 0)},
		{sc, setting, "double writes (inotify)", fmt.Sprint(best.double), "0", okIf(best.double == 0)},
		{sc, setting, "rewrites counted by the target", fmt.Sprint(best.writtenCnt), fmt.Sprint(b.f.files), okIf(best.writtenCnt == int64(b.f.files))},
		{sc, setting, "every run: drain", strings.Join(runs, "; "), "", ""},
	}...)
	if peak > 0 {
		goal, verdict := "", ""
		if b.f.target != "bare" {
			g := rssGoal(n)
			goal, verdict = "≤ "+mib(g), okIf(peak <= g)
		}
		whose := "this process (target, saver and observer)"
		if targetPID(tgt) != 0 {
			whose = "the target's process alone"
		}
		rows = append(rows,
			row{sc, setting, "VmHWM (peak) during a burst, the highest run: " + whose, mib(peak), goal, verdict},
			row{sc, setting, "of which, at the end of that burst", split, "", ""})
	}
	return rows, nil
}

// better prefers fewer missed files, then fewer double writes, then a
// shorter drain.
func better(a, b burstResult) bool {
	if a.missed != b.missed {
		return a.missed < b.missed
	}
	if a.double != b.double {
		return a.double < b.double
	}
	return a.drain < b.drain
}

// oneBurst saves -files files back to back and waits for their rewrites.
func (b *bench) oneBurst(ctx context.Context, s *saver, tgt target) (burstResult, error) {
	var res burstResult
	edits := make([]*edit, b.f.files)
	byPath := make(map[string]*edit, len(edits))
	for i := range edits {
		e, err := s.prepare(s.pick())
		if err != nil {
			return res, err
		}
		if byPath[e.abs] != nil {
			return res, fmt.Errorf("burst: %s picked twice (corpus smaller than -files × -runs?)", e.abs)
		}
		edits[i], byPath[e.abs] = e, e
	}
	before, err := tgt.written(ctx)
	if err != nil {
		return res, err
	}
	// Writing 5 to clear_refs resets VmHWM, so that the peak is the
	// burst's, not the start's.
	pid := targetPID(tgt)
	resetPeak := os.WriteFile(procPath(pid, "clear_refs"), []byte("5"), 0) == nil
	cpu0, own0 := cpuTime(), procCPU(pid)
	var cpuDone, ownDone time.Duration
	for _, e := range edits {
		if err := e.save(); err != nil {
			return res, err
		}
	}
	lastSave := time.Now()
	res.saving = lastSave.Sub(edits[0].savedAt)

	pending := len(edits)
	var lastDone time.Time
	deadline := time.NewTimer(b.f.timeout)
	defer deadline.Stop()
	var late <-chan time.Time // armed once every file is rewritten
wait:
	for {
		if pending == 0 && late == nil {
			late = time.After(lateWindow)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-deadline.C: // what is still pending is missed
			break wait
		case <-late:
			break wait
		case ev, open := <-s.obs.C:
			if !open {
				return res, fmt.Errorf("observer stopped: %v", s.obs.Err())
			}
			e := byPath[ev.Path]
			if e == nil || ev.Mask&rewriteMask == 0 {
				continue
			}
			if e.observe(ev) {
				pending--
				if ev.At.After(lastDone) {
					lastDone = ev.At
				}
				if pending == 0 {
					ownDone = procCPU(pid) - own0
					cpuDone = cpuTime() - cpu0 + ownDone
				}
			}
		}
	}
	after, err := tgt.written(ctx)
	if err != nil {
		return res, err
	}
	res.writtenCnt = after - before
	if st, err := procStatusOf(pid); err == nil && resetPeak {
		res.peak, res.anon, res.file = st["VmHWM"], st["RssAnon"], st["RssFile"]
	}
	for _, e := range edits {
		if e.doneAt.IsZero() {
			res.missed++
		}
		if e.renames > 1 {
			res.double++
		}
	}
	if lastDone.IsZero() { // nothing rewritten at all
		lastDone = lastSave.Add(b.f.timeout)
	}
	res.cpu, res.ownCPU = cpuDone, ownDone
	res.drain = lastDone.Sub(lastSave)
	res.total = lastDone.Sub(edits[0].savedAt)
	return res, nil
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// targetPID is the process the target runs in: 0 for this one.
func targetPID(t target) int {
	if p, ok := t.(interface{ pid() int }); ok {
		return p.pid()
	}
	return 0
}

// cpuWith returns the CPU time of this process and of process pid (none
// for 0).
func cpuWith(pid int) time.Duration { return cpuTime() + procCPU(pid) }

// procCPU returns the CPU time of process pid (0 for none), which /proc
// counts in ticks of 10 ms.
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	s, err := readProc(pid)
	if err != nil {
		return 0
	}
	return time.Duration(s.cpuTicks) * time.Second / clockTicks
}

// procPath is /proc/PID/name, or /proc/self/name for pid 0.
func procPath(pid int, name string) string {
	if pid == 0 {
		return "/proc/self/" + name
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + name
}
