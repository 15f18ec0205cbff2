// Package escape makes file names and echoed text safe to print on a
// terminal and to put in JSON.
//
// A file name on Linux is any bytes but '/' and NUL, and a note's content is
// whatever its author (or an attacker who sent it) wrote: printed raw, an
// ESC sequence in either can clear the screen, retitle the terminal window or
// rewrite what was printed before it. Every place that prints a name or text
// from a file to a terminal (diffs, findings, status, history, logs) goes
// through Name or Text, which turn control characters and invalid UTF-8 into
// a readable, visible form:
//
//	C0 controls and DEL       \x1b, \x07, \x7f  (\t \n \r too, except in Text)
//	C1 controls               \u009b
//	bidirectional overrides   \u202e  (they reorder what is shown)
//	bytes that are not UTF-8  \xff
//
// Everything else, including a backslash, is left as it is, so ordinary
// names read unchanged. The escaped form is for reading, not for parsing:
// where the exact bytes matter (JSON reports, catalog.json) a name that is
// not valid UTF-8 is given escaped and also as base64 (see Base64).
//
// # Concurrency
//
// The functions are pure and safe for concurrent use.
package escape
