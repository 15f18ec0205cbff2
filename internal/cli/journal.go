package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/rule"
	"github.com/scribe-md/scribe/internal/state"
)

// openJournal opens the configuration's journal for writing: `scribe run`
// and a one-shot `scribe undo` journal their writes like the daemon. A
// running daemon holds the journal; after the journal's short wait for its
// lock, that is an error saying what to do, never an unjournaled write.
func openJournal(cfg *config.Config, what string) (*journal.Journal, error) {
	p := journalPath(cfg)
	if err := state.PrepareDir(filepath.Dir(p)); err != nil {
		return nil, fail(ExitFailure, fmt.Errorf("%s: %w", what, err))
	}
	j, err := journal.Open(p, journal.Retention{})
	if errors.Is(err, journal.ErrLocked) {
		return nil, fail(ExitFailure, fmt.Errorf("%s: the journal %s is held by another scribe, most likely a running `scribe watch`, "+
			"which already applies the rules to every change (see `scribe status`); stop it to %s here, or use `scribe check` to see what would change", what, p, what))
	}
	if err != nil {
		return nil, fail(ExitFailure, fmt.Errorf("%s: every write is journaled so that it can be undone, and the journal cannot be opened: %w", what, err))
	}
	return j, nil
}

// readUndone returns, for a check, the Options.Undone of the journal's undo
// marks: a check writes nothing, but must leave alone what the user undid, as
// a run would. The marks are read at once and the journal closed, so a check
// never keeps a daemon from starting. With no journal yet it returns nil; when
// a daemon holds the journal, nil and a warning.
func readUndone(g *globals, cfg *config.Config) func(*engine.Root, string, string) []string {
	j, err := journal.OpenReadOnly(journalPath(cfg))
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, journal.ErrLocked):
		g.log.Warn("a running scribe watch holds the journal: this check does not know which writes were undone, and may show them as changes")
		return nil
	default:
		g.log.Warn("the journal cannot be read: this check does not know which writes were undone", "err", err)
		return nil
	}
	marks, err := j.ListUndone()
	j.Close()
	if err != nil {
		g.log.Warn("the journal cannot be read: this check does not know which writes were undone", "err", err)
		return nil
	}
	if len(marks) == 0 {
		return nil // nothing held: no file needs hashing to ask
	}
	held := make(map[string]journal.Undone, len(marks))
	for _, m := range marks {
		held[m.Root+"\x00"+m.Path] = m
	}
	return func(root *engine.Root, rel, hash string) []string {
		if m, ok := held[root.Dir+"\x00"+rel]; ok && m.Hash == hash {
			return m.Rules
		}
		return nil
	}
}

// newRunID names one `scribe run` in the journal: its start time in UTC, to
// the microsecond, so that ids sort by time.
func newRunID(t time.Time) string {
	return t.UTC().Format("20060102T150405.000000Z")
}

// useJournal makes the engine journal its writes under run and hold the
// rules whose writes the user undid.
func useJournal(g *globals, opts *engine.Options, j *journal.Journal, run string) {
	opts.Wrote = engine.JournalWrites(j, run)
	opts.Undone = engine.JournalUndone(j, g.log)
}

// aggregating returns the rules with an action that aggregates other files
// (index, catalog): those that bring such outputs up to date.
func aggregating(set *rule.Set) *rule.Set {
	out := &rule.Set{}
	for _, r := range set.Rules {
		for _, st := range r.Steps {
			if _, ok := st.Action.(action.Finisher); ok {
				out.Rules = append(out.Rules, r)
				break
			}
		}
	}
	return out
}

// refreshAggregates runs the aggregating rules over the roots in dirs, as
// `scribe run` would, so that the indexes and catalogs that list an undone
// file show its restored version. Their writes are journaled under a run of
// their own, and the undone rules stay held.
func refreshAggregates(ctx context.Context, g *globals, j *journal.Journal, dirs map[string]bool) (*engine.Report, string, error) {
	p, err := loadProject(g, nil)
	if err != nil {
		return nil, "", err
	}
	defer p.close()
	set := aggregating(p.Rules)
	var targets []engine.Target
	for _, r := range p.roots {
		if dirs[r.Dir] {
			targets = append(targets, engine.Target{Root: r})
		}
	}
	if len(set.Rules) == 0 || len(targets) == 0 {
		return &engine.Report{}, "", nil
	}
	run := newRunID(time.Now())
	opts := p.engineOptions(g, false)
	useJournal(g, &opts, j, run)
	rep, err := engine.New(set, opts).Run(ctx, targets, nil)
	return rep, run, err
}
