package markdown

import (
	"bytes"
	"fmt"
	"slices"
	"time"
)

// Field is one top-level key to set.
type Field struct {
	// Key is the field name; it must be writable as a plain YAML key.
	Key string
	// Value is nil, a bool, an integer, a float, a string, a time.Time, or a
	// slice or string-keyed map of those.
	Value any
}

// Set sets top-level keys of the front matter, replacing the value of an
// existing key in place, appending new keys at the end of the block in the
// given order (before the blank lines it ends with), and creating the block
// at the top of the file (after a BOM) if there is none. Every byte outside
// the replaced values and the appended lines is kept: comments, key order,
// indentation, line endings, the body.
//
// A replaced string value keeps the quotes it had when the new string can be
// written in them; a replaced date or time stays one when the new value is a
// string that reads as one (see keepDates). A list replacing a block list
// ("- a" lines) is written as one, with the same indentation, when its items
// are scalars; so is a new list in a block that has one. Other lists and
// mappings are written in flow style ([a, b], {k: v}). A value always reads back equal through
// Parse. TOML front matter is edited the same way (see setTOML); JSON is
// refused.
//
// Set returns content itself (the same bytes) if every key already has an
// equal value. It returns an error, and changes nothing, for a key that is
// not a plain YAML key, a value it cannot write, front matter that is not
// valid or not a mapping, and a layout it cannot edit safely (a flow
// mapping, a "? key" entry, a TOML table); the result of every edit is
// parsed again and compared with what was asked before it is returned.
func Set(content []byte, fields []Field) ([]byte, error) {
	if len(fields) == 0 {
		return content, nil
	}
	values, err := fieldValues(fields, func(key string) error {
		if !validKey(key) {
			return fmt.Errorf("set front matter: key %q cannot be written as a plain YAML key; use a name without leading or trailing spaces, ':' or '#', that does not start with a symbol and is not a number, boolean or null", key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b := Find(content)
	if !b.Present {
		return create(content, b, fields, values)
	}
	switch b.Format {
	case TOML:
		return setTOML(content, b, fields, values)
	case JSON:
		return nil, notEditable(content, b, "set")
	}
	// The common case in a settled tree: every field already has its value.
	// Parse takes a fast path for simple front matter, so answer it without
	// building the editor (which runs the full YAML parser).
	if cur, err := Parse(content); err == nil {
		keepDates(cur, values)
		same := true
		for _, f := range fields {
			if old, ok := cur[f.Key]; !ok || !equal(old, values[f.Key]) {
				same = false
				break
			}
		}
		if same {
			return content, nil
		}
	}
	ed, err := newEditor(content, b)
	if err != nil {
		return nil, err
	}
	keepDates(ed.values, values)
	want := cloneMap(ed.values)
	var edits []splice
	var appended []byte
	for _, f := range fields {
		v := values[f.Key]
		if old, ok := ed.values[f.Key]; ok && equal(old, v) {
			continue
		}
		want[f.Key] = v
		i, ok := ed.byKey[f.Key]
		if !ok {
			appended = append(appended, ed.indent...)
			appended = append(appended, f.Key...)
			if ed.items != "" && blockList(v) {
				// Lists are written as the block's own are (Obsidian
				// writes every list one item a line).
				appended = append(appended, ':')
				appended = append(appended, b.Newline...)
				if appended, err = appendItems(appended, v.([]any), ed.items, b.Newline); err != nil {
					return nil, fmt.Errorf("set front matter key %q: %w", f.Key, err)
				}
				continue
			}
			appended = append(appended, ": "...)
			if appended, err = encode(appended, v, false, 0); err != nil {
				return nil, fmt.Errorf("set front matter key %q: %w", f.Key, err)
			}
			appended = append(appended, b.Newline...)
			continue
		}
		s, err := ed.replace(ed.entries[i], v)
		if err != nil {
			return nil, err
		}
		edits = append(edits, s)
	}
	if len(appended) > 0 {
		// New keys go after the block's last line that holds something:
		// blank lines before the closing fence (GitHub's issue templates
		// end so) stay last. Where that would change a value (a "|+"
		// scalar keeps its trailing blank lines), they go at the end.
		if at := beforeBlankLines(content, b.YAMLStart, b.YAMLEnd); at < b.YAMLEnd {
			if out, err := finish(content, append(slices.Clone(edits), splice{start: at, end: at, text: appended}), want, "set"); err == nil {
				return out, nil
			}
		}
		edits = append(edits, splice{start: b.YAMLEnd, end: b.YAMLEnd, text: appended})
	}
	return finish(content, edits, want, "set")
}

// beforeBlankLines returns the start of the blank lines that end
// content[start:end] (end itself when its last line holds something), end
// being the start of a line.
func beforeBlankLines(content []byte, start, end int) int {
	for end > start {
		ls := bytes.LastIndexByte(content[start:end-1], '\n') + 1 + start
		if len(bytes.Trim(content[ls:end], " \t\r\n")) > 0 {
			break
		}
		end = ls
	}
	return end
}

// fieldValues returns the fields' values normalized (see normalize), by
// key, refusing a key given twice and one that check refuses.
func fieldValues(fields []Field, check func(key string) error) (map[string]any, error) {
	values := make(map[string]any, len(fields))
	for _, f := range fields {
		if err := check(f.Key); err != nil {
			return nil, err
		}
		if _, dup := values[f.Key]; dup {
			return nil, fmt.Errorf("set front matter: key %q is given twice", f.Key)
		}
		v, err := normalize(f.Value, 0)
		if err != nil {
			return nil, fmt.Errorf("set front matter key %q: %w", f.Key, err)
		}
		values[f.Key] = v
	}
	return values, nil
}

// finish applies an edit's splices and checks that the result holds
// exactly want (see verify); content itself when there are none.
func finish(content []byte, edits []splice, want map[string]any, op string) ([]byte, error) {
	if len(edits) == 0 {
		return content, nil
	}
	out := apply(content, edits)
	if err := verify(out, want, op); err != nil {
		return nil, err
	}
	return out, nil
}

// keepDates sets a string value that reads as a date or time (2026-12-07,
// as TimeText writes it) as that time where the key already holds one: a
// field that is a date stays a date, as a quoted value keeps its quotes.
// Elsewhere such a string is set as the string it is (quoted in YAML).
func keepDates(cur, values map[string]any) {
	for k, v := range values {
		s, ok := v.(string)
		if _, date := cur[k].(time.Time); !ok || !date {
			continue
		}
		if t, ok := plainTime(s); ok {
			values[k] = t
		}
	}
}

// Delete removes top-level keys of the front matter: each key's whole lines,
// including the nested or continued lines of its value, and nothing else.
// Keys that are absent are ignored; deleting every key leaves an empty block
// ("---\n---\n"). Content without front matter is returned as is; so is
// content where no key is present. Invalid front matter is an error.
func Delete(content []byte, keys []string) ([]byte, error) {
	if len(keys) == 0 {
		return content, nil
	}
	b := Find(content)
	if !b.Present {
		return content, nil
	}
	switch b.Format {
	case TOML:
		return deleteTOML(content, b, keys)
	case JSON:
		return nil, notEditable(content, b, "delete")
	}
	ed, err := newEditor(content, b)
	if err != nil {
		return nil, err
	}
	want := cloneMap(ed.values)
	var edits []splice
	done := make(map[string]bool, len(keys))
	for _, key := range keys {
		if done[key] {
			continue
		}
		done[key] = true
		i, ok := ed.byKey[key]
		if !ok {
			if _, merged := ed.values[key]; merged {
				return nil, fmt.Errorf("delete front matter key %q: it comes from a merge key '<<'; remove it from the merged mapping", key)
			}
			continue
		}
		e := ed.entries[i]
		edits = append(edits, splice{start: ed.lines[e.first].start, end: ed.lines[e.last].next})
		delete(want, key)
	}
	return finish(content, edits, want, "delete")
}

// create writes a new block holding fields at the top of content.
func create(content []byte, b Block, fields []Field, values map[string]any) ([]byte, error) {
	block := append([]byte("---"), b.Newline...)
	for _, f := range fields {
		block = append(block, f.Key...)
		block = append(block, ": "...)
		var err error
		if block, err = encode(block, values[f.Key], false, 0); err != nil {
			return nil, fmt.Errorf("set front matter key %q: %w", f.Key, err)
		}
		block = append(block, b.Newline...)
	}
	block = append(block, "---"...)
	block = append(block, b.Newline...)
	out := apply(content, []splice{{start: b.Start, end: b.Start, text: block}})
	if err := verify(out, values, "set"); err != nil {
		return nil, err
	}
	return out, nil
}

// splice replaces content[start:end] with text.
type splice struct {
	start, end int
	text       []byte
}

// apply returns a copy of content with the splices, which must not overlap.
func apply(content []byte, edits []splice) []byte {
	slices.SortStableFunc(edits, func(a, b splice) int { return a.start - b.start })
	size := len(content)
	for _, e := range edits {
		size += len(e.text) - (e.end - e.start)
	}
	out := make([]byte, 0, size)
	prev := 0
	for _, e := range edits {
		out = append(out, content[prev:e.start]...)
		out = append(out, e.text...)
		prev = e.end
	}
	return append(out, content[prev:]...)
}

// verify parses an edit's result and checks it holds exactly want. It is the
// safety net under the line-based editing: an input laid out in a way the
// editor misjudges gives an error, never a silently wrong file.
func verify(out []byte, want map[string]any, op string) error {
	got, err := Parse(out)
	if err != nil {
		return fmt.Errorf("%s front matter: the edit would make it invalid (%w); edit the file by hand", op, err)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || !equal(g, v) {
			return fmt.Errorf("%s front matter: key %q would read back as %s instead of %s; edit the file by hand", op, k, describe(g), describe(v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			return fmt.Errorf("%s front matter: the edit would add key %q; edit the file by hand", op, k)
		}
	}
	return nil
}

// cloneMap returns a shallow copy of m.
func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
