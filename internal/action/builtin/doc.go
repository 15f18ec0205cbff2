// Package builtin gathers the actions that ship with Scribe. Each family
// lives in a sub-package of its own and joins the action registry in init(),
// with a JSON Schema of its parameters, a one-line summary and a YAML
// example; importing this package (for its side effects, all.go) imports
// every family:
//
//	import _ "github.com/scribe-md/scribe/internal/action/builtin"
//
// The families:
//
//   - frontmatter: frontmatter.set, frontmatter.delete, frontmatter.validate;
//   - text: replace, log;
//   - vault: links.check, naming (a rename rewrites the links to the file);
//   - index: index, catalog (derived from other documents' front matter);
//   - exec: allow-listed commands, as filters or checks;
//   - publish: events on the bus;
//   - pipeline: stages of actions, in sequence or in parallel.
//
// The tests of this package hold every built-in action to the registry's
// contract (a one-line summary, a strict schema, an example that passes it
// and constructs); each family tests its own behaviour, with the helpers of
// internal/action/actiontest.
//
// # Construction
//
// A constructor (Spec.New) runs when the configuration loads. It receives
// parameters that already passed the schema (action.DecodeParams reads them
// into the action's own struct), parses every template and regex and loads
// every schema file then, so a mistake is a configuration error that names
// the action and the field, not a failure on the first file. It has no side
// effects beyond reading files named by the parameters.
//
// # Concurrency
//
// An action is immutable after construction, or guards what it keeps
// between calls (the link graph of vault, the document cache of index); the
// engine calls Run from many goroutines at once, each with its own Input.
// Run checks its context before expensive work and returns an Output with
// nil Content when the file is unchanged. Actions never panic on any input:
// malformed front matter or a template that fails on a file's data is an
// error for that file.
package builtin
