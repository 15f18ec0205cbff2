package config

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/scribe-md/scribe/internal/schemaerr"
)

//go:embed config.schema.json
var schemaJSON []byte

// schemaURL is the schema's $id; the compiler needs an absolute location.
const schemaURL = "https://scribe-md.github.io/scribe/config.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the configuration file.
// Its descriptions are the reference documentation of every setting. The
// caller may keep but must not modify the result.
func Schema() []byte { return schemaJSON }

// compiledSchema compiles the embedded schema once; the document is also kept
// as plain values to look up property names and descriptions for messages.
var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, any) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		panic(fmt.Sprintf("config: embedded schema is not JSON: %v", err))
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		panic(fmt.Sprintf("config: embedded schema: %v", err))
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		panic(fmt.Sprintf("config: embedded schema does not compile: %v", err))
	}
	return s, doc
})

// schemaAt returns the schema object at a JSON pointer into the schema
// document ("/$defs/engine"), or nil.
func schemaAt(ptr string) map[string]any {
	_, doc := compiledSchema()
	return schemaerr.At(doc, ptr)
}

// ActionDoc is one action kind for FullSchema: its name (the config key),
// one line saying what it does, and the JSON Schema of its parameters.
type ActionDoc struct {
	Name    string
	Summary string
	Schema  []byte
}

// FullSchema returns Schema with the parameters of every action in actions
// described under its name, so that an editor validates a rule's actions
// and completes their parameters (`scribe config schema`). Names not listed
// (a plugin's actions) are still accepted, with any parameters, as Schema
// accepts them: `scribe config validate` checks those. Loading a
// configuration validates against Schema, then each action checks its own
// parameters, so the errors carry the action's own words.
func FullSchema(actions []ActionDoc) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(schemaJSON, &doc); err != nil {
		return nil, err
	}
	act, _ := doc["$defs"].(map[string]any)["action"].(map[string]any)
	props, _ := act["properties"].(map[string]any)
	if act == nil || props == nil {
		return nil, fmt.Errorf("config: the embedded schema has no $defs/action/properties")
	}
	for _, a := range actions {
		var s map[string]any
		if err := json.Unmarshal(a.Schema, &s); err != nil {
			return nil, fmt.Errorf("action %s: its parameter schema is not a JSON object: %w", a.Name, err)
		}
		// A subschema is not a resource of its own: it takes the
		// dialect of the document it is embedded in.
		delete(s, "$schema")
		delete(s, "$id")
		desc := "Parameters of " + a.Name
		if a.Summary != "" {
			desc = a.Name + ": " + a.Summary
		}
		if d, ok := s["description"].(string); ok && d != "" {
			desc += ". " + d
		}
		s["description"] = desc
		props[a.Name] = s
	}
	if pp, ok := act["patternProperties"].(map[string]any); ok {
		for _, v := range pp {
			if m, ok := v.(map[string]any); ok {
				m["description"] = "Another action (a plugin's, named PLUGIN.ACTION) and its parameters, which `scribe config validate` checks against the plugin's manifest."
			}
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}
