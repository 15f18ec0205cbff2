// Package builtin holds the actions that ship with Scribe. Each lives in its
// own file and joins the action registry in init(), with a JSON Schema of its
// parameters, a one-line summary and a YAML example; importing the package
// (for its side effects) makes them all available:
//
//	import _ "github.com/scribe-md/scribe/internal/action/builtin"
//
// # Front matter and text
//
//   - frontmatter.set: set fields, string values rendered as templates per
//     file. YAML mappings have no order, so fields apply in sorted key order:
//     existing keys change where they stand, new keys are appended sorted.
//   - frontmatter.delete: remove fields.
//   - frontmatter.validate: check the front matter against a JSON Schema.
//   - replace: regex replace with $1/${name} references and templates.
//   - log: log a templated message.
//
// The other files add links.check, naming, index, catalog, exec, publish and
// pipeline; each documents its own parameters.
//
// # Construction
//
// A constructor (Spec.New) runs when the configuration loads. It receives
// parameters that already passed the schema, parses every template and regex
// and loads every schema file then, so a mistake is a configuration error
// that names the action and the field, not a failure on the first file. It
// has no side effects beyond reading files named by the parameters.
//
// # Concurrency
//
// An action is immutable after construction; the engine calls Run from many
// goroutines at once, each with its own Input. Run checks its context before
// expensive work and returns an Output with nil Content when the file is
// unchanged. Actions never panic on any input: malformed front matter or a
// template that fails on a file's data is an error for that file.
package builtin
