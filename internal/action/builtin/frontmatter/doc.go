// Package frontmatter holds the built-in actions on a file's front matter
// (doc/actions/core.md):
//
//   - frontmatter.set: set fields, string values rendered as templates per
//     file. YAML mappings have no order, so fields apply in sorted key order:
//     existing keys change where they stand, new keys are appended sorted.
//   - frontmatter.delete: remove fields.
//   - frontmatter.validate: check the front matter against a JSON Schema, a
//     file (YAML or JSON; its $refs may name files in its own folder and
//     the configuration's, nothing else) or inline; one finding per
//     violation, at the offending key.
//
// Edits go through internal/markdown, which keeps every byte it does not
// change. Front matter that is not valid YAML is never rewritten: set and
// delete report it as a finding and leave the file as it is.
//
// Each action is immutable after construction and safe for concurrent use
// (see package builtin).
package frontmatter
