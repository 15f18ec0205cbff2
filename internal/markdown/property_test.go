package markdown

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// propertyCases is the number of random documents each property is checked
// on: 10,000, or fewer in -short mode and under the race detector (there is
// no concurrency here for it to check).
func propertyCases() int {
	switch {
	case testing.Short():
		return 1000
	case raceEnabled:
		return 2000
	}
	return 10000
}

// genEntry is a generated top-level key and where its lines are.
type genEntry struct {
	key        string
	start      int // start of the key line
	end        int // end of the last value line, before its newline
	next       int // start of the line after the value
	singleLine bool
}

// genDoc is a generated Markdown file with front matter that Set and Delete
// must be able to edit.
type genDoc struct {
	content []byte
	present bool
	start   int // Block.Start
	yamlEnd int
	indent  string
	nl      string
	entries []genEntry
}

var keyPool = []string{"title", "tags", "date", "Date created", "draft", "n", "on", "x_y", "a-b", "ÉtÉ", "status", "k9"}

func genDocument(r *rand.Rand) genDoc {
	d := genDoc{nl: pick(r, "\n", "\r\n")}
	var b []byte
	if r.IntN(4) == 0 {
		b = append(b, utf8BOM...)
	}
	d.start = len(b)
	if r.IntN(10) == 0 {
		d.content = append(b, pick(r, "", "# Title"+d.nl, "text", "---"+d.nl+"text"+d.nl)...)
		return d
	}
	d.present = true
	d.indent = pick(r, "", "", "", "  ")
	b = append(b, "---"+d.nl...)
	keys := r.Perm(len(keyPool))[:r.IntN(6)]
	for _, ki := range keys {
		b = append(b, trailers(r, d.indent, d.nl)...)
		e := genEntry{key: keyPool[ki], start: len(b)}
		text, single := genValueText(r, d.indent, d.nl)
		b = append(b, d.indent+e.key+":"+text...)
		e.end, e.singleLine = len(b), single
		b = append(b, d.nl...)
		e.next = len(b)
		d.entries = append(d.entries, e)
	}
	b = append(b, trailers(r, d.indent, d.nl)...)
	d.yamlEnd = len(b)
	b = append(b, pick(r, "---", "---", "...")...)
	body := pick(r, "", "body", "# Body"+d.nl+"---"+d.nl+"a: 1"+d.nl, d.nl+"text"+d.nl)
	if body != "" || r.IntN(2) == 0 {
		b = append(b, d.nl...)
	}
	d.content = append(b, body...)
	return d
}

func pick(r *rand.Rand, choices ...string) string { return choices[r.IntN(len(choices))] }

// trailers returns blank and comment lines that belong to no key.
func trailers(r *rand.Rand, indent, nl string) string {
	var s string
	for range r.IntN(3) {
		// A blank line holds at most one space: with more spaces than the
		// indentation of a block scalar before it, a line of spaces is part of
		// that scalar, and removing the key between them changes the scalar
		// (Delete then refuses; see TestDeleteRefusesToGrowBlockScalar).
		s += pick(r, nl, "# a comment"+nl, indent+"# indented: [x"+nl, " "+nl)
	}
	return s
}

// genValueText returns the text after "key:" (spanning lines for block
// values) and whether it is a single line.
func genValueText(r *rand.Rand, in, nl string) (string, bool) {
	single := []string{
		" plain words", " 42", " -3", " 2.5", " true", " null", "", " ~", " 2026-01-02", " 2026-01-02T10:00:00+02:00",
		` "dq \" esc \u00e9"`, ` 'sq ''x'''`, ` "#not a comment"`, " [a, 'b c', 3]", " {x: 1, y: [z]}", " []", " C#",
		" a:b", ` "2026-01-02"`, " !!str 12", " &anchor value", " 'it''s' ",
	}
	multi := []string{
		nl + in + "- a" + nl + in + "- b",
		nl + in + "  - a" + nl + in + "  - {k: v}",
		nl + in + "  x: 1" + nl + in + "  y:" + nl + in + "    - 2",
		" |" + nl + in + "  line one" + nl + nl + in + "  # hash in text",
		" >-" + nl + in + "  a" + nl + in + "  b",
		" first" + nl + in + "  second",
		` "multi` + nl + in + `  line"`,
		" [1," + nl + in + "  2]",
		" # comment on the key line" + nl + in + "  - x",
	}
	if r.IntN(2) == 0 {
		s := single[r.IntN(len(single))]
		if r.IntN(3) == 0 {
			s += " # trailing"
		}
		return s, true
	}
	return multi[r.IntN(len(multi))], false
}

var stringPieces = []string{
	"a", "word", " ", "  ", "2026-01-02", "2026-01-02T10:00:00Z", "true", "yes", "No", "null", "~", "123", "-1", "0x1F",
	"1e3", "1.5", ".inf", "+.inf", ".NaN", ":", ": ", " #", "#", "-", "- ", "?", "[", "]", "{", "}", ",", "'", "\"", "\\",
	"\n", "\r\n", "\t", "é", "😀", "\u2028", "\u0085", "\u00a0", "\ufeff", "\x00", "\x7f", "---", "...", "&a", "*a", "!t",
	"|", ">", "%", "@", "`", "=", "<<",
}

func genString(r *rand.Rand) string {
	var s strings.Builder
	for range r.IntN(4) {
		s.WriteString(stringPieces[r.IntN(len(stringPieces))])
	}
	return s.String()
}

func genValue(r *rand.Rand, depth int) any {
	kinds := 14
	if depth > 1 {
		kinds = 10
	}
	switch r.IntN(kinds) {
	case 0, 1, 2:
		return genString(r)
	case 3:
		return []int{0, 1, -1, 42, math.MaxInt64, math.MinInt64}[r.IntN(6)] + r.IntN(3)
	case 4:
		return []float64{0, 0.1, -2.5, 1, 1e21, 1e-7, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1)}[r.IntN(12)]
	case 5:
		return r.IntN(2) == 0
	case 6:
		return nil
	case 7:
		zone := []*time.Location{time.UTC, time.FixedZone("", 3600), time.FixedZone("", -5*3600-1800), time.Local}[r.IntN(4)]
		return time.Unix(r.Int64N(4e9)-1e9, []int64{0, 0, 5e8, int64(r.IntN(1e9))}[r.IntN(4)]).In(zone)
	case 8:
		return []any{uint64(math.MaxUint64), int8(-8), uint16(16), float32(0.1), "x"}[r.IntN(5)]
	case 9:
		return []string{genString(r), genString(r)}
	case 10, 11:
		list := make([]any, r.IntN(4))
		for i := range list {
			list[i] = genValue(r, depth+1)
		}
		return list
	default:
		m := map[string]any{}
		for range r.IntN(4) {
			m[genString(r)] = genValue(r, depth+1)
		}
		return m
	}
}

// TestSetProperties checks, on random documents and values, that Set's
// result reads back the value, keeps every other key, leaves every byte
// outside the touched key's lines as it was, and is idempotent.
func TestSetProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range propertyCases() {
		d := genDocument(r)
		before, err := Parse(d.content)
		if err != nil {
			t.Fatalf("case %d: generated document does not parse: %v\n%q", i, err, d.content)
		}
		key := keyPool[r.IntN(len(keyPool))]
		v := genValue(r, 0)
		t.Run("", func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("case %d: Set(%q, %q: %#v)", i, d.content, key, v)
				}
			}()
			checkSet(t, d, before, key, v)
		})
		if t.Failed() {
			return
		}
	}
}

func checkSet(t *testing.T, d genDoc, before map[string]any, key string, v any) {
	t.Helper()
	want, err := normalize(v, 0)
	if err != nil {
		t.Fatalf("normalize: %v", err)
	}
	out, err := Set(d.content, []Field{{key, v}})
	if err != nil {
		t.Fatalf("Set: %v", err)
	}
	after, err := Parse(out)
	if err != nil {
		t.Fatalf("result does not parse: %v\n%q", err, out)
	}
	if !equal(after[key], want) {
		t.Errorf("value reads back as %#v, want %#v\n%q", after[key], want, out)
	}
	for k, old := range before {
		if k != key && !equal(after[k], old) {
			t.Errorf("key %q changed from %#v to %#v", k, old, after[k])
		}
	}
	if len(after) != len(before)+btoi(before[key] == nil && !has(before, key)) {
		t.Errorf("keys: before %v, after %v", before, after)
	}
	// Bytes outside the touched lines are identical.
	var prefix, suffix []byte
	switch e, found := d.entry(key); {
	case !d.present:
		prefix, suffix = d.content[:d.start], d.content[d.start:]
	case found:
		prefix, suffix = d.content[:e.start+len(d.indent)+len(key)+1], d.content[e.end:]
	default:
		prefix, suffix = d.content[:d.yamlEnd], d.content[d.yamlEnd:]
	}
	places := [][2][]byte{{prefix, suffix}}
	if _, found := d.entry(key); d.present && !found {
		// A new key goes before the blank lines that end the block, or
		// at its end when that would change a value.
		if at := beforeBlankLines(d.content, d.start+len("---"+d.nl), d.yamlEnd); at < d.yamlEnd {
			places = append(places, [2][]byte{d.content[:at], d.content[at:]})
		}
	}
	if !keptOutside(out, places) {
		t.Errorf("bytes outside the key changed:\n in %q\nout %q", d.content, out)
	}
	if e, found := d.entry(key); found && e.singleLine && bytes.Contains(d.content[e.start:e.end], []byte(" # trailing")) && !bytes.Contains(out, []byte(" # trailing")) {
		t.Errorf("the trailing comment of the key was lost: %q", out)
	}
	again, err := Set(out, []Field{{key, v}})
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("not idempotent: %q, %v", again, err)
	}
	if equal(before[key], want) && has(before, key) && !bytes.Equal(out, d.content) {
		t.Errorf("equal value rewritten: %q", out)
	}
}

func (d genDoc) entry(key string) (genEntry, bool) {
	for _, e := range d.entries {
		if e.key == key {
			return e, true
		}
	}
	return genEntry{}, false
}

func has(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDeleteProperties checks that Delete removes exactly the key's lines.
func TestDeleteProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range propertyCases() {
		d := genDocument(r)
		if len(d.entries) == 0 {
			continue
		}
		e := d.entries[r.IntN(len(d.entries))]
		out, err := Delete(d.content, []string{e.key})
		if err != nil {
			t.Fatalf("case %d: Delete(%q, %q): %v", i, d.content, e.key, err)
		}
		want := append(append([]byte{}, d.content[:e.start]...), d.content[e.next:]...)
		if !bytes.Equal(out, want) {
			t.Fatalf("case %d: Delete(%q, %q)\n got %q\nwant %q", i, d.content, e.key, out, want)
		}
		again, err := Delete(out, []string{e.key})
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("case %d: Delete not idempotent: %q, %v", i, again, err)
		}
	}
}

// TestRoundTripStrings checks that every generated string reads back as the
// same string, quoted or not, in a new key, an old plain value and old
// quoted values.
func TestRoundTripStrings(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	docs := []string{"", "---\ns: x\n---\n", "---\ns: \"x\"\n---\n", "---\ns: 'x'\n---\n"}
	for i := range propertyCases() {
		s := genString(r)
		for _, doc := range docs {
			out, err := Set([]byte(doc), []Field{{"s", s}})
			if err != nil {
				t.Fatalf("case %d: Set(%q, s: %q): %v", i, doc, s, err)
			}
			m, err := Parse(out)
			if err != nil || m["s"] != s {
				t.Fatalf("case %d: %q reads back as %#v, %v from %q", i, s, m["s"], err, out)
			}
		}
	}
}

func ExampleSet() {
	in := []byte("---\ntitle: \"Draft\" # shown in lists\ntags: [a]\n---\n# Body\n")
	out, err := Set(in, []Field{{Key: "title", Value: "Final"}, {Key: "updated", Value: "2026-01-02"}})
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// ---
	// title: "Final" # shown in lists
	// tags: [a]
	// updated: "2026-01-02"
	// ---
	// # Body
}
