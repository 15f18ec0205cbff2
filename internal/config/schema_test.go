package config

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestSchemaDocumentsEverything walks the schema: every property has a
// description (they are the reference docs) and every object schema with
// properties rejects unknown keys.
func TestSchemaDocumentsEverything(t *testing.T) {
	var doc any
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	props := 0
	var walk func(v any, where string)
	walk = func(v any, where string) {
		switch x := v.(type) {
		case map[string]any:
			if ps, ok := x["properties"].(map[string]any); ok {
				if x["additionalProperties"] != false {
					t.Errorf("%s: additionalProperties is not false", where)
				}
				for name, p := range ps {
					props++
					if d, _ := p.(map[string]any)["description"].(string); d == "" {
						t.Errorf("%s/properties/%s has no description", where, name)
					}
				}
			}
			for k, c := range x {
				walk(c, where+"/"+k)
			}
		case []any:
			for i, c := range x {
				walk(c, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	walk(doc, "#")
	if props < 30 {
		t.Errorf("found only %d properties", props)
	}
	if s, _ := compiledSchema(); s == nil {
		t.Fatal("schema does not compile")
	}
}

// TestSchemaPatternsMatchParsers checks that what the schema's duration and
// size patterns accept, the parsers accept, and the other way round.
func TestSchemaPatternsMatchParsers(t *testing.T) {
	validate := func(field string, v any) bool {
		s, _ := compiledSchema()
		return s.Validate(map[string]any{"engine": map[string]any{field: v}}) == nil
	}
	for _, s := range []string{"0", "50ms", "2s", "1m30s", "1.5h", ".5s", "1us", "1µs", "3ns", "1h2m3s4ms", "fast", "", "5", "-1s", "1 s", "s", "1d", "1e3s"} {
		_, err := ParseDuration(s)
		if got := validate("settle", s); got != (err == nil) {
			t.Errorf("duration %q: schema accepts=%v, ParseDuration err=%v", s, got, err)
		}
	}
	for _, s := range []string{"0", "8MiB", "8 MiB", "1.5KiB", "10B", "3GB", "1kB", "1KB", "2TiB", "8mib", "8 ", " 8", "MiB", "1.5", "-1", "8M", "1..5KiB"} {
		_, err := ParseSize(s)
		if got := validate("max_file_size", s); got != (err == nil) {
			t.Errorf("size %q: schema accepts=%v, ParseSize err=%v", s, got, err)
		}
	}
}
