package markdown

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// seedDocs are inputs for every fuzz target: hand-picked shapes plus
// generated documents.
func seedDocs() []string {
	docs := []string{
		"", "text\n", "---\n", "---\n---\n", "---\n---", "\uFEFF---\na: 1\n---\n", "---\r\na: 1\r\n---\r\nbody",
		"---\na: 1\n...\n", "---\na: 1\n---\ntext\n---\nb: 2\n", "---\n- a\n---\n", "---\n{a: 1}\n---\n",
		"---\na: &x [1]\nb: *x\nc:\n  <<: {d: 1}\n---\n", "---\n? a\n: 1\n---\n", "---\na: |\n  x\n\n  y\nb: >-\n  z\n---\n",
		"---\ntags:\n- a\n- b\nn:\n  x: [1,\n    2]\n---\n", "---\na: \"x\n  y\" # c\nb: 'it''s'\n---\n", "---\n  a: 1\n  b: 2\n---\n",
		"---\na: 1\n b: 2\n---\n", "---\na: [\n---\n", "---\na: !!int x\n---\n", "---\na: 2026-01-02\nb: 2026-01-02T10:00:00Z\n---\n",
		"---\ntitle: Hello # c\ndate: 2026-01-02\ntags: [a, b]\ndraft: false\n---\n# Body\n", "---\r\na: 1\rb: 2\n---\n",
		"---\na: 1\nb: |\n  t\n   \n---\n", "---\n\"a b\": 1\n1: 2\ntrue: 3\n---\n", "---\na:\tb\n\tc: 1\n---\n",
		"+++\ntitle = \"T\"\ndate = 2024-05-01\n+++\nbody\n", "+++\r\n# c\r\ntitle = 'T' # t\r\ntags = [\r\n  \"a\",\r\n]\r\nparams.x = 1\r\n\r\n[menu]\r\na = 1\r\n+++\r\n", "+++\n\"a\" = \"\"\"\nx\"\"\"\n[[b]]\n+++\n", "{\"title\": \"T\", \"n\": [1, 2.5]}\nbody\n", "{{< shortcode >}}\n",
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 40 {
		docs = append(docs, string(genDocument(r).content))
	}
	return docs
}

// checkBlock checks the invariants of Find's result.
func checkBlock(t *testing.T, content []byte, b Block) {
	t.Helper()
	if b.Newline != "\n" && b.Newline != "\r\n" {
		t.Fatalf("Newline = %q", b.Newline)
	}
	if b.Start != 0 && !(b.Start == 3 && bytes.HasPrefix(content, utf8BOM)) {
		t.Fatalf("Start = %d", b.Start)
	}
	if !b.Present {
		if b.YAMLStart != b.Start || b.YAMLEnd != b.Start || b.BodyStart != b.Start {
			t.Fatalf("absent block with offsets %+v", b)
		}
		return
	}
	if b.Format == JSON {
		if !(b.Start == b.YAMLStart && b.YAMLStart+2 <= b.YAMLEnd && b.YAMLEnd <= b.BodyStart && b.BodyStart <= len(content)) ||
			content[b.YAMLStart] != '{' || content[b.YAMLEnd-1] != '}' {
			t.Fatalf("JSON block out of order: %+v (len %d)", b, len(content))
		}
		return
	}
	if !(b.Start+4 <= b.YAMLStart && b.YAMLStart <= b.YAMLEnd && b.YAMLEnd+3 <= b.BodyStart && b.BodyStart <= len(content)) {
		t.Fatalf("offsets out of order: %+v (len %d)", b, len(content))
	}
	open, closers := "---", []string{"---", "..."}
	if b.Format == TOML {
		open, closers = "+++", []string{"+++"}
	}
	if string(content[b.Start:b.Start+3]) != open || content[b.YAMLStart-1] != '\n' {
		t.Fatalf("no opening fence at %+v", b)
	}
	if c := string(content[b.YAMLEnd : b.YAMLEnd+3]); !slices.Contains(closers, c) {
		t.Fatalf("no closing fence at %+v", b)
	}
	if b.YAMLEnd > b.YAMLStart && content[b.YAMLEnd-1] != '\n' {
		t.Fatalf("closing fence not at a line start: %+v", b)
	}
}

// checkDomain checks that v holds only the types Parse documents.
func checkDomain(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil, bool, int, uint64, float64, string, time.Time, []byte:
	case []any:
		for _, item := range x {
			checkDomain(t, item)
		}
	case map[string]any:
		for _, item := range x {
			checkDomain(t, item)
		}
	default:
		t.Fatalf("Parse returned a %T", v)
	}
}

func FuzzParse(f *testing.F) {
	for _, d := range seedDocs() {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		b := Find(content)
		checkBlock(t, content, b)
		if got := BodyLine(content); got != 1+bytes.Count(content[:b.BodyStart], []byte{'\n'}) {
			t.Fatalf("BodyLine = %d", got)
		}
		m, err := Parse(content)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %v is a %T, not an *Error", err, err)
			}
			if !b.Present {
				t.Fatalf("Parse error without front matter: %v", err)
			}
			if e.Line < 1 || e.Line > 1+bytes.Count(content[:b.BodyStart], []byte{'\n'}) || e.Column < 1 {
				t.Fatalf("error position %d:%d outside the front matter", e.Line, e.Column)
			}
			return
		}
		if m == nil {
			t.Fatal("Parse returned a nil map")
		}
		checkDomain(t, m)
	})
}

// FuzzFastParse holds the fast path to the full parser's results.
func FuzzFastParse(f *testing.F) {
	for _, d := range seedDocs() {
		c := []byte(d)
		b := Find(c)
		f.Add(c[b.YAMLStart:b.YAMLEnd])
	}
	for _, s := range []string{"a: b\n", "a: 'x' # c\nb: \"y\"\n", "a: [x, 1, 2026-01-02]\n", "k-1: +5\nk_2: 0x1F\n", "a: it's\n", "a: é\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fast, ok := parseFast(src)
		if !ok {
			return
		}
		d, err := parseDoc(src, 1)
		if err != nil {
			t.Fatalf("fast path accepted %q, the parser says %v", src, err)
		}
		if !equal(fast, d.values) {
			t.Fatalf("fast path and parser disagree on %q:\nfast   %#v\nparser %#v", src, fast, d.values)
		}
	})
}

// fuzzValue builds a value of one of the supported kinds from fuzz input.
func fuzzValue(kind uint8, s string) any {
	switch kind % 8 {
	case 0:
		return s
	case 1:
		return len(s) - 3
	case 2:
		return []any{s, len(s)}
	case 3:
		return map[string]any{s: s, "k": []string{s}}
	case 4:
		return time.Unix(int64(len(s))*86400*37, int64(len(s))*1e6).UTC()
	case 5:
		return nil
	case 6:
		return float64(len(s)) / 8
	}
	return len(s)%2 == 0
}

func FuzzSet(f *testing.F) {
	for i, d := range seedDocs() {
		f.Add([]byte(d), keyPool[i%len(keyPool)], uint8(i), stringPieces[i%len(stringPieces)])
		f.Add([]byte(d), "a", uint8(i+1), "2026-01-02")
	}
	f.Fuzz(func(t *testing.T, content []byte, key string, kind uint8, s string) {
		v := fuzzValue(kind, s)
		out, err := Set(content, []Field{{key, v}})
		if err != nil {
			if out != nil {
				t.Fatal("Set returned content with an error")
			}
			return
		}
		want, err := normalize(v, 0)
		if err != nil {
			t.Fatalf("Set accepted a value normalize rejects: %v", err)
		}
		before, err := Parse(content)
		if err != nil {
			t.Fatalf("Set succeeded on content Parse rejects: %v", err)
		}
		if s, ok := want.(string); ok { // a date set to a date's text stays a date
			if _, date := before[key].(time.Time); date {
				if t, ok := parseTimestamp(s); ok && TimeText(t) == s {
					want = t
				}
			}
		}
		after, err := Parse(out)
		if err != nil {
			t.Fatalf("Set's result does not parse: %v\n%q", err, out)
		}
		if !equal(after[key], want) {
			t.Fatalf("%q reads back as %#v, want %#v", key, after[key], want)
		}
		for k, old := range before {
			if k != key && !equal(after[k], old) {
				t.Fatalf("key %q changed from %#v to %#v", k, old, after[k])
			}
		}
		if bytes.Equal(out, content) {
			return // nothing to edit: the editor may not even be able to
		}
		if !keptOutside(out, untouched(t, content, key)) {
			t.Fatalf("bytes outside key %q changed:\n in %q\nout %q", key, content, out)
		}
		again, err := Set(out, []Field{{key, v}})
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("Set is not idempotent: %q, %v", again, err)
		}
	})
}

// untouched returns where content may change when Set sets key: the
// bytes before and after the lines of key's value, or the places a new
// key may go (before the blank lines that end the block, else at its end).
func untouched(t *testing.T, content []byte, key string) [][2][]byte {
	prefix, suffix := untouchedAt(t, content, key)
	out := [][2][]byte{{prefix, suffix}}
	if b := Find(content); b.Present && b.Format == YAML && len(prefix) == b.YAMLEnd {
		if at := beforeBlankLines(content, b.YAMLStart, b.YAMLEnd); at < b.YAMLEnd {
			out = append(out, [2][]byte{content[:at], content[at:]})
		}
	}
	return out
}

// keptOutside reports whether out starts and ends as one of the pairs of
// untouched does: the content with bytes changed or added only between.
func keptOutside(out []byte, places [][2][]byte) bool {
	for _, p := range places {
		if bytes.HasPrefix(out, p[0]) && bytes.HasSuffix(out, p[1]) && len(out) >= len(p[0])+len(p[1]) {
			return true
		}
	}
	return false
}

// untouchedAt returns the bytes before and after the lines Set may change
// for key, a new key at the end of the block.
func untouchedAt(t *testing.T, content []byte, key string) (prefix, suffix []byte) {
	b := Find(content)
	if !b.Present {
		return content[:b.Start], content[b.Start:]
	}
	if b.Format == TOML {
		l, err := newTOMLLayout(content, b)
		if err != nil {
			t.Fatalf("Set succeeded where the TOML editor fails: %v", err)
		}
		if e, ok := l.keys[key]; ok {
			return content[:e.valStart], content[e.valEnd:]
		}
		return content[:l.end], content[l.end:]
	}
	ed, err := newEditor(content, b)
	if err != nil {
		t.Fatalf("Set succeeded where the editor fails: %v", err)
	}
	if i, ok := ed.byKey[key]; ok {
		e := ed.entries[i]
		return content[:ed.lines[e.first].start], content[ed.lines[e.last].end:]
	}
	return content[:b.YAMLEnd], content[b.YAMLEnd:]
}

// deleted returns content without the lines Delete removes for key.
func deleted(t *testing.T, content []byte, key string) []byte {
	b := Find(content)
	if b.Format == TOML {
		l, err := newTOMLLayout(content, b)
		if err != nil {
			t.Fatalf("Delete changed content the TOML editor cannot read: %v", err)
		}
		e, ok := l.keys[key]
		if !ok {
			t.Fatalf("Delete changed content without key %q", key)
		}
		return append(append([]byte{}, content[:e.lineStart]...), content[e.lineNext:]...)
	}
	ed, err := newEditor(content, b)
	if err != nil {
		t.Fatalf("Delete changed content the editor cannot read: %v", err)
	}
	i, ok := ed.byKey[key]
	if !ok {
		t.Fatalf("Delete changed content without key %q", key)
	}
	e := ed.entries[i]
	return append(append([]byte{}, content[:ed.lines[e.first].start]...), content[ed.lines[e.last].next:]...)
}

func FuzzDelete(f *testing.F) {
	for i, d := range seedDocs() {
		f.Add([]byte(d), keyPool[i%len(keyPool)])
		f.Add([]byte(d), "a")
	}
	f.Fuzz(func(t *testing.T, content []byte, key string) {
		out, err := Delete(content, []string{key})
		if err != nil || bytes.Equal(out, content) {
			return
		}
		want := deleted(t, content, key)
		if !bytes.Equal(out, want) {
			t.Fatalf("Delete(%q, %q)\n got %q\nwant %q", content, key, out, want)
		}
		before, _ := Parse(content)
		after, err := Parse(out)
		if err != nil {
			t.Fatalf("Delete's result does not parse: %v", err)
		}
		if _, still := after[key]; still {
			t.Fatalf("key %q still there", key)
		}
		for k, old := range before {
			if k != key && !equal(after[k], old) {
				t.Fatalf("key %q changed from %#v to %#v", k, old, after[k])
			}
		}
	})
}

// FuzzParseFields holds ParseFields to Parse: the same error, and for every
// key asked for, the same value (or the same absence).
func FuzzParseFields(f *testing.F) {
	for _, d := range seedDocs() {
		f.Add([]byte(d), "title,status,tags")
	}
	for _, s := range []string{"---\na: b\nb: 1\n---\n", "---\na: 1\na: 2\n---\n", "---\nx: [1, 2]\ny: 'q' # c\n---\n",
		"---\npriority: 3\nstatus: draft\ncreated: 2026-01-02\n---\nbody\n", "---\nbad: \"open\n---\n", "---\nk: v\n  indented: x\n---\n"} {
		f.Add([]byte(s), "priority,a,y")
	}
	f.Fuzz(func(t *testing.T, content []byte, keys string) {
		fields := strings.Split(keys, ",")
		want, werr := Parse(content)
		got, gerr := ParseFields(content, fields)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("errors differ on %q: Parse %v, ParseFields %v", content, werr, gerr)
		}
		if werr != nil {
			return
		}
		for _, k := range fields {
			wv, wok := want[k]
			gv, gok := got[k]
			if wok != gok || !equal(map[string]any{k: wv}, map[string]any{k: gv}) {
				t.Fatalf("key %q of %q: Parse %#v (%v), ParseFields %#v (%v)", k, content, wv, wok, gv, gok)
			}
		}
	})
}
