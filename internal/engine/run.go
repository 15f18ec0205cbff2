package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/scan"
)

// Report is the outcome of a one-shot run.
type Report struct {
	// Results holds one entry per processed file plus one per write an
	// action made to another file, sorted by root, path and Via.
	Results []*Result
	// Scanned counts the documents listed.
	Scanned int
	// Duration is the wall time of the run.
	Duration time.Duration
	// WalkErrors are directories that could not be read.
	WalkErrors []string
}

// Progress is told how many files are done out of how many.
type Progress func(done, total int)

// Target is one PATH argument of `scribe run/check`, resolved to a root.
type Target struct {
	Root *Root
	// Rel is the path inside the root ("" or "." for the whole root).
	Rel string
	// File is true when Rel names a file rather than a directory.
	File bool
}

// Resolve maps command-line paths to the roots that contain them. A path
// outside every root is an error naming it.
func Resolve(roots []*Root, paths []string) ([]Target, error) {
	if len(paths) == 0 {
		ts := make([]Target, len(roots))
		for i, r := range roots {
			ts[i] = Target{Root: r}
		}
		return ts, nil
	}
	var ts []Target
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		var best *Root
		for _, r := range roots {
			if abs == r.Dir || strings.HasPrefix(abs, r.Dir+string(filepath.Separator)) {
				if best == nil || len(r.Dir) > len(best.Dir) {
					best = r
				}
			}
		}
		if best == nil {
			return nil, fmt.Errorf("%s is not inside any root of the configuration (roots: %s)", p, rootList(roots))
		}
		rel, _ := filepath.Rel(best.Dir, abs)
		rel = filepath.ToSlash(rel)
		st, err := best.FS.Lstat(rel)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist", p)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		ts = append(ts, Target{Root: best, Rel: rel, File: !st.IsDir()})
	}
	return ts, nil
}

func rootList(roots []*Root) string {
	var s []string
	for _, r := range roots {
		s = append(s, r.Dir)
	}
	return strings.Join(s, ", ")
}

// fileKey names one file of one root.
type fileKey struct {
	root *Root
	rel  string
}

type job struct {
	root *Root
	rel  string
	// listed: the run's listing showed rel as a regular file.
	listed bool
}

// Run processes every document of the targets once, with Options.Workers
// files in flight, then lets aggregating actions finish (catalog, index) and
// processes the files they name once more.
func (e *Engine) Run(ctx context.Context, targets []Target, progress Progress) (*Report, error) {
	start := time.Now()
	defer e.dirs.close()
	rep := &Report{}
	var jobs []job
	seen := map[*Root]bool{}
	// Overlapping PATH arguments name a file once; one target needs no set.
	dedupe := len(targets) > 1
	listed := map[fileKey]bool{}
	for _, t := range targets {
		if !seen[t.Root] {
			seen[t.Root] = true
			t.Root.Docs.oneShot.Store(true)
			defer t.Root.Docs.oneShot.Store(false)
			if !e.opts.DryRun {
				// A crash mid-write can leave a temp file beside its target
				// (see Root.CleanTemps). A check writes nothing, so it
				// leaves them for the next run.
				t.Root.CleanTemps(e.log)
			}
			entries, werrs, err := t.Root.refresh(ctx, 2*e.goroutines())
			if err != nil {
				return nil, err
			}
			for _, we := range werrs {
				rep.WalkErrors = append(rep.WalkErrors, we.Error())
			}
			t.Root.scanned = entries
		}
		for _, en := range t.Root.scanned {
			if !t.covers(en.Rel) {
				continue
			}
			if dedupe {
				if listed[fileKey{t.Root, en.Rel}] {
					continue
				}
				listed[fileKey{t.Root, en.Rel}] = true
			}
			rep.Scanned++
			if !en.Type.IsRegular() {
				rep.Results = append(rep.Results, specialResult(t.Root, en))
				continue
			}
			if e.Applies(en.Rel) {
				jobs = append(jobs, job{t.Root, en.Rel, true})
			}
		}
		if t.File && !t.Root.Filter.Included(t.Rel) && !listed[fileKey{t.Root, t.Rel}] {
			// An explicitly named file is processed even if the globs
			// would not list it: the user asked for it.
			listed[fileKey{t.Root, t.Rel}] = true
			rep.Scanned++
			jobs = append(jobs, job{t.Root, t.Rel, false})
		}
	}
	w := &Writes{}
	results, err := e.runJobs(ctx, jobs, e.opts.OriginOf, w, progress)
	if err != nil {
		return nil, err
	}
	rep.Results = append(rep.Results, results...)

	// Aggregating actions see every file first, then write their outputs and
	// name the files that need another pass.
	again, err := e.finish(ctx, seen, w, rep)
	if err != nil {
		return nil, err
	}
	if len(again) > 0 {
		// These files were written by aggregating actions, or depend on
		// what they wrote: Scribe's own change.
		more, err := e.runJobs(ctx, again, func(*Root, string, *safefile.Snapshot) action.Origin { return action.OriginScribe }, w, nil)
		if err != nil {
			return nil, err
		}
		rep.Results = mergeResults(rep.Results, more)
	}
	rep.Results = append(rep.Results, w.Results()...)
	sortResults(rep.Results)
	rep.Duration = time.Since(start)
	return rep, nil
}

// Finish lets aggregating actions (catalog, index) finish a batch for the
// given roots, and returns the paths they named for another pass, per root.
// Writes they make go through w. The daemon calls it after each batch.
func (e *Engine) Finish(ctx context.Context, roots []*Root, w *Writes) (map[*Root][]string, *Report, error) {
	set := make(map[*Root]bool, len(roots))
	for _, r := range roots {
		set[r] = true
	}
	rep := &Report{}
	jobs, err := e.finish(ctx, set, w, rep)
	if err != nil {
		return nil, nil, err
	}
	out := map[*Root][]string{}
	for _, j := range jobs {
		out[j.root] = append(out[j.root], j.rel)
	}
	return out, rep, nil
}

// covers reports whether rel is inside the target.
func (t Target) covers(rel string) bool {
	switch {
	case t.Rel == "" || t.Rel == ".":
		return true
	case t.File:
		return rel == t.Rel
	default:
		return rel == t.Rel || strings.HasPrefix(rel, t.Rel+"/")
	}
}

func specialResult(root *Root, en scan.Entry) *Result {
	if en.Type&fs.ModeSymlink != 0 {
		// Links are never followed by the walk; a target inside the root is
		// processed under its own name when it is a document.
		return &Result{Root: root.Dir, Path: en.Rel, Skipped: "symbolic link"}
	}
	kind := "not a regular file (" + en.Type.String() + ")"
	return &Result{Root: root.Dir, Path: en.Rel, Skipped: kind, Findings: []action.Finding{{
		Path: en.Rel, Action: "read", Severity: action.SeverityWarning, Message: "skipped: " + kind,
	}}}
}

// goroutines is how many files a run has in hand at once: at least one
// per core, so that reading (system calls on a warm page cache: CPU work)
// uses the machine. Options.Workers still bounds the files whose actions
// run at once (pass.slots).
func (e *Engine) goroutines() int {
	return max(e.opts.Workers, runtime.GOMAXPROCS(0))
}

// writers is how many files a run that writes has in hand at once: many
// per goroutine, so that files waiting for their write to be durable (an
// fsync, the journal's commit) share those waits rather than queue for
// them. Sixteen per goroutine (64 on 2 cores) rewrote 2,000 of 20,000 notes
// in 1.9–2.6 s where four took 2.3–2.8 s (doc/PERFORMANCE.md, "One-shot
// run"); a file in hand costs little more than its content.
func (e *Engine) writers() int {
	if e.opts.DryRun {
		return e.goroutines()
	}
	return 16 * e.goroutines()
}

// runJobs processes jobs on e.writers() goroutines. origin, when set,
// gives each file's origin from the file as read; nil is OriginScan.
func (e *Engine) runJobs(ctx context.Context, jobs []job, origin func(*Root, string, *safefile.Snapshot) action.Origin, w *Writes, progress Progress) ([]*Result, error) {
	results := make([]*Result, len(jobs))
	var next, done atomic.Int64
	var mu sync.Mutex
	n := e.writers()
	var slots chan struct{}
	if n > e.opts.Workers {
		slots = make(chan struct{}, e.opts.Workers)
	}
	g, gctx := errgroup.WithContext(ctx)
	// A fixed set of goroutines pulls jobs: their stacks grow once, not
	// once per file.
	for range min(n, len(jobs)) {
		g.Go(func() error {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				j := jobs[i]
				results[i] = e.process(gctx, j.root, j.rel, Change{Origin: action.OriginScan}, pass{originOf: origin, listed: j.listed, cached: true, slots: slots}, w)
				if progress != nil {
					n := done.Add(1)
					mu.Lock()
					progress(int(n), len(jobs))
					mu.Unlock()
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

// finish calls every Finisher once per root. A finisher may write a file
// another one reports on (an index the catalog lists), so rounds repeat while
// a round wrote something, up to maxFinishRounds.
func (e *Engine) finish(ctx context.Context, roots map[*Root]bool, w *Writes, rep *Report) ([]job, error) {
	var again []job
	queued := map[string]bool{}
	for round := range maxFinishRounds {
		before := len(w.Results())
		// Findings of later rounds repeat the first round's; keep one copy.
		sink := rep
		if round > 0 {
			sink = &Report{}
		}
		if err := e.finishRound(ctx, roots, w, sink, queued, &again); err != nil {
			return nil, err
		}
		if len(w.Results()) == before {
			break
		}
	}
	return again, nil
}

const maxFinishRounds = 3

func (e *Engine) finishRound(ctx context.Context, roots map[*Root]bool, w *Writes, rep *Report, queued map[string]bool, again *[]job) error {
	for root := range roots {
		root.Docs.changed() // each round looks at the documents afresh
	}
	for _, r := range e.rules.Rules {
		for _, st := range r.Steps {
			f, ok := st.Action.(action.Finisher)
			if !ok {
				continue
			}
			for root := range roots {
				h := e.host(root, r.ID, st.Name, "", nil, w, e.opts.DryRun)
				out, err := callFinish(ctx, f, h, st.Timeout)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					rep.Results = append(rep.Results, &Result{Root: root.Dir, Path: ".", Via: st.Name, Error: fmt.Sprintf("rule %s: action %s: finish: %v", r.ID, st.Name, err)})
					continue
				}
				for _, fd := range out.Findings {
					fd.Rule, fd.Action = r.ID, st.Name
					rep.Results = append(rep.Results, &Result{Root: root.Dir, Path: fd.Path, Via: st.Name, Findings: []action.Finding{fd}})
				}
				for _, p := range out.Affected {
					if k := root.Dir + "\x00" + p; !queued[k] {
						queued[k] = true
						*again = append(*again, job{root: root, rel: p})
					}
				}
			}
		}
	}
	return nil
}

func callFinish(ctx context.Context, f action.Finisher, h action.Host, timeout time.Duration) (action.Output, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	out, err := f.Finish(ctx, h)
	if err == nil && ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return out, fmt.Errorf("finish: %w", ctx.Err())
	}
	return out, err
}

// mergeResults replaces earlier results for the same file with later ones.
func mergeResults(old, newer []*Result) []*Result {
	idx := map[string]int{}
	for i, r := range old {
		idx[r.Root+"\x00"+r.Path] = i
	}
	for _, r := range newer {
		if i, ok := idx[r.Root+"\x00"+r.Path]; ok {
			// Keep the first pass's change if the second pass found nothing
			// more to do: the file was written in the first pass.
			if !r.Changed && old[i].Changed {
				r.Changed, r.Written, r.Before, r.After = old[i].Changed, old[i].Written, old[i].Before, old[i].After
				r.BeforeHash, r.AfterHash = old[i].BeforeHash, old[i].AfterHash
			}
			old[i] = r
		} else {
			old = append(old, r)
		}
	}
	return old
}

func sortResults(rs []*Result) {
	slices.SortStableFunc(rs, func(a, b *Result) int {
		if c := strings.Compare(a.Root, b.Root); c != 0 {
			return c
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Via, b.Via)
	})
}
