package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/action"
)

func newPluginsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List every action with its parameter schema",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := checkFormat(g); err != nil {
				return err
			}
			type entry struct {
				Name    string          `json:"name"`
				Summary string          `json:"summary"`
				Schema  json.RawMessage `json:"schema"`
				Example string          `json:"example,omitempty"`
			}
			var list []entry
			for _, n := range action.Names() {
				s, _ := action.Lookup(n)
				list = append(list, entry{n, s.Summary, json.RawMessage(s.Schema), s.Example})
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
