// Package config loads, validates and documents Scribe's configuration file.
//
// A configuration is YAML, or JSON with the same shape. Load (or LoadBytes)
// reads it in stages and reports every problem of every stage it reaches,
// each with its file, line, column and field path:
//
//  1. parse: a syntax error stops here, as one Error;
//  2. convert the syntax tree to plain JSON values, recording the position
//     of every value and key (Config.Positions);
//  3. validate against the JSON Schema returned by Schema (unknown keys,
//     types, duration and size syntax, required fields), with messages in
//     plain words and "did you mean" hints;
//  4. decode into Config on top of the defaults of Default;
//  5. check what the schema cannot: duplicate rule ids and command names,
//     max_wait not shorter than settle, listen and bus addresses, and that
//     every security.commands path is absolute, exists, is a regular
//     executable file and cannot be changed by other users. Command.Path is
//     replaced by the resolved path (symlinks followed).
//
// What this package does not check is compiled later, by the stages that own
// it (globs, regular expressions, `when` expressions, action parameters); they
// report through Config.Errorf so that their errors carry positions too.
// LoadAll returns the configuration as far as it decoded along with its
// errors, so that those stages can run anyway and every problem is reported
// in one pass; Config.Invalid keeps them from reporting a field twice.
//
// Usage:
//
//	path, err := config.FindUp(".") // scribe.yaml, .scribe.yaml, ... here or above
//	if err != nil { ... }
//	cfg, err := config.Load(path)
//	var errs config.Errors
//	if errors.As(err, &errs) { for _, e := range errs { fmt.Println(e) } }
//
// # Concurrency
//
// Load, LoadBytes, Find, FindUp, Schema and Default are safe for concurrent use; the
// schema is compiled once, on first use. A returned *Config is not modified by
// this package afterwards and may be read from many goroutines.
package config
