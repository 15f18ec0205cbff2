package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// startup runs the startup scenario: for each -n, -runs times, a cold start
// (no state dir) followed by a warm one (the state the cold run left).
func (b *bench) startup(ctx context.Context) ([]row, error) {
	if b.f.target != "daemon" {
		return nil, fmt.Errorf("-scenario startup measures the daemon only")
	}
	stopProf, err := b.startProfile()
	if err != nil {
		return nil, err
	}
	defer stopProf()
	var rows []row
	for _, n := range b.f.ns {
		dir, err := b.corpus(ctx, n)
		if err != nil {
			return rows, err
		}
		goal := 500 * time.Millisecond
		if n > 10000 {
			goal = 3 * time.Second
		}
		var cold, warm, drain []time.Duration
		state := filepath.Join(dir, "state")
		if _, err := os.Stat(state); err != nil && !b.f.cold {
			fmt.Fprintf(os.Stderr, "n=%d: no state yet; an unmeasured cold start makes it\n", n)
			if _, _, err := b.coldWarm(ctx, dir); err != nil {
				return rows, err
			}
		}
		for r := range b.f.runs {
			if b.f.cold {
				if err := os.RemoveAll(state); err != nil {
					return rows, err
				}
				c, d, err := b.coldWarm(ctx, dir)
				if err != nil {
					return rows, err
				}
				cold, drain = append(cold, c), append(drain, d)
			}
			w, _, err := b.coldWarm(ctx, dir)
			if err != nil {
				return rows, err
			}
			warm = append(warm, w)
			fmt.Fprintf(os.Stderr, "n=%d run %d: %s (load %s)\n", n, r+1, pairs(lastOf(cold), lastOf(warm)), loadAvg())
		}
		setting := fmt.Sprintf("daemon, %d files, %d workers", n, b.f.workers)
		sc := "startup"
		bw := minDur(warm)
		if b.f.cold {
			bc, bd := minDur(cold), minDur(drain)
			rows = append(rows,
				row{sc, setting, "cold: Run → ready (no state; every file queued)", ms(bc), "≤ " + ms(goal), atMost(bc, goal)},
				row{sc, setting, "cold: ready → queue drained (every file checked)", ms(bd), "", ""},
			)
		}
		every := "every run: warm"
		if b.f.cold {
			every = "every run: cold / warm"
		}
		rows = append(rows,
			row{sc, setting, "warm: Run → ready (index present)", ms(bw), "≤ " + ms(goal), atMost(bw, goal)},
			row{sc, setting, every, pairs(cold, warm), "", ""},
		)
	}
	if st, err := procStatus(); err == nil {
		rows = append(rows, row{"startup", "daemon, the whole scenario", "peak RSS of the process (VmHWM)", mib(st["VmHWM"]), "", ""})
	}
	return rows, nil
}

// coldWarm starts the daemon on dir with whatever state it has, and returns
// the time from Run to ready and then to an empty queue; it stops the daemon
// before returning, so that the file index is saved for the next start.
func (b *bench) coldWarm(ctx context.Context, dir string) (ready, drain time.Duration, err error) {
	t, err := b.startDaemon(ctx, dir)
	if err != nil {
		return 0, 0, err
	}
	drain, err = t.drain(ctx, b.f.drainMax)
	if serr := t.stop(); err == nil {
		err = serr
	}
	return t.ready, drain, err
}

func minDur(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds[1:] {
		m = min(m, d)
	}
	return m
}

// pairs formats "cold / warm" per run, or "warm" alone when there are no
// cold runs.
func pairs(cold, warm []time.Duration) string {
	var s []string
	for i, w := range warm {
		if i < len(cold) {
			s = append(s, ms(cold[i])+" / "+ms(w))
		} else {
			s = append(s, ms(w))
		}
	}
	return strings.Join(s, "; ")
}

func lastOf(ds []time.Duration) []time.Duration { return ds[max(len(ds)-1, 0):] }
