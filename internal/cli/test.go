package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/fixture"
	"github.com/scribe-md/scribe/internal/ruleset"
	"github.com/scribe-md/scribe/internal/sandbox"
)

func newTestCmd(g *globals) *cobra.Command {
	var update bool
	var run string
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run rule fixtures (input file → expected output and findings)",
		Long:  "Run rule fixtures: every directory under DIR (default: tests/ next to the\nconfiguration) holding an input.* file is a case; the rules run on it in a\ntemporary root with a fixed clock, and the result must equal expected.* and\nfindings.txt. See doc/TESTING-RULES.md for the layout.\n\nExit codes: 0 all pass, 1 failures, 2 usage or configuration error.",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadConfig(g, args, nil)
			if err != nil {
				return err
			}
			defer l.Close(context.WithoutCancel(cmd.Context()))
			cfg, rules := l.Config, l.Rules
			// Started before the cases, so that compiling a module or
			// starting a process is not charged to the first case's
			// deadline; one that cannot start fails its cases.
			if err := l.Plugins.Start(cmd.Context()); err != nil {
				g.log.Error("plugins failed to start", "err", err)
			}
			dir := filepath.Join(cfg.Dir, "tests")
			if len(args) == 1 {
				dir = args[0]
			}
			cases, err := fixture.Discover(dir)
			howTo := fmt.Sprintf("a fixture is a folder holding an input.* file, e.g. %s; `scribe test --update` then writes what the rules make of it, to review (see doc/TESTING-RULES.md)",
				filepath.Join(dir, "my-case", "input.md"))
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return fail(ExitUsage, fmt.Errorf("no fixtures: %s does not exist; %s", dir, howTo))
			case err != nil:
				return fail(ExitUsage, err)
			case len(cases) == 0:
				return fail(ExitUsage, fmt.Errorf("no fixtures under %s; %s", dir, howTo))
			}
			cmds := ruleset.Commands(cfg)
			r := &fixture.Runner{Config: cfg, Rules: rules, Update: update, Logger: g.log,
				Commands: func(rootDir string) action.CommandRunner {
					return sandbox.NewRunner(rootDir, cmds, cfg.Security.Env, commandOutputCap)
				}}
			passed, failed := 0, 0
			for _, c := range cases {
				if run != "" && !strings.Contains(c.Name, run) {
					continue
				}
				res := r.Run(cmd.Context(), c)
				if res.Passed() {
					passed++
					if g.verbose {
						fmt.Fprintf(g.stdout, "ok   %s\n", c.Name)
					}
					continue
				}
				failed++
				fmt.Fprintf(g.stdout, "FAIL %s\n%s\n", c.Name, indent(res.Failure, "    "))
			}
			fmt.Fprintf(g.stdout, "%d passed, %d failed\n", passed, failed)
			if failed > 0 {
				return silent(ExitChanges)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&update, "update", false, "rewrite expected.* and findings.txt from what the rules produce")
	cmd.Flags().StringVar(&run, "run", "", "run only cases whose name contains this text")
	return cmd
}
