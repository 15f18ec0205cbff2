package remote

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/ruleset"
	"github.com/scribe-md/scribe/internal/sandbox"
)

// ConfigLoader is the Loader of `scribe worker`: it loads a revision's
// bytes as the configuration file dir/NAME (dir "": the owner's own path,
// for workers installed with the same layout), so that plugin folders,
// schema files and security.commands resolve on this machine; it refuses
// the revision when a plugin's digest differs from the owner's. Each
// revision gets a scratch directory (its root and state dir), removed
// when the revision is closed. concurrency sizes the pool of plain
// actions.
func ConfigLoader(dir string, concurrency int, log *slog.Logger) Loader {
	return func(ctx context.Context, id string, rev Revision) (rt *Runtime, err error) {
		name := rev.File
		if dir != "" {
			name = filepath.Join(dir, filepath.Base(rev.File))
		}
		cfg, err := config.LoadBytes(name, rev.Config)
		if err != nil {
			return nil, fmt.Errorf("load the configuration as %s: %w", name, err)
		}
		scratch, err := os.MkdirTemp("", "scribe-worker-")
		if err != nil {
			return nil, err
		}
		var closers []func()
		closeAll := func() {
			for _, c := range slices.Backward(closers) {
				c()
			}
		}
		closers = append(closers, func() { os.RemoveAll(scratch) })
		defer func() {
			if err != nil {
				closeAll()
			}
		}()
		cfg.Engine.StateDir = filepath.Join(scratch, "state")
		set, err := ruleset.Load(cfg, nil, ruleset.Options{Logger: log})
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { set.Close(context.Background()) })
		if d := set.Plugins.Digests(); !maps.Equal(d, rev.Plugins) {
			return nil, fmt.Errorf("plugins differ from the owner's (%s): install the same plugin versions on this worker", diffDigests(rev.Plugins, d))
		}
		if err := set.Plugins.Start(ctx); err != nil {
			return nil, fmt.Errorf("start plugins: %w", err)
		}
		cmds := ruleset.Commands(cfg)
		work := filepath.Join(scratch, "root")
		if err := os.Mkdir(work, 0o700); err != nil {
			return nil, err
		}
		root, err := engine.OpenRoot(work, nil, nil, "")
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { root.Close() })
		runner := sandbox.NewRunner(root.Dir, cmds, cfg.Security.Env, sandbox.DefaultOutputCap)
		eng := engine.New(set.Rules, engine.Options{
			Workers: max(concurrency, 1), MaxFileSize: int64(cfg.Engine.MaxFileSize),
			Logger:   log.With("revision", short(id)),
			Commands: func(*engine.Root) action.CommandRunner { return runner },
		})
		return &Runtime{Engine: eng, Root: root, Close: closeAll}, nil
	}
}

// diffDigests names the plugins whose digests differ.
func diffDigests(owner, here map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(owner)) {
		switch h, ok := here[k]; {
		case !ok:
			out = append(out, k+": missing here")
		case h != owner[k]:
			out = append(out, fmt.Sprintf("%s: sha256 %s here, %s on the owner", k, short(h), short(owner[k])))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(here)) {
		if _, ok := owner[k]; !ok {
			out = append(out, k+": not on the owner")
		}
	}
	return strings.Join(out, "; ")
}
