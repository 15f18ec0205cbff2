// Package template renders the text templates users write in action
// parameters: Go text/template with a few functions and a fixed set of data
// fields describing the file being processed.
//
// # Usage
//
// Parse a template once, when the configuration loads, and execute it for
// every file:
//
//	t, err := template.Parse("updated", `{{ now | date "2006-01-02" }}`)
//	if err != nil { ... }                    // names the template and the line
//	s, err := t.Execute(template.DataFor(in)) // per file
//
// # Data
//
// .Path is the file's slash path relative to its root, .Dir its directory
// ("." at the root), .Name its base name without extension, .Ext the extension
// with its dot. .Match maps "0", "1", … and each named group of the rule's
// regex match to its text. .FM is the front matter.
//
// A missing key renders as the empty string, never as "<no value>" and never as
// an error: `{{ .FM.missing }}`, `{{ .FM.a.b }}` with no a, `{{ .Match.nope }}`
// all render "". A time.Time value (a YAML date in front matter) renders as
// 2006-01-02 when it is midnight UTC, else as RFC 3339.
//
// # Functions
//
//	now                  the run's time (Data.Now: the engine's clock, fixed in tests)
//	date LAYOUT TIME     format TIME (time.Time, or a string in RFC 3339, 2006-01-02T15:04 or 2006-01-02) with a Go layout
//	lower, upper, trim   case and surrounding white space
//	replace OLD NEW S    every OLD in S replaced by NEW
//	default DEF V        DEF when V is missing, "" or an empty list/map (false and 0 are values)
//	slug                 "Café Crème!" → "cafe-creme"
//	raw V                V unescaped in a Markdown template (below); elsewhere, V
//
// # Markdown templates
//
// ParseMarkdown parses a template whose output is Markdown built from other
// files' data (the index action's entries). Each printed value is escaped for
// its context, read from the template text around it: plain text, a link
// target (percent-encoded; a javascript:, data: or other unsafe scheme at its
// start becomes #unsafe-url), a link title, a code span, a wiki link, a quoted
// HTML attribute. `raw` opts a value out. markdown.go has the table, and the
// tests check the escaping against an independent CommonMark renderer.
//
// # Concurrency
//
// A Template is immutable after Parse and safe for concurrent Execute calls.
// Each call borrows one of a pool of clones, so `now` can return the calling
// file's time without a lock. Execution cannot be interrupted (text/template
// has no cancellation); output is capped at MaxOutput bytes, and the engine's
// per-action deadline abandons a runaway call.
package template
