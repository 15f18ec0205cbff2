package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/rule"
	"github.com/scribe-md/scribe/internal/sandbox"
)

// project is a loaded configuration with its compiled rules and open roots.
type project struct {
	cfg   *config.Config
	rules *rule.Set
	roots []*engine.Root
	pool  *action.Pool
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
		if rel, rerr := filepath.Rel(wd, p); rerr == nil && !strings.HasPrefix(rel, "..") {
			return rel, nil
		}
		return p, nil
	}
	return p, err
}

// loadConfig loads and fully validates the configuration: schema, semantics
// and every rule (globs, regexes, conditions, action parameters). All errors
// come back together as config.Errors.
func loadConfig(g *globals, args []string) (*config.Config, *rule.Set, *action.Pool, error) {
	path, err := configPath(g, args)
	if err != nil {
		return nil, nil, nil, fail(ExitUsage, err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, nil, err
	}
	pool := action.NewPool(cfg.Engine.Workers)
	rules, err := rule.Compile(cfg, buildContext(cfg, pool))
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, rules, pool, nil
}

func buildContext(cfg *config.Config, pool *action.Pool) action.Build {
	cmds := map[string]string{}
	for _, c := range cfg.Security.Commands {
		cmds[c.Name] = c.Path
	}
	return action.Build{
		ConfigDir: cfg.Dir,
		Commands:  cmds,
		Timeout:   cfg.Engine.ActionTimeout.Std(),
		Pool:      pool,
		Shared:    action.NewShared(),
	}
}

func loadProject(g *globals, args []string) (*project, error) {
	cfg, rules, pool, err := loadConfig(g, args)
	if err != nil {
		return nil, err
	}
	p := &project{cfg: cfg, rules: rules, pool: pool}
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
	p.closeRules()
	for _, r := range p.roots {
		r.Close()
	}
}

// closeRules closes the rules' actions and lets go of them.
func (p *project) closeRules() {
	if p.rules != nil {
		p.rules.Close(context.Background())
		p.rules = nil
	}
}

func (p *project) engineOptions(g *globals, dry bool) engine.Options {
	env := p.cfg.Security.Env
	cmds := map[string]string{}
	for _, c := range p.cfg.Security.Commands {
		cmds[c.Name] = c.Path
	}
	runners := map[*engine.Root]action.CommandRunner{}
	for _, r := range p.roots {
		runners[r] = sandbox.NewRunner(r.Dir, cmds, env, commandOutputCap)
	}
	return engine.Options{
		Workers:     p.cfg.Engine.Workers,
		MaxFileSize: int64(p.cfg.Engine.MaxFileSize),
		DryRun:      dry,
		Logger:      g.log,
		Commands:    func(r *engine.Root) action.CommandRunner { return runners[r] },
	}
}

// commandOutputCap bounds what one command may print (stdout and stderr each).
const commandOutputCap = 16 << 20
