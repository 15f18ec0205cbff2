package config

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
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
	cur := doc
	if ptr != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch c := cur.(type) {
			case map[string]any:
				cur = c[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(c) {
					return nil
				}
				cur = c[i]
			default:
				return nil
			}
		}
	}
	m, _ := cur.(map[string]any)
	return m
}

// propertyNames lists the keys a schema object declares, sorted.
func propertyNames(s map[string]any) []string {
	props, _ := s["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
