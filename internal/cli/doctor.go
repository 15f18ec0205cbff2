package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/doctor"
)

func newDoctorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the setup and say what to fix",
		Long: "Check the configuration, the roots, the files each rule selects, the inotify\n" +
			"limits against the size of the trees, the state directory and journal, a running\n" +
			"daemon, the bus, the git work trees, the plugins and an installed service, and\n" +
			"print one line per finding with what to do.\n" +
			"Exit 0 when nothing failed (warnings allowed), 1 when something did.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(g); err != nil {
				return err
			}
			env := doctorEnv(g)
			results := doctor.Run(cmd.Context(), env, doctor.Checks())
			if g.format == "json" {
				if results == nil {
					results = []doctor.Result{}
				}
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					OK     bool            `json:"ok"`
					Checks []doctor.Result `json:"checks"`
				}{!doctor.Failed(results), results}); err != nil {
					return err
				}
			} else {
				printDoctor(g, results)
			}
			if doctor.Failed(results) {
				return silent(ExitProblems)
			}
			return nil
		},
	}
	addFormatFlag(cmd, g)
	return cmd
}

// doctorEnv finds and loads the configuration as every command does, but
// keeps what loaded when something did not.
func doctorEnv(g *globals) *doctor.Env {
	env := &doctor.Env{}
	if exe, err := os.Executable(); err == nil {
		env.Executable, _ = filepath.EvalSymlinks(exe)
	}
	path, err := configPath(g, nil)
	if err != nil {
		env.FindErr = err
		return env
	}
	env.ConfigFile = path
	cfg, err := config.Load(path)
	if err != nil {
		env.ConfigErr = err
		return env
	}
	env.Config = cfg
	// Again with plugins and rules, as every command loads it.
	l, err := loadConfig(&globals{config: path, log: g.log}, nil, nil)
	if err != nil {
		env.ConfigErr = err
		return env
	}
	l.Rules.Close(context.Background())
	env.Plugins, env.Rules = l.Plugins, l.Rules
	return env
}

func printDoctor(g *globals, rs []doctor.Result) {
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fails, warns := 0, 0
	for _, r := range rs {
		fmt.Fprintf(w, "%s\t%s\t%s\n", r.Status, r.Check, r.Message)
		if r.Fix != "" {
			fmt.Fprintf(w, "\t\t→ %s\n", r.Fix)
		}
		switch r.Status {
		case doctor.Fail:
			fails++
		case doctor.Warn:
			warns++
		}
	}
	w.Flush()
	switch {
	case fails > 0:
		fmt.Fprintf(g.stdout, "%d failed, %s: fix what failed, then run `scribe doctor` again\n", fails, count(warns, "warning"))
	case warns > 0:
		fmt.Fprintf(g.stdout, "no failures, %s\n", count(warns, "warning"))
	default:
		fmt.Fprintln(g.stdout, "all good")
	}
}
