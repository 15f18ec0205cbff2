package yamlnode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Limits bounds what Check accepts.
type Limits struct {
	// MaxBytes is the largest text accepted.
	MaxBytes int
	// MaxDepth is the deepest nesting of collections accepted.
	MaxDepth int
}

// Error is a YAML problem at a position of the text.
type Error struct {
	// Line and Column are 1-based; Column counts characters.
	Line, Column int
	// Message says what is wrong.
	Message string
	// SecondDocument is set when the text holds more than one document;
	// the position is where the second one starts.
	SecondDocument bool
	// Alias is set when the error is an alias naming no anchor: the name,
	// and the position is the alias's.
	Alias string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// Check refuses src when it is larger or nests deeper than lim allows. It
// reads bytes only, in one pass, and allocates at most a few bytes per level
// of lim.MaxDepth, so it is safe on any input.
func Check(src []byte, lim Limits) *Error {
	if lim.MaxBytes > 0 && len(src) > lim.MaxBytes {
		return &Error{Line: 1, Column: 1, Message: fmt.Sprintf("the YAML text is %d KiB, more than the %d KiB allowed", (len(src)+1023)>>10, lim.MaxBytes>>10)}
	}
	if lim.MaxDepth > 0 {
		if depth, line := Depth(src, lim.MaxDepth); depth > lim.MaxDepth {
			return &Error{Line: line, Column: 1, Message: fmt.Sprintf("values nest more than %d levels deep", lim.MaxDepth)}
		}
	}
	return nil
}

// Depth returns an upper bound of the nesting depth of the collections in
// src, and the first line on which it is reached; it stops as soon as the
// depth passes limit (when limit > 0). Block nesting is counted
// from indentation (each more-indented line, and each "- " or "? " at its
// start, opens a level; lines of a block scalar count as one), flow nesting
// from brackets, which are counted even inside strings: that only makes the
// bound looser.
func Depth(src []byte, limit int) (depth, line int) {
	var stack [64]int
	cols := stack[:0] // the columns of the open block levels
	flow := 0
	scalarIndent := -1 // inside a block scalar: the indentation of its parent
	deepest, at := 0, 1
	lineNo := 0
	for len(src) > 0 {
		var l []byte
		// A lone CR breaks a line too, as in the parser.
		if i := bytes.IndexAny(src, "\r\n"); i >= 0 {
			next := i + 1
			if src[i] == '\r' && next < len(src) && src[next] == '\n' {
				next++
			}
			l, src = src[:i], src[next:]
		} else {
			l, src = src, nil
		}
		lineNo++
		indent := 0
		for indent < len(l) && l[indent] == ' ' {
			indent++
		}
		rest := bytes.TrimRight(l[indent:], " \t")
		if len(rest) == 0 {
			continue
		}
		if scalarIndent >= 0 {
			if indent > scalarIndent {
				continue
			}
			scalarIndent = -1
		}
		if rest[0] == '#' && flow == 0 {
			continue
		}
		if flow == 0 {
			// Levels are kept as column<<1 | 1 for a "- " or "? " level.
			col := indent
			dash := isIndicator(rest)
			for len(cols) > 0 {
				top := cols[len(cols)-1]
				// A list may sit at its key's column ("tags:\n- a"):
				// a dash at the column of a key opens a level inside it.
				if top>>1 > col || (top>>1 == col && !(dash && top&1 == 0)) {
					cols = cols[:len(cols)-1]
					continue
				}
				break
			}
			if !dash {
				cols = append(cols, col<<1)
			}
			// "- - x" and "? x" open a level per indicator, and one for
			// what follows.
			for isIndicator(rest) {
				cols = append(cols, col<<1|1)
				j := 1
				for j < len(rest) && (rest[j] == ' ' || rest[j] == '\t') {
					j++
				}
				col += j
				rest = rest[j:]
			}
			if dash {
				cols = append(cols, col<<1)
			}
		}
		for _, c := range rest {
			switch c {
			case '[', '{':
				flow++
				if d := len(cols) + flow; d > deepest {
					deepest, at = d, lineNo
				}
			case ']', '}':
				flow = max(flow-1, 0)
			}
		}
		if d := len(cols) + flow; d > deepest {
			deepest, at = d, lineNo
		}
		if limit > 0 && deepest > limit {
			break
		}
		if flow == 0 && blockScalarHeader(rest) {
			scalarIndent = indent
		}
	}
	return deepest, at
}

// isIndicator reports whether rest starts with "- " or "? " (or a dash or
// question mark ending the line).
func isIndicator(rest []byte) bool {
	return len(rest) >= 1 && (rest[0] == '-' || rest[0] == '?') && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t')
}

// blockScalarHeader reports whether a line ends with a block scalar header
// ("|", ">-", "|2+", optionally followed by a comment).
func blockScalarHeader(rest []byte) bool {
	if i := bytes.Index(rest, []byte(" #")); i >= 0 {
		rest = bytes.TrimRight(rest[:i], " \t")
	}
	i := len(rest) - 1
	for i >= 0 && (rest[i] == '-' || rest[i] == '+' || (rest[i] >= '1' && rest[i] <= '9')) {
		i--
	}
	if i < 0 || (rest[i] != '|' && rest[i] != '>') {
		return false
	}
	return i == 0 || rest[i-1] == ' ' || rest[i-1] == '\t'
}

// Parse parses the one YAML document in src and returns its root node: the
// document's content, or nil for a text holding no document (empty, or
// comments only). A syntax error, or a second document, is an *Error. Parse
// does not apply Check; callers do, with their own limits.
func Parse(src []byte) (root *yaml.Node, err error) {
	defer func() {
		// The parser is a port of C code; a panic on a hostile input must
		// not take the daemon down.
		if r := recover(); r != nil {
			root, err = nil, &Error{Line: 1, Column: 1, Message: fmt.Sprintf("the YAML parser failed on this input: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(src, err)
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case err == nil:
		return nil, &Error{Line: max(second.Line, 1), Column: max(second.Column, 1), Message: "a second YAML document starts here; remove the '---' line", SecondDocument: true}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(src, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

var (
	lineRE   = regexp.MustCompile(`^yaml: line (\d+): `)
	anchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// parserMessages are the messages of the parser proper (not the scanner):
// their line is 0-based, and often the line where the enclosing construct
// began.
var parserMessages = []string{"did not find expected", "found duplicate %", "found incompatible YAML", "found undefined tag"}

// syntaxError places a parser error at a line and a column.
func syntaxError(src []byte, err error) *Error {
	msg := err.Error()
	line, reported := 1, false
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		reported = true
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	parser := false
	for _, p := range parserMessages {
		if strings.HasPrefix(msg, p) {
			parser = true
		}
	}
	if parser && reported {
		line++
	}
	if m := anchorRE.FindStringSubmatch(msg); m != nil {
		l, c := findAlias(src, m[1])
		return &Error{Line: l, Column: c, Message: fmt.Sprintf("unknown alias *%s: define the anchor &%s before this point", m[1], m[1]), Alias: m[1]}
	}
	text := lineText(src, line)
	col := firstChar(text)
	switch {
	case strings.HasPrefix(msg, "found character that cannot start any token"):
		if i := tokenStart(text, "@`%\t"); i >= 0 {
			col = columnOf(text, i)
			msg = fmt.Sprintf("a value cannot start with %s: quote the value", describe(text[i]))
			if len(bytes.Trim(text[:i], " \t")) == 0 && text[i] == '\t' {
				msg = "found a tab in the indentation; YAML indents with spaces"
			}
		}
	case strings.Contains(msg, "tab character"):
		if i := bytes.IndexByte(text, '\t'); i >= 0 {
			col = columnOf(text, i)
		}
		msg += "; YAML indents with spaces, not tabs"
	case strings.HasPrefix(msg, "mapping values are not allowed"):
		if i := secondColon(text); i >= 0 {
			col = columnOf(text, i)
			msg = "a second ': ' on one line: quote the value if it holds ': '"
		} else if i := bytes.IndexByte(text, ':'); i >= 0 {
			col = columnOf(text, i)
			msg += ": check the indentation of this key"
		}
	case parser && strings.HasPrefix(msg, "did not find expected ',' or"), parser && strings.HasPrefix(msg, "did not find expected node content"):
		if l, c, open, ok := unclosed(src); ok {
			closer := map[byte]byte{'[': ']', '{': '}'}[open]
			return &Error{Line: l, Column: c, Message: fmt.Sprintf("%s: the '%c' here is never closed with '%c'", msg, open, closer)}
		}
	}
	return &Error{Line: line, Column: col, Message: msg}
}

// describe names a character in a message.
func describe(c byte) string {
	if c == '\t' {
		return "a tab"
	}
	return fmt.Sprintf("'%c'", c)
}

// lineText returns the 1-based line n of src ("" past the end), as the
// parser counts lines (a lone CR ends one too), without its line break.
func lineText(src []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexAny(src, "\r\n")
		if j < 0 {
			return nil
		}
		if src[j] == '\r' && j+1 < len(src) && src[j+1] == '\n' {
			j++
		}
		src = src[j+1:]
	}
	if j := bytes.IndexAny(src, "\r\n"); j >= 0 {
		src = src[:j]
	}
	return src
}

// firstChar returns the column of the first non-blank character of text, 1
// for a blank line.
func firstChar(text []byte) int {
	i := 0
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	if i == len(text) {
		return 1
	}
	return columnOf(text, i)
}

// columnOf returns the 1-based character column of byte offset i.
func columnOf(text []byte, i int) int {
	return 1 + utf8.RuneCount(text[:i])
}

// tokenStart returns the offset of the first character of set that starts
// a token (at the line start or after a blank, '[', ',' or ':'), or -1.
func tokenStart(text []byte, set string) int {
	for i, c := range text {
		if strings.IndexByte(set, c) < 0 {
			continue
		}
		if c == '\t' || i == 0 || bytes.IndexByte([]byte(" \t[{,:"), text[i-1]) >= 0 {
			return i
		}
	}
	return -1
}

// secondColon returns the offset of the second ':' that ends a plain key
// (followed by a blank or the end of the line), or -1.
func secondColon(text []byte) int {
	n := 0
	for i, c := range text {
		if c == ':' && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\t') {
			if n++; n == 2 {
				return i
			}
		}
	}
	return -1
}

// findAlias returns the position of the first use of alias *name.
func findAlias(src []byte, name string) (line, col int) {
	pat := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(src[off:], pat)
		if i < 0 {
			return 1, 1
		}
		i += off
		end := i + len(pat)
		if end == len(src) || bytes.IndexByte([]byte(" \t\r\n,]}"), src[end]) >= 0 {
			line = 1 + bytes.Count(src[:i], []byte{'\n'})
			start := bytes.LastIndexByte(src[:i], '\n') + 1
			return line, columnOf(src[start:], i-start)
		}
		off = end
	}
}

// unclosed returns the position of the first '[' or '{' of src that no
// bracket closes, skipping quoted strings and comments, when there is one.
func unclosed(src []byte) (line, col int, open byte, ok bool) {
	type mark struct {
		c         byte
		line, off int // line number and offset of the line start
		at        int
	}
	var stack []mark
	line, start := 1, 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n':
			line++
			start = i + 1
		case '#':
			if i == start || src[i-1] == ' ' || src[i-1] == '\t' {
				for i+1 < len(src) && src[i+1] != '\n' {
					i++
				}
			}
		case '"', '\'':
			if i > start && bytes.IndexByte([]byte(" \t[{,:"), src[i-1]) < 0 {
				continue // an apostrophe inside a word
			}
			for j := i + 1; j < len(src); j++ {
				if src[j] == '\n' {
					line++
					start = j + 1
				}
				if c == '"' && src[j] == '\\' {
					j++
					continue
				}
				if src[j] == c {
					if c == '\'' && j+1 < len(src) && src[j+1] == '\'' {
						j++
						continue
					}
					i = j
					break
				}
				i = j
			}
		case '[', '{':
			stack = append(stack, mark{c: c, line: line, off: start, at: i})
		case ']', '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if len(stack) == 0 {
		return 0, 0, 0, false
	}
	m := stack[len(stack)-1]
	return m.line, columnOf(src[m.off:], m.at-m.off), m.c, true
}
