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
