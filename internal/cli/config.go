package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Validate the configuration or print its JSON Schema",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate",
		Short: "Validate the configuration; print every error with file:line:column and field path",
		Long:  "Validate the configuration: syntax, schema, and every rule (globs, regular\nexpressions, conditions, action parameters, allow-listed commands). Every error\nis printed with file:line:column and field path.\n\nExit codes: 0 valid, 2 invalid.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := loadConfig(g, nil, nil)
			if err != nil {
				return err
			}
			defer l.close(context.WithoutCancel(cmd.Context()))
			// Plugins are started once, so that a handshake that fails
			// (a protocol mismatch, actions that differ from the manifest)
			// is reported here rather than by the first file.
			if err := l.plugins.Start(cmd.Context()); err != nil {
				return fail(ExitUsage, err)
			}
			for _, st := range l.plugins.Status() {
				if st.State == "missing" {
					fmt.Fprintf(g.stderr, "scribe: warning: plugin %s cannot run yet: %s\n", st.Name, st.Error)
				}
			}
			steps := 0
			for _, r := range l.rules.Rules {
				steps += len(r.Steps)
			}
			fmt.Fprintf(g.stdout, "%s: valid: %d rules, %d actions, %d plugins, %d roots\n", l.cfg.File, len(l.rules.Rules), steps, len(l.plugins.Plugins()), len(l.cfg.Roots))
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the configuration file",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := g.stdout.Write(config.Schema())
			return err
		},
	})
	return cmd
}
