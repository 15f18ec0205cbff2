package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/journal"
)

func newHistoryCmd(g *globals) *cobra.Command {
	var (
		limit int
		run   string
	)
	cmd := &cobra.Command{
		Use:   "history [FILE]",
		Short: "List the engine's own writes (rule, time, before/after hash), newest first",
		Long: "List the engine's own writes, newest first: the daemon's and those of each\n`scribe run` (RUN is its id; `scribe undo --run RUN` restores them all).\n" +
			"Through the daemon's API when one runs, else from the journal directly.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(g); err != nil {
				return err
			}
			file := ""
			if len(args) == 1 {
				abs, err := filepath.Abs(args[0])
				if err != nil {
					return fail(ExitUsage, err)
				}
				file = abs
			}
			path, err := configPath(g, nil)
			if err != nil {
				return fail(ExitUsage, err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			if file != "" {
				if root, _ := locateInRoots(cfg, file); root == "" {
					return fail(ExitUsage, fmt.Errorf("%s is not under a root of %s (%s): the journal holds writes to files under them", args[0], cfg.File, strings.Join(cfg.Roots, ", ")))
				}
			}
			entries, err := history(cmd.Context(), cfg, file, run, limit)
			if err != nil {
				return fail(ExitFailure, err)
			}
			if run != "" && file != "" {
				entries = onlyFile(cfg, entries, file)
			}
			if g.format == "json" {
				if entries == nil {
					entries = []journal.Entry{} // [] rather than null
				}
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(entries)
			}
			if len(entries) == 0 {
				what := "no writes by Scribe in the journal yet"
				if file != "" || run != "" {
					what = "no writes by Scribe match"
				}
				fmt.Fprintln(g.stdout, what)
				return nil
			}
			d := newDisplay()
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tTIME\tRUN\tRULE\tFILE\tBEFORE\tAFTER")
			for _, e := range entries {
				rule := e.Rule
				if e.Via != "" {
					rule += " (" + e.Via + ")"
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.Local().Format("2006-01-02 15:04:05"), or(e.Run, "-"),
					rule, escape.Name(d.path(e.Root, e.Path)), short(e.BeforeHash, "(new)"), short(e.AfterHash, "(removed)"))
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many writes to list")
	cmd.Flags().StringVar(&run, "run", "", "list every write of this `scribe run` (its id)")
	addFormatFlag(cmd, g)
	return cmd
}

// history lists the engine's writes (of file, an absolute path, or all;
// of one `scribe run` when run is set), newest first: through the daemon's
// API when one runs, since it holds the journal, else from the journal.
func history(ctx context.Context, cfg *config.Config, file, run string, limit int) ([]journal.Entry, error) {
	var entries []journal.Entry
	c, err := clientFor(cfg)
	if err == nil {
		q := url.Values{"limit": {strconv.Itoa(limit)}, "path": {file}, "run": {run}}
		err = c.do(ctx, "GET", "/api/v1/history?"+q.Encode(), &entries)
	}
	if errors.Is(err, errUnreachable) {
		// No daemon: read the journal directly.
		return localHistory(cfg, file, run, limit)
	}
	return entries, err
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// short abbreviates a hash as git does; none stands for "" (no file).
func short(h, none string) string {
	if h == "" {
		return none
	}
	return h[:min(12, len(h))]
}

// journalPath is where the configuration's journal lives.
func journalPath(cfg *config.Config) string { return filepath.Join(cfg.StatePath(), "journal.db") }

func localHistory(cfg *config.Config, file, run string, limit int) ([]journal.Entry, error) {
	j, err := journal.OpenReadOnly(journalPath(cfg))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer j.Close()
	if run != "" {
		return j.ListRun(run)
	}
	root, rel := "", ""
	if file != "" {
		root, rel = locateInRoots(cfg, file)
	}
	return j.List(root, rel, limit)
}

// onlyFile keeps the entries of one file (absolute path).
func onlyFile(cfg *config.Config, es []journal.Entry, file string) []journal.Entry {
	root, rel := locateInRoots(cfg, file)
	var out []journal.Entry
	for _, e := range es {
		if e.Root == root && e.Path == rel {
			out = append(out, e)
		}
	}
	return out
}

// locateInRoots maps an absolute file path to a configured root and a path
// relative to it.
func locateInRoots(cfg *config.Config, file string) (string, string) {
	for _, r := range cfg.Roots {
		dir := r
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.Dir, dir)
		}
		if rel, err := filepath.Rel(dir, file); err == nil && !climbs(rel) {
			return dir, filepath.ToSlash(rel)
		}
	}
	return "", file
}

// climbs reports whether rel, a path filepath.Rel returned, leaves the folder
// it is relative to: ".." or "../…", not a name that starts with two dots.
func climbs(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
