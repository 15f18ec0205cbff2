// Package fmexpr makes front matter read in expr expressions (a rule's
// `when`, an index's `where`) behave as the front matter of real vaults
// needs: fields are often missing, and a list of one is often written as a
// plain value (`tags: draft` beside `tags: [draft, idea]`).
//
// Options returns the expr options that do it, by rewriting two kinds of
// comparison that read the front matter (fm.x, fm["x"], fm.a.b):
//
//   - An ordering comparison (<, >, <=, >=) with a missing field is false,
//     where expr fails on nil: `fm.priority >= 3` selects the notes with a
//     priority of 3 or more and no others. Values of different types (a
//     string and a number) still fail, with expr's message.
//   - `x in fm.tags`, where fm.tags is one value rather than a list, is
//     `x == fm.tags`, where expr fails on a string; a missing field is
//     false, as it was.
//
// And in an ordering comparison, text that is a date or a date and time
// (see Time) compares with a time as that time: YAML leaves a date-time
// without seconds or zone as text, and Obsidian writes its "Date & time"
// properties so (due: 2024-01-15T10:30), so `fm.due < now()` would fail on
// every such note.
//
// Everything else is expr's own: equality with nil (fm.x == nil), `??`,
// arithmetic and the built-in functions.
//
// Reads lists what an expression reads (fm.status, match.1, path), for
// `scribe explain`, for reading only those front-matter fields, and for
// Failure, the message of an expression that failed on a file: it quotes
// the expression and the values it read there.
//
// The package has no state; everything in it is safe for concurrent use.
package fmexpr
