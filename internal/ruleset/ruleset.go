package ruleset

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/rule"
)

// Set is a configuration with its plugins (prepared, not started) and its
// compiled rules.
type Set struct {
	Config  *config.Config
	Plugins *plugin.Set
	Rules   *rule.Set
}

// Close releases the rules' resources and stops the plugins.
func (s *Set) Close(ctx context.Context) {
	s.Rules.Close(ctx)
	s.Plugins.Close(ctx)
}

// Options configure Load.
type Options struct {
	Logger *slog.Logger
	// Previous is a running plugin set being replaced (a reload), or nil:
	// it lends the plugins that did not change.
	Previous *plugin.Set
}

// Load loads cfg's plugins and compiles its rules. cfgErrs are the
// configuration's own errors (config.LoadAll's): every stage runs anyway
// and reports what it finds, so that one `scribe config validate` lists
// every problem; they all come back together as config.Errors, in file
// order, one per field.
func Load(cfg *config.Config, cfgErrs config.Errors, opts Options) (*Set, error) {
	plugins, err := plugin.Load(cfg, plugin.Options{Logger: opts.Logger, Previous: opts.Previous})
	if err != nil {
		var perrs config.Errors
		if !errors.As(err, &perrs) {
			return nil, err
		}
		return nil, merge(cfg, cfgErrs, perrs)
	}
	b := Build(cfg)
	b.Plugins = plugins.Specs()
	rules, err := rule.Compile(cfg, b)
	if err != nil {
		plugins.Retire(context.Background(), opts.Previous)
		var rerrs config.Errors
		if !errors.As(err, &rerrs) {
			return nil, err
		}
		return nil, merge(cfg, cfgErrs, rerrs)
	}
	if len(cfgErrs) > 0 {
		rules.Close(context.Background())
		plugins.Retire(context.Background(), opts.Previous)
		return nil, cfgErrs
	}
	return &Set{Config: cfg, Plugins: plugins, Rules: rules}, nil
}

// Build is the action.Build cfg implies (its Plugins are for the caller to
// add).
func Build(cfg *config.Config) action.Build {
	return action.Build{
		ConfigDir: cfg.Dir,
		Commands:  Commands(cfg),
		Timeout:   cfg.Engine.ActionTimeout.Std(),
		Shared:    action.NewShared(),
	}
}

// Commands maps each allow-listed command's name to its resolved path.
func Commands(cfg *config.Config) map[string]string {
	cmds := make(map[string]string, len(cfg.Security.Commands))
	for _, c := range cfg.Security.Commands {
		cmds[c.Name] = c.Path
	}
	return cmds
}

// merge adds a later stage's errors to the configuration's own, leaving
// out those about fields that already have one, in file order.
func merge(cfg *config.Config, errs, more config.Errors) config.Errors {
	out := slices.Clone(errs)
	for _, e := range more {
		if !cfg.Invalid(e.Path) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b *config.Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return out
}
