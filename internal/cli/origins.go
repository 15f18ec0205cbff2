package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/state"
	"github.com/scribe-md/scribe/internal/vcs"
)

// origins tells a one-shot run where each file's change came from, from the
// file index the daemon keeps too (state_dir/index): a recorded file that
// changed since Scribe last finished with it was edited (origin "user", or
// "vcs" when its content is its committed version); a file with no record,
// or unchanged, is a "scan". Files a git selection (--changed, ...) names
// are the user's changes.
type origins struct {
	indexes map[*engine.Root]*state.Index
	// selection is set for --changed, --staged and --since.
	selection bool
	// repo, when the configuration is inside a git work tree, tells git's
	// content from edits.
	repo *vcs.Repo
}

// loadOrigins opens the file index of every root (a missing or unusable
// index is empty: every file is a scan).
func loadOrigins(p *project, sel *selected) *origins {
	o := &origins{indexes: map[*engine.Root]*state.Index{}, selection: sel != nil}
	sd := absStateDir(p)
	for _, r := range p.roots {
		ix, _ := state.Load(state.PathFor(sd, r.Dir))
		o.indexes[r] = ix
	}
	if sel == nil && p.Config.Engine.VCS != "off" {
		o.repo, _ = vcs.Open(p.Config.Dir, vcs.Options{})
	}
	return o
}

func (o *origins) close() {
	if o.repo != nil {
		o.repo.Close()
	}
}

// of is engine.Options.OriginOf: the file as read is compared with its
// record, with no stat of its own.
func (o *origins) of(root *engine.Root, rel string, snap *safefile.Snapshot) action.Origin {
	if o.selection {
		return action.OriginUser
	}
	old, ok := o.indexes[root].Get(rel)
	if !ok {
		return action.OriginScan
	}
	if old == snap.Version().Stamp() {
		return action.OriginScan
	}
	return action.OriginUser
}

// vcs is engine.Options.VCS, or nil outside a git work tree.
func (o *origins) vcs() func(*engine.Root, string, []byte, time.Time) engine.VCSInfo {
	if o.repo == nil {
		return nil
	}
	return func(root *engine.Root, rel string, content []byte, changed time.Time) engine.VCSInfo {
		tp, ok := o.repo.Rel(filepath.Join(root.Dir, filepath.FromSlash(rel)))
		if !ok {
			return engine.VCSInfo{}
		}
		committed, tracked, _ := o.repo.Committed(tp, content)
		return engine.VCSInfo{Committed: committed, Tracked: tracked, DuringOp: o.repo.ActiveAt(changed)}
	}
}

// record remembers the files a run processed, as the run left them, so
// that the next run knows which ones were edited since.
func (o *origins) record(p *project, rep *engine.Report) error {
	byDir := map[string]*engine.Root{}
	for _, r := range p.roots {
		byDir[r.Dir] = r
	}
	for _, res := range rep.Results {
		root := byDir[res.Root]
		if root == nil || res.Via != "" || res.Skipped != "" || res.Failed() || res.Held != "" {
			continue
		}
		// The version processing left (read, or written) is the one
		// Scribe finished with; a save since then is the user's edit for
		// the next run. Only files no rule read need a stat.
		if res.Version != (safefile.Version{}) {
			o.indexes[root].Set(res.Path, res.Version.Stamp())
		} else if fi, err := root.FS.Lstat(res.Path); err == nil && fi.Mode().IsRegular() {
			o.indexes[root].Set(res.Path, state.StampOf(fi))
		}
	}
	if err := state.PrepareDir(absStateDir(p)); err != nil {
		return err
	}
	for r, ix := range o.indexes {
		if err := ix.Save(); err != nil {
			return fmt.Errorf("save the file index of %s: %w", r.Dir, err)
		}
	}
	return nil
}

// absStateDir is the configuration's state directory, absolute.
func absStateDir(p *project) string {
	sd := p.Config.Engine.StateDir
	if !filepath.IsAbs(sd) {
		sd = filepath.Join(p.Config.Dir, sd)
	}
	return sd
}
