package markdown

import (
	"bytes"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/scribe-md/scribe/internal/yamlnode"
)

// editor knows the line layout of a front matter block.
type editor struct {
	content []byte
	values  map[string]any
	indent  string // indentation of the top-level keys
	lines   []line
	entries []entry
	byKey   map[string]int
	// items is how the first block list of the block writes its items
	// ("  - "), for lists added beside it; "" when it has none.
	items string
}

// line is one line of the YAML text, in offsets of the whole content.
type line struct {
	start int // first byte
	end   int // end of the text, before "\n" or "\r\n"
	next  int // start of the following line
}

// entry is one top-level key with the lines it spans: its key line through
// the last line of its value, not counting blank lines and comments that
// follow the value at the key's indentation (they belong to what follows).
type entry struct {
	key         string
	first, last int // line indexes, inclusive
	explicit    bool
	colon       int  // index of the ':' after the key in its line, or -1
	quote       byte // '"' or '\'' when the value is a quoted string
	// items is how a block list value writes its items, the indentation
	// and the dash ("  - "), when the key's line holds nothing else; ""
	// for any other value.
	items string
}

// newEditor parses the front matter in b and maps its top-level keys to
// lines. It fails for layouts it cannot edit safely.
func newEditor(content []byte, b Block) (*editor, error) {
	if ed, ok := newFastEditor(content, b); ok {
		return ed, nil
	}
	return newFullEditor(content, b)
}

// newFullEditor is newEditor with the YAML parser, for any layout.
func newFullEditor(content []byte, b Block) (*editor, error) {
	line0 := yamlLine(content, b)
	src := content[b.YAMLStart:b.YAMLEnd]
	d, err := parseDoc(src, line0)
	if err != nil {
		return nil, err
	}
	ed := &editor{content: content, values: d.values, byKey: make(map[string]int)}
	if hasLoneCR(src) {
		// YAML breaks lines at a lone CR too; the editor's lines would not
		// be the parser's.
		return nil, &Error{Line: line0, Column: 1, Message: "a carriage return that does not end a line (old Mac line ending) makes this front matter unsafe to edit; convert the file to LF or CRLF line endings"}
	}
	for pos := b.YAMLStart; pos < b.YAMLEnd; {
		l := line{start: pos, end: b.YAMLEnd, next: b.YAMLEnd}
		if i := bytes.IndexByte(content[pos:b.YAMLEnd], '\n'); i >= 0 {
			l.end, l.next = pos+i, pos+i+1
		}
		if l.end > l.start && content[l.end-1] == '\r' {
			l.end--
		}
		ed.lines = append(ed.lines, l)
		pos = l.next
	}
	if d.mapping == nil {
		if len(d.values) > 0 {
			return nil, &Error{Line: line0, Column: 1, Message: "this front matter layout (a tagged or anchored mapping) cannot be edited safely; edit it by hand"}
		}
		return ed, nil
	}
	if d.mapping.Style&yaml.FlowStyle != 0 {
		return nil, &Error{Line: line0, Column: 1, Message: "front matter written as a flow mapping {...} cannot be edited in place; write one key per line"}
	}
	c := converter{line0: line0, src: src}
	indent := -1
	for i := 0; i+1 < len(d.mapping.Content); i += 2 {
		k, v := d.mapping.Content[i], d.mapping.Content[i+1]
		at := k.Line - 1
		if at < 0 || at >= len(ed.lines) || (len(ed.entries) > 0 && at <= ed.entries[len(ed.entries)-1].first) {
			return nil, c.errAt(k, "keys must each start their own line to be edited")
		}
		l := ed.lines[at]
		text := content[l.start:l.end]
		col := len(text) - len(bytes.TrimLeft(text, " "))
		if indent < 0 {
			indent = col
		}
		if col != indent || col == len(text) {
			return nil, c.errAt(k, "keys must all start in the same column to be edited")
		}
		key := "<<"
		if !isMergeKey(k) {
			if key, err = c.key(k); err != nil {
				return nil, err
			}
		}
		e := entry{key: key, first: at, last: at}
		e.explicit = text[col] == '?'
		if text[col] == '#' || (!e.explicit && k.Column-1 != col) {
			// The parser's idea of where the key is and ours disagree.
			return nil, c.errAt(k, fmt.Sprintf("cannot locate key %q on its line to edit it; edit it by hand", key))
		}
		e.colon = -1
		if !e.explicit {
			e.colon = keyColon(text, col, key)
		}
		if v.Kind == yaml.ScalarNode && yamlnode.Tag(v) == "" {
			switch {
			case v.Style&yaml.DoubleQuotedStyle != 0:
				e.quote = '"'
			case v.Style&yaml.SingleQuotedStyle != 0:
				e.quote = '\''
			}
		}
		e.items = blockItems(content, ed.lines, e, v)
		if ed.items == "" {
			ed.items = e.items
		}
		ed.byKey[key] = len(ed.entries)
		ed.entries = append(ed.entries, e)
	}
	ed.indent = strings.Repeat(" ", max(indent, 0))
	for i := range ed.entries {
		last := len(ed.lines) - 1
		if i+1 < len(ed.entries) {
			last = ed.entries[i+1].first - 1
		}
		for last > ed.entries[i].first && ed.trailer(ed.lines[last], indent) {
			last--
		}
		ed.entries[i].last = last
	}
	return ed, nil
}

// newFastEditor maps the layout of the front matter shape parseFast reads
// (blank lines, column-0 comments, one-line `key: value` entries) without the
// YAML parser, which otherwise dominates the cost of an edit. It gives up
// (ok=false) on anything else, and the full parser takes over. Set verifies
// every edit by parsing the result, so a wrong layout could only cause an
// error, never a silent change.
func newFastEditor(content []byte, b Block) (*editor, bool) {
	src := content[b.YAMLStart:b.YAMLEnd]
	values, ok := parseFast(src)
	if !ok {
		return nil, false
	}
	ed := &editor{content: content, values: values, byKey: make(map[string]int, len(values))}
	for pos := b.YAMLStart; pos < b.YAMLEnd; {
		l := line{start: pos, end: b.YAMLEnd, next: b.YAMLEnd}
		if i := bytes.IndexByte(content[pos:b.YAMLEnd], '\n'); i >= 0 {
			l.end, l.next = pos+i, pos+i+1
		}
		if l.end > l.start && content[l.end-1] == '\r' {
			l.end--
		}
		text := content[l.start:l.end]
		if len(text) > 0 && text[0] != '#' && text[0] != ' ' {
			k, rest, ok := fastKey(text)
			if !ok {
				return nil, false
			}
			key := string(k)
			e := entry{key: key, first: len(ed.lines), last: len(ed.lines), colon: keyColon(text, 0, key)}
			if e.colon < 0 {
				return nil, false
			}
			if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
				e.quote = rest[0]
			}
			ed.byKey[key] = len(ed.entries)
			ed.entries = append(ed.entries, e)
		}
		ed.lines = append(ed.lines, l)
		pos = l.next
	}
	if len(ed.entries) != len(values) {
		return nil, false
	}
	return ed, true
}

// blockItems returns how the block list v, the value of entry e, writes its
// items ("  - ", "- "): the text before its first item on that item's line,
// when that is spaces and a dash, and the key's line holds nothing after
// the colon but a comment. It returns "" for any other value.
func blockItems(content []byte, lines []line, e entry, v *yaml.Node) string {
	if v.Kind != yaml.SequenceNode || v.Style&yaml.FlowStyle != 0 || v.Anchor != "" || yamlnode.Tag(v) != "" || len(v.Content) == 0 || e.colon < 0 {
		return ""
	}
	l := lines[e.first]
	if rest := bytes.TrimLeft(content[l.start+e.colon+1:l.end], " \t"); len(rest) > 0 && rest[0] != '#' {
		return ""
	}
	item := v.Content[0]
	at := item.Line - 1
	if at <= e.first || at >= len(lines) {
		return ""
	}
	text := content[lines[at].start:lines[at].end]
	col := item.Column - 1
	if col <= 0 || col > len(text) {
		return ""
	}
	prefix := text[:col]
	if t := bytes.TrimRight(prefix, " "); len(t) == 0 || t[len(t)-1] != '-' || len(bytes.TrimLeft(t[:len(t)-1], " ")) != 0 {
		return ""
	}
	return string(prefix)
}

// blockList reports whether v is a list that can be written one item a
// line: not empty, and every item a scalar.
func blockList(v any) bool {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return false
	}
	for _, item := range l {
		switch item.(type) {
		case []any, map[string]any:
			return false
		}
	}
	return true
}

// appendItems writes the items of list, one a line, each after prefix.
func appendItems(buf []byte, list []any, prefix, newline string) ([]byte, error) {
	for _, item := range list {
		buf = append(buf, prefix...)
		var err error
		if buf, err = encode(buf, item, false, 0); err != nil {
			return nil, err
		}
		buf = append(buf, newline...)
	}
	return buf, nil
}

// trailer reports whether l is blank or a comment at or left of the keys'
// column: such lines after a value are not part of it.
func (ed *editor) trailer(l line, indent int) bool {
	text := ed.content[l.start:l.end]
	t := bytes.TrimLeft(text, " \t")
	return len(t) == 0 || (t[0] == '#' && len(text)-len(t) <= indent)
}

// replace returns the splice that gives entry e the value v.
func (ed *editor) replace(e entry, v any) (splice, error) {
	l := ed.lines[e.first]
	text := ed.content[l.start:l.end]
	if e.explicit {
		return splice{}, fmt.Errorf("set front matter key %q: it is written as an explicit '? key' entry; edit it by hand", e.key)
	}
	colon := e.colon
	if colon < 0 {
		return splice{}, fmt.Errorf("set front matter key %q: cannot find its ':' on its line; edit it by hand", e.key)
	}
	quote := byte(0)
	if _, ok := v.(string); ok {
		quote = e.quote
	}
	enc, err := encode(nil, v, false, quote)
	if err != nil {
		return splice{}, fmt.Errorf("set front matter key %q: %w", e.key, err)
	}
	if e.items != "" && blockList(v) && e.last > e.first {
		// A block list stays one: its items are replaced, its key line
		// (and a comment on it) kept.
		newline := string(ed.content[l.end:l.next])
		items, err := appendItems(nil, v.([]any), e.items, newline)
		if err != nil {
			return splice{}, fmt.Errorf("set front matter key %q: %w", e.key, err)
		}
		return splice{start: l.next, end: ed.lines[e.last].next, text: items}, nil
	}
	p := colon + 1
	for p < len(text) && (text[p] == ' ' || text[p] == '\t') {
		p++
	}
	if e.last == e.first {
		switch {
		case p == len(text): // no value: "key:"
			return splice{start: l.start + colon + 1, end: l.end, text: append([]byte{' '}, enc...)}, nil
		case text[p] == '#': // no value, a comment: "key: # note"
			return splice{start: l.start + colon + 1, end: l.start + p, text: fmt.Appendf(nil, " %s ", enc)}, nil
		}
		if end, ok := inlineValueEnd(text, p); ok {
			return splice{start: l.start + p, end: l.start + end, text: enc}, nil
		}
	}
	// The value spans lines, or has a form (anchor, tag, block scalar) that
	// is replaced with the rest of its lines. A comment alone after the
	// colon stays.
	out := append([]byte{' '}, enc...)
	if p < len(text) && text[p] == '#' {
		out = append(append(out, ' '), text[p:]...)
	}
	return splice{start: l.start + colon + 1, end: ed.lines[e.last].end, text: out}, nil
}

// keyColon returns the index of the ':' that ends the key starting at
// column indent of text, or -1 when the line does not hold key as expected.
func keyColon(text []byte, indent int, key string) int {
	if indent >= len(text) {
		return -1
	}
	i := indent
	switch text[i] {
	case '"', '\'':
		end, ok := quotedEnd(text, i)
		if !ok {
			return -1
		}
		i = end
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		if i < len(text) && text[i] == ':' {
			return i
		}
		return -1
	}
	for ; i < len(text); i++ {
		if text[i] == ':' && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\t') {
			if string(bytes.TrimRight(text[indent:i], " \t")) != key {
				return -1
			}
			return i
		}
	}
	return -1
}

// quotedEnd returns the index just past the quoted scalar starting at
// text[i], if it closes on this line.
func quotedEnd(text []byte, i int) (int, bool) {
	q := text[i]
	for j := i + 1; j < len(text); j++ {
		switch {
		case q == '"' && text[j] == '\\':
			j++
		case text[j] == q:
			if q == '\'' && j+1 < len(text) && text[j+1] == '\'' {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return 0, false
}

// inlineValueEnd returns the end of the value starting at text[p] when the
// value is a scalar or flow collection that ends on this line, followed by
// nothing but blanks and a comment.
func inlineValueEnd(text []byte, p int) (int, bool) {
	// A tag or an anchor goes with the value it qualifies.
	for p < len(text) && (text[p] == '!' || text[p] == '&') {
		for p < len(text) && text[p] != ' ' && text[p] != '\t' {
			p++
		}
		q := p
		for q < len(text) && (text[q] == ' ' || text[q] == '\t') {
			q++
		}
		if q == len(text) || text[q] == '#' {
			return p, true
		}
		p = q
	}
	end := 0
	switch text[p] {
	case '"', '\'':
		e, ok := quotedEnd(text, p)
		if !ok {
			return 0, false
		}
		end = e
	case '[', '{':
		e, ok := flowEnd(text, p)
		if !ok {
			return 0, false
		}
		end = e
	case '|', '>', '%', '@', '`':
		return 0, false
	default:
		end = len(text)
		for i := p + 1; i < len(text); i++ {
			if text[i] == '#' && (text[i-1] == ' ' || text[i-1] == '\t') {
				end = i
				break
			}
		}
		for end > p && (text[end-1] == ' ' || text[end-1] == '\t') {
			end--
		}
		return end, true
	}
	rest := text[end:]
	t := bytes.TrimLeft(rest, " \t")
	if len(t) > 0 && (t[0] != '#' || len(t) == len(rest)) {
		return 0, false
	}
	return end, true
}

// flowEnd returns the index just past the flow collection starting at
// text[p], if it closes on this line.
func flowEnd(text []byte, p int) (int, bool) {
	depth := 0
	atToken := true // a quote here starts a quoted scalar
	for i := p; i < len(text); i++ {
		switch c := text[i]; {
		case c == '[' || c == '{':
			depth++
			atToken = true
		case c == ']' || c == '}':
			depth--
			if depth == 0 {
				return i + 1, true
			}
			atToken = false
		case c == ',':
			atToken = true
		case c == ' ' || c == '\t':
			if i+1 < len(text) && text[i+1] == '#' {
				return 0, false // a comment: the collection goes on below
			}
		case c == ':':
			atToken = i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\t')
		case (c == '"' || c == '\'') && atToken:
			e, ok := quotedEnd(text, i)
			if !ok {
				return 0, false
			}
			i = e - 1
			atToken = false
		default:
			atToken = false
		}
	}
	return 0, false
}
