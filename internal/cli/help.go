package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/doc/help"
)

// setupHelp replaces cobra's help command with one that also knows the
// topics of doc/help (`scribe help config`), and lists them in the root's
// help.
func setupHelp(root *cobra.Command, g *globals) {
	var names []string
	for _, t := range help.Topics() {
		names = append(names, t.Name)
	}
	cmd := &cobra.Command{
		Use:   "help [COMMAND | TOPIC]",
		Short: "Help about a command, or a topic: " + strings.Join(names, ", "),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			out := append([]string{}, names...)
			for _, c := range root.Commands() {
				if c.IsAvailableCommand() {
					out = append(out, c.Name())
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				if t, ok := help.Find(args[0]); ok {
					fmt.Fprint(g.stdout, t.Text)
					if c, _, err := root.Find(args); err == nil && c != root && c.Name() == t.Name {
						fmt.Fprintf(g.stdout, "\nThe %s command: scribe %s --help\n", c.Name(), c.Name())
					}
					return nil
				}
			}
			c, rest, err := root.Find(args)
			if err != nil || c == nil || len(rest) > 0 {
				return fail(ExitUsage, fmt.Errorf("no command or help topic %q; topics: %s; commands: scribe --help", strings.Join(args, " "), strings.Join(names, ", ")))
			}
			c.InitDefaultHelpFlag()
			return c.Help()
		},
	}
	root.SetHelpCommand(cmd)
	var b strings.Builder
	b.WriteString(`{{if not .HasParent}}
Help topics (scribe help TOPIC):{{range helpTopics}}
  {{rpad .Name 12}} {{.Short}}{{end}}
{{end}}`)
	root.SetUsageTemplate(root.UsageTemplate() + b.String())
}

// cobra's template functions are one map for the whole process: added once,
// here, rather than by every Main (tests run Main in parallel).
func init() { cobra.AddTemplateFunc("helpTopics", help.Topics) }
