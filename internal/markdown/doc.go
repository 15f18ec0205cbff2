// Package markdown reads and edits the front matter of Markdown files without
// disturbing anything else in them.
//
// Front matter is a YAML block at the very top of a file (after a UTF-8 BOM,
// if any), between a "---" line and the next "---" or "..." line:
//
//	---
//	title: Notes   # shown in the index
//	tags: [a, b]
//	---
//	# The body starts here
//
// Find locates the block by looking at bytes only; Parse returns its fields;
// Set and Delete change top-level keys; Body and BodyLine give the rest of
// the file and the line it starts on.
//
// # Editing
//
// Set and Delete splice bytes: they replace the value of a touched key, or
// remove its lines, or append lines at the end of the block, and keep every
// other byte as it was (comments, blank lines, key order, quoting,
// indentation, CRLF line endings, a BOM, a missing final newline). New
// values are written on one line, lists and mappings in flow style. Every
// result is parsed again and compared with what was asked before it is
// returned, so an input laid out in a way the editor does not understand
// gives an error, never a damaged file. Set and Delete return content itself
// when nothing changes, which makes them idempotent: Set(Set(c, f), f) is
// Set(c, f).
//
// # Values
//
// Parse follows YAML 1.2 as implemented by github.com/goccy/go-yaml ("yes"
// is a string, 0x1F an integer), with one addition that Markdown tools
// expect: an unquoted timestamp (2026-01-02, 2026-01-02T15:04:05Z) is a
// time.Time; quoted, it is a string. Set quotes every string that some YAML
// reader (1.1 or 1.2) could take for something else, so a string set stays
// a string everywhere.
//
// Most front matter is simple `key: value` lines; Parse reads those with a
// small dedicated scanner and uses the full YAML parser only when the
// scanner meets anything else. A fuzz test keeps the two in agreement.
//
// # Limits
//
// Front matter is limited to 64 KiB, nesting to 1000 levels and alias
// expansion to about a million values, so that a hostile file costs at most
// a fraction of a second, not minutes or gigabytes: the YAML parser's time
// grows with the square of a mapping's size. A panic inside the YAML parser
// is turned into an error.
//
// # Concurrency
//
// The package has no state: every function is safe for concurrent use and
// starts no goroutines. Results never alias their input, except where a
// function returns content itself (unchanged) or a sub-slice of it (Body).
package markdown
