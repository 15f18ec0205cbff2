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
// remove its lines, or append lines at the end of the block (before the
// blank lines it may end with), and keep every
// other byte as it was (comments, blank lines, key order, quoting,
// indentation, CRLF line endings, a BOM, a missing final newline). New
// values are written on one line, lists and mappings in flow style, except
// a list of scalars in place of a block list ("- a" lines, as Obsidian
// writes every list), or beside one, which is written as those are. Every
// result is parsed again and compared with what was asked before it is
// returned, so an input laid out in a way the editor does not understand
// gives an error, never a damaged file. Set and Delete return content itself
// when nothing changes, which makes them idempotent: Set(Set(c, f), f) is
// Set(c, f).
//
// # Values
//
// Parse reads YAML 1.2 (core schema) through internal/yamlnode and
// go.yaml.in/yaml/v3: "yes" is a string, 0777 is 777, 1e3 a float, an empty
// sequence entry ("- ") before a key at the list's indentation is null.
// One addition that Markdown tools expect: a date (2026-01-02) or an RFC
// 3339 timestamp (2026-01-02T15:04:05Z) is a time.Time, but only when
// TimeText writes it back exactly as written; other spellings stay the
// strings YAML 1.2 reads. Set quotes every string that some YAML reader (1.1
// or 1.2) could take for something else, so a string set stays a string
// everywhere. TestOracleAgreement compares Parse with the npm package yaml
// on thousands of generated blocks (see testdata/oracle).
//
// TOML front matter ("+++" fences, as Hugo writes it) is read and edited
// the same way: a replaced value's text, an added "key = value" line after
// the last top-level key, a deleted key's lines; go-toml's parser gives the
// byte ranges, and a differential test holds what Set writes to Python's
// tomllib. JSON front matter (an object at the top of the file) is read;
// Set and Delete refuse it.
//
// In a Logseq graph (the Logseq Dialect, see DialectOf) a page without a
// fenced block keeps its properties as "key:: value" lines at its top;
// FindAs, ParseAs, SetAs and DeleteAs read and edit those as its front
// matter (Format Properties).
//
// Most front matter is simple `key: value` lines; Parse reads those with a
// small dedicated scanner and uses the full YAML parser only when the
// scanner meets anything else. A fuzz test keeps the two in agreement.
//
// # Limits
//
// Front matter is limited to 64 KiB, nesting to 1000 levels (estimated on
// the bytes before the parser runs) and alias expansion to about a million
// values, so that a hostile file costs at most a fraction of a second, not
// minutes or gigabytes. A panic inside the YAML parser is turned into an
// error.
//
// # Concurrency
//
// The package has no state: every function is safe for concurrent use and
// starts no goroutines. Results never alias their input, except where a
// function returns content itself (unchanged) or a sub-slice of it (Body).
package markdown
