package markdown

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Dialect says what a file's front matter is when it has no fenced block.
type Dialect uint8

const (
	// Standard front matter is a fenced block (YAML, TOML) or a JSON
	// object; a file without one has none.
	Standard Dialect = iota
	// Logseq is a Logseq graph's: a page without a fenced block keeps its
	// properties as "key:: value" lines at its top (Properties).
	Logseq
)

// LogseqConfig is the file of a Logseq graph's settings, relative to the
// graph's folder.
const LogseqConfig = "logseq/config.edn"

// DialectOf returns the dialect of the files of a folder, stat answering
// for the names in it: Logseq in a Logseq graph (a folder holding
// logseq/config.edn), else Standard.
func DialectOf(stat func(name string) (fs.FileInfo, error)) Dialect {
	if fi, err := stat(LogseqConfig); err == nil && fi.Mode().IsRegular() {
		return Logseq
	}
	return Standard
}

// Properties is the Format of a Logseq page's properties: the lines at the
// top of the file, each "key:: value", up to the first line that is not
// one. They are front matter only in the Logseq dialect, and only in a file
// without a fenced block (Logseq reads YAML front matter too).
const Properties Format = JSON + 1

// maxProperties bounds the lines read as properties.
const maxProperties = 1000

// FindAs is Find in dialect d: in the Logseq dialect, a file without a
// fenced block has its property lines as its block (Format Properties;
// YAMLStart to YAMLEnd spans the lines, BodyStart is YAMLEnd).
func FindAs(content []byte, d Dialect) Block {
	b := Find(content)
	if b.Present || d != Logseq {
		return b
	}
	end := b.Start
	for n := 0; end < len(content) && n < maxProperties; n++ {
		line, next := lineAt(content, end)
		if _, _, ok := propertyLine(line); !ok {
			break
		}
		end = next
	}
	if end > b.Start {
		b.Present, b.Format = true, Properties
		b.YAMLStart, b.YAMLEnd, b.BodyStart = b.Start, end, end
	}
	return b
}

// ParseAs is Parse in dialect d: in the Logseq dialect, the properties of
// a page without a fenced block (see FindAs and parseProperties).
func ParseAs(content []byte, d Dialect) (map[string]any, error) {
	if d != Logseq {
		return Parse(content)
	}
	if b := FindAs(content, d); b.Format == Properties {
		return parseProperties(content[b.YAMLStart:b.YAMLEnd]), nil
	}
	return Parse(content)
}

// ParseFieldsAs is ParseFields in dialect d.
func ParseFieldsAs(content []byte, fields []string, d Dialect) (map[string]any, error) {
	if d == Logseq {
		return ParseAs(content, d)
	}
	return ParseFields(content, fields)
}

// SetAs is Set in dialect d: in the Logseq dialect, a page without a fenced
// block gets its fields as property lines (see setProperties), its first
// ones if it has none.
func SetAs(content []byte, fields []Field, d Dialect) ([]byte, error) {
	if d != Logseq {
		return Set(content, fields)
	}
	b := FindAs(content, d)
	if b.Present && b.Format != Properties {
		return Set(content, fields)
	}
	values, err := fieldValues(fields, func(key string) error {
		if !isPropertyKey([]byte(key)) {
			return fmt.Errorf("set front matter: %q cannot be the name of a Logseq property; use letters, digits, '-' and '_'", key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return setProperties(content, b, fields, values)
}

// DeleteAs is Delete in dialect d: in the Logseq dialect, a page's
// property lines lose the keys' lines.
func DeleteAs(content []byte, keys []string, d Dialect) ([]byte, error) {
	if d != Logseq {
		return Delete(content, keys)
	}
	if b := FindAs(content, d); b.Format == Properties {
		return deleteProperties(content, b, keys), nil
	}
	return Delete(content, keys)
}

// lineAt returns the line starting at off without its line ending, and the
// offset of the next line.
func lineAt(content []byte, off int) ([]byte, int) {
	i := bytes.IndexByte(content[off:], '\n')
	if i < 0 {
		return content[off:], len(content)
	}
	return bytes.TrimSuffix(content[off:off+i], []byte{'\r'}), off + i + 1
}

// PropertyLine splits a Logseq property line, "key:: value" (or "key::"),
// into its key and its value trimmed; ok is false for any other line.
func PropertyLine(line string) (key, value string, ok bool) {
	return propertyLine([]byte(line))
}

// PropertyValue is the value of property key written as text (see
// parseProperties): a boolean, a number, a list of page names for tags::
// and alias::, or the text.
func PropertyValue(key, text string) any { return propertyValue(key, text) }

// propertyLine splits a "key:: value" line (the value trimmed).
func propertyLine(line []byte) (key, value string, ok bool) {
	k, v, found := bytes.Cut(line, []byte(":: "))
	if !found {
		if k, found = bytes.CutSuffix(line, []byte("::")); !found {
			return "", "", false
		}
	}
	if !isPropertyKey(k) {
		return "", "", false
	}
	return string(k), string(bytes.TrimSpace(v)), true
}

// isPropertyKey reports whether k can be a Logseq property's name.
func isPropertyKey(k []byte) bool {
	if len(k) == 0 || k[0] == '-' {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '?' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

// listProperties are the properties whose value Logseq reads as a list of
// page names, separated by commas.
var listProperties = map[string]bool{"tags": true, "alias": true}

// parseProperties reads property lines: true and false are booleans,
// integers and decimal numbers numbers, tags:: and alias:: lists of page
// names ("a, [[b c]], #d"), anything else the text as written. A key given
// twice keeps its first value, as Logseq does.
func parseProperties(src []byte) map[string]any {
	m := map[string]any{}
	for off := 0; off < len(src); {
		line, next := lineAt(src, off)
		off = next
		k, v, ok := propertyLine(line)
		if !ok {
			continue
		}
		if _, dup := m[k]; !dup {
			m[k] = propertyValue(k, v)
		}
	}
	return m
}

func propertyValue(key, v string) any {
	if listProperties[strings.ToLower(key)] {
		items := []any{}
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if in, ok := strings.CutPrefix(item, "[["); ok {
				item, _ = strings.CutSuffix(in, "]]")
			} else {
				item = strings.TrimPrefix(item, "#")
			}
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		return items
	}
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return normalizeInt(i)
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && strings.ContainsAny(v, ".") && !strings.ContainsAny(v, "xXpP_") {
		return f
	}
	return v
}

// propertyText writes v as a property's value, and whether it can.
func propertyText(key string, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", fmt.Errorf("a Logseq property has no null value; delete %s instead", key)
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s, nil
	case time.Time:
		return TimeText(x), nil
	case string:
		if strings.ContainsAny(x, "\r\n") {
			return "", fmt.Errorf("a Logseq property's value is one line; %s's has a line break", key)
		}
		if s := strings.TrimSpace(x); s != x {
			return "", fmt.Errorf("a Logseq property's value cannot start or end with spaces (%s: %q)", key, x)
		}
		return x, nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, item := range x {
			if _, ok := item.([]any); ok {
				return "", fmt.Errorf("a Logseq property holds a list of values, not of lists (%s)", key)
			}
			if _, ok := item.(map[string]any); ok {
				return "", fmt.Errorf("a Logseq property holds a list of values, not of mappings (%s)", key)
			}
			s, err := propertyText(key, item)
			if err != nil {
				return "", err
			}
			if strings.Contains(s, ",") {
				return "", fmt.Errorf("an item of a Logseq property's list cannot hold a comma (%s: %q)", key, s)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", "), nil
	}
	return "", fmt.Errorf("a Logseq property holds text, a number, a boolean, a date or a list, not %T (%s)", v, key)
}

// setProperties is Set for a page's property lines: a key's line gets the
// new value (keys match ignoring case, as Logseq's do), a new key a line
// after the last one, and a page without properties its first line (and a
// blank line after it, which Logseq writes between a page's properties and
// its first block).
func setProperties(content []byte, b Block, fields []Field, values map[string]any) ([]byte, error) {
	lines := propertyLines(content, b)
	var edits []splice
	var appended []byte
	for _, f := range fields {
		text, err := propertyText(f.Key, values[f.Key])
		if err != nil {
			return nil, fmt.Errorf("set front matter key %q: %w", f.Key, err)
		}
		if l, ok := lines[strings.ToLower(f.Key)]; ok {
			if l.value != text {
				if content[l.valueStart-1] != ' ' {
					text = " " + text // "key::" had no value, nor its space
				}
				edits = append(edits, splice{start: l.valueStart, end: l.end, text: []byte(text)})
			}
			continue
		}
		appended = fmt.Appendf(appended, "%s:: %s%s", f.Key, text, b.Newline)
	}
	if len(appended) > 0 {
		at := b.YAMLEnd
		if !b.Present {
			at = b.Start
			if rest, _ := lineAt(content, at); at < len(content) && len(bytes.TrimSpace(rest)) > 0 {
				appended = append(appended, b.Newline...)
			}
		} else if at == len(content) && at > 0 && content[at-1] != '\n' {
			appended = append([]byte(b.Newline), appended...) // a last line without its newline
		}
		edits = append(edits, splice{start: at, end: at, text: appended})
	}
	if len(edits) == 0 {
		return content, nil
	}
	return apply(content, edits), nil
}

// deleteProperties is Delete for a page's property lines: each key's line
// goes; when none is left, the blank line after them goes too.
func deleteProperties(content []byte, b Block, keys []string) []byte {
	lines := propertyLines(content, b)
	var edits []splice
	left := len(lines)
	for _, k := range keys {
		if l, ok := lines[strings.ToLower(k)]; ok {
			edits = append(edits, splice{start: l.start, end: l.next})
			delete(lines, strings.ToLower(k))
			left--
		}
	}
	if len(edits) == 0 {
		return content
	}
	if left == 0 && b.YAMLEnd < len(content) {
		if blank, next := lineAt(content, b.YAMLEnd); len(bytes.TrimSpace(blank)) == 0 {
			edits = append(edits, splice{start: b.YAMLEnd, end: next})
		}
	}
	slices.SortFunc(edits, func(x, y splice) int { return x.start - y.start })
	return apply(content, edits)
}

// propLine is where one property line and its value are in the content.
type propLine struct {
	start, valueStart, end, next int
	value                        string
}

// propertyLines maps each key of b's property lines (lower-cased; the first
// of a key given twice) to its line. Lines that are not properties (a
// duplicate, say) are left alone.
func propertyLines(content []byte, b Block) map[string]propLine {
	m := map[string]propLine{}
	if !b.Present {
		return m
	}
	for off := b.YAMLStart; off < b.YAMLEnd; {
		line, next := lineAt(content, off)
		k, v, ok := propertyLine(line)
		if ok {
			if _, dup := m[strings.ToLower(k)]; !dup {
				vs := off + len(k) + 2
				if vs < off+len(line) && content[vs] == ' ' {
					vs++
				}
				m[strings.ToLower(k)] = propLine{start: off, valueStart: vs, end: off + len(line), next: next, value: v}
			}
		}
		off = next
	}
	return m
}
