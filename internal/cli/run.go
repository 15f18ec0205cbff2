package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/gctune"
	"github.com/scribe-md/scribe/internal/journal"
)

func newRunCmd(g *globals) *cobra.Command {
	var (
		sel gitSelection
		ro  reportOptions
	)
	cmd := &cobra.Command{
		Annotations: map[string]string{writesFiles: "yes"},
		Use:         "run [PATH...]",
		Short:       "Apply every enabled rule once and write changes atomically",
		Long: "Apply every enabled rule once to every matching file under PATH (default: the\nconfiguration's roots), write changes atomically, and print a summary.\n\n" +
			"Exit codes: 0 ok, 2 usage or configuration error, 3 some file or action failed.",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := oneShot(cmd, g, args, false, sel, ro)
			if err != nil {
				return err
			}
			if s.Failed > 0 {
				return silent(ExitFailure)
			}
			return nil
		},
	}
	addReportFlags(cmd, g, &ro)
	addGitFlags(cmd, &sel, true)
	return cmd
}

func newCheckCmd(g *globals) *cobra.Command {
	var (
		sel gitSelection
		ro  reportOptions
	)
	cmd := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Show the changes and findings a run would produce, writing nothing",
		Long: "Like run, but writes nothing: prints a unified diff of every change it would\nmake and every finding (broken link, naming violation, schema error).\n\n" +
			"Exit codes: 0 clean, 1 changes or findings, 2 usage or configuration error, 3 failure.",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := oneShot(cmd, g, args, true, sel, ro)
			if err != nil {
				return err
			}
			switch {
			case s.Failed > 0:
				return silent(ExitFailure)
			case s.Changed > 0 || s.Findings > 0:
				return silent(ExitChanges)
			}
			return nil
		},
	}
	addReportFlags(cmd, g, &ro)
	addGitFlags(cmd, &sel, false)
	return cmd
}

func oneShot(cmd *cobra.Command, g *globals, args []string, dry bool, gs gitSelection, ro reportOptions) (summary, error) {
	if err := checkReportFlags(cmd, g, &ro); err != nil {
		return summary{}, err
	}
	if err := gs.check(); err != nil {
		return summary{}, err
	}
	p, err := loadProject(g, args)
	if err != nil {
		return summary{}, err
	}
	defer p.close()
	if err := p.Plugins.Start(cmd.Context()); err != nil {
		// Their actions fail file by file, with this error; the rest runs.
		g.log.Error("plugins failed to start", "err", err)
	}
	targets, err := engine.Resolve(p.roots, args)
	if err != nil {
		return summary{}, fail(ExitUsage, err)
	}
	var sel *selected
	if gs.active() {
		if sel, err = gs.resolve(cmd.Context(), p, targets, dry); err != nil {
			return summary{}, err
		}
		defer sel.close()
		targets = sel.targets
	}
	// A one-shot run is short and keeps little: few collections while the
	// heap is small, and a limit that follows the live heap when it is not
	// (unless GOGC or GOMEMLIMIT is set).
	defer gctune.Apply(gctune.OneShot)()
	// A run journals every write under its own id, so that it can be
	// undone; a check reads the journal only to leave alone what was undone.
	orig := loadOrigins(p, sel)
	defer orig.close()
	opts := p.engineOptions(g, dry)
	opts.OriginOf, opts.VCS = orig.of, orig.vcs()
	if sel != nil && sel.staged != nil {
		opts.Content = sel.content
	}
	var (
		j   *journal.Journal
		run string
	)
	if dry {
		opts.Undone = readUndone(g, p.Config)
	} else {
		if j, err = openJournal(p.Config, "run"); err != nil {
			return summary{}, err
		}
		defer j.Close()
		run = newRunID(time.Now())
		useJournal(g, &opts, j, run)
	}
	rep := &engine.Report{}
	if len(targets) > 0 {
		prog, done := progress(g)
		rep, err = engine.New(p.Rules, opts).Run(cmd.Context(), targets, prog)
		done()
		if err != nil {
			return summary{}, fail(ExitFailure, err)
		}
	}
	// The actions are done: what they hold (link graphs, caches of every
	// document) is garbage while the report prints.
	p.closeRules()
	if sel != nil {
		rep.Results = append(rep.Results, sel.refused...)
	}
	if !dry {
		if err := orig.record(p, rep); err != nil {
			g.log.Warn("the next run will not know which files were edited", "err", err)
		}
		if gs.restage {
			if err := sel.restage(cmd.Context(), rep); err != nil {
				return summary{}, fail(ExitFailure, err)
			}
		}
	}
	if !dry {
		// Retention, as the daemon applies it hourly.
		if _, err := j.Prune(time.Now()); err != nil {
			g.log.Warn("apply the journal's retention", "err", err)
		}
	}
	heapProfile(g)
	name := "run"
	if dry {
		name = "check"
	}
	ro.rules = p.Rules
	return printReport(g, name, run, rep, dry, ro), nil
}
