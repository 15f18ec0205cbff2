package schemaerr_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/scribe-md/scribe/internal/schemaerr"
)

// A document breaking a schema in two places, one of them inside an anyOf:
// the leaves are the violations themselves, each with its location and an
// English message; the inner nodes are not.
func TestLeaves(t *testing.T) {
	schema, err := jsonschema.UnmarshalJSON(strings.NewReader(`{
		"type": "object",
		"properties": {
			"a": {"type": "integer", "minimum": 1},
			"b": {"anyOf": [{"type": "string"}, {"type": "boolean"}]}
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("s.json", schema); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("s.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"a": 0, "b": 3}`))
	if err != nil {
		t.Fatal(err)
	}
	var ve *jsonschema.ValidationError
	if err := s.Validate(doc); !errors.As(err, &ve) {
		t.Fatalf("validate: %v, want a ValidationError", err)
	}
	var got []string
	for _, e := range schemaerr.Leaves(ve) {
		if len(e.Causes) != 0 {
			t.Errorf("leaf at %v has causes", e.InstanceLocation)
		}
		got = append(got, "/"+strings.Join(e.InstanceLocation, "/")+": "+schemaerr.Message(e.ErrorKind))
	}
	// The validator checks an object's properties in map order.
	slices.Sort(got)
	want := []string{
		"/a: minimum: got 0, want 1",
		"/b: got number, want boolean",
		"/b: got number, want string",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("leaves:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// At follows a JSON pointer through objects and arrays, with ~0 and ~1
// read back as ~ and /, and Pointer writes them so.
func TestAtAndPointer(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"properties": {"a/b": {"items": [{"properties": {"x~y": {}, "b": {}}}]}}}`), &doc); err != nil {
		t.Fatal(err)
	}
	ptr := schemaerr.Pointer("properties", "a/b", "items", "0")
	if ptr != "/properties/a~1b/items/0" {
		t.Fatalf("Pointer = %q", ptr)
	}
	if got := schemaerr.PropertyNames(schemaerr.At(doc, ptr)); !slices.Equal(got, []string{"b", "x~y"}) {
		t.Fatalf("PropertyNames(At(%s)) = %v", ptr, got)
	}
	if schemaerr.At(doc, "") == nil || schemaerr.At(doc, "/properties/nope/items") != nil || schemaerr.At(doc, ptr[:len(ptr)-1]+"7") != nil {
		t.Fatal("At: the document itself, or nil where the pointer leads nowhere")
	}
}

// The configuration, plugin manifests and frontmatter.validate name types
// and values in the same words, those of a person who writes YAML.
func TestTypesAndValue(t *testing.T) {
	for _, c := range []struct {
		want []string
		text string
	}{
		{[]string{"string"}, "a string"},
		{[]string{"integer", "array"}, "a whole number or a list"},
		{[]string{"object", "boolean", "null", "number"}, "a mapping or true or false or nothing (null) or a number"},
	} {
		if got := schemaerr.Types(c.want); got != c.text {
			t.Errorf("Types(%q) = %q, want %q", c.want, got, c.text)
		}
	}
	for _, c := range []struct {
		v    any
		text string
	}{
		{nil, "nothing (null)"},
		{map[string]any{"a": 1}, "a mapping"},
		{[]any{1}, "a list"},
		{"a \"b\"", `"a \"b\""`},
		{int64(42), "42"},
		{1.5e21, "1.5e+21"},
		{true, "true"},
	} {
		if got := schemaerr.Value(c.v); got != c.text {
			t.Errorf("Value(%#v) = %q, want %q", c.v, got, c.text)
		}
	}
}
