package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// rssGoal is the bound on the daemon's resident memory, embedded NATS
// included, when ready and during a burst: 48 MiB up to 10,000 files, 64 MiB
// up to 100,000, 256 MiB up to a million.
func rssGoal(n int) int64 {
	switch {
	case n <= 10_000:
		return 48 << 20
	case n <= 100_000:
		return 64 << 20
	default:
		return 256 << 20
	}
}

// rss runs the rss scenario. With -target daemon this process is the
// daemon (the corpus is written by a child process), so its
// /proc/self/status is the daemon's; with -target process, `scribe watch`
// runs in a child process and the figures are that process's alone.
func (b *bench) rss(ctx context.Context) ([]row, error) {
	start := b.startDaemon
	switch b.f.target {
	case "daemon":
	case "process":
		if b.f.memprof != "" {
			return nil, fmt.Errorf("-memprofile profiles this process's heap: use it with -target daemon")
		}
		start = b.startProcess
	default:
		return nil, fmt.Errorf("-scenario rss measures scribe (-target daemon or process), not %s", b.f.target)
	}
	n := b.f.ns[0]
	dir, err := b.corpus(ctx, n)
	if err != nil {
		return nil, err
	}
	_, statErr := os.Stat(filepath.Join(dir, "state"))
	t, err := start(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	pid := t.pid()
	atReady, err := procStatusOf(pid)
	if err != nil {
		return nil, err
	}
	memReady := goMemory()
	cpuReady := cpuWith(pid)
	drained, derr := t.drain(ctx, b.f.drainMax)
	atDrain, err := procStatusOf(pid)
	if err != nil {
		return nil, err
	}
	memDrain := goMemory()
	cpuDrain := cpuWith(pid)
	// The daemon returns a drained backlog's garbage to the system once its
	// finisher has seen the queue empty (a tick later) and nothing
	// processed for half a second more: the idle footprint.
	time.Sleep(2 * time.Second)
	idle, err := procStatusOf(pid)
	if err != nil {
		return nil, err
	}
	if b.f.memprof != "" {
		if err := writeHeapProfile(b.f.memprof); err != nil {
			return nil, err
		}
	}
	how := "cold (no state)"
	if statErr == nil {
		how = "warm (state present)"
	}
	whose := "daemon"
	if pid != 0 {
		whose = "scribe watch (a child process)"
	}
	setting := fmt.Sprintf("%s, %d files, %s start", whose, n, how)
	drainNote := "after the queue drained (" + ms(drained) + ")"
	if derr != nil {
		drainNote = "queue not drained: " + derr.Error()
	}
	sc := "rss"
	goal := rssGoal(n)
	g := "≤ " + mib(goal)
	rows := []row{
		{sc, setting, "VmRSS at ready", mib(atReady["VmRSS"]), g, okIf(atReady["VmRSS"] <= goal)},
		{sc, setting, "VmRSS " + drainNote, mib(atDrain["VmRSS"]), g, okIf(atDrain["VmRSS"] <= goal)},
		{sc, setting, "VmHWM (peak) " + drainNote, mib(atDrain["VmHWM"]), g, okIf(atDrain["VmHWM"] <= goal)},
		{sc, setting, "VmRSS idle, 2 s after the drain", mib(idle["VmRSS"]), g, okIf(idle["VmRSS"] <= goal)},
		{sc, setting, "of which anonymous / file-backed (after drain)", mib(atDrain["RssAnon"]) + " / " + mib(atDrain["RssFile"]), "", ""},
		{sc, setting, "CPU from ready to the drain (this process's included)", ms(cpuDrain - cpuReady), "", ""},
	}
	if pid == 0 { // the runtime's figures are this process's
		rows = append(rows,
			row{sc, setting, "Go heap live at last GC, ready / after drain", mib(memReady.live) + " / " + mib(memDrain.live), "", ""},
			row{sc, setting, "Go runtime memory held, ready / after drain", mib(memReady.total) + " / " + mib(memDrain.total), "", ""})
	}
	return rows, nil
}

// procStatus returns the memory fields of /proc/self/status in bytes.
func procStatus() (map[string]int64, error) { return procStatusOf(0) }

// procStatusOf is procStatus of process pid, or of this one for 0.
func procStatusOf(pid int) (map[string]int64, error) {
	f, err := os.Open(procPath(pid, "status"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(k, "Vm") && !strings.HasPrefix(k, "Rss") {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 2 && fs[1] == "kB" {
			if n, err := strconv.ParseInt(fs[0], 10, 64); err == nil {
				out[k] = n << 10
			}
		}
	}
	return out, sc.Err()
}

// goMem is the Go runtime's view of its memory.
type goMem struct {
	live  int64 // heap marked live by the last GC
	total int64 // everything the runtime mapped and has not released
}

func goMemory() goMem {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	v := func(i int) int64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(s[i].Value.Uint64())
	}
	return goMem{live: v(0), total: v(1) - v(2)}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
