package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/ruleset"
	"github.com/scribe-md/scribe/internal/sandbox"
)

// project is a loaded configuration with its open roots.
type project struct {
	*ruleset.Set
	roots []*engine.Root
}

// configPath returns the configuration file to use: --config; else the
// nearest scribe.yaml (or .scribe.yaml, ...) in the current directory or its
// parents (config.FindUp); else, when PATH arguments were given, the nearest
// one in the first PATH or its parents (so `scribe check examples/vault` works
// from anywhere).
func configPath(g *globals, args []string) (string, error) {
	if g.config != "" {
		return g.config, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	p, err := config.FindUp(wd)
	if err != nil && len(args) > 0 && errors.Is(err, fs.ErrNotExist) {
		dir, aerr := filepath.Abs(args[0])
		if aerr != nil {
			return "", err
		}
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
		p, ferr := config.FindUp(dir)
		if ferr != nil {
			return "", err
		}
		// Messages name the file as the user would type it.
		if rel, rerr := filepath.Rel(wd, p); rerr == nil && !climbs(rel) {
			return rel, nil
		}
		return p, nil
	}
	return p, err
}

// loadConfig loads and fully validates the configuration: schema, semantics,
// plugin manifests and every rule (globs, regexes, conditions, action
// parameters). All errors come back together as config.Errors. Plugins are
// prepared, not started; prev (a running set being replaced, or nil) lends
// the plugins that did not change.
func loadConfig(g *globals, args []string, prev *plugin.Set) (*ruleset.Set, error) {
	path, err := configPath(g, args)
	if err != nil {
		return nil, fail(ExitUsage, err)
	}
	// Every stage reports what it finds, even when an earlier one found
	// problems: one `scribe config validate` lists them all.
	cfg, err := config.LoadAll(path)
	var errs config.Errors
	if cfg == nil || err != nil && !errors.As(err, &errs) {
		return nil, err
	}
	return ruleset.Load(cfg, errs, ruleset.Options{Logger: g.log, Previous: prev})
}

func loadProject(g *globals, args []string) (*project, error) {
	l, err := loadConfig(g, args, nil)
	if err != nil {
		return nil, err
	}
	cfg, rules := l.Config, l.Rules
	p := &project{Set: l}
	for _, r := range cfg.Roots {
		dir := r
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.Dir, dir)
		}
		state := stateDirIn(cfg, dir)
		root, err := engine.OpenRoot(dir, rules.Globs(cfg.Include), cfg.Exclude, state)
		if err != nil {
			p.close()
			return nil, fail(ExitUsage, fmt.Errorf("%w (roots are relative to %s)", err, cfg.Dir))
		}
		p.roots = append(p.roots, root)
	}
	return p, nil
}

// stateDirIn returns the state dir relative to rootDir if it lies inside it.
func stateDirIn(cfg *config.Config, rootDir string) string {
	sd := cfg.Engine.StateDir
	if !filepath.IsAbs(sd) {
		sd = filepath.Join(cfg.Dir, sd)
	}
	rel, err := filepath.Rel(rootDir, sd)
	if err != nil || rel == ".." || filepath.IsAbs(rel) || len(rel) > 2 && rel[:3] == "../" {
		return ""
	}
	return filepath.ToSlash(rel)
}

func (p *project) close() {
	p.Set.Close(context.Background())
	for _, r := range p.roots {
		r.Close()
	}
}

// closeRules closes the rules' actions and lets go of them: what they hold
// (link graphs, caches of every document) is garbage from here. The rules'
// ids, names and action names stay for the reports that list them (SARIF);
// closing again (close) skips the actions let go of.
func (p *project) closeRules() {
	p.Rules.Close(context.Background())
	for _, r := range p.Rules.Rules {
		for i := range r.Steps {
			r.Steps[i].Action = nil
		}
	}
}

func (p *project) engineOptions(g *globals, dry bool) engine.Options {
	env := p.Config.Security.Env
	cmds := ruleset.Commands(p.Config)
	runners := map[*engine.Root]action.CommandRunner{}
	for _, r := range p.roots {
		runners[r] = sandbox.NewRunner(r.Dir, cmds, env, commandOutputCap)
	}
	return engine.Options{
		Workers:     p.Config.Engine.Workers,
		MaxFileSize: int64(p.Config.Engine.MaxFileSize),
		DryRun:      dry,
		Logger:      g.log,
		Commands:    func(r *engine.Root) action.CommandRunner { return runners[r] },
	}
}

// commandOutputCap bounds what one command may print (stdout and stderr each).
const commandOutputCap = 16 << 20
