package cli

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/gctune"
	"github.com/scribe-md/scribe/internal/remote"
)

func newWorkerCmd(g *globals) *cobra.Command {
	var (
		url, name, dir string
		concurrency    int
		grace          time.Duration
	)
	cmd := &cobra.Command{
		Annotations: map[string]string{logInfo: "yes"},
		Use:         "worker",
		Short:       "Run rules for an owner daemon's jobs from a shared NATS cluster (bus.url); writes nothing locally",
		Long: "Run rules for the jobs of an owner daemon (scribe watch with engine.remote: true)\n" +
			"from the NATS cluster they share: pull a job (a file's content), run the file's\nrules on it, send the result back; the owner writes it. Nothing is written here.\n\n" +
			"The worker fetches the owner's configuration (each revision, by its sha256) from\nthe cluster and loads it as if it were at the owner's path, or in --dir: plugin\nfolders, schema files and security.commands must exist here at those paths, and\nplugins must be the same (compared by sha256), or the revision's jobs are refused.\n" +
			"With --config, the bus URL and that file's directory are taken from it.\n\n" +
			"SIGINT or SIGTERM stops pulling, finishes the jobs in flight (up to --grace) and\nexits 0. See doc/SCALE-OUT.md.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.config != "" {
				l, err := loadConfig(g, nil, nil)
				if err != nil {
					return err
				}
				l.Close(cmd.Context())
				if url == "" {
					url = l.Config.Bus.URL
				}
				if dir == "" {
					dir = l.Config.Dir
				}
			}
			if url == "" {
				return fail(ExitUsage, errors.New("no NATS URL: pass --bus nats://host:port (the owner's bus.url), or --config with bus.url set"))
			}
			if concurrency < 1 {
				return fail(ExitUsage, fmt.Errorf("--concurrency %d: want at least 1", concurrency))
			}
			nc, err := nats.Connect(url, bus.ClientOptions("scribe-worker", 10*time.Second, g.log)...)
			if err != nil {
				return fail(ExitFailure, fmt.Errorf("connect to NATS at %s: %w (is the cluster up, and the URL the owner's bus.url?)", bus.Redact(url), err))
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			w, err := remote.NewWorker(remote.WorkerOptions{
				JetStream: js, Bus: name, Concurrency: concurrency, Grace: grace, Logger: g.log,
				Load: remote.ConfigLoader(dir, concurrency, g.log),
			})
			if err != nil {
				return fail(ExitUsage, err)
			}
			g.log.Info("scribe worker starting", "id", w.ID(), "bus", bus.Redact(url), "concurrency", concurrency)
			defer gctune.Apply(gctune.Daemon)()
			if err := w.Run(cmd.Context()); err != nil {
				return fail(ExitFailure, err)
			}
			nc.Drain()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "bus", "", "NATS URL(s) of the owner's cluster, comma separated (default: bus.url of --config)")
	f.StringVar(&name, "name", bus.DefaultName, "the owner's bus name")
	f.StringVar(&dir, "dir", "", "load the owner's configuration as if it were in this directory (default: the owner's path, or --config's directory)")
	f.IntVar(&concurrency, "concurrency", runtime.GOMAXPROCS(0), "jobs run at once")
	f.DurationVar(&grace, "grace", 10*time.Second, "how long shutdown waits for jobs in flight")
	return cmd
}
