package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/action"
)

func newPluginsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List every action, built-in and plugin, with its parameter schema",
		Long:  "List every action with its parameter schema: the built-in actions, and the\nactions of the plugins of the configuration (-c, or scribe.yaml in the current\ndirectory, if there is one).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(g); err != nil {
				return err
			}
			type entry struct {
				Name    string          `json:"name"`
				Summary string          `json:"summary"`
				Plugin  string          `json:"plugin,omitempty"`
				Schema  json.RawMessage `json:"schema"`
				Example string          `json:"example,omitempty"`
			}
			var list []entry
			for _, n := range action.Names() {
				s, _ := action.Lookup(n)
				list = append(list, entry{Name: n, Summary: s.Summary, Schema: json.RawMessage(s.Schema), Example: s.Example})
			}
			// Plugin actions need the configuration that lists the
			// plugins; without one, only the built-ins are listed.
			if _, err := configPath(g, nil); err == nil {
				l, err := loadConfig(g, nil, nil)
				if err != nil {
					return err
				}
				defer l.Close(context.WithoutCancel(cmd.Context()))
				specs := l.Plugins.Specs()
				names := make([]string, 0, len(specs))
				for n := range specs {
					names = append(names, n)
				}
				slices.Sort(names)
				for _, n := range names {
					s := specs[n]
					plugin, _, _ := strings.Cut(n, ".")
					list = append(list, entry{Name: n, Summary: s.Summary, Plugin: plugin, Schema: json.RawMessage(s.Schema)})
				}
			} else if g.config != "" {
				return fail(ExitUsage, err)
			}
			if g.format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			for _, e := range list {
				fmt.Fprintf(g.stdout, "%s\n    %s\n", e.Name, e.Summary)
				if e.Example != "" {
					fmt.Fprintf(g.stdout, "    example:\n%s\n", indent(strings.TrimRight(e.Example, "\n"), "      "))
				}
				if g.verbose {
					var v any
					json.Unmarshal(e.Schema, &v)
					b, _ := json.MarshalIndent(v, "      ", "  ")
					fmt.Fprintf(g.stdout, "    schema:\n      %s\n", b)
				}
			}
			fmt.Fprintf(g.stdout, "\n%d actions; -v shows their parameter schemas, --format json everything\n", len(list))
			return nil
		},
	}
	addFormatFlag(cmd, g)
	return cmd
}

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}
