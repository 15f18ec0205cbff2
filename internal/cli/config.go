package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/action"
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
		Long:  "Validate the configuration: syntax, schema, roots, and every rule (globs,\nregular expressions, conditions, action parameters, allow-listed commands).\nEvery error is printed with file:line:column and field path.\n\nExit codes: 0 valid, 2 invalid.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := loadConfig(g, nil, nil)
			if err != nil {
				return err
			}
			defer l.Close(context.WithoutCancel(cmd.Context()))
			// Roots are read by every other command; one that is missing
			// fails them all, so it is an error here too.
			if errs := missingRoots(l.Config); len(errs) > 0 {
				return errs
			}
			// Plugins are started once, so that a handshake that fails
			// (a protocol mismatch, actions that differ from the manifest)
			// is reported here rather than by the first file.
			if err := l.Plugins.Start(cmd.Context()); err != nil {
				return fail(ExitUsage, err)
			}
			for _, st := range l.Plugins.Status() {
				if st.State == "missing" {
					fmt.Fprintf(g.stderr, "scribe: warning: plugin %s cannot run yet: %s\n", st.Name, st.Error)
				}
			}
			steps := 0
			for _, r := range l.Rules.Rules {
				steps += len(r.Steps)
			}
			fmt.Fprintf(g.stdout, "%s: valid: %s, %s, %s, %s\n", l.Config.File, count(len(l.Rules.Rules), "rule"), count(steps, "action"), count(len(l.Plugins.Plugins()), "plugin"), count(len(l.Config.Roots), "root"))
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the configuration file, with every built-in action's parameters",
		Long: "Print the JSON Schema (draft 2020-12) of the configuration file, with the\n" +
			"parameters of every built-in action, for editors to validate and complete\n" +
			"rules (doc/CONFIG.md says how to point yours at it). Plugin actions are\n" +
			"accepted with any parameters; `scribe config validate` checks them.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b, err := config.FullSchema(builtinActionDocs())
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(append(b, '\n'))
			return err
		},
	})
	return cmd
}

// builtinActionDocs lists the built-in actions for config.FullSchema.
func builtinActionDocs() []config.ActionDoc {
	var docs []config.ActionDoc
	for _, n := range action.Names() {
		s, _ := action.Lookup(n)
		docs = append(docs, config.ActionDoc{Name: n, Summary: s.Summary, Schema: []byte(s.Schema)})
	}
	return docs
}

// missingRoots reports each of cfg's roots that is not a folder.
func missingRoots(cfg *config.Config) config.Errors {
	var errs config.Errors
	for i, r := range cfg.Roots {
		dir := r
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.Dir, dir)
		}
		fi, err := os.Stat(dir)
		var msg string
		switch {
		case errors.Is(err, fs.ErrNotExist):
			msg = fmt.Sprintf("root %s does not exist", dir)
		case err != nil:
			msg = fmt.Sprintf("root %s: %v", dir, err)
		case !fi.IsDir():
			msg = fmt.Sprintf("root %s is not a folder", dir)
		default:
			continue
		}
		errs = append(errs, cfg.Errorf(fmt.Sprintf("roots[%d]", i), "roots are folders; a relative one starts from the configuration file's folder, "+cfg.Dir, "%s", msg))
	}
	return errs
}
