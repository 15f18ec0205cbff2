package cli

import (
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/engine"
)

func newRunCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run [PATH...]",
		Short: "Apply every enabled rule once and write changes atomically",
		Long: "Apply every enabled rule once to every matching file under PATH (default: the\nconfiguration's roots), write changes atomically, and print a summary.\n\n" +
			"Exit codes: 0 ok, 2 usage or configuration error, 3 some file or action failed.",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := oneShot(cmd, g, args, false)
			if err != nil {
				return err
			}
			if s.Failed > 0 {
				return silent(ExitFailure)
			}
			return nil
		},
	}
	addFormatFlag(cmd, g)
	return cmd
}

func newCheckCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Show the changes and findings a run would produce, writing nothing",
		Long: "Like run, but writes nothing: prints a unified diff of every change it would\nmake and every finding (broken link, naming violation, schema error).\n\n" +
			"Exit codes: 0 clean, 1 changes or findings, 2 usage or configuration error, 3 failure.",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := oneShot(cmd, g, args, true)
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
	addFormatFlag(cmd, g)
	return cmd
}

func oneShot(cmd *cobra.Command, g *globals, args []string, dry bool) (summary, error) {
	if err := checkFormat(g); err != nil {
		return summary{}, err
	}
	p, err := loadProject(g, args)
	if err != nil {
		return summary{}, err
	}
	defer p.close()
	if err := p.plugins.Start(cmd.Context()); err != nil {
		// Their actions fail file by file, with this error; the rest runs.
		g.log.Error("plugins failed to start", "err", err)
	}
	targets, err := engine.Resolve(p.roots, args)
	if err != nil {
		return summary{}, fail(ExitUsage, err)
	}
	if os.Getenv("GOGC") == "" {
		// A one-shot run is short and holds little: collect less often.
		debug.SetGCPercent(400)
	}
	eng := engine.New(p.rules, p.engineOptions(g, dry))
	prog, done := progress(g)
	rep, err := eng.Run(cmd.Context(), targets, prog)
	done()
	if err != nil {
		return summary{}, fail(ExitFailure, err)
	}
	name := "run"
	if dry {
		name = "check"
	}
	return printReport(g, name, rep, dry), nil
}
