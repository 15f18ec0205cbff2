package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/rule"
)

// defaultMemoryLimit is the soft memory limit of the daemon and of one-shot
// runs unless GOMEMLIMIT is set (see runtime/debug.SetMemoryLimit).
const defaultMemoryLimit = 64 << 20

func newWatchCmd(g *globals) *cobra.Command {
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "watch [PATH...]",
		Short: "Run the daemon: catch up, then watch and process until SIGINT/SIGTERM",
		Long: "Run the daemon: catch up on what changed while it was down, then watch the\nroots (or the PATHs given, which replace them) and process every change until\nSIGINT or SIGTERM. Serves HTTP on http.listen (health, metrics, API).\n\n" +
			"The first signal drains the files in flight (up to --grace) and exits 0; a\nsecond signal exits at once. SIGHUP, or saving the configuration file, reloads\nthe configuration; an invalid one is reported and the running one kept.",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, rules, _, err := loadConfig(g, args)
			if err != nil {
				return err
			}
			cfgFile := cfg.File
			if len(args) > 0 {
				cfg.Roots = nil
				for _, a := range args {
					abs, err := filepath.Abs(a)
					if err != nil {
						return fail(ExitUsage, err)
					}
					cfg.Roots = append(cfg.Roots, abs)
				}
			}
			roots := cfg.Roots
			load := func() (*config.Config, *rule.Set, error) {
				c, r, _, err := loadConfig(&globals{config: cfgFile, log: g.log}, nil)
				if err == nil && len(args) > 0 {
					c.Roots = roots
				}
				return c, r, err
			}
			ctx, cancel := context.WithCancel(context.WithoutCancel(cmd.Context()))
			defer cancel()
			reload := make(chan struct{}, 1)
			done := make(chan struct{})
			defer close(done)
			sigs := make(chan os.Signal, 2)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer signal.Stop(sigs)
			go func() {
				parent := cmd.Context().Done()
				stopping := false
				for {
					select {
					case <-done:
						return
					case <-parent:
						// main's signal context, or a caller's cancel.
						parent = nil
						cancel()
					case s := <-sigs:
						switch {
						case s == syscall.SIGHUP:
							select {
							case reload <- struct{}{}:
							default:
							}
						case stopping:
							fmt.Fprintln(g.stderr, "scribe: second signal: exiting now")
							os.Exit(ExitFailure)
						default:
							stopping = true
							fmt.Fprintf(g.stderr, "scribe: shutting down, finishing the files in flight (up to %s); send the signal again to exit at once\n", grace)
							cancel()
						}
					}
				}
			}()
			if os.Getenv("GOMEMLIMIT") == "" {
				// A daemon should stay small: let the collector work harder
				// rather than let the heap double between cycles.
				debug.SetMemoryLimit(defaultMemoryLimit)
			}
			d, err := daemon.New(daemon.Options{Config: cfg, Rules: rules, Load: load, Reload: reload, Logger: g.log, Grace: grace})
			if err != nil {
				return fail(ExitFailure, err)
			}
			if err := d.Run(ctx); err != nil {
				return fail(ExitFailure, err)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&grace, "grace", 10*time.Second, "how long shutdown waits for files in flight")
	return cmd
}
