package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/safefile"
)

func newUndoCmd(g *globals) *cobra.Command {
	var (
		force bool
		run   string
	)
	cmd := &cobra.Command{
		Use:   "undo ID | --run RUN",
		Short: "Restore the content a write replaced, or every write of a run (a safe compare-and-swap write)",
		Long: "Restore the content that write ID (see `scribe history`) replaced, or, with\n--run, every write of that `scribe run`, newest first. A file changed since\n" +
			"the write is left as it is, unless --force (the version it replaces is\njournaled first).\n\n" +
			"An undo is a decision: the rules whose write was undone do not redo it while\nthe file keeps the restored content. Edit the file, or undo the undo (its own\n" +
			"entry in `scribe history`), to let them write again. Indexes and catalogs\nthat list the file are brought up to date. With a daemon running the undo\ngoes through it.",
		Args: func(cmd *cobra.Command, args []string) error {
			if run == "" && len(args) != 1 || run != "" && len(args) != 0 {
				return fail(ExitUsage, errors.New("give one write ID (see `scribe history`), or --run RUN and no ID"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var id uint64
			if run == "" {
				var err error
				if id, err = strconv.ParseUint(args[0], 10, 64); err != nil {
					return fail(ExitUsage, fmt.Errorf("ID must be a number from `scribe history`, not %q", args[0]))
				}
			}
			u, err := newUndoer(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer u.close()
			if run == "" {
				e, err := u.undo(cmd.Context(), id, force)
				if err != nil {
					return fail(ExitFailure, err)
				}
				printRestored(g, e, id)
				return u.finish(cmd.Context(), g)
			}
			err = undoRun(cmd.Context(), g, u, run, force)
			// What was restored is listed afresh even when some was left.
			if ferr := u.finish(cmd.Context(), g); err == nil {
				err = ferr
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "restore even if the file changed since the write")
	cmd.Flags().StringVar(&run, "run", "", "restore every write of this `scribe run` (its id, from the run's summary or `scribe history`)")
	return cmd
}

func printRestored(g *globals, e journal.Entry, id uint64) {
	fmt.Fprintf(g.stdout, "restored %s as it was before write %d (recorded as write %d)\n", escape.Name(newDisplay().path(e.Root, e.Path)), id, e.ID)
}

// undoRun restores every write of run, newest first, so that each undo
// finds the content the next newer one restored. A file changed since is
// reported and left; the others are still restored. --force applies to the
// newest write of each file only, and a file that already has the content
// from before the run (undone before) is left alone.
func undoRun(ctx context.Context, g *globals, u undoer, run string, force bool) error {
	entries, err := u.list(ctx, run)
	if err != nil {
		return fail(ExitFailure, err)
	}
	if len(entries) == 0 {
		return fail(ExitFailure, fmt.Errorf("no write of run %s in the journal: see `scribe history` (a run that wrote nothing has none, and retention prunes old ones)", run))
	}
	// The run's writes per file, newest first.
	var files [][]journal.Entry
	idx := map[string]int{}
	for _, e := range entries {
		k := e.Root + "\x00" + e.Path
		i, ok := idx[k]
		if !ok {
			i = len(files)
			idx[k] = i
			files = append(files, nil)
		}
		files[i] = append(files[i], e)
	}
	d := newDisplay()
	restored, left := 0, 0
	for _, writes := range files {
		if currentHash(writes[0]) == writes[len(writes)-1].BeforeHash {
			continue // as it was before the run
		}
		for i, e := range writes {
			ne, err := u.undo(ctx, e.ID, force && i == 0)
			if err == nil {
				restored++
				printRestored(g, ne, e.ID)
				continue
			}
			if strings.Contains(err.Error(), journal.ErrAlreadyUndone.Error()) {
				continue // this one was undone on its own before
			}
			left++
			fmt.Fprintf(g.stdout, "left %s as it is: %s\n", escape.Name(d.path(e.Root, e.Path)), escape.Text(err.Error()))
			break // the older writes of the file cannot apply either
		}
	}
	fmt.Fprintf(g.stdout, "run %s: %d of %d writes restored\n", run, restored, len(entries))
	if left > 0 {
		return fail(ExitFailure, fmt.Errorf("%d of the run's files were left as they are: they changed since; "+
			"look with `scribe history FILE`, or undo with --force (the later versions are journaled first)", left))
	}
	return nil
}

// currentHash is the sha256 of the file of e as it is now ("" if it does not
// exist, "?" if it cannot be read). The CLI reads it directly, daemon or not,
// safely (no FIFO, no symlink out of the root).
func currentHash(e journal.Entry) string {
	root, err := os.OpenRoot(e.Root)
	if err != nil {
		return "?"
	}
	defer root.Close()
	s, err := safefile.ReadRaw(root, e.Path, 1<<30)
	switch {
	case err == nil:
		return hex.EncodeToString(s.Hash[:])
	case errors.Is(err, fs.ErrNotExist):
		return ""
	}
	return "?"
}

// undoer undoes writes through a running daemon or, when none answers, in
// the journal directly.
type undoer interface {
	list(ctx context.Context, run string) ([]journal.Entry, error)
	undo(ctx context.Context, id uint64, force bool) (journal.Entry, error)
	// finish brings what lists the restored files up to date.
	finish(ctx context.Context, g *globals) error
	close()
}

func newUndoer(ctx context.Context, g *globals) (undoer, error) {
	c, cfg, err := newClient(g)
	if cfg == nil {
		return nil, err
	}
	if err == nil {
		err = c.do(ctx, "GET", "/healthz", nil)
	}
	if err == nil {
		return daemonUndoer{c}, nil
	}
	if !errors.Is(err, errUnreachable) {
		return nil, fail(ExitFailure, err)
	}
	j, err := openJournal(cfg, "undo")
	if err != nil {
		return nil, err
	}
	return &localUndoer{cfg: cfg, j: j, roots: map[string]bool{}}, nil
}

// daemonUndoer goes through the daemon's API: the daemon holds the journal,
// and brings its indexes and catalogs up to date itself.
type daemonUndoer struct{ c *client }

func (u daemonUndoer) list(ctx context.Context, run string) ([]journal.Entry, error) {
	var es []journal.Entry
	err := u.c.do(ctx, "GET", "/api/v1/history?"+url.Values{"run": {run}}.Encode(), &es)
	return es, err
}

func (u daemonUndoer) undo(ctx context.Context, id uint64, force bool) (journal.Entry, error) {
	q := ""
	if force {
		q = "?force=1"
	}
	var e journal.Entry
	err := u.c.do(ctx, "POST", "/api/v1/undo/"+strconv.FormatUint(id, 10)+q, &e)
	return e, err
}

func (daemonUndoer) finish(context.Context, *globals) error { return nil }
func (daemonUndoer) close()                                 {}

// localUndoer works on the journal directly, no daemon running.
type localUndoer struct {
	cfg   *config.Config
	j     *journal.Journal
	roots map[string]bool // roots of the files restored
}

func (u *localUndoer) list(_ context.Context, run string) ([]journal.Entry, error) {
	return u.j.ListRun(run)
}

func (u *localUndoer) undo(_ context.Context, id uint64, force bool) (journal.Entry, error) {
	e, _, err := u.j.Get(id)
	if err != nil {
		return journal.Entry{}, err
	}
	root, err := os.OpenRoot(e.Root)
	if err != nil {
		return journal.Entry{}, fmt.Errorf("undo %d: %w", id, err)
	}
	defer root.Close()
	ne, err := u.j.Undo(root, id, force)
	if err == nil {
		u.roots[e.Root] = true
	}
	return ne, err
}

// finish runs the aggregating rules (index, catalog) over the roots of the
// restored files, as the daemon's finisher would.
func (u *localUndoer) finish(ctx context.Context, g *globals) error {
	if len(u.roots) == 0 {
		return nil
	}
	rep, run, err := refreshAggregates(ctx, g, u.j, u.roots)
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) {
			err = errors.New("the configuration has errors (`scribe config validate` lists them)")
		}
		return fail(ExitFailure, fmt.Errorf("restored, but the indexes and catalogs that list the files were not brought up to date: %v; run `scribe run` once it works", err))
	}
	d := newDisplay()
	failed := 0
	for _, r := range rep.Results {
		switch {
		case r.Failed():
			failed++
			fmt.Fprintf(g.stdout, "%s: failed: %s\n", escape.Name(d.path(r.Root, r.Path)), escape.Text(r.Error))
		case r.Written:
			fmt.Fprintf(g.stdout, "updated %s%s (run %s)\n", escape.Name(d.path(r.Root, r.Path)), via(r), run)
		}
	}
	if failed > 0 {
		return silent(ExitFailure)
	}
	return nil
}

func (u *localUndoer) close() { u.j.Close() }
