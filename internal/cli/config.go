package cli

import (
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
			cfg, rules, _, err := loadConfig(g, nil)
			if err != nil {
				return err
			}
			defer rules.Close(cmd.Context())
			steps := 0
			for _, r := range rules.Rules {
				steps += len(r.Steps)
			}
			fmt.Fprintf(g.stdout, "%s: valid: %d rules, %d actions, %d roots\n", cfg.File, len(rules.Rules), steps, len(cfg.Roots))
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
