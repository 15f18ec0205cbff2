package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/cli"
)

// fullSchema compiles what `scribe config schema` prints.
func fullSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	code, out, errOut := scribe(t, "config", "schema")
	if code != cli.ExitOK {
		t.Fatalf("config schema: exit %d %s", code, errOut)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("config schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("https://scribe-md.github.io/scribe/config.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("https://scribe-md.github.io/scribe/config.schema.json")
	if err != nil {
		t.Fatalf("config schema does not compile: %v", err)
	}
	return s
}

// configWith is a configuration with one rule holding one action, as JSON
// values the validator takes.
func configWith(t *testing.T, actionYAML string) any {
	t.Helper()
	var act any
	if err := yaml.Unmarshal([]byte(actionYAML), &act); err != nil {
		t.Fatalf("%v\n%s", err, actionYAML)
	}
	b, err := json.Marshal(map[string]any{"version": 1, "rules": []any{map[string]any{"id": "r", "actions": []any{act}}}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestConfigSchemaDescribesActions: the schema editors get describes every
// built-in action's parameters: each action's documented example is valid,
// parameters of the wrong shape are not, and a plugin's action still is.
func TestConfigSchemaDescribesActions(t *testing.T) {
	s := fullSchema(t)
	for _, name := range action.Names() {
		spec, _ := action.Lookup(name)
		if spec.Example == "" {
			t.Errorf("%s has no example to check", name)
			continue
		}
		if err := s.Validate(configWith(t, spec.Example)); err != nil {
			t.Errorf("%s: its documented example fails the schema:\n%s\n%v", name, spec.Example, err)
		}
		// frontmatter.set takes any field names: they are the fields it sets.
		if err := s.Validate(configWith(t, name+": {no_such_parameter: 1}")); err == nil && name != "frontmatter.set" {
			t.Errorf("%s: the schema accepts an unknown parameter", name)
		}
	}
	for _, bad := range []string{
		"replace: {with: 3}",
		"frontmatter.set: [a, b]",
		"log: {message: hi, level: loud}",
		"exec: {command: []}",
	} {
		if err := s.Validate(configWith(t, bad)); err == nil {
			t.Errorf("the schema accepts %s", bad)
		}
	}
	if err := s.Validate(configWith(t, "wordcount.stamp: {field: words}")); err != nil {
		t.Errorf("a plugin action is refused: %v", err)
	}
}
