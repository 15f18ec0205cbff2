package markdown

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// parseFast parses the shape most front matter has, without the YAML parser,
// which costs some twenty times more: lines that are blank, a comment in
// column 0, or `key: value` with a simple key in column 0 and a value that is
// empty, a plain scalar, a quoted string without escapes, or a one-line list
// of plain scalars, each optionally followed by a comment.
//
// It returns ok=false as soon as anything else appears (indentation, tags,
// anchors, block scalars, escapes, duplicate keys, unusual characters); the
// caller then uses the full parser. FuzzFastParse holds the two to the same
// results.
func parseFast(src []byte) (m map[string]any, ok bool) {
	return parseFastFields(src, nil, true)
}

// parseFastFields is parseFast keeping only the keys in fields (all of them
// when all is true). Every line is checked as parseFast checks it, so it
// accepts exactly what parseFast accepts; only the values of other keys are
// not built.
func parseFastFields(src []byte, fields []string, all bool) (m map[string]any, ok bool) {
	if !utf8.Valid(src) {
		return nil, false
	}
	// Most front matter has a handful of keys: a map of up to eight is one
	// allocation, a larger hint a table of groups. With fields, the map is
	// made for the first of them found: nil when there is none.
	if all {
		m = make(map[string]any, 8)
	}
	// Keys seen, for the duplicate check, without a string each: slices of
	// src, in a set only past a few dozen.
	var seenBuf [32][]byte
	seen := seenBuf[:0]
	var seenSet map[string]bool
	for len(src) > 0 {
		var line []byte
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			line, src = src, nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if !safeText(line) {
			// A lone CR may be read as a line break; tabs and control
			// characters (even in a comment) are the parser's to judge.
			return nil, false
		}
		switch {
		case len(line) == 0, line[0] == '#':
			continue
		case line[0] == ' ':
			if len(bytes.TrimLeft(line, " ")) == 0 {
				continue
			}
			return nil, false
		}
		key, rest, ok := fastKey(line)
		if !ok {
			return nil, false
		}
		if seenSet == nil && len(seen) == cap(seen) {
			seenSet = make(map[string]bool, 2*len(seen))
			for _, k := range seen {
				seenSet[string(k)] = true
			}
		}
		if seenSet != nil {
			if seenSet[string(key)] {
				return nil, false
			}
			seenSet[string(key)] = true
		} else {
			for _, k := range seen {
				if bytes.Equal(k, key) {
					return nil, false
				}
			}
			seen = append(seen, key)
		}
		want := all
		for _, f := range fields {
			if !want && string(key) == f {
				want = true
			}
		}
		v, ok := fastValue(rest, want)
		if !ok {
			return nil, false
		}
		if want {
			if m == nil {
				m = make(map[string]any, len(fields))
			}
			m[string(key)] = v
		}
	}
	return m, true
}

// fastKey splits `key: rest` where key is an ASCII identifier (letters,
// digits, '_' and '-', not starting with a digit or '-').
func fastKey(line []byte) (key, rest []byte, ok bool) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') || (i > 0 && (c == '-' || isDigit(c))) {
			i++
			continue
		}
		break
	}
	if i == 0 || i == len(line) || line[i] != ':' {
		return nil, nil, false
	}
	if i+1 < len(line) && line[i+1] != ' ' {
		return nil, nil, false
	}
	return line[:i], bytes.TrimLeft(line[i+1:], " "), true
}

// fastValue reads the value of a `key: value` line (after the blanks). With
// build false it only checks that the value is one the fast path reads,
// and returns nil.
func fastValue(rest []byte, build bool) (any, bool) {
	if len(rest) == 0 || rest[0] == '#' {
		return nil, true
	}
	switch rest[0] {
	case '"', '\'':
		q := rest[0]
		j := bytes.IndexByte(rest[1:], q) + 1
		if j == 0 || (q == '\'' && j+1 < len(rest) && rest[j+1] == '\'') {
			return nil, false
		}
		text := rest[1:j]
		if !safeText(text) || (q == '"' && bytes.IndexByte(text, '\\') >= 0) || !onlyComment(rest[j+1:]) {
			return nil, false
		}
		if !build {
			return nil, true
		}
		return string(text), true
	case '[':
		j := bytes.IndexByte(rest, ']')
		if j < 0 || !onlyComment(rest[j+1:]) {
			return nil, false
		}
		inner := bytes.Trim(rest[1:j], " ")
		var list []any
		if build {
			list = []any{}
		}
		if len(inner) == 0 {
			return list, true
		}
		for item := range bytes.SplitSeq(inner, []byte{','}) {
			item = bytes.Trim(item, " ")
			if len(item) == 0 || !fastPlain(item) || bytes.ContainsAny(item, "[{#:?'\"") {
				return nil, false
			}
			if build {
				list = append(list, resolvePlain(string(item)))
			}
		}
		return list, true
	}
	if i := bytes.Index(rest, []byte(" #")); i >= 0 {
		rest = rest[:i]
	}
	rest = bytes.TrimRight(rest, " ")
	if !fastPlain(rest) || bytes.Contains(rest, []byte(": ")) || rest[len(rest)-1] == ':' || bytes.ContainsAny(rest, "[]{}") {
		return nil, false
	}
	if !build {
		return nil, true
	}
	return resolvePlain(string(rest)), true
}

// fastPlain reports whether b is a plain scalar the fast path understands:
// printable text that starts with no YAML indicator.
func fastPlain(b []byte) bool {
	if len(b) == 0 || bytes.IndexByte([]byte("-?:,[]{}#&*!|>'\"%@`"), b[0]) >= 0 {
		return false
	}
	return safeText(b)
}

// onlyComment reports whether b is blanks, optionally followed by a comment
// that starts after a blank.
func onlyComment(b []byte) bool {
	t := bytes.TrimLeft(b, " ")
	return len(t) == 0 || (t[0] == '#' && len(t) < len(b))
}

// safeText reports whether b is printable text: ASCII from space to '~', or
// printable non-ASCII characters (no tabs, controls or Unicode line breaks).
func safeText(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < ' ' || c > '~' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if !unicode.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}
