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
)

// rssGoal is the bound on the daemon's resident memory at 100,000
// files, embedded NATS included.
const rssGoal = 64 << 20

// rss runs the rss scenario: this process is the daemon (the corpus is
// written by a child process), so its /proc/self/status is the daemon's.
func (b *bench) rss(ctx context.Context) ([]row, error) {
	if b.f.target != "daemon" {
		return nil, fmt.Errorf("-scenario rss measures the daemon only")
	}
	n := b.f.ns[0]
	dir, err := b.corpus(ctx, n)
	if err != nil {
		return nil, err
	}
	_, statErr := os.Stat(filepath.Join(dir, "state"))
	t, err := b.startDaemon(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	atReady, err := procStatus()
	if err != nil {
		return nil, err
	}
	memReady := goMemory()
	drained, derr := t.drain(ctx, b.f.drainMax)
	atDrain, err := procStatus()
	if err != nil {
		return nil, err
	}
	memDrain := goMemory()
	if b.f.memprof != "" {
		if err := writeHeapProfile(b.f.memprof); err != nil {
			return nil, err
		}
	}
	start := "cold (no state)"
	if statErr == nil {
		start = "warm (state present)"
	}
	setting := fmt.Sprintf("daemon, %d files, %s start", n, start)
	drainNote := "after the queue drained (" + ms(drained) + ")"
	if derr != nil {
		drainNote = "queue not drained: " + derr.Error()
	}
	sc := "rss"
	rows := []row{
		{sc, setting, "VmRSS at ready", mib(atReady["VmRSS"]), "≤ 64 MiB", okIf(atReady["VmRSS"] <= rssGoal)},
		{sc, setting, "VmRSS " + drainNote, mib(atDrain["VmRSS"]), "≤ 64 MiB", okIf(atDrain["VmRSS"] <= rssGoal)},
		{sc, setting, "VmHWM (peak) " + drainNote, mib(atDrain["VmHWM"]), "≤ 64 MiB", okIf(atDrain["VmHWM"] <= rssGoal)},
		{sc, setting, "of which anonymous / file-backed (after drain)", mib(atDrain["RssAnon"]) + " / " + mib(atDrain["RssFile"]), "", ""},
		{sc, setting, "Go heap live at last GC, ready / after drain", mib(memReady.live) + " / " + mib(memDrain.live), "", ""},
		{sc, setting, "Go runtime memory held, ready / after drain", mib(memReady.total) + " / " + mib(memDrain.total), "", ""},
	}
	return rows, nil
}

// procStatus returns the memory fields of /proc/self/status in bytes.
func procStatus() (map[string]int64, error) {
	f, err := os.Open("/proc/self/status")
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
