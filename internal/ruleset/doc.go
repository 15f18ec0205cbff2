// Package ruleset turns a loaded configuration into what its rules need to
// run: its plugins loaded and its rules compiled, with the action.Build the
// configuration implies (its directory, its allow-listed commands, the
// default action timeout, state shared by its actions). It is the one place
// that derives them, for every command (`scribe run`, `check`, `watch`,
// `config validate`) and for the scale-out worker, which loads the owner's
// configuration from bytes.
//
// Usage:
//
//	cfg, err := config.LoadAll(path)
//	var errs config.Errors
//	if cfg == nil || err != nil && !errors.As(err, &errs) { return err }
//	set, err := ruleset.Load(cfg, errs, ruleset.Options{Logger: log})
//	if err != nil { return err } // every problem of every stage, as config.Errors
//	defer set.Close(ctx)
//
// # Concurrency
//
// Load and Build are safe for concurrent use; a Set is as safe as the
// plugin.Set and rule.Set it holds.
package ruleset
