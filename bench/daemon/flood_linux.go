package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// flood runs the flood scenario: -files new notes written at once into one
// new directory (by default more than the kernel's inotify queue holds, so
// the watcher overflows and rescans), each with a TODO line the rule
// rewrites. It measures from the first file written to the target's count of
// writes reaching them all, then checks every file byte for byte.
func (b *bench) flood(ctx context.Context) ([]row, error) {
	n := b.f.ns[0]
	dir, err := b.corpusIn(ctx, fmt.Sprintf("n%d-flood", n), n)
	if err != nil {
		return nil, err
	}
	// The runs' folders exist before the target starts: the bare loop
	// watches only the directories it found at its start.
	floods := make([]string, b.f.runs)
	for r := range floods {
		floods[r] = filepath.Join(dir, "tree", fmt.Sprintf("flood-%d-%d", os.Getpid(), r))
		if err := os.MkdirAll(floods[r], 0o755); err != nil {
			return nil, err
		}
	}
	// Once the target stopped (deferred calls run last first), the runs'
	// folders are moved out of the tree, not deleted (see doc.go), so that
	// the next invocation's target starts on the corpus it started on here.
	defer retire(dir, floods)
	t, setting, err := b.startTarget(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	stopProf, err := b.startProfile()
	if err != nil {
		return nil, err
	}
	defer stopProf()
	sc := fmt.Sprintf("flood of %d new files", b.f.files)
	var best time.Duration
	var runs []string
	var bestCPU time.Duration
	for r := range b.f.runs {
		took, cpu, err := b.oneFlood(ctx, t, floods[r])
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "run %d: %d files processed in %s (%.0f files/s), CPU %s (load %s)\n",
			r+1, b.f.files, ms(took), float64(b.f.files)/took.Seconds(), ms(cpu), loadAvg())
		runs = append(runs, fmt.Sprintf("%.0f files/s", float64(b.f.files)/took.Seconds()))
		if r == 0 || took < best {
			best, bestCPU = took, cpu
		}
	}
	rate := float64(b.f.files) / best.Seconds()
	setting = fmt.Sprintf("%s, %d files", setting, n)
	return []row{
		{sc, setting, "first file written → all processed", ms(best), "", ""},
		{sc, setting, "throughput", fmt.Sprintf("%.0f files/s", rate), "≥ 3000 files/s", okIf(rate >= 3000)},
		{sc, setting, "CPU, writing the files included", ms(bestCPU), "", ""},
		{sc, setting, "every run", strings.Join(runs, "; "), "", ""},
	}, nil
}

// retire moves the flood folders out of dir's tree into dir/spent, where
// no target looks. A folder that cannot be moved is reported and left.
func retire(dir string, floods []string) {
	spent := filepath.Join(dir, "spent")
	if err := os.MkdirAll(spent, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "bench/daemon: %v; the flood folders stay in the tree\n", err)
		return
	}
	for _, f := range floods {
		if err := os.Rename(f, filepath.Join(spent, filepath.Base(f))); err != nil && !os.IsNotExist(err) {
			fmt.Fprintf(os.Stderr, "bench/daemon: %v; the flood folder stays in the tree\n", err)
		}
	}
}

// oneFlood writes the files into dir and waits until the target wrote them
// all, then checks their content.
func (b *bench) oneFlood(ctx context.Context, t target, dir string) (time.Duration, time.Duration, error) {
	before, err := t.written(ctx)
	if err != nil {
		return 0, 0, err
	}
	cpu0 := cpuWith(targetPID(t))
	start := time.Now()
	for i := range b.f.files {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%06d.md", i)), fmt.Appendf(nil, "# %d\nTODO: flood %d\n", i, i), 0o644); err != nil {
			return 0, 0, err
		}
	}
	deadline := time.Now().Add(b.f.drainMax)
	for {
		n, err := t.written(ctx)
		if err != nil {
			return 0, 0, err
		}
		if n-before >= int64(b.f.files) {
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("flood: %d of %d files processed after %v", n-before, b.f.files, b.f.drainMax)
		}
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-time.After(20 * time.Millisecond): // the status is not free to compute
		}
	}
	took, cpu := time.Since(start), cpuWith(targetPID(t))-cpu0
	for i := range b.f.files {
		p := filepath.Join(dir, fmt.Sprintf("f%06d.md", i))
		got, err := os.ReadFile(p)
		if err != nil {
			return 0, 0, err
		}
		if want := fmt.Sprintf("# %d\n- [ ] flood %d\n", i, i); string(got) != want {
			return 0, 0, fmt.Errorf("flood: %s = %q, want %q", p, got, want)
		}
	}
	return took, cpu, nil
}
