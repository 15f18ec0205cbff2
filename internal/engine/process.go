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
	Gate func(rule string) (done func(ok bool), allowed bool)
	// BeforeWrite, when set, is called just before the engine writes a file
	// (its own or, through the Writer, another) with the content about to
	// land. The daemon uses it to recognise its own writes.
	BeforeWrite func(root *Root, rel string, content []byte)
	// ActionDone, when set, is told how long each action call took and how it
	// ended (metrics).
	ActionDone func(rule, action string, d time.Duration, err error)
}

// Engine applies a rule set to files.
type Engine struct {
	rules *rule.Set
	opts  Options
	log   *slog.Logger
	dirs  dirCache // dry runs only
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
	return &Engine{rules: rules, opts: opts, log: log}
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

// Process runs every applicable rule on one file and writes the result back
// (unless DryRun). w receives the writes actions make to other files. The
// caller guarantees Process is not running concurrently for the same file.
func (e *Engine) Process(ctx context.Context, root *Root, rel string, w *Writes) *Result {
	res := &Result{Root: root.Dir, Path: rel}
	var rules []*rule.Rule
	for _, r := range e.rules.Rules {
		if r.MatchPath(rel) {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return res
	}
	root.Docs.maxSize.Store(e.opts.MaxFileSize)
	for attempt := 0; ; attempt++ {
		snap, err := e.read(root, rel)
		if err != nil {
			e.readFailed(res, err)
			return res
		}
		out, err := e.apply(ctx, root, rel, rules, snap.Content, w, res)
		if err != nil {
			res.Error = err.Error()
			return res
		}
		if out == nil || bytes.Equal(out, snap.Content) {
			res.Changed = false
			return res
		}
		res.Changed = true
		res.Before, res.After = snap.Content, out
		res.BeforeHash, res.AfterHash = hex.EncodeToString(snap.Hash[:]), hashHex(out)
		if e.opts.DryRun {
			return res
		}
		if e.opts.BeforeWrite != nil {
			e.opts.BeforeWrite(root, rel, out)
		}
		err = safefile.Replace(root.FS, rel, snap, out)
		var conflict *safefile.ConflictError
		switch {
		case err == nil:
			res.Written = true
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
			res.Rules, res.ChangedBy, res.Findings, res.Events, res.Affected = nil, nil, nil, nil, nil
			continue
		case errors.As(err, &conflict):
			// The user saved while the rules ran: their version wins, and
			// the rules are redone on it.
			res.Conflicts++
			if attempt+1 >= e.opts.MaxConflicts {
				res.Error = fmt.Sprintf("%s keeps changing while its rules run (%d attempts); left as it is", rel, attempt+1)
				return res
			}
			e.log.Debug("file changed while its rules ran; redoing", "path", rel, "attempt", attempt+1)
			res.Rules, res.ChangedBy, res.Findings, res.Events, res.Affected = nil, nil, nil, nil, nil
			continue
		default:
			res.Error = fmt.Sprintf("write %s: %v", rel, err)
			return res
		}
	}
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

// apply runs the rules on content and returns the final content (nil if no
// rule changed it). Any failing rule fails the file: nothing is written, so a
// file is never left half-processed.
func (e *Engine) apply(ctx context.Context, root *Root, rel string, rules []*rule.Rule, content []byte, w *Writes, res *Result) ([]byte, error) {
	cur := content
	var fm map[string]any
	var fmErr error
	fmFor := []byte(nil)
	frontMatter := func() (map[string]any, error) {
		if fm == nil || !sameSlice(fmFor, cur) {
			fm, fmErr = markdown.Parse(cur)
			fmFor = cur
			if fm == nil {
				fm = map[string]any{}
			}
		}
		return fm, fmErr
	}
	changed := false
	for _, r := range rules {
		m, ok := r.MatchContent(cur)
		if !ok {
			continue
		}
		if r.HasCondition() {
			f, err := frontMatter()
			if err != nil {
				res.Findings = append(res.Findings, fmFinding(rel, r.ID, err))
				continue
			}
			ok, err := r.Eval(f, rel, m)
			if err != nil {
				res.Findings = append(res.Findings, action.Finding{Path: rel, Rule: r.ID, Action: "when", Severity: action.SeverityError, Message: err.Error()})
				continue
			}
			if !ok {
				continue
			}
		}
		done := func(bool) {}
		if e.opts.Gate != nil {
			d, allowed := e.opts.Gate(r.ID)
			if !allowed {
				res.Findings = append(res.Findings, action.Finding{Path: rel, Rule: r.ID, Action: "breaker", Severity: action.SeverityWarning,
					Message: "rule skipped: its circuit breaker is open after repeated failures"})
				continue
			}
			done = d
		}
		res.Rules = append(res.Rules, r.ID)
		if err := e.runSteps(ctx, root, rel, r, m, &cur, &changed, frontMatter, w, res); err != nil {
			done(false)
			return nil, err
		}
		done(true)
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

// runSteps runs one rule's actions in order, each on the previous one's output.
func (e *Engine) runSteps(ctx context.Context, root *Root, rel string, r *rule.Rule, m *action.Match, cur *[]byte, changed *bool,
	frontMatter func() (map[string]any, error), w *Writes, res *Result) error {
	for _, st := range r.Steps {
		f, err := frontMatter()
		if err != nil {
			f = map[string]any{}
		}
		in := action.Input{
			Root: root.Dir, Path: rel, Content: *cur, FrontMatter: f, Match: m,
			Rule: r.ID, DryRun: e.opts.DryRun, Host: e.host(root, r.ID, st.Name, rel, w),
		}
		start := time.Now()
		out, err := action.Call(ctx, st.Action, in, st.Timeout)
		if e.opts.ActionDone != nil {
			e.opts.ActionDone(r.ID, st.Name, time.Since(start), err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("rule %s: action %s: %w", r.ID, st.Name, err)
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
			return fmt.Errorf("rule %s: action %s: the new content is %d bytes, more than engine.max_file_size (%d); the file was left unchanged", r.ID, st.Name, len(out.Content), max)
		}
		if out.Content != nil && !bytes.Equal(out.Content, *cur) {
			*cur = out.Content
			*changed = true
			if n := len(res.ChangedBy); n == 0 || res.ChangedBy[n-1] != r.ID {
				res.ChangedBy = append(res.ChangedBy, r.ID)
			}
		}
	}
	return nil
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

func (e *Engine) host(root *Root, ruleID, actionName, rel string, w *Writes) action.Host {
	h := action.Host{
		Logger: e.actionLogger(ruleID, actionName, rel),
		Clock:  e.opts.Clock,
		Docs:   root.Docs,
		Writer: w.forRoot(root, e.opts.DryRun, actionName, e.opts.BeforeWrite),
	}
	if e.opts.Commands != nil {
		h.Commands = e.opts.Commands(root)
	}
	if e.opts.Publisher != nil {
		h.Publisher = e.opts.Publisher
	}
	return h
}

// sameSlice reports whether a and b are the same backing bytes (not just equal).
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
