// Package schemaerr reads the errors of the JSON Schema validator
// (github.com/santhosh-tekuri/jsonschema/v6) one way for every schema
// Scribe checks: the configuration, plugin manifests, action parameters
// and frontmatter.validate's schemas. Each phrases a violation in its own
// words (a field path with a hint, a JSON pointer, a finding), from the
// same leaves and the validator's same English message, and names types
// and values in the same words (Types, Value: "a whole number", "a list",
// "nothing (null)"). At and
// PropertyNames find, in a schema, the object an error's SchemaURL names and
// the keys it declares (for a "did you mean"); Pointer writes an instance
// location back as a JSON pointer.
package schemaerr
