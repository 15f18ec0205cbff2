package action

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// DurationPattern is a JSON Schema pattern (for a parameter schema's
// "pattern") that matches Go duration syntax: "300ms", "1m30s".
const DurationPattern = `^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`

// DecodeParams decodes parameters that passed the action's schema into v, a
// pointer to the constructor's own struct with json tags. Nil parameters
// (an action written with no value) leave v as it is. A field the struct
// does not know is an error, so a schema and its struct cannot drift apart
// unnoticed.
func DecodeParams(params any, v any) error {
	if params == nil {
		return nil
	}
	b, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("invalid parameters: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid parameters: %w", err)
	}
	return nil
}
