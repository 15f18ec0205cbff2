package schemaerr

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Leaves returns the violations at the ends of ve's tree of causes: the
// ones a user can act on (the inner nodes say only that a subschema
// failed). They come in the validator's order, which follows map order for
// an object's properties: a caller that shows them sorts them.
func Leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	var out []*jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

// printer renders the validator's messages in English.
var printer = message.NewPrinter(language.English)

// Message is the validator's English wording of a violation.
func Message(k jsonschema.ErrorKind) string { return k.LocalizedString(printer) }

// Types phrases the JSON types a violation wants for people who write
// YAML, joined with "or": "a whole number or a list".
func Types(want []string) string {
	words := make([]string, len(want))
	for i, w := range want {
		words[i] = typeName(w)
	}
	return strings.Join(words, " or ")
}

// typeName is one JSON type's name in a YAML writer's words.
func typeName(t string) string {
	switch t {
	case "integer":
		return "a whole number"
	case "array":
		return "a list"
	case "object":
		return "a mapping"
	case "boolean":
		return "true or false"
	case "null":
		return "nothing (null)"
	}
	return "a " + t
}

// Value describes a decoded value (YAML or JSON) as an error shows what it
// got: a mapping, a list, nothing (null), or the value itself, a string
// quoted.
func Value(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing (null)"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return strconv.Quote(x)
	}
	return fmt.Sprint(v)
}

// At returns the schema object at the JSON pointer ptr of doc, a schema as
// JSON decodes it ("" for doc itself, the fragment of an error's
// SchemaURL), or nil when there is none.
func At(doc any, ptr string) map[string]any {
	if ptr != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch c := doc.(type) {
			case map[string]any:
				doc = c[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(c) {
					return nil
				}
				doc = c[i]
			default:
				return nil
			}
		}
	}
	m, _ := doc.(map[string]any)
	return m
}

// PropertyNames lists the keys a schema object declares ("properties"),
// sorted.
func PropertyNames(s map[string]any) []string {
	props, _ := s["properties"].(map[string]any)
	return slices.Sorted(maps.Keys(props))
}

// Pointer is the JSON pointer of the path segments: what an error's
// InstanceLocation names.
func Pointer(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(s))
	}
	return b.String()
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")
