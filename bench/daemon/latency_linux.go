package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scribe-md/scribe/bench/bareloop"
)

// rewriteMask is what the observer listens to: a rename into place (how
// Scribe and the bare loop write) or a close after writing (how the user
// saves, and how an in-place writer would).
const rewriteMask = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO

// saver makes user saves in a tree and observes the rewrites that follow.
type saver struct {
	tree  string
	obs   *bareloop.Notify
	files []string // relative paths, in the order saves use them
	next  int
	seq   int
}

func newSaver(tree string, seed uint64) (*saver, error) {
	files, err := notes(tree)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no notes in %s", tree)
	}
	r := rand.New(rand.NewPCG(seed, seed+1))
	r.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
	obs, err := bareloop.NewNotify(tree, rewriteMask)
	if err != nil {
		return nil, err
	}
	return &saver{tree: tree, obs: obs, files: files}, nil
}

func (s *saver) close() error { return s.obs.Close() }

// pick returns the next file to save (each file once, then round again).
func (s *saver) pick() string {
	rel := s.files[s.next%len(s.files)]
	s.next++
	return rel
}

// edit is one prepared save: the file, its new content and the markers that
// tell the saved version from the rewritten one.
type edit struct {
	abs      string
	content  []byte
	todo     []byte // the line the user wrote
	task     []byte // what the rule turns it into
	savedAt  time.Time
	doneAt   time.Time
	renames  int // IN_MOVED_TO events after the save
	rewrites int // ... of which showed the rule applied
}

// prepare reads rel and returns a save that appends a TODO line to it.
func (s *saver) prepare(rel string) (*edit, error) {
	abs := filepath.Join(s.tree, rel)
	old, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	s.seq++
	tag := fmt.Sprintf("bench %d %d", os.Getpid(), s.seq)
	e := &edit{abs: abs, todo: []byte("TODO: " + tag + "\n"), task: []byte("- [ ] " + tag + "\n")}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	e.content = append(old, e.todo...)
	return e, nil
}

// save writes the edit in place (truncate and write, as many editors do).
func (e *edit) save() error {
	e.savedAt = time.Now()
	return os.WriteFile(e.abs, e.content, 0o644)
}

// rewritten reports whether the file on disk shows the rule applied to this
// edit.
func (e *edit) rewritten() bool {
	b, err := os.ReadFile(e.abs)
	return err == nil && bytes.Contains(b, e.task) && !bytes.Contains(b, e.todo)
}

// observe accounts for one event of e's file.
func (e *edit) observe(ev bareloop.Event) (done bool) {
	if ev.Mask&unix.IN_MOVED_TO != 0 {
		e.renames++
	}
	if !e.doneAt.IsZero() || !e.rewritten() {
		return false
	}
	e.doneAt = ev.At
	e.rewrites++
	return true
}

// one saves one file and waits for its rewrite; it returns the latency, or
// ok false when no rewrite came within timeout.
func (s *saver) one(ctx context.Context, timeout time.Duration) (lat time.Duration, ok bool, err error) {
	e, err := s.prepare(s.pick())
	if err != nil {
		return 0, false, err
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	if err := e.save(); err != nil {
		return 0, false, err
	}
	for {
		select {
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-deadline.C:
			return 0, false, nil
		case ev, open := <-s.obs.C:
			if !open {
				return 0, false, fmt.Errorf("observer stopped: %v", s.obs.Err())
			}
			if ev.Path == e.abs && ev.Mask&rewriteMask != 0 && e.observe(ev) {
				return e.doneAt.Sub(e.savedAt), true, nil
			}
		}
	}
}

// setUp prepares a latency or burst scenario on a corpus of n notes: the
// target running on it, a saver (seeded with seed) that writes user saves
// and watches for rewrites, the row label, and the CPU profile if asked for.
// done stops them all.
func (b *bench) setUp(ctx context.Context, n int, seed uint64) (tgt target, s *saver, setting string, done func(), err error) {
	dir, err := b.corpus(ctx, n)
	if err != nil {
		return nil, nil, "", nil, err
	}
	tgt, setting, err = b.startTarget(ctx, dir)
	if err != nil {
		return nil, nil, "", nil, err
	}
	s, err = newSaver(filepath.Join(dir, "tree"), seed)
	if err != nil {
		tgt.stop()
		return nil, nil, "", nil, err
	}
	stopProf, err := b.startProfile()
	if err != nil {
		s.close()
		tgt.stop()
		return nil, nil, "", nil, err
	}
	return tgt, s, fmt.Sprintf("%s, %d files", setting, n), func() {
		stopProf()
		s.close()
		tgt.stop()
	}, nil
}

// latency runs the latency scenario.
func (b *bench) latency(ctx context.Context) ([]row, error) {
	n := b.f.ns[0]
	_, s, setting, done, err := b.setUp(ctx, n, 1)
	if err != nil {
		return nil, err
	}
	defer done()
	for range b.f.warmup {
		if _, _, err := s.one(ctx, b.f.timeout); err != nil {
			return nil, err
		}
		time.Sleep(b.f.gap)
	}
	var best summary
	bestMissed := 0
	var runs []string
	for r := range b.f.runs {
		var samples []time.Duration
		missed := 0
		for range b.f.samples {
			lat, ok, err := s.one(ctx, b.f.timeout)
			if err != nil {
				return nil, err
			}
			time.Sleep(b.f.gap)
			if !ok {
				missed++
				continue
			}
			if b.f.slow > 0 && lat > b.f.slow {
				fmt.Fprintf(os.Stderr, "slow save at %s: %s\n", time.Now().Add(-lat).Format("15:04:05.000000"), ms(lat))
			}
			samples = append(samples, lat)
		}
		sum := summarize(samples)
		fmt.Fprintf(os.Stderr, "run %d: n=%d p50=%s p90=%s p99=%s max=%s missed=%d (load %s)\n", r+1, sum.n, ms(sum.p50), ms(sum.p90), ms(sum.p99), ms(sum.max), missed, loadAvg())
		runs = append(runs, ms(sum.p50)+" / "+ms(sum.p99))
		if r == 0 || sum.p99 < best.p99 {
			best, bestMissed = sum, missed
		}
	}
	if err := s.obs.Err(); err != nil {
		return nil, err
	}

	var goal50, goal99 string
	var lim50, lim99 time.Duration
	settle, perr := time.ParseDuration(b.f.settle)
	if b.f.target != "bare" && perr == nil {
		// The "settle: 0" goals hold for any settle under a
		// millisecond (settle: 0 itself means the 50ms default to the
		// watcher; see doc/PERFORMANCE.md).
		if settle < time.Millisecond {
			lim50, lim99 = 3*time.Millisecond, 10*time.Millisecond
		} else {
			lim99 = settle + 6*time.Millisecond
		}
	}
	verdict := func(v, lim time.Duration) string {
		if lim == 0 {
			return ""
		}
		return atMost(v, lim)
	}
	if lim50 > 0 {
		goal50 = "≤ " + ms(lim50)
	}
	if lim99 > 0 {
		goal99 = "≤ " + ms(lim99)
	}
	sc := "latency"
	rows := []row{
		{sc, setting, "samples (best of runs)", fmt.Sprintf("%d, %d missed", best.n, bestMissed), "0 missed", okIf(bestMissed == 0)},
		{sc, setting, "p50", ms(best.p50), goal50, verdict(best.p50, lim50)},
		{sc, setting, "p90", ms(best.p90), "", ""},
		{sc, setting, "p99", ms(best.p99), goal99, verdict(best.p99, lim99)},
		{sc, setting, "max", ms(best.max), "", ""},
		{sc, setting, "every run p50 / p99", strings.Join(runs, "; "), "", ""},
	}
	return rows, nil
}

func okIf(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}
