package markdown

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// parseTOML reads TOML front matter (between "+++" lines), whose first line
// is line line0 of the file. TOML types its values: integers, floats,
// booleans, strings, arrays and tables as in YAML; an offset date-time is a
// time.Time, a local date a date (midnight in time.UTC), and a local
// date-time or time the string TOML writes for it.
func parseTOML(src []byte, line0 int) (map[string]any, error) {
	if err := checkSize(src, line0); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := toml.Unmarshal(src, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, &Error{Line: line0 + max(row, 1) - 1, Column: max(col, 1), Message: "TOML: " + de.Error()}
		}
		return nil, &Error{Line: line0, Column: 1, Message: "TOML: " + err.Error()}
	}
	v, err := fromForeign(m, 0)
	if err != nil {
		return nil, &Error{Line: line0, Column: 1, Message: "TOML: " + err.Error()}
	}
	if v == nil {
		return map[string]any{}, nil
	}
	return v.(map[string]any), nil
}

// parseJSON reads JSON front matter (an object at the top of the file),
// whose first line is line line0. Numbers are int when they are integers
// that fit, float64 otherwise; strings stay strings (JSON has no dates).
func parseJSON(src []byte, line0 int) (map[string]any, error) {
	if err := checkSize(src, line0); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var m map[string]any
	err := dec.Decode(&m)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("text after the object")
		}
	}
	if err != nil {
		off := int(dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = int(se.Offset)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			off = int(te.Offset)
		}
		off = min(max(off, 0), len(src))
		line := bytes.Count(src[:off], []byte{'\n'})
		col := utf8.RuneCount(src[bytes.LastIndexByte(src[:off], '\n')+1 : off])
		return nil, &Error{Line: line0 + line, Column: max(col, 1), Message: "JSON: " + err.Error()}
	}
	v, err := fromForeign(m, 0)
	if err != nil {
		return nil, &Error{Line: line0, Column: 1, Message: "JSON: " + err.Error()}
	}
	if v == nil {
		return map[string]any{}, nil
	}
	return v.(map[string]any), nil
}

// fromForeign converts a value decoded from TOML or JSON to the types Parse
// returns.
func fromForeign(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("values nest deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case nil, bool, string, float64:
		return x, nil
	case int64:
		return normalizeInt(x), nil
	case json.Number:
		if i, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return normalizeInt(i), nil
		}
		if u, err := strconv.ParseUint(x.String(), 10, 64); err == nil {
			return normalizeInt(u), nil
		}
		f, err := x.Float64()
		if err != nil && !math.IsInf(f, 0) {
			return nil, err
		}
		return f, nil
	case time.Time:
		return x, nil
	case toml.LocalDate:
		return time.Date(x.Year, time.Month(x.Month), x.Day, 0, 0, 0, 0, time.UTC), nil
	case toml.LocalDateTime, toml.LocalTime:
		return fmt.Sprint(x), nil
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			c, err := fromForeign(item, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			c, err := fromForeign(item, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value %T", v)
}

// notEditable refuses to edit JSON front matter.
func notEditable(content []byte, b Block, op string) error {
	return &Error{Line: 1 + bytes.Count(content[:b.Start], []byte{'\n'}), Column: 1,
		Message: fmt.Sprintf("%s front matter is not supported for edits (%s): Scribe edits YAML and TOML front matter; convert the block to YAML (---) or edit it by hand", b.Format, op)}
}
