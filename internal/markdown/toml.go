package markdown

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2/unstable"
)

// tomlEntry is where a top-level key of TOML front matter has its value.
// Offsets are in the file.
type tomlEntry struct {
	valStart, valEnd    int  // the value's text
	lineStart, lineNext int  // the key-value's whole lines, newline included
	quote               byte // a one-line string value's quote, a double or a single quote; else 0
}

// tomlLayout is where the top-level keys of a TOML block are written.
type tomlLayout struct {
	keys map[string]tomlEntry
	// tables are top-level names written as a table: a [name] or [[name]]
	// header, or dotted keys (name.field = …), each with the offset of its
	// first such line. They are left alone.
	tables map[string]int
	// end is where a new top-level key goes: after the last top-level
	// key-value's line (before the first table, which ends the top level),
	// or at the block's start.
	end int
}

// newTOMLLayout maps the top-level key-values of b, a TOML block that Parse
// has read without error. The parser keeps each expression's byte range,
// which is what lets an edit touch one value and nothing else.
func newTOMLLayout(content []byte, b Block) (*tomlLayout, error) {
	l := &tomlLayout{keys: map[string]tomlEntry{}, tables: map[string]int{}, end: b.YAMLStart}
	table := func(name string, at int) {
		if _, seen := l.tables[name]; !seen {
			l.tables[name] = bytes.LastIndexByte(content[:at], '\n') + 1
		}
	}
	var p unstable.Parser
	p.Reset(content[b.YAMLStart:b.YAMLEnd])
	top := true
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			top = false
			it := e.Key()
			it.Next()
			table(string(it.Node().Data), b.YAMLStart+int(it.Node().Raw.Offset))
		case unstable.KeyValue:
			if !top {
				continue
			}
			var first, last *unstable.Node
			for it := e.Key(); it.Next(); {
				if first == nil {
					first = it.Node()
				}
				last = it.Node()
			}
			start := b.YAMLStart + int(e.Raw.Offset)
			valEnd := start + int(e.Raw.Length)
			lineStart := bytes.LastIndexByte(content[:start], '\n') + 1
			lineNext := len(content)
			if i := bytes.IndexByte(content[valEnd:], '\n'); i >= 0 {
				lineNext = valEnd + i + 1
			}
			l.end = lineNext
			name := string(first.Data)
			if first != last {
				table(name, start)
				continue
			}
			valStart := b.YAMLStart + int(last.Raw.Offset+last.Raw.Length)
			valStart = skipBlanks(content, valStart)
			if valStart >= valEnd || content[valStart] != '=' {
				return nil, fmt.Errorf("TOML front matter: cannot find the '=' of key %q", name)
			}
			valStart = skipBlanks(content, valStart+1)
			entry := tomlEntry{valStart: valStart, valEnd: valEnd, lineStart: lineStart, lineNext: lineNext}
			if v := e.Value(); v.Kind == unstable.String {
				raw := p.Raw(v.Raw)
				if q := raw[0]; !bytes.HasPrefix(raw, []byte{q, q, q}) {
					entry.quote = q
				}
			}
			l.keys[name] = entry
		}
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("TOML front matter: %w", err)
	}
	return l, nil
}

// Position is a place in a file: a 1-based line, and a 1-based column
// counted in characters.
type Position struct{ Line, Column int }

// TOMLKeyPositions returns where each top-level key of content's TOML front
// matter is written (for a table, its first [key] header or dotted key),
// from one parse of the block; nil when content has no TOML front matter.
func TOMLKeyPositions(content []byte) map[string]Position {
	b := Find(content)
	if !b.Present || b.Format != TOML {
		return nil
	}
	l, err := newTOMLLayout(content, b)
	if err != nil {
		return nil
	}
	at := func(lineStart int) Position {
		start := skipBlanks(content, lineStart)
		return Position{1 + bytes.Count(content[:lineStart], []byte{'\n'}), 1 + utf8.RuneCount(content[lineStart:start])}
	}
	out := make(map[string]Position, len(l.keys)+len(l.tables))
	for k, e := range l.keys {
		out[k] = at(e.lineStart)
	}
	for k, lineStart := range l.tables {
		out[k] = at(lineStart)
	}
	return out
}

// skipBlanks returns the offset of the first byte at or after i that is not
// a space or a tab.
func skipBlanks(content []byte, i int) int {
	for i < len(content) && (content[i] == ' ' || content[i] == '\t') {
		i++
	}
	return i
}

// setTOML is Set for TOML front matter: an existing top-level key gets its
// new value in place of the old one, a new key is added after the last
// top-level key (TOML ends the top level at the first [table]), and every
// other byte is kept.
func setTOML(content []byte, b Block, fields []Field, values map[string]any) ([]byte, error) {
	cur, err := Parse(content)
	if err != nil {
		return nil, err
	}
	keepDates(cur, values)
	l, err := newTOMLLayout(content, b)
	if err != nil {
		return nil, err
	}
	want := cloneMap(cur)
	var edits []splice
	var appended []byte
	for _, f := range fields {
		v := values[f.Key]
		if old, ok := cur[f.Key]; ok && equal(old, v) {
			continue
		}
		want[f.Key] = v
		e, exists := l.keys[f.Key]
		if _, isTable := l.tables[f.Key]; !exists && isTable {
			return nil, fmt.Errorf("set front matter key %q: it is a TOML table ([%s] or dotted keys %s.…); edit it by hand", f.Key, f.Key, f.Key)
		}
		enc, err := encodeTOML(nil, v, e.quote)
		if err != nil {
			return nil, &Error{Line: yamlLine(content, b) - 1, Column: 1,
				Message: fmt.Sprintf("cannot set key %q in TOML front matter: %v", f.Key, err)}
		}
		if exists {
			edits = append(edits, splice{start: e.valStart, end: e.valEnd, text: enc})
			continue
		}
		appended = appendTOMLKey(appended, f.Key)
		appended = append(appended, " = "...)
		appended = append(appended, enc...)
		appended = append(appended, b.Newline...)
	}
	if len(appended) > 0 {
		edits = append(edits, splice{start: l.end, end: l.end, text: appended})
	}
	return finish(content, edits, want, "set")
}

// deleteTOML is Delete for TOML front matter: each deleted top-level key
// loses its whole lines (a value may span several), and nothing else does.
func deleteTOML(content []byte, b Block, keys []string) ([]byte, error) {
	cur, err := Parse(content)
	if err != nil {
		return nil, err
	}
	l, err := newTOMLLayout(content, b)
	if err != nil {
		return nil, err
	}
	want := cloneMap(cur)
	var edits []splice
	for _, key := range slices.Compact(slices.Sorted(slices.Values(keys))) {
		e, ok := l.keys[key]
		if !ok {
			if _, isTable := l.tables[key]; isTable {
				return nil, fmt.Errorf("delete front matter key %q: it is a TOML table ([%s] or dotted keys %s.…); edit it by hand", key, key, key)
			}
			continue
		}
		edits = append(edits, splice{start: e.lineStart, end: e.lineNext})
		delete(want, key)
	}
	return finish(content, edits, want, "delete")
}

// encodeTOML writes a normalized value as TOML on one line: arrays and
// inline tables for lists and mappings. quote is the quote a string keeps
// when it can (a single quote: a literal string), else a basic string is written.
// TOML has no null, and its integers are 64-bit signed.
func encodeTOML(buf []byte, v any, quote byte) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("TOML has no null; delete the key instead (frontmatter.delete)")
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("integer %d is larger than TOML's largest (%d)", x, int64(math.MaxInt64))
		}
		return strconv.AppendUint(buf, x, 10), nil
	case float64:
		switch {
		case math.IsNaN(x):
			return append(buf, "nan"...), nil
		case math.IsInf(x, 1):
			return append(buf, "inf"...), nil
		case math.IsInf(x, -1):
			return append(buf, "-inf"...), nil
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0" // "1" would read back as an integer
		}
		return append(buf, s...), nil
	case string:
		if quote == '\'' && literalOK(x) {
			return append(append(append(buf, '\''), x...), '\''), nil
		}
		return appendTOMLBasic(buf, x), nil
	case time.Time:
		if x.Year() < 0 || x.Year() > 9999 {
			return nil, fmt.Errorf("time %v is outside the years 0 to 9999 that TOML can write", x)
		}
		// A date is a local date, which reads back as the same date;
		// anything else an offset date-time.
		return append(buf, TimeText(x)...), nil
	case []any:
		buf = append(buf, '[')
		for i, item := range x {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			var err error
			if buf, err = encodeTOML(buf, item, 0); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case map[string]any:
		if len(x) == 0 {
			return append(buf, "{}"...), nil
		}
		buf = append(buf, "{ "...)
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendTOMLKey(buf, k)
			buf = append(buf, " = "...)
			var err error
			if buf, err = encodeTOML(buf, x[k], 0); err != nil {
				return nil, err
			}
		}
		return append(buf, " }"...), nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// appendTOMLKey writes key bare when TOML allows it (letters, digits, '-'
// and '_'), else as a basic string.
func appendTOMLKey(buf []byte, key string) []byte {
	bare := key != ""
	for i := 0; i < len(key) && bare; i++ {
		c := key[i]
		bare = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	if bare {
		return append(buf, key...)
	}
	return appendTOMLBasic(buf, key)
}

// appendTOMLBasic writes s as a TOML basic string ("…"), escaping the
// quote, the backslash and control characters, which TOML does not allow
// unescaped.
func appendTOMLBasic(buf []byte, s string) []byte {
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
			buf = fmt.Appendf(buf, `\u%04X`, r)
		default:
			buf = utf8.AppendRune(buf, r)
		}
	}
	return append(buf, '"')
}

// literalOK reports whether s can be written as a one-line TOML literal
// string ('…'): no quote, and no control character other than a tab.
func literalOK(s string) bool {
	for _, r := range s {
		if r == '\'' || (r < ' ' && r != '\t') || r == 0x7F {
			return false
		}
	}
	return true
}
