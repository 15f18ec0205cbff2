package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/remote"
	"github.com/scribe-md/scribe/internal/rule"
	"github.com/scribe-md/scribe/internal/ruleset"
	"github.com/scribe-md/scribe/internal/sandbox"
)

// startRemote makes this daemon the owner of its roots in scale-out mode
// (engine.remote): the jobs stream and the results subscription, the
// current revision published, and, with engine.workers above 0, the
// owner's own runner. It returns a function that stops them, to call once
// no file is in flight.
func (d *Daemon) startRemote(ctx context.Context) (stop func(), err error) {
	owner, err := remote.NewOwner(ctx, d.bus, remote.OwnerOptions{
		AckWait: d.cfg.Engine.RemoteAckWait.Std(), Wait: d.cfg.Engine.RemoteWait.Std(), Logger: d.log,
	})
	if err != nil {
		return nil, fmt.Errorf("scale-out: %w", err)
	}
	// Results flow until the files in flight are done.
	octx, cancelOwner := context.WithCancel(context.WithoutCancel(ctx))
	ownerDone := make(chan struct{})
	go func() {
		defer close(ownerDone)
		if err := owner.Run(octx); err != nil {
			d.log.Error("scale-out: results", "err", err)
		}
	}()
	stops := []func(){func() { cancelOwner(); <-ownerDone }}
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}

	if n := d.cfg.Engine.Workers; n > 0 {
		scratch, err := os.MkdirTemp("", "scribe-owner-runner-")
		if err != nil {
			stop()
			return nil, err
		}
		root, err := engine.OpenRoot(scratch, nil, nil, "")
		if err != nil {
			os.RemoveAll(scratch)
			stop()
			return nil, err
		}
		stops = append(stops, func() { root.Close(); os.RemoveAll(scratch) })
		runner, err := remote.NewWorker(remote.WorkerOptions{
			JetStream: d.bus.JetStream(), Bus: d.bus.Name(), Concurrency: n, Local: true,
			// Revisions this owner made are provided (install); an older
			// one, from before a restart, loads like a worker's would.
			Load:   remote.ConfigLoader("", n, d.log),
			Grace:  d.opts.Grace,
			Logger: d.log,
		})
		if err != nil {
			stop()
			return nil, err
		}
		d.runnerRoot = root
		rctx, cancelRunner := context.WithCancel(context.WithoutCancel(ctx))
		runnerDone := make(chan struct{})
		d.mu.Lock()
		d.runner = runner
		d.mu.Unlock()
		go func() {
			defer close(runnerDone)
			runner.Run(rctx)
		}()
		stops = append(stops, func() { cancelRunner(); <-runnerDone })
	}
	d.owner = owner
	// Again, now with jobs: the current rules get their revision.
	d.install(d.cfg, d.rules, d.plugins)
	return stop, nil
}

// publishRevision publishes cfg's revision for the workers and returns its
// id ("" when it could not: the files are then processed here).
func (d *Daemon) publishRevision(cfg *config.Config, plugins *plugin.Set) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Workers load it as if from the owner's path: absolute.
	file := filepath.Join(cfg.Dir, filepath.Base(cfg.File))
	rev, err := d.owner.Publish(ctx, remote.Revision{File: file, Config: cfg.Raw, Plugins: plugins.Digests()})
	if err != nil {
		d.log.Error("scale-out: this configuration's rules run here until the next reload", "err", err)
		return ""
	}
	d.log.Info("scale-out: configuration revision published", "revision", rev[:12])
	return rev
}

// runnerRuntime is the owner's runner's engine for rules: the same rules,
// on a scratch root, with no circuit breakers (the owner's engine asks
// them before it sends the job).
func (d *Daemon) runnerRuntime(cfg *config.Config, rules *rule.Set) *remote.Runtime {
	runner := sandbox.NewRunner(d.runnerRoot.Dir, ruleset.Commands(cfg), cfg.Security.Env, sandbox.DefaultOutputCap)
	eng := engine.New(rules, engine.Options{
		Workers: cfg.Engine.Workers, MaxFileSize: int64(cfg.Engine.MaxFileSize),
		Logger: d.log, Clock: d.opts.Clock, Tracer: d.tracer,
		Commands: func(*engine.Root) action.CommandRunner { return runner },
		ActionDone: func(_, name string, dur time.Duration, _ error) {
			d.metrics.actionDur.WithLabelValues(name).Observe(dur.Seconds())
		},
	})
	return &remote.Runtime{Engine: eng, Root: d.runnerRoot}
}

func (d *Daemon) remoteStatus(ctx context.Context, errs map[string]string) *RemoteStatus {
	d.mu.RLock()
	rev := d.revision
	d.mu.RUnlock()
	s := d.owner.Stats()
	st := &RemoteStatus{Revision: rev[:min(len(rev), 12)], Waiting: s.Waiting, Sent: s.Sent, Direct: s.Direct, Dropped: s.Dropped, Untaken: s.Untaken, Workers: []remote.WorkerInfo{}}
	if n, err := d.owner.Jobs(ctx); err == nil {
		st.Jobs = n
	} else {
		errs["remote_jobs"] = err.Error()
	}
	if ws, err := d.owner.Workers(ctx); err == nil && ws != nil {
		st.Workers = ws
	} else if err != nil {
		errs["remote_workers"] = err.Error()
	}
	return st
}
