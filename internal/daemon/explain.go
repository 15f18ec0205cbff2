package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/httpapi"
)

// explainHistory is how many past writes an explanation lists.
const explainHistory = 3

// Explain says what the rules do with one file and why (GET
// /api/v1/explain, for the dashboard): engine.Explain with the daemon's own
// rules, options and document lists, and the file's last writes from the
// journal the daemon holds. p is absolute, or relative to a root (the first
// root that has it). Nothing is written, counted or published.
func (b backend) Explain(ctx context.Context, p, origin string) (any, error) {
	o := action.Origin(origin)
	if o == "" {
		o = action.OriginUser
	}
	if !slices.Contains([]action.Origin{action.OriginUser, action.OriginVCS, action.OriginScribe, action.OriginScan}, o) {
		return nil, fmt.Errorf("%w: origin is user, vcs, scribe or scan, not %q", httpapi.ErrBadRequest, origin)
	}
	var rs *rootState
	rel := ""
	for _, r := range b.d.roots {
		if filepath.IsAbs(p) {
			rel = relInside(r.root.Dir, p)
		} else if _, err := r.root.FS.Lstat(p); err == nil {
			rel = path.Clean(filepath.ToSlash(p))
		}
		if rel != "" {
			rs = r
			break
		}
	}
	if rs == nil {
		return nil, fmt.Errorf("%w: %s is not inside a root this daemon watches", httpapi.ErrNotFound, p)
	}
	switch fi, err := rs.root.FS.Lstat(rel); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %s does not exist", httpapi.ErrNotFound, p)
	case err != nil:
		return nil, err
	case fi.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory; explain takes a file", httpapi.ErrBadRequest, p)
	}
	ex := b.d.engine().Explain(ctx, rs.root, rel, o)
	hist, err := b.d.journal.List(rs.root.Dir, rel, explainHistory)
	if err != nil {
		return nil, err
	}
	if hist != nil {
		ex.History = hist
	}
	return ex, nil
}

var _ httpapi.Explainer = backend{}
