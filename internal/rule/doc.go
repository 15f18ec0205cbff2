// Package rule compiles the rules of a configuration into matchers and action
// chains, and answers "does this rule apply to this file?".
//
// Matching is pure: no I/O, no goroutines. A rule applies to a file when its
// globs match the path (relative to the file's root), its regex matches the
// content, and its condition holds on the front matter. Globs are doublestar
// patterns; regexes are RE2; conditions are expr-lang expressions over `fm`
// (front matter; a missing field is nil), `path` and `match` (groups by number
// and name), type-checked to return a boolean when the configuration loads.
//
// ExplainPath, Files, Pattern, Condition and Inputs say what that decision
// looked at (which glob matched, which front-matter values the condition
// read), for `scribe explain`; MatchPath is ExplainPath, so the two never
// disagree.
//
// A compiled Set is immutable and safe for concurrent use. Its actions are too,
// by the action contract.
package rule
