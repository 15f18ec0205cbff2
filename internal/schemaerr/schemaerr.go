package schemaerr

import (
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
