package markdown

import (
	"bytes"
	"fmt"
)

// Format is the language of a front matter block.
type Format uint8

const (
	// YAML front matter sits between "---" lines.
	YAML Format = iota
	// TOML front matter sits between "+++" lines, as Hugo writes it.
	TOML
	// JSON front matter is a JSON object at the top of the file, as Hugo
	// reads it.
	JSON
)

// String names the format.
func (f Format) String() string {
	switch f {
	case TOML:
		return "TOML"
	case JSON:
		return "JSON"
	case Properties:
		return "Logseq properties"
	}
	return "YAML"
}

// Block locates the front matter in content.
type Block struct {
	// Format is the language of the block (YAML when there is none).
	Format Format
	// Present reports whether a front matter block exists.
	Present bool
	// Start is the offset of the opening "---" line, after a UTF-8 BOM if any.
	// Without a block it is where one would be inserted (0, or 3 after a BOM).
	Start int
	// BodyStart is the offset just past the closing fence line, including its
	// newline; without a block it equals Start.
	BodyStart int
	// YAMLStart and YAMLEnd delimit the YAML (or TOML) text between the
	// fences; YAMLEnd is the offset of the closing fence line. For JSON they
	// delimit the object, braces included. Without a block both equal Start.
	YAMLStart, YAMLEnd int
	// Newline is "\n" or "\r\n": the ending of the opening fence line, or of
	// the file's first line when there is no block ("\n" for a file with none).
	Newline string
}

// utf8BOM is the byte order mark some editors put at the start of a file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Find locates the front matter in content. It never invokes the YAML parser
// and does not allocate, so it is cheap enough to call on every file.
//
// A YAML block opens with a "---" line at the very start of the file (after
// a BOM) and closes at the first following line that is "---" or "..."; a
// fence line may carry trailing spaces or tabs. An opening line with no
// closing one is not front matter (it is a thematic break), so Present is
// false. A TOML block is the same between "+++" lines; a JSON block is an
// object starting the file, its first member on the opening line or later,
// its closing brace ending a line.
func Find(content []byte) Block {
	start := 0
	if bytes.HasPrefix(content, utf8BOM) {
		start = len(utf8BOM)
	}
	b := Block{Start: start, BodyStart: start, YAMLStart: start, YAMLEnd: start, Newline: "\n"}
	if start < len(content) && content[start] == '{' {
		return findJSON(content, b)
	}
	open := byte('-')
	if start < len(content) && content[start] == '+' {
		open = '+'
	}
	yamlStart, nl, ok := fence(content, start, open)
	if !ok || nl == "" {
		b.Newline = firstNewline(content[start:])
		return b
	}
	b.Newline = nl
	for pos := yamlStart; pos < len(content); {
		if c := content[pos]; c == open || (open == '-' && c == '.') {
			if end, _, ok := fence(content, pos, c); ok {
				b.Present = true
				if open == '+' {
					b.Format = TOML
				}
				b.YAMLStart, b.YAMLEnd, b.BodyStart = yamlStart, pos, end
				return b
			}
		}
		i := bytes.IndexByte(content[pos:], '\n')
		if i < 0 {
			break
		}
		pos += i + 1
	}
	return b
}

// findJSON finds JSON front matter: an object that starts the file (after
// a BOM), whose first member starts with '"' (so that a template line such
// as "{{< shortcode >}}" is not taken for one), and whose closing brace ends
// its line. Strings and nesting are followed; the object's validity is
// Parse's to judge.
func findJSON(content []byte, b Block) Block {
	start := b.Start
	b.Newline = firstNewline(content[start:])
	i := start + 1
	for i < len(content) && (content[i] == ' ' || content[i] == '\t' || content[i] == '\r' || content[i] == '\n') {
		i++
	}
	if i == len(content) || (content[i] != '"' && content[i] != '}') {
		return b
	}
	depth := 0
	for i = start; i < len(content); i++ {
		switch content[i] {
		case '"':
			for i++; i < len(content) && content[i] != '"'; i++ {
				if content[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 && content[i] != '}' {
				return b // brackets that do not match: not a JSON object
			}
			if depth == 0 {
				end := i + 1
				j := end
				for j < len(content) && (content[j] == ' ' || content[j] == '\t') {
					j++
				}
				switch {
				case j == len(content):
				case content[j] == '\n':
					j++
				case content[j] == '\r' && j+1 < len(content) && content[j+1] == '\n':
					j += 2
				default:
					return b
				}
				b.Present, b.Format = true, JSON
				b.YAMLStart, b.YAMLEnd, b.BodyStart = start, end, j
				return b
			}
		}
	}
	return b
}

// fence reports whether a fence line of three c starts at pos. It returns the
// offset just past the line and the line's newline ("" at the end of content).
func fence(content []byte, pos int, c byte) (end int, nl string, ok bool) {
	if len(content)-pos < 3 || content[pos] != c || content[pos+1] != c || content[pos+2] != c {
		return 0, "", false
	}
	i := pos + 3
	for i < len(content) && (content[i] == ' ' || content[i] == '\t') {
		i++
	}
	switch {
	case i == len(content):
		return i, "", true
	case content[i] == '\n':
		return i + 1, "\n", true
	case content[i] == '\r' && i+1 < len(content) && content[i+1] == '\n':
		return i + 2, "\r\n", true
	}
	return 0, "", false
}

// firstNewline returns the ending of the first line of content, "\n" when
// content has a single line.
func firstNewline(content []byte) string {
	i := bytes.IndexByte(content, '\n')
	if i > 0 && content[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// Body returns content after the front matter (after a BOM when there is no
// front matter). The result aliases content.
func Body(content []byte) []byte {
	return content[Find(content).BodyStart:]
}

// BodyLine returns the 1-based line number of the file on which the body
// starts, so that code scanning Body can report file line numbers. For a file
// that ends right after its closing fence (no newline), it is the fence's line.
func BodyLine(content []byte) int {
	return 1 + bytes.Count(content[:Find(content).BodyStart], []byte{'\n'})
}

// Error is a front matter problem at a position of the file.
type Error struct {
	// Line is the 1-based line in the file (not in the YAML text).
	Line int
	// Column is the 1-based column, counted in characters.
	Column int
	// Message says what is wrong.
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("front matter line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// Parse returns the front matter fields of content: an empty non-nil map when
// there is no block. Invalid YAML, or YAML that is not a mapping, gives an
// *Error whose position is in the file.
//
// Values are nil, bool, int (uint64 beyond the int range), float64, string,
// time.Time (an unquoted YAML timestamp such as 2026-01-02 or
// 2026-01-02T15:04:05Z; quoted, it stays a string), []any and map[string]any
// (keys of nested mappings are strings). Aliases share the anchored value.
func Parse(content []byte) (map[string]any, error) {
	b := Find(content)
	if !b.Present {
		return map[string]any{}, nil
	}
	src := content[b.YAMLStart:b.YAMLEnd]
	switch b.Format {
	case TOML:
		return parseTOML(src, yamlLine(content, b))
	case JSON:
		return parseJSON(src, yamlLine(content, b))
	}
	if len(src) <= maxYAML {
		if m, ok := parseFast(src); ok {
			return m, nil
		}
	}
	d, err := parseDoc(src, yamlLine(content, b))
	if err != nil {
		return nil, err
	}
	return d.values, nil
}

// ParseFields is Parse for a reader that needs only some top-level keys (a
// condition that reads fm.status): the map holds at least those of fields
// that the front matter has, each with the value Parse gives it (it may be
// nil when it has none of them), and the error is Parse's. Front matter of the common simple shape is checked line
// by line as Parse checks it, but only the values asked for are built; any
// other goes through Parse whole. FuzzParseFields holds it to Parse.
func ParseFields(content []byte, fields []string) (map[string]any, error) {
	b := Find(content)
	if b.Present && b.Format == YAML {
		if src := content[b.YAMLStart:b.YAMLEnd]; len(src) <= maxYAML {
			if m, ok := parseFastFields(src, fields, false); ok {
				return m, nil
			}
		}
	}
	return Parse(content)
}

// yamlLine returns the file line number of the first line of b's YAML text.
func yamlLine(content []byte, b Block) int {
	return 1 + bytes.Count(content[:b.YAMLStart], []byte{'\n'})
}
