package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"

	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/doctor"
	"github.com/scribe-md/scribe/internal/gctune"
	"github.com/scribe-md/scribe/internal/httpapi"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/rule"
	"github.com/scribe-md/scribe/internal/service"
	"github.com/scribe-md/scribe/internal/telemetry"
)

func newWatchCmd(g *globals) *cobra.Command {
	var grace time.Duration
	cmd := &cobra.Command{
		Annotations: map[string]string{logInfo: "yes", writesFiles: "yes"},
		Use:         "watch [PATH...]",
		Short:       "Run the daemon: catch up, then watch and process until SIGINT/SIGTERM",
		Long: "Run the daemon: catch up on what changed while it was down, then watch the\nroots (or the PATHs given, which replace them; no two may overlap) and\nprocess every change until SIGINT or SIGTERM. Serves HTTP on http.listen\n(health, metrics, API).\n\n" +
			"The first signal drains the files in flight (up to --grace) and exits 0; a\nsecond signal exits at once. SIGHUP, or saving the configuration file, reloads\nthe configuration; an invalid one is reported and the running one kept.",
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadConfig(g, args, nil)
			if err != nil {
				return err
			}
			cfg := l.Config
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
				if err := nestedArgs(args, cfg.Roots); err != nil {
					return fail(ExitUsage, err)
				}
			}
			roots := cfg.Roots
			for _, r := range doctor.EnclosingConfig(cfg, cfgFile) {
				g.log.Warn(r.Message, "fix", r.Fix)
			}
			load := func(prev *plugin.Set) (*config.Config, *rule.Set, *plugin.Set, error) {
				nl, err := loadConfig(&globals{config: cfgFile, log: g.log}, nil, prev)
				if err != nil {
					return nil, nil, nil, err
				}
				if len(args) > 0 {
					nl.Config.Roots = roots
				}
				return nl.Config, nl.Rules, nl.Plugins, nil
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
			// No soft memory limit: a fixed one below what the daemon
			// holds makes the collector run without pause, idle or not.
			// engine.memory_budget is reported, never enforced; GOMEMLIMIT
			// and GOGC still apply when the user sets them.
			// Records logged with a span's context carry its trace ids.
			g.log = slog.New(telemetry.LogHandler(g.log.Handler()))
			tracing, err := telemetry.Start(ctx, telemetry.Options{
				Endpoint: cfg.Telemetry.Traces.Endpoint, Protocol: cfg.Telemetry.Traces.Protocol,
				ServiceVersion: Version, Logger: g.log.With("component", "telemetry"),
			})
			if err != nil {
				return fail(ExitUsage, fmt.Errorf("telemetry: %w", err))
			}
			// Last: the spans of the files drained at shutdown go out too.
			defer func() {
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := tracing.Shutdown(sctx); err != nil {
					g.log.Warn("send the last traces", "err", err)
				}
			}()
			ready := make(chan struct{})
			// The dashboard's login link is a credential: printed for the
			// user at the terminal (or in the journal of a service), never
			// logged.
			dashboard := func(u string) {
				if !g.quiet {
					fmt.Fprintf(g.stderr, "scribe: dashboard at %s (this link logs you in once, within %d minutes; `scribe dashboard` prints a new one)\n", u, int(httpapi.CodeTTL.Minutes()))
				}
			}
			d, err := daemon.New(daemon.Options{Config: cfg, Rules: l.Rules, Plugins: l.Plugins, Load: load, Reload: reload, Logger: g.log, Grace: grace, Ready: ready, Tracing: tracing, Dashboard: dashboard})
			if err != nil {
				return fail(ExitFailure, err)
			}
			// Under systemd (Type=notify): READY=1 once caught up,
			// STOPPING=1 at the first signal, and watchdog pings while
			// the daemon proves it is live. Outside systemd, nothing.
			notifier := service.NewNotifier(g.log)
			var wg sync.WaitGroup
			wctx, stopNotify := context.WithCancel(context.Background())
			wg.Go(func() {
				select {
				case <-ready:
					notifier.Ready(fmt.Sprintf("watching %s with %s; http %s", count(len(cfg.Roots), "root"), count(len(l.Rules.Rules), "rule"), orNone(d.Addr())))
				case <-wctx.Done():
				}
			})
			wg.Go(func() { notifier.Watchdog(wctx, d.Alive) })
			stopping := context.AfterFunc(ctx, notifier.Stopping)
			// The heap stays near what is live (unless GOGC or GOMEMLIMIT
			// is set): a million paths held are 120 MiB live.
			stopGC := gctune.Apply(gctune.Daemon)
			err = d.Run(ctx)
			stopGC()
			stopping()
			stopNotify()
			wg.Wait()
			if err != nil {
				return fail(ExitFailure, err)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&grace, "grace", 10*time.Second, "how long shutdown waits for files in flight")
	return cmd
}

func orNone(addr string) string {
	if addr == "" {
		return "off"
	}
	return addr
}

// nestedArgs reports two of watch's PATH arguments (args, and dirs, the same
// made absolute) that overlap, as the configuration's roots must not.
func nestedArgs(args, dirs []string) error {
	resolved := make([]string, len(dirs))
	for i, d := range dirs {
		resolved[i] = config.RootDir("", d)
	}
	for j := range resolved {
		if i, o := config.OverlapWithEarlier(resolved, j); i >= 0 {
			return fmt.Errorf("%s %s %s: the files they share would be processed twice, and each root's writes would trigger the other's rules; give each folder once", args[j], o, args[i])
		}
	}
	return nil
}
