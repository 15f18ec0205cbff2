package markdown

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// normalize converts a Go value to the types Parse returns (see Parse), so
// that values can be compared with what a file holds. It rejects what YAML
// front matter cannot hold.
func normalize(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("value nests deeper than %d levels (is it cyclic?)", maxDepth)
	}
	switch x := v.(type) {
	case nil, bool, int, float64, time.Time:
		return x, nil
	case string:
		if !utf8.ValidString(x) {
			return nil, fmt.Errorf("string %q is not valid UTF-8", x)
		}
		return x, nil
	case []byte:
		return nil, fmt.Errorf("unsupported value type []byte; convert it to a string")
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			n, err := normalize(item, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			if !utf8.ValidString(k) {
				return nil, fmt.Errorf("key %q is not valid UTF-8", k)
			}
			n, err := normalize(item, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return normalize(rv.Elem().Interface(), depth+1)
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		return normalize(rv.String(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return normalizeInt(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return normalizeInt(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			n, err := normalize(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("unsupported value type %T: mapping keys must be strings", v)
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			k := it.Key().String()
			if !utf8.ValidString(k) {
				return nil, fmt.Errorf("key %q is not valid UTF-8", k)
			}
			n, err := normalize(it.Value().Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// encode writes a normalized value as YAML on one line: scalars, and lists
// and mappings in flow style. quote is the quote character (double or
// single) a string keeps when it can, or 0 to write it plain when possible.
func encode(buf []byte, v any, flow bool, quote byte) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case uint64:
		return strconv.AppendUint(buf, x, 10), nil
	case float64:
		return appendFloat(buf, x), nil
	case string:
		return appendString(buf, x, flow, quote), nil
	case time.Time:
		if x.Year() < 0 || x.Year() > 9999 {
			return nil, fmt.Errorf("time %v is outside the years 0 to 9999 that RFC 3339 can write", x)
		}
		text := TimeText(x)
		if flow && len(text) > len(time.DateOnly) {
			// Inside a flow mapping a parser may split a plain "a:b" (even
			// nested in a list) into a key and a value; the tagged string
			// form reads back as the same time everywhere.
			return append(append(append(buf, `!!timestamp "`...), text...), '"'), nil
		}
		return append(buf, text...), nil
	case []any:
		buf = append(buf, '[')
		for i, item := range x {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			var err error
			if buf, err = encode(buf, item, true, 0); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // maps have no order; sorting keeps output stable
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendString(buf, k, true, 0)
			buf = append(buf, ": "...)
			var err error
			if buf, err = encode(buf, x[k], true, 0); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case []byte:
		return nil, fmt.Errorf("unsupported value type []byte")
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// appendFloat writes f so that it reads back as the same float: always with
// a '.' (the parser reads "1e+21" as a string and "1" as an integer).
func appendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, ".nan"...)
	case math.IsInf(f, 1):
		return append(buf, ".inf"...)
	case math.IsInf(f, -1):
		return append(buf, "-.inf"...)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if strings.IndexByte(s, '.') < 0 {
		if e := strings.IndexByte(s, 'e'); e >= 0 {
			s = s[:e] + ".0" + s[e:]
		} else {
			s += ".0"
		}
	}
	return append(buf, s...)
}

// appendString writes s plain when every YAML reader reads it back as the
// same string, else quoted: single-quoted when quote asks for it and s has no
// character that needs an escape, double-quoted otherwise.
func appendString(buf []byte, s string, flow bool, quote byte) []byte {
	switch {
	case quote == 0 && plainOK(s, flow):
		return append(buf, s...)
	case quote == '\'' && printable(s):
		buf = append(buf, '\'')
		buf = append(buf, strings.ReplaceAll(s, "'", "''")...)
		return append(buf, '\'')
	}
	return appendDoubleQuoted(buf, s)
}

// appendDoubleQuoted writes s double-quoted, escaping what is not printable.
func appendDoubleQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			buf = append(buf, '\\', byte(r))
		case r == '\n':
			buf = append(buf, `\n`...)
		case r == '\t':
			buf = append(buf, `\t`...)
		case r == '\r':
			buf = append(buf, `\r`...)
		case r < ' ' || r == 0x7F:
			buf = fmt.Appendf(buf, `\x%02X`, r)
		case r == ' ' || (r < utf8.RuneSelf) || unicode.IsPrint(r):
			buf = utf8.AppendRune(buf, r)
		case r <= 0xFFFF:
			buf = fmt.Appendf(buf, `\u%04X`, r)
		default:
			buf = fmt.Appendf(buf, `\U%08X`, r)
		}
	}
	return append(buf, '"')
}

// printable reports whether s has only spaces and printable characters.
func printable(s string) bool {
	for _, r := range s {
		if r != ' ' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// legacyWords are read as booleans by YAML 1.1 readers (many Markdown tools),
// so they are quoted even though YAML 1.2 reads them as strings.
var legacyWords = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
	"=": true, "<<": true,
}

// plainOK reports whether s can be written unquoted and be read back as the
// same string, by this package and by other YAML 1.1 and 1.2 readers. It
// errs on the side of quoting.
func plainOK(s string, flow bool) bool {
	return plainSyntax(s, flow) && !legacyWords[s] && !looksNumeric(s) && isString(resolvePlain(s))
}

// plainSyntax reports whether s can be written as a plain scalar at all.
func plainSyntax(s string, flow bool) bool {
	if s == "" || strings.IndexByte("-?:,[]{}#&*!|>'\"%@` \t", s[0]) >= 0 {
		return false
	}
	if last := s[len(s)-1]; last == ' ' || last == ':' || strings.HasPrefix(s, "...") {
		return false
	}
	// The parser takes "<<" anywhere in a flow key for a merge key.
	if !printable(s) || strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.Contains(s, "<<") {
		return false
	}
	// In a flow collection the parser (as YAML 1.1 did) ends a plain
	// scalar at a '?'.
	return !flow || !strings.ContainsAny(s, ",[]{}:#?")
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// looksNumeric reports whether some YAML reader might take s for a number:
// YAML 1.1 also has sexagesimal (1:30), exponents without a dot (1e3) and
// +.inf.
func looksNumeric(s string) bool {
	t := strings.TrimLeft(s, "+-")
	if t == "" {
		return false
	}
	if strings.EqualFold(t, ".inf") || strings.EqualFold(t, ".nan") {
		return true
	}
	if !isDigit(t[0]) && !(t[0] == '.' && len(t) > 1 && isDigit(t[1])) {
		return false
	}
	return strings.Trim(t, "0123456789abcdefABCDEFxXoO_.:+-") == ""
}

// validKey reports whether key can be written as a plain top-level key that
// YAML 1.2 reads as a string. Words that YAML 1.1 reads as booleans ("on",
// "y") are allowed: as keys they are common, and this package reads them as
// strings.
func validKey(key string) bool {
	return plainSyntax(key, false) && !strings.ContainsAny(key, ":#") && !looksNumeric(key) && isString(resolvePlain(key))
}

// equal reports whether two values (of the types Parse returns) are the
// same: times by instant, NaN equal to NaN.
func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || (math.IsNaN(x) && math.IsNaN(y)))
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case nil:
		return b == nil
	}
	switch b.(type) {
	case map[string]any, []any, time.Time, float64, []byte, nil:
		return false
	}
	return a == b
}
