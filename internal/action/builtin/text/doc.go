// Package text holds the built-in actions on a file's text
// (doc/actions/core.md):
//
//   - replace: regex replace (RE2, the rule's match by default) with
//     $1/${name} references and templates.
//   - log: log a templated message at a level.
//
// Each action is immutable after construction and safe for concurrent use
// (see package builtin).
package text
