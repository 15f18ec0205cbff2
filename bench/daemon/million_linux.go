package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// million runs the million scenario: a tree of -n notes (default 1,000,000)
// in n/100 folders, one cheap rule. A cold start queues every file; while
// that backlog drains, one edit must be processed within a second (live
// changes jump the bulk queue), and a restart midway must not queue the
// backlog twice. It reports the starts, the first pass's rate, the queue's
// largest size and the resident memory.
func (b *bench) million(ctx context.Context) ([]row, error) {
	if b.f.target != "daemon" {
		return nil, fmt.Errorf("-scenario million measures the daemon only")
	}
	n := b.f.ns[0]
	dirs := max(100, n/100)
	dir, err := b.corpusIn(ctx, fmt.Sprintf("n%d-d%d", n, dirs), n, "-dirs", strconv.Itoa(dirs))
	if err != nil {
		return nil, err
	}
	stopProf, err := b.startProfile()
	if err != nil {
		return nil, err
	}
	defer stopProf()
	if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
		return nil, err
	}
	tree := filepath.Join(dir, "tree")
	sc := "million"
	setting := fmt.Sprintf("daemon, %d files in %d folders, %d workers", n, dirs, b.f.workers)
	var rows []row
	add := func(metric, value, goal, verdict string) {
		rows = append(rows, row{sc, setting, metric, value, goal, verdict})
	}
	progress := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+" (load %s)\n", append([]any{time.Now().Format("15:04:05")}, append(args, loadAvg())...)...)
	}

	// 1. Cold start: every file queued.
	t, err := b.startDaemon(ctx, dir)
	if err != nil {
		return nil, err
	}
	rss, _ := procStatus()
	progress("cold start ready in %s, RSS %s", ms(t.ready), mib(rss["VmRSS"]))
	add("cold start: Run → ready (every file queued)", ms(t.ready), "≤ 30 s", atMost(t.ready, 30*time.Second))
	add("VmRSS at ready, cold", mib(rss["VmRSS"]), "≤ 256 MiB", okIf(rss["VmRSS"] <= 256<<20))

	// 2. The first pass, watched: the queue's size, one edit at a quarter,
	// a restart at half.
	var (
		maxPending  int
		processed   int64 // by the daemons before the current one
		passTime    time.Duration
		editLatency time.Duration = -1
		restarted   bool
		afterStart  int // queue size once the second daemon was ready
		// passPeak is the largest VmRSS sampled during each daemon's part
		// of the pass. VmHWM also covers the restart, when this one
		// process holds both daemons for a moment (two processes would not).
		passPeak [2]int64
	)
	passStart := time.Now()
	edited := "area-0000/topic-00/edit-during-backlog.md"
	if dirs == 100 {
		edited = "area-00/topic-00/edit-during-backlog.md"
	}
	var editAt time.Time
	for {
		st, err := t.status(ctx)
		if err != nil {
			t.stop()
			return rows, err
		}
		maxPending = max(maxPending, st.Queue.Pending)
		if rss, err := procStatus(); err == nil {
			i := 0
			if restarted {
				i = 1
			}
			passPeak[i] = max(passPeak[i], rss["VmRSS"])
		}
		done := processed + st.Counters["processed"]
		if editAt.IsZero() && done >= int64(n/4) {
			if err := os.WriteFile(filepath.Join(tree, edited), []byte("TODO: edited during the backlog\n"), 0o644); err != nil {
				t.stop()
				return rows, err
			}
			editAt = time.Now()
		}
		if !editAt.IsZero() && editLatency < 0 {
			if b, err := os.ReadFile(filepath.Join(tree, edited)); err == nil && strings.HasPrefix(string(b), "- [ ] ") {
				editLatency = time.Since(editAt)
				progress("edit processed %s after the save, %d of %d files done", ms(editLatency), done, n)
			}
		}
		if !restarted && editLatency >= 0 && done >= int64(n/2) {
			processed = done
			passTime += time.Since(passStart)
			if err := t.stop(); err != nil {
				return rows, err
			}
			progress("stopped at %d of %d files; restarting", done, n)
			if t, err = b.startDaemon(ctx, dir); err != nil {
				return rows, err
			}
			st, err := t.status(ctx)
			if err != nil {
				t.stop()
				return rows, err
			}
			afterStart = st.Queue.Pending
			rss, _ := procStatus()
			progress("restarted mid-backlog: ready in %s, %d queued, RSS %s", ms(t.ready), afterStart, mib(rss["VmRSS"]))
			add("restart mid-backlog: Run → ready", ms(t.ready), "≤ 30 s", atMost(t.ready, 30*time.Second))
			add("restart mid-backlog: queued once ready", fmt.Sprintf("%d (%d files not yet processed)", afterStart, int64(n)-processed), "≤ the files not yet processed", okIf(int64(afterStart) <= int64(n)-processed+1))
			restarted = true
			passStart = time.Now()
			continue
		}
		if restarted && st.Queue.Pending == 0 {
			passTime += time.Since(passStart)
			break
		}
		if time.Since(passStart) > b.f.drainMax {
			t.stop()
			return rows, fmt.Errorf("the backlog did not drain in %v: %d queued", b.f.drainMax, st.Queue.Pending)
		}
		select {
		case <-ctx.Done():
			t.stop()
			return rows, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	rate := float64(n) / passTime.Seconds()
	// The daemon gives memory back once its finisher has seen the queue
	// empty (every 250 ms) and nothing processed for half a second more:
	// "once drained" is read after that.
	select {
	case <-ctx.Done():
		t.stop()
		return rows, ctx.Err()
	case <-time.After(2 * time.Second):
	}
	rss, _ = procStatus()
	progress("backlog drained: %.0f files/s, RSS %s, peak %s", rate, mib(rss["VmRSS"]), mib(rss["VmHWM"]))
	add("first pass (both daemons' time, the restart excluded)", fmt.Sprintf("%s, %.0f files/s", ms(passTime), rate), "≥ 3000 files/s", okIf(rate >= 3000))
	add("queue's largest size during the pass", fmt.Sprintf("%d for %d files", maxPending, n), "≤ one job per file", okIf(maxPending <= n+1))
	if editLatency < 0 {
		add("one edit during the backlog: save → rewritten", "never", "≤ 1 s", "MISSED")
	} else {
		add("one edit during the backlog: save → rewritten", ms(editLatency), "≤ 1 s", atMost(editLatency, time.Second))
	}
	add("VmRSS once drained / VmHWM (peak) so far", mib(rss["VmRSS"])+" / "+mib(rss["VmHWM"]), "≤ 256 MiB", okIf(rss["VmHWM"] <= 256<<20))
	add("VmRSS sampled every 250 ms during the pass: peak of the first daemon / of the second", mib(passPeak[0])+" / "+mib(passPeak[1]), "≤ 256 MiB", okIf(max(passPeak[0], passPeak[1]) <= 256<<20))
	m := goMemory()
	add("of which, once drained: anonymous / file pages; Go heap live / runtime total", fmt.Sprintf("%s / %s; %s / %s", mib(rss["RssAnon"]), mib(rss["RssFile"]), mib(m.live), mib(m.total)), "", "")
	if b.f.memprof != "" {
		if err := writeHeapProfile(b.f.memprof); err != nil {
			return rows, err
		}
	}
	if err := t.stop(); err != nil {
		return rows, err
	}

	// 3. A warm start with the whole index.
	if t, err = b.startDaemon(ctx, dir); err != nil {
		return rows, err
	}
	rss, _ = procStatus()
	progress("warm start ready in %s, RSS %s", ms(t.ready), mib(rss["VmRSS"]))
	add("warm start: Run → ready (index complete)", ms(t.ready), "≤ 30 s", atMost(t.ready, 30*time.Second))
	add("VmRSS at ready, warm / VmHWM (peak) of the whole scenario", mib(rss["VmRSS"])+" / "+mib(rss["VmHWM"]), "≤ 256 MiB", okIf(rss["VmHWM"] <= 256<<20))
	return rows, t.stop()
}
