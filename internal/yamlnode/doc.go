// Package yamlnode parses one YAML document into a go.yaml.in/yaml/v3 node
// tree, with bounds checked before parsing and every error placed at a line
// and column, and resolves plain scalars as the YAML 1.2 core schema does.
//
// It is the one door through which Scribe reads YAML: the configuration
// (internal/config), front matter (internal/markdown) and schema files of
// frontmatter.validate. Each caller keeps its own walk over the tree (the
// configuration records a position per field, front matter reads dates), and
// each walk counts the values it produces, aliases expanded, against its own
// budget.
//
// # Bounds
//
// Check runs before the parser and looks at bytes only: the size, and the
// nesting depth estimated from indentation, sequence dashes and brackets (an
// upper bound). A hostile file (a 200 KB staircase of nested mappings, ten
// thousand open brackets) is refused in microseconds instead of reaching the
// parser. Aliases cost nothing to parse (the tree keeps them as references);
// their expansion is bounded by the walks.
//
// # Errors
//
// The parser reports a syntax error with a line only, sometimes the line
// where the enclosing construct began, and none on the first line. Parse
// turns it into an *Error with a line and a column: the line as the parser
// means it, and the column of the character the message names when it can be
// found on that line (an '@', a tab, an unknown alias), else of the line's
// first character.
//
// # Concurrency
//
// The package has no state; every function is safe for concurrent use.
package yamlnode
