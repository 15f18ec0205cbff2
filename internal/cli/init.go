package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
)

func newInitCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a commented starter scribe.yaml",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fail(ExitUsage, err)
			}
			path := filepath.Join(dir, "scribe.yaml")
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(path, flags, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return fail(ExitUsage, fmt.Errorf("%s already exists; edit it, or pass --force to overwrite it", path))
			}
			if err != nil {
				return fail(ExitUsage, err)
			}
			if _, err := f.Write(config.Starter); err != nil {
				f.Close()
				return fail(ExitFailure, err)
			}
			if err := f.Close(); err != nil {
				return fail(ExitFailure, err)
			}
			fmt.Fprintf(g.stdout, "wrote %s; try `scribe check` next\n", path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing scribe.yaml")
	return cmd
}
