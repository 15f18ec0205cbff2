package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
	"github.com/scribe-md/scribe/internal/rule"
	"github.com/scribe-md/scribe/internal/safefile"
)

// Options tune an Engine.
type Options struct {
	// Workers bounds files in flight in Run.
	Workers int
	// MaxFileSize skips larger files with a finding (<= 0: no limit).
	MaxFileSize int64
	// DryRun computes changes without writing anything (scribe check).
	DryRun bool
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
	// Tracer, when set, makes a span of each file ProcessChange processes,
	// with a child per action called, the write and its journal entry
	// (Wrote); nil makes none.
	Tracer trace.Tracer
	// Clock is the time actions see; nil means time.Now.
	Clock func() time.Time
	// Commands is the runner actions use for allow-listed commands, per root
	// directory; nil grants no command execution.
	Commands func(root *Root) action.CommandRunner
	// Publisher receives events published immediately by actions; nil drops
	// them (Output.Events are still collected in the Result).
	Publisher action.Publisher
	// MaxConflicts bounds how often one file's rules are redone because the
	// file kept changing under them (default 10).
	MaxConflicts int
	// Gate, when set, is asked before a rule runs on a file; it returns
	// whether the rule may run and a function to report how it went. The
	// daemon's per-rule circuit breakers plug in here.
	Gate func(rule string) (done func(Verdict), allowed bool)
	// BeforeWrite, when set, is called just before the engine writes a file
	// (its own or, through the Writer, another) with the content about to
	// land and its sha256, which the engine computed for the write's
	// result. The daemon uses it to recognise its own writes.
	BeforeWrite func(root *Root, rel string, content []byte, sum [32]byte)
	// ActionDone, when set, is told how long each action call took and how it
	// ended (metrics).
	ActionDone func(rule, action string, d time.Duration, err error)
	// Wrote, when set, is told of every write once it is on disk: a file's
	// own (Result.ChangedBy the rules) or an action's write to another file
	// or rename (Result.Via set). The daemon and `scribe run` journal here
	// (see Journal); an error fails that file or action, its write made.
	Wrote func(root *Root, res *Result) error
	// Undone, when set, returns the rules that must not change rel while it
	// has content hash ("" for a missing file): the user undid their write
	// to that content (`scribe undo`). Such a rule runs as in a check: its
	// findings are reported, but its changes to the file, and its writes to
	// other files, are dropped. Writes to rel by other files' actions
	// (index, catalog) of those rules are skipped too.
	Undone func(root *Root, rel, hash string) []string
	// VCS, when set, says what git knows of a file as read: content that is
	// its committed version was put there by git, or is back to what git
	// has; a tracked file whose inode last changed (changed) while a git
	// operation ran was written by git too (a stash pop, a merge's result).
	// Either makes a user's change OriginVCS.
	VCS func(root *Root, rel string, content []byte, changed time.Time) VCSInfo
	// LeaveCommitted makes writing rules leave committed content alone when
	// it arrived through git (OriginVCS) or was found by a scan (OriginScan),
	// unless the rule sets rewrite_committed: their findings stand, their
	// content changes are dropped (Result.LeftCommitted). The daemon sets it
	// inside a git work tree, so that a checkout or a clone never comes
	// back dirty.
	LeaveCommitted bool
	// MayWrite, when set, is asked just before every write (the file's own,
	// and those made through the Writer); an error wrapping ErrHeld stops
	// the write, and the file's result says Held. The daemon holds writes
	// while a git operation runs.
	MayWrite func(root *Root) error
	// Content, when set in a dry run, gives the content to check instead of
	// the file's (the staged version for `scribe check --staged`); ok false
	// reads the file.
	Content func(root *Root, rel string) (content []byte, ok bool)
	// RuleSlots, when set, bounds the files whose rules run at once in
	// ProcessChange (a buffered channel used as a semaphore): reading and
	// writing files is outside it. The daemon keeps more files in flight
	// than it runs rules for, so that waiting for the disk overlaps with
	// other files' rules. (Run bounds its own with Workers.)
	RuleSlots chan struct{}
	// OriginOf, when set, says why Run processes each file, given the file
	// as read (its identity tells whether it changed since a previous run
	// without another stat); nil means OriginScan for every file (nothing
	// is known about changes).
	OriginOf func(root *Root, rel string, snap *safefile.Snapshot) action.Origin
	// Offload, when set, runs a file's rules elsewhere (scale-out: a
	// remote worker's Compute) when none of the rules that select it is
	// local (action.IsLocal): ProcessChange reads the file, hands Offload
	// the content and what it decided about it, and writes the result
	// with the usual compare-and-swap; if the file changed meanwhile it
	// reads it again and offloads again. heartbeat, from Change, says the
	// caller is still alive while it waits (nil: nothing to tell).
	Offload func(ctx context.Context, j Job, heartbeat func()) (*Computed, error)
	// OffloadFallback: when Offload fails with ErrNoWorker (no worker could
	// run the rules), ProcessChange runs them here instead of failing the
	// file.
	OffloadFallback bool
}

// VCSInfo is what git knows of a file's content (Options.VCS).
type VCSInfo struct {
	// Committed: the content is git's index or HEAD blob of the file.
	Committed bool `json:"committed"`
	// Tracked: git has the file in its index or HEAD.
	Tracked bool `json:"tracked"`
	// DuringOp: the file last changed while a git operation ran.
	DuringOp bool `json:"during_op,omitempty"`
}

// Engine applies a rule set to files.
type Engine struct {
	rules *rule.Set
	opts  Options
	log   *slog.Logger
	dirs  dirCache // dry runs only
	// condFields are the front-matter keys the rules' conditions read
	// (all of it with condAll).
	condFields []string
	condAll    bool
	// local holds the rules with an action that needs the files
	// (action.IsLocal): a file one of them selects is never offloaded.
	local map[*rule.Rule]bool
}

// New returns an engine for rules.
func New(rules *rule.Set, opts Options) *Engine {
	if opts.Workers < 1 {
		opts.Workers = 1
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxConflicts <= 0 {
		opts.MaxConflicts = 10
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{rules: rules, opts: opts, log: log}
	e.condFields, e.condAll = rules.ConditionFields()
	for _, r := range rulesOf(rules) {
		for _, st := range r.Steps {
			if action.IsLocal(st.Action) {
				if e.local == nil {
					e.local = map[*rule.Rule]bool{}
				}
				e.local[r] = true
			}
		}
	}
	return e
}

// Rules returns the engine's rule set.
func (e *Engine) Rules() *rule.Set { return e.rules }

// Applies reports whether any rule selects rel by path.
func (e *Engine) Applies(rel string) bool {
	for _, r := range e.rules.Rules {
		if r.MatchPath(rel) {
			return true
		}
	}
	return false
}

// Process runs every applicable rule on one file, as for a user's edit
// (OriginUser); see ProcessChange.
func (e *Engine) Process(ctx context.Context, root *Root, rel string, w *Writes) *Result {
	return e.ProcessChange(ctx, root, rel, Change{Origin: action.OriginUser}, w)
}

// Change says why a file is processed.
type Change struct {
	// Origin is where the change came from as far as the caller knows
	// (Options.VCS may refine a user's change to OriginVCS).
	Origin action.Origin
	// Of is the stamp of the version of the file the caller saw the change
	// on (zero: unknown). A file read as another version changed since, and
	// that later change is taken for an edit: a scan, or Scribe's own
	// requeue, that comes after the user saved describes an older version.
	// A stamp also says that the caller saw the file as a document: its
	// first read opens it at once (safefile.ReadProbed).
	Of safefile.Stamp
	// Left is the stamp of the version the caller's last processing of the
	// file left (zero: unknown). A change made on another version (Of)
	// that finds the file still at Left was overtaken: that processing ran
	// after the change was made, on a later version, and what the file
	// holds is its result, not an edit. Nothing is done for it. One save
	// can make two changes (its kernel events straddle the settle time
	// under load): the first change's run reads the whole save and writes,
	// and the second, taken for an edit, ran the rules again on the
	// engine's own output (a stamp of edits stamped twice). A stamp holds
	// the change time, which every write moves on, so a file never comes
	// back to an earlier stamp.
	Left safefile.Stamp

	// Heartbeat, when set, is called now and then while the rules run
	// elsewhere (Options.Offload), so that whoever gave the caller the
	// change knows it is still being worked on.
	Heartbeat func()

	// explain, when set, records why each rule did or did not act
	// (Explain).
	explain *explainTrace
}

// ProcessChange runs every applicable rule on one file and writes the result
// back (unless DryRun). ch says why. w receives the writes actions make to
// other files. The caller guarantees ProcessChange is not running
// concurrently for the same file.
func (e *Engine) ProcessChange(ctx context.Context, root *Root, rel string, ch Change, w *Writes) *Result {
	return e.process(ctx, root, rel, ch, pass{slots: e.opts.RuleSlots}, w)
}

// pass says how Run processes the files of one pass; the zero pass is
// ProcessChange's.
type pass struct {
	// originOf, when set, gives the origin from the file as read (its
	// first read; a redo after a conflict is the user's edit).
	originOf func(*Root, string, *safefile.Snapshot) action.Origin
	// listed: the run's listing showed the file as a regular file.
	listed bool
	// cached: the first read goes through the run's directory handles
	// (see dirCache).
	cached bool
	// slots, when set, bounds the files whose actions run at once: Run
	// reads and matches on more goroutines than Options.Workers.
	slots chan struct{}
}

// slot is one file's claim on a pass's slots, taken before its first
// action runs and given back when its actions are done, before the write.
type slot struct {
	ch   chan struct{}
	held bool
}

func (s *slot) take(ctx context.Context) error {
	if s.ch == nil || s.held {
		return nil
	}
	select {
	case s.ch <- struct{}{}:
		s.held = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slot) release() {
	if s.held {
		<-s.ch
		s.held = false
	}
}

func (e *Engine) process(ctx context.Context, root *Root, rel string, ch Change, p pass, w *Writes) *Result {
	root.Docs.changed() // rel may differ from what a Stat of it showed
	origin, tr := ch.Origin, ch.explain
	res := &Result{Root: root.Dir, Path: rel}
	// The rules that select rel by path, without allocating for the usual
	// few.
	var buf [8]*rule.Rule
	rules := buf[:0]
	for _, r := range e.rules.Rules {
		if r.MatchPath(rel) {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return res
	}
	sl := slot{ch: p.slots}
	defer sl.release()
	if e.opts.Tracer != nil {
		var span trace.Span
		ctx, span = e.opts.Tracer.Start(ctx, "engine process", trace.WithAttributes(
			attribute.String("scribe.root", root.Dir), attribute.String("scribe.path", rel), attribute.String("scribe.origin", string(origin))))
		defer func() { endProcessSpan(span, res) }()
	}
	root.Docs.maxSize.Store(e.opts.MaxFileSize)
	for attempt := 0; ; attempt++ {
		snap, err := e.read(root, rel, p.listed && attempt == 0, p.cached && attempt == 0, ch.Of != 0 && attempt == 0)
		if err != nil {
			e.readFailed(res, err)
			return res
		}
		if p.originOf != nil && attempt == 0 {
			origin = p.originOf(root, rel, snap)
		}
		stamp := snap.Version().Stamp()
		if attempt == 0 && ch.Of != 0 && ch.Left != 0 && ch.Of != ch.Left && stamp == ch.Left {
			res.Version = snap.Version()
			snap.Release()
			return res
		}
		if ch.Of != 0 && ch.Of != stamp {
			origin = action.OriginUser
		}
		origin, leave := e.classify(root, rel, origin, snap, tr)
		res.Origin = origin
		var held []string
		if e.opts.Undone != nil {
			held = e.opts.Undone(root, rel, snapHash(snap))
		}
		tr.start(leave, held)
		var out []byte
		local := !e.offloads(rules, tr)
		if !local {
			findings := len(res.Findings)
			out, err = e.offload(ctx, root, rel, rules, Job{Root: root.Dir, Path: rel, Content: snap.Content, Origin: origin, Leave: leave, Held: held}, ch.Heartbeat, res)
			if errors.Is(err, ErrNoWorker) && e.opts.OffloadFallback {
				e.log.WarnContext(ctx, "running the rules here", "path", rel, "why", err)
				res.Findings, local = res.Findings[:findings], true
			}
		}
		if local {
			out, err = e.apply(ctx, root, rel, rules, snap.Content, origin, leave, held, &sl, w, res, tr)
		}
		// The slot bounds the files whose actions run, not those waiting
		// for the disk: writes in flight together share their fsyncs and
		// the journal's commit (a redo takes a slot again).
		sl.release()
		if out == nil && len(res.Rules) == 0 {
			// No action saw the content and no result holds it: its
			// buffer serves the next read.
			snap.Release()
		}
		if errors.Is(err, ErrHeld) {
			e.holdBack(res, err)
			return res
		}
		if changedSince(err) {
			// An action found a file changed on disk since it was read
			// (naming, about to move this one or rewrite a link in
			// another): it left everything as it was; redo on the current
			// versions, as after a save below.
			if !e.redo(res, rel, attempt, "a file changed before an action rewrote it") {
				return res
			}
			continue
		}
		if err != nil {
			res.Error = err.Error()
			return res
		}
		res.Version = snap.Version()
		if out == nil || bytes.Equal(out, snap.Content) {
			res.Changed = false
			return res
		}
		res.Changed = true
		res.Before, res.After = snap.Content, out
		sum := sha256.Sum256(out)
		res.BeforeHash, res.AfterHash = snapHash(snap), hex.EncodeToString(sum[:])
		if e.opts.DryRun {
			return res
		}
		if e.opts.MayWrite != nil {
			if err := e.opts.MayWrite(root); err != nil {
				e.holdBack(res, err)
				return res
			}
		}
		if e.opts.BeforeWrite != nil {
			e.opts.BeforeWrite(root, rel, out, sum)
		}
		wspan := e.writeSpan(ctx, rel, len(out))
		res.Version, err = safefile.Replace(root.FS, rel, snap, out)
		endSpan(wspan, err)
		var conflict *safefile.ConflictError
		switch {
		case err == nil:
			res.Written = true
			jspan := e.journalSpan(ctx, rel)
			err := e.wrote(root, res)
			endSpan(jspan, err)
			if err != nil {
				res.Error = err.Error()
			}
			return res
		case errors.Is(err, safefile.ErrBusy):
			// Another program has the file open for writing (an editor
			// mid-save): wait a little and redo on what it leaves.
			res.Conflicts++
			if attempt+1 >= e.opts.MaxConflicts {
				res.Error = fmt.Sprintf("%s stays open for writing by another program (%d attempts); left as it is", rel, attempt+1)
				return res
			}
			select {
			case <-ctx.Done():
				res.Error = ctx.Err().Error()
				return res
			case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
			}
			res.resetRules()
			continue
		case errors.As(err, &conflict):
			// The user saved while the rules ran: their version wins, and
			// the rules are redone on it.
			if !e.redo(res, rel, attempt, "file changed while its rules ran") {
				return res
			}
			// The user's save is an edit, whatever started this run.
			origin = action.OriginUser
			continue
		default:
			res.Error = fmt.Sprintf("write %s: %v", rel, err)
			return res
		}
	}
}

// redo counts a conflict met by attempt (from 0) at rel and readies res
// for the next attempt; when the attempts are spent it says so in res and
// returns false.
func (e *Engine) redo(res *Result, rel string, attempt int, why string) bool {
	res.Conflicts++
	if attempt+1 >= e.opts.MaxConflicts {
		res.Error = fmt.Sprintf("%s keeps changing while its rules run (%d attempts); left as it is", rel, attempt+1)
		return false
	}
	e.log.Debug(why+"; redoing", "path", rel, "attempt", attempt+1)
	res.resetRules()
	return true
}

// changedSince reports whether err says that a file changed on disk since
// it was read: rel since the engine read it, or another file since the
// action did (an action's Writer refused to act on a stale read, and the
// action undid what it had done). Redoing rel reads both again.
func changedSince(err error) bool {
	var conflict *safefile.ConflictError
	return errors.As(err, &conflict)
}

// ErrHeld is wrapped by the errors of Options.MayWrite that hold writes.
var ErrHeld = errors.New("writes are held")

// ErrNoWorker is wrapped by the errors of Options.Offload that mean no
// worker ran the rules (none could take the job in time, or the job could
// not be queued): not a failure of the rules (Verdict NotRun).
var ErrNoWorker = errors.New("no worker ran the rules")

// Verdict is how a rule fared on a file, as Options.Gate is told.
type Verdict int

const (
	// Succeeded: the rule ran to its end.
	Succeeded Verdict = iota
	// Failed: an action of the rule failed.
	Failed
	// NotRun: the rule was let through but did not run to a verdict
	// (no worker ran it, or the engine stopped): neither a success nor
	// a failure.
	NotRun
)

// holdBack marks res as not written because writes are held: nothing
// failed, the file must be processed again once they are allowed.
func (e *Engine) holdBack(res *Result, err error) {
	res.Held = err.Error()
	res.Changed, res.Before, res.After, res.BeforeHash, res.AfterHash = false, nil, nil, "", ""
}

// classify returns the origin of the content read and whether writing rules
// must leave it alone (Options.LeaveCommitted). tr, when set, is told what
// git knows of the file.
func (e *Engine) classify(root *Root, rel string, origin action.Origin, snap *safefile.Snapshot, tr *explainTrace) (action.Origin, bool) {
	if origin == "" {
		origin = action.OriginUser
	}
	if e.opts.VCS == nil {
		return origin, false
	}
	var g VCSInfo
	if tr != nil {
		// An explanation shows what git knows even where it changes nothing.
		g = e.opts.VCS(root, rel, snap.Content, time.Unix(0, snap.ChangeTime))
		tr.git = &g
	}
	if origin == action.OriginScribe || origin == action.OriginScan && !e.opts.LeaveCommitted {
		return origin, false
	}
	if tr == nil {
		g = e.opts.VCS(root, rel, snap.Content, time.Unix(0, snap.ChangeTime))
	}
	if origin == action.OriginUser && (g.Committed || g.DuringOp && g.Tracked) {
		origin = action.OriginVCS
	}
	return origin, g.Committed && e.opts.LeaveCommitted && (origin == action.OriginVCS || origin == action.OriginScan)
}

func (e *Engine) readFailed(res *Result, err error) {
	var skip *safefile.SkipError
	switch {
	case errors.As(err, &skip):
		res.Skipped = skip.Reason
		res.Findings = append(res.Findings, action.Finding{
			Path: res.Path, Action: "read", Severity: action.SeverityWarning,
			Message: "skipped: " + skip.Reason,
		})
	case errors.Is(err, fs.ErrNotExist):
		res.Skipped = "vanished"
		res.Findings = append(res.Findings, action.Finding{
			Path: res.Path, Action: "read", Severity: action.SeverityWarning,
			Message: "file vanished while the run was in progress; nothing done",
		})
	default:
		res.Error = fmt.Sprintf("read %s: %v", res.Path, err)
	}
}

// wrote tells Options.Wrote of a write that reached the disk.
func (e *Engine) wrote(root *Root, res *Result) error {
	root.Docs.changed()
	if e.opts.Wrote == nil {
		return nil
	}
	if err := e.opts.Wrote(root, res); err != nil {
		return fmt.Errorf("%s was written, but: %w", res.Path, err)
	}
	return nil
}

// held reports whether Options.Undone holds rule on rel with content hash.
func (e *Engine) held(root *Root, rel, hash, rule string) bool {
	return e.opts.Undone != nil && slices.Contains(e.opts.Undone(root, rel, hash), rule)
}

// apply runs the rules on content and returns the final content (nil if no
// rule changed it). A failing rule fails alone: its own changes, findings,
// events and affected paths are discarded (the next rule sees the content
// from before it), the failure is listed in res.Failures, and every other
// rule still runs and counts. Only a cancelled context, or writes held
// (ErrHeld), stop the file.
//
// Some rules run as a check would, their changes to the file and their
// writes to other files dropped and their findings kept: the rules in held
// (see Options.Undone), and, with leave, every rule without
// rewrite_committed (listed in res.LeftCommitted; see
// Options.LeaveCommitted).
//
// sl is taken before the first action runs (see pass.slots).
func (e *Engine) apply(ctx context.Context, root *Root, rel string, rules []*rule.Rule, content []byte, origin action.Origin, leave bool, held []string, sl *slot, w *Writes, res *Result, tr *explainTrace) ([]byte, error) {
	cur := content
	fmc := fmCache{fields: e.condFields, all: e.condAll, dialect: root.Dialect}
	changed := false
	for _, r := range rules {
		m, ok := r.MatchContent(cur)
		tr.regex(r, cur, m, ok)
		if !ok {
			continue
		}
		if r.HasCondition() {
			f, err := fmc.forCondition(cur)
			if err != nil {
				res.Findings = append(res.Findings, fmFinding(rel, r.ID, err))
				tr.skip(r, OutcomeFrontMatterInvalid, err)
				continue
			}
			ok, err := r.Eval(f, rel, m, origin)
			tr.condition(r, f, rel, m, origin, ok, err)
			if err != nil {
				res.Findings = append(res.Findings, action.Finding{Path: rel, Rule: r.ID, Action: "when", Severity: action.SeverityError, Message: err.Error()})
				continue
			}
			if !ok {
				continue
			}
		}
		if err := sl.take(ctx); err != nil {
			return nil, err
		}
		done := func(Verdict) {}
		if e.opts.Gate != nil {
			d, allowed := e.opts.Gate(r.ID)
			if !allowed {
				res.Findings = append(res.Findings, action.Finding{Path: rel, Rule: r.ID, Action: "breaker", Severity: action.SeverityWarning,
					Message: "rule skipped: its circuit breaker is open after repeated failures"})
				tr.skip(r, OutcomeBreakerOpen, nil)
				continue
			}
			done = d
		}
		res.Rules = append(res.Rules, r.ID)
		mark := res.mark(cur, changed)
		undone := slices.Contains(held, r.ID)
		dry := undone || leave && !r.RewriteCommitted
		target, targetChanged, writes := &cur, &changed, w
		if dry {
			// Run it on a copy, with no effect beyond its findings.
			scratch, scratchChanged := cur, false
			target, targetChanged, writes = &scratch, &scratchChanged, &Writes{}
		}
		before := *target
		step, err := e.runSteps(ctx, root, rel, content, r, m, origin, target, targetChanged, dry || e.opts.DryRun, &fmc, writes, res, tr)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				// Stopped, or held for a git operation: not failed.
				done(NotRun)
				return nil, ctx.Err()
			case errors.Is(err, ErrHeld):
				done(NotRun)
				return nil, err
			case changedSince(err):
				// An action's write found a file changed since it was
				// read: this one is redone on what is there now.
				done(NotRun)
				return nil, err
			}
			done(Failed)
			cur, changed = res.rollback(mark)
			res.Failures = append(res.Failures, RuleFailure{Rule: r.ID, Action: step, Error: err.Error()})
			tr.failed(r, step, err)
			continue
		}
		done(Succeeded)
		tr.ran(r, before, *target, undone, dry && !undone)
		if dry {
			res.ChangedBy, res.Events, res.Affected = res.ChangedBy[:mark.changedBy], res.Events[:mark.events], res.Affected[:mark.affected]
			switch {
			case !*targetChanged:
			case undone:
				res.Findings = append(res.Findings, action.Finding{Path: rel, Rule: r.ID, Action: "undo", Severity: action.SeverityInfo,
					Message: "rule left the file as it is: its write was undone (scribe undo); edit the file, or undo that undo, to let it write again"})
			default:
				// The content is its committed version and came through
				// git or a scan: not an edit to act on.
				res.LeftCommitted = append(res.LeftCommitted, r.ID)
			}
		}
	}
	slices.SortStableFunc(res.Findings, func(a, b action.Finding) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	if !changed {
		return nil, nil
	}
	return cur, nil
}

// runSteps runs one rule's actions in order, each on the previous one's
// output; read is rel's content as the engine read it. dry runs them as a
// check does. On failure it returns the name of the action that failed.
func (e *Engine) runSteps(ctx context.Context, root *Root, rel string, read []byte, r *rule.Rule, m *action.Match, origin action.Origin, cur *[]byte, changed *bool, dry bool,
	fmc *fmCache, w *Writes, res *Result, tr *explainTrace) (string, error) {
	for _, st := range r.Steps {
		f, err := fmc.get(*cur)
		if err != nil {
			f = map[string]any{}
		}
		in := action.Input{
			Root: root.Dir, Path: rel, Content: *cur, FrontMatter: f, Match: m,
			Rule: r.ID, Origin: origin, DryRun: dry, Host: e.host(root, r.ID, st.Name, rel, read, w, dry),
		}
		start := time.Now()
		actx, span := e.actionSpan(ctx, r.ID, st.Name)
		if sc := span.SpanContext(); sc.IsValid() {
			// What the action logs joins its span.
			in.Host.Logger = in.Host.Logger.With("trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String())
		}
		out, err := action.Call(actx, st.Action, in, st.Timeout)
		endSpan(span, err)
		if e.opts.ActionDone != nil {
			e.opts.ActionDone(r.ID, st.Name, time.Since(start), err)
		}
		tr.action(r, st, *cur, out, err)
		if err != nil {
			if ctx.Err() != nil {
				return st.Name, ctx.Err()
			}
			return st.Name, err
		}
		for _, fd := range out.Findings {
			if fd.Path == "" {
				fd.Path = rel
			}
			fd.Rule, fd.Action = r.ID, st.Name
			if fd.Severity == "" {
				fd.Severity = action.SeverityError
			}
			res.Findings = append(res.Findings, fd)
		}
		for _, ev := range out.Events {
			if ev.Path == "" {
				ev.Path = rel
			}
			res.Events = append(res.Events, ev)
		}
		res.Affected = append(res.Affected, out.Affected...)
		if max := e.opts.MaxFileSize; max > 0 && int64(len(out.Content)) > max {
			// Written, the file could not be read back: every later run
			// would skip it.
			return st.Name, fmt.Errorf("the new content is %d bytes, more than engine.max_file_size (%d); the file was left unchanged", len(out.Content), max)
		}
		if out.Content != nil && !bytes.Equal(out.Content, *cur) {
			*cur = out.Content
			*changed = true
			if n := len(res.ChangedBy); n == 0 || res.ChangedBy[n-1] != r.ID {
				res.ChangedBy = append(res.ChangedBy, r.ID)
			}
		}
	}
	return "", nil
}

func fmFinding(rel, ruleID string, err error) action.Finding {
	f := action.Finding{Path: rel, Rule: ruleID, Action: "frontmatter", Severity: action.SeverityError,
		Message: "invalid front matter: " + err.Error()}
	var me *markdown.Error
	if errors.As(err, &me) {
		f.Line, f.Column, f.Message = me.Line, me.Column, "invalid front matter: "+me.Message
	}
	return f
}

func (e *Engine) host(root *Root, ruleID, actionName, rel string, read []byte, w *Writes, dry bool) action.Host {
	h := action.Host{
		Logger: e.actionLogger(ruleID, actionName, rel),
		Clock:  e.opts.Clock,
		Docs:   root.Docs,
		Writer: w.forRoot(e, root, ruleID, actionName, rel, read, dry),
	}
	if e.opts.Commands != nil {
		h.Commands = e.opts.Commands(root)
	}
	if e.opts.Publisher != nil {
		h.Publisher = e.opts.Publisher
	}
	return h
}

// fmCache parses one file's front matter at most once per content: whole
// for actions, and for conditions only the keys they read (see
// rule.Set.ConditionFields), which on most files is all that is parsed.
type fmCache struct {
	fields  []string // the keys conditions read, unless all
	all     bool
	dialect markdown.Dialect // the root's (Root.Dialect)

	full, cond       map[string]any
	fullErr, condErr error
	fullFor, condFor []byte
}

// get returns the whole front matter of content.
func (c *fmCache) get(content []byte) (map[string]any, error) {
	if c.full == nil || !sameSlice(c.fullFor, content) {
		c.full, c.fullErr = markdown.ParseAs(content, c.dialect)
		c.fullFor = content
		if c.full == nil {
			c.full = map[string]any{}
		}
	}
	return c.full, c.fullErr
}

// forCondition returns a front matter of content holding at least the keys
// conditions read, with Parse's error.
func (c *fmCache) forCondition(content []byte) (map[string]any, error) {
	if c.all || c.full != nil && sameSlice(c.fullFor, content) {
		return c.get(content)
	}
	if c.condFor == nil || !sameSlice(c.condFor, content) {
		c.cond, c.condErr = markdown.ParseFieldsAs(content, c.fields, c.dialect)
		c.condFor = content
	}
	return c.cond, c.condErr
}

// sameSlice reports whether a and b are the same backing bytes (not just equal).
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// snapHash is the hex sha256 of what snap holds. A dry run's listed read
// leaves Snapshot.Hash zero (safefile.Dir.ReadListed): it is computed here,
// for the few files that need it, and kept in snap.
func snapHash(snap *safefile.Snapshot) string {
	if snap.Hash == ([32]byte{}) {
		snap.Hash = sha256.Sum256(snap.Content)
	}
	return hex.EncodeToString(snap.Hash[:])
}

// rulesOf returns set's rules (none for a nil set).
func rulesOf(set *rule.Set) []*rule.Rule {
	if set == nil {
		return nil
	}
	return set.Rules
}
