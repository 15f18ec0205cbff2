package markdown

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSet(t *testing.T) {
	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600))
	tests := []struct {
		name   string
		in     string
		fields []Field
		want   string
	}{
		{"replace keeps comments and order",
			"---\n# head comment\ntitle: Old # the title\ntags: [a] # tags\n\n# about status\nstatus: draft\n---\nbody\n",
			[]Field{{"status", "done"}},
			"---\n# head comment\ntitle: Old # the title\ntags: [a] # tags\n\n# about status\nstatus: done\n---\nbody\n"},
		{"trailing comment of the touched key stays",
			"---\ntitle: Old   # the title\n---\n",
			[]Field{{"title", "New title"}},
			"---\ntitle: New title   # the title\n---\n"},
		{"new keys appended in the given order",
			"---\nb: 1\na: 2\n---\nbody\n",
			[]Field{{"z", 1}, {"a", 3}, {"m", true}},
			"---\nb: 1\na: 3\nz: 1\nm: true\n---\nbody\n"},
		{"appended before the blank lines that end the block, as GitHub's issue templates do",
			"---\nname: Bug\nlabels: ''\n\n---\nbody\n",
			[]Field{{"b", 2}},
			"---\nname: Bug\nlabels: ''\nb: 2\n\n---\nbody\n"},
		{"blank lines that a kept block scalar holds stay its own, CRLF",
			"---\r\nnote: |+\r\n  text\r\n\r\n---\r\n",
			[]Field{{"b", 2}},
			"---\r\nnote: |+\r\n  text\r\n\r\nb: 2\r\n---\r\n"},
		{"appended after trailing comments of the block",
			"---\na: 1\n# last words\n---\n",
			[]Field{{"b", 2}},
			"---\na: 1\n# last words\nb: 2\n---\n"},
		{"a date stays a date, a quoted one a string, a new one a string",
			"---\nupdated: 2024-01-01\nquoted: \"2024-01-01\"\nat: 2024-01-01T10:00:00Z\n---\n",
			[]Field{{"updated", "2026-12-07"}, {"quoted", "2026-12-07"}, {"at", "2026-12-07T02:45:39+01:00"}, {"created", "2026-12-07"}},
			"---\nupdated: 2026-12-07\nquoted: \"2026-12-07\"\nat: 2026-12-07T02:45:39+01:00\ncreated: \"2026-12-07\"\n---\n"},
		{"a date set to text that is not one",
			"---\nupdated: 2024-01-01\ndue: 2024-01-01\n---\n",
			[]Field{{"updated", "soon"}, {"due", "2024-1-1"}},
			"---\nupdated: soon\ndue: \"2024-1-1\"\n---\n"},
		{"a block list stays a block list, as Obsidian writes it",
			"---\ntags:\n  - a\n  - b # second\naliases:\n- x\ntitle: T\n---\n",
			[]Field{{"tags", []any{"a", "b", "c: d"}}, {"aliases", []any{"z"}}, {"links", []any{"[[Note]]", 1}}},
			"---\ntags:\n  - a\n  - b\n  - \"c: d\"\naliases:\n- z\ntitle: T\nlinks:\n  - \"[[Note]]\"\n  - 1\n---\n"},
		{"a block list with a comment on its key, CRLF",
			"---\r\ntags: # kept\r\n    - a\r\nx: 1\r\n---\r\n",
			[]Field{{"tags", []any{"b"}}},
			"---\r\ntags: # kept\r\n    - b\r\nx: 1\r\n---\r\n"},
		{"a block list becomes a flow list when it must",
			"---\ntags:\n  - a\nempty:\n  - a\n---\n",
			[]Field{{"tags", []any{[]any{"x"}}}, {"empty", []any{}}},
			"---\ntags: [[x]]\nempty: []\n---\n"},
		{"new lists are flow lists beside flow lists",
			"---\ntags: [a]\n---\n",
			[]Field{{"links", []any{"b"}}},
			"---\ntags: [a]\nlinks: [b]\n---\n"},
		{"double quotes kept",
			"---\ntitle: \"Old\"\n---\n",
			[]Field{{"title", "New"}},
			"---\ntitle: \"New\"\n---\n"},
		{"single quotes kept, quote doubled",
			"---\ntitle: 'Old'\n---\n",
			[]Field{{"title", "it's"}},
			"---\ntitle: 'it''s'\n---\n"},
		{"single quotes give way to double for a newline",
			"---\ntitle: 'Old'\n---\n",
			[]Field{{"title", "two\nlines"}},
			"---\ntitle: \"two\\nlines\"\n---\n"},
		{"quote style ignored for non-strings",
			"---\nn: \"5\"\n---\n",
			[]Field{{"n", 6}},
			"---\nn: 6\n---\n"},
		{"plain becomes quoted when needed",
			"---\na: x\nb: x\nc: x\nd: x\ne: x\nf: x\ng: x\nh: x\n---\n",
			[]Field{{"a", "2026-01-02"}, {"b", "true"}, {"c", "123"}, {"d", "a: b"}, {"e", "#tag"}, {"f", ""}, {"g", " lead"}, {"h", "yes"}},
			"---\na: \"2026-01-02\"\nb: \"true\"\nc: \"123\"\nd: \"a: b\"\ne: \"#tag\"\nf: \"\"\ng: \" lead\"\nh: \"yes\"\n---\n"},
		{"plain stays plain",
			"---\na: x\n---\n",
			[]Field{{"a", "Hello, world (part 2) – été, a:b C#"}},
			"---\na: Hello, world (part 2) – été, a:b C#\n---\n"},
		{"value types",
			"---\nx: 1\n---\n",
			[]Field{{"i", -42}, {"u", uint8(7)}, {"f", 1.0}, {"g", 0.1}, {"big", 1e21}, {"b", false}, {"n", nil}, {"t", when},
				{"l", []string{"a", "b c", "d,e"}}, {"m", map[string]any{"z": 1, "a": []any{"x"}, "k y": "v"}}, {"e", []any{}}},
			"---\nx: 1\ni: -42\nu: 7\nf: 1.0\ng: 0.1\nbig: 1.0e+21\nb: false\nn: null\nt: 2026-03-04T05:06:07+01:00\nl: [a, b c, \"d,e\"]\nm: {a: [x], k y: v, z: 1}\ne: []\n---\n"},
		{"times inside collections",
			"---\n---\n",
			[]Field{{"l", []any{date(2026, 1, 2), when}}, {"m", map[string]any{"at": when}}},
			"---\nl: [2026-01-02, !!timestamp \"2026-03-04T05:06:07+01:00\"]\nm: {at: !!timestamp \"2026-03-04T05:06:07+01:00\"}\n---\n"},
		{"indented mapping",
			"---\n  a: 1\n  b:\n    c: 2\n---\n",
			[]Field{{"a", 5}, {"d", 3}},
			"---\n  a: 5\n  b:\n    c: 2\n  d: 3\n---\n"},
		{"CRLF",
			"---\r\na: 1\r\nb: [x]\r\n---\r\nbody\r\n",
			[]Field{{"b", []int{1}}, {"c", "new"}},
			"---\r\na: 1\r\nb: [1]\r\nc: new\r\n---\r\nbody\r\n"},
		{"BOM",
			"\uFEFF---\na: 1\n---\n",
			[]Field{{"a", 2}},
			"\uFEFF---\na: 2\n---\n"},
		{"create after BOM",
			"\uFEFF# Title\n",
			[]Field{{"a", 1}, {"b", "x"}},
			"\uFEFF---\na: 1\nb: x\n---\n# Title\n"},
		{"create with CRLF",
			"# Title\r\ntext\r\n",
			[]Field{{"a", 1}},
			"---\r\na: 1\r\n---\r\n# Title\r\ntext\r\n"},
		{"create in an empty file",
			"",
			[]Field{{"a", 1}},
			"---\na: 1\n---\n"},
		{"create before a lone thematic break",
			"---\ntext\n",
			[]Field{{"a", 1}},
			"---\na: 1\n---\n---\ntext\n"},
		{"missing final newline after the body",
			"---\na: 1\n---\nbody",
			[]Field{{"a", 2}},
			"---\na: 2\n---\nbody"},
		{"only front matter, no final newline",
			"---\na: 1\n---",
			[]Field{{"b", 2}},
			"---\na: 1\nb: 2\n---"},
		{"dots as closing fence",
			"---\na: 1\n...\nbody\n",
			[]Field{{"a", 2}, {"b", 3}},
			"---\na: 2\nb: 3\n...\nbody\n"},
		{"empty front matter",
			"---\n---\nbody\n",
			[]Field{{"a", 1}},
			"---\na: 1\n---\nbody\n"},
		{"thematic break in the body untouched",
			"---\na: 1\n---\ntext\n---\nb: 2\n",
			[]Field{{"b", 3}},
			"---\na: 1\nb: 3\n---\ntext\n---\nb: 2\n"},
		{"replace a flow map",
			"---\na: {x: 1, y: [2, 3]} # c\nb: 1\n---\n",
			[]Field{{"a", map[string]any{"x": 2}}},
			"---\na: {x: 2} # c\nb: 1\n---\n"},
		{"replace a block map",
			"---\na:\n  x: 1\n  y:\n    - 2\n# about b\nb: 1\n---\n",
			[]Field{{"a", "flat"}},
			"---\na: flat\n# about b\nb: 1\n---\n"},
		{"replace an indentless sequence",
			"---\ntags:\n- a\n- b\nnext: 1\n---\n",
			[]Field{{"tags", []string{"c"}}},
			"---\ntags:\n- c\nnext: 1\n---\n"},
		{"replace a sequence, keep the key line comment",
			"---\ntags: # my tags\n  - a\n  - b\n\nnext: 1\n---\n",
			[]Field{{"tags", []string{"c"}}},
			"---\ntags: # my tags\n  - c\n\nnext: 1\n---\n"},
		{"replace a literal block scalar",
			"---\ntext: |\n  one\n\n  two\n\nnext: 1\n---\n",
			[]Field{{"text", "new"}},
			"---\ntext: new\n\nnext: 1\n---\n"},
		{"replace a folded block scalar at the end",
			"---\na: 1\ntext: >-\n  one\n  two\n---\n",
			[]Field{{"text", "x\ny"}},
			"---\na: 1\ntext: \"x\\ny\"\n---\n"},
		{"replace a multi-line plain scalar",
			"---\na: first\n  second\nb: 2\n---\n",
			[]Field{{"a", 1}},
			"---\na: 1\nb: 2\n---\n"},
		{"replace a multi-line quoted scalar",
			"---\na: \"first\n  second\"\nb: 2\n---\n",
			[]Field{{"a", "x"}},
			"---\na: \"x\"\nb: 2\n---\n"},
		{"replace an empty value",
			"---\na:\nb: # note\n---\n",
			[]Field{{"a", 1}, {"b", 2}},
			"---\na: 1\nb: 2 # note\n---\n"},
		{"replace a tagged value",
			"---\na: !!str 5\n---\n",
			[]Field{{"a", 6}},
			"---\na: 6\n---\n"},
		{"quoted key",
			"---\n\"title\": old\n---\n",
			[]Field{{"title", "new"}},
			"---\n\"title\": new\n---\n"},
		{"key with spaces",
			"---\nDate created: 2026-01-01\n---\n",
			[]Field{{"Date created", date(2026, 1, 2)}},
			"---\nDate created: 2026-01-02\n---\n"},
		{"tab after colon kept",
			"---\na:\t1\n---\n",
			[]Field{{"a", 2}},
			"---\na:\t2\n---\n"},
		{"tagged top-level mapping",
			"---\n!!map\na: 1\n---\n",
			[]Field{{"a", 2}, {"b", 3}},
			"---\n!!map\na: 2\nb: 3\n---\n"},
		{"tag with nothing to qualify yet",
			"---\n!t\n---\n",
			[]Field{{"a", 1}},
			"---\n!t\na: 1\n---\n"},
		{"other keys with unusual layouts do not matter",
			"---\n&k a: x\n!!str 5: y\nb: 1\n---\n",
			[]Field{{"b", 2}},
			"---\n&k a: x\n!!str 5: y\nb: 2\n---\n"},
		{"merge-provided key is overridden explicitly",
			"---\nbase: &b {x: 1}\nc:\n  <<: *b\n---\n",
			[]Field{{"x", 5}},
			"---\nbase: &b {x: 1}\nc:\n  <<: *b\nx: 5\n---\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Set([]byte(tt.in), tt.fields)
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("Set(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			again, err := Set(got, tt.fields)
			if err != nil || string(again) != string(got) {
				t.Errorf("Set is not idempotent: second run gives %q, %v", again, err)
			}
		})
	}
}

// TestSetDateUnchanged: a date set to its own text changes nothing.
func TestSetDateUnchanged(t *testing.T) {
	for _, in := range []string{"---\nupdated: 2024-01-01\n---\n", "+++\nupdated = 2024-01-01\n+++\n"} {
		out, err := Set([]byte(in), []Field{{"updated", "2024-01-01"}})
		if err != nil || string(out) != in {
			t.Errorf("Set(%q) = %q, %v; want it unchanged", in, out, err)
		}
	}
}

func TestSetUnchangedReturnsSameBytes(t *testing.T) {
	in := []byte("---\ntitle: \"Hello\"\ndate: 2026-01-02\ntags: [a, b]\nn: 5\nf: 1.5\n---\nbody\n")
	out, err := Set(in, []Field{
		{"title", "Hello"}, {"date", date(2026, 1, 2)}, {"tags", []string{"a", "b"}}, {"n", int64(5)}, {"f", float32(1.5)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if &out[0] != &in[0] || len(out) != len(in) {
		t.Errorf("Set returned new bytes %q for equal values", out)
	}
	if out, err := Set(in, nil); err != nil || &out[0] != &in[0] {
		t.Errorf("Set with no fields: %q, %v", out, err)
	}
}

func TestSetErrors(t *testing.T) {
	valid := "---\na: 1\n---\n"
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	tests := []struct {
		name    string
		in      string
		fields  []Field
		wantErr string
	}{
		{"empty key", valid, []Field{{"", 1}}, "plain YAML key"},
		{"key with colon", valid, []Field{{"a: b", 1}}, "plain YAML key"},
		{"key with hash", valid, []Field{{"a #b", 1}}, "plain YAML key"},
		{"key starting with a symbol", valid, []Field{{"-a", 1}}, "plain YAML key"},
		{"numeric key", valid, []Field{{"12", 1}}, "plain YAML key"},
		{"boolean key", valid, []Field{{"true", 1}}, "plain YAML key"},
		{"null key", valid, []Field{{"null", 1}}, "plain YAML key"},
		{"key with a newline", valid, []Field{{"a\nb", 1}}, "plain YAML key"},
		{"key with trailing space", valid, []Field{{"a ", 1}}, "plain YAML key"},
		{"duplicate field", valid, []Field{{"b", 1}, {"b", 2}}, "twice"},
		{"unsupported type", valid, []Field{{"b", make(chan int)}}, "unsupported value type"},
		{"bytes", valid, []Field{{"b", []byte("x")}}, "[]byte"},
		{"invalid UTF-8", valid, []Field{{"b", "\xff"}}, "UTF-8"},
		{"cyclic value", valid, []Field{{"b", cyclic}}, "cyclic"},
		{"non-string map keys", valid, []Field{{"b", map[int]int{1: 2}}}, "keys must be strings"},
		{"far future", valid, []Field{{"b", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}, "RFC 3339"},
		{"list front matter", "---\n- a\n---\n", []Field{{"a", 1}}, "must be a mapping"},
		{"invalid YAML", "---\na: [1\n---\n", []Field{{"a", 1}}, "line 2"},
		{"flow mapping", "---\n{a: 1, b: 2}\n---\n", []Field{{"a", 2}}, "flow mapping"},
		{"explicit key", "---\n? a\n: 1\n---\n", []Field{{"a", 2}}, "explicit"},
		{"anchor still referenced", "---\na: &x 1\nb: *x\n---\n", []Field{{"a", 2}}, "invalid"},
		{"key written with a tag", "---\n!!str 5: x\nb: 1\n---\n", []Field{{"5", 2}}, "plain YAML key"},
		{"key written with an anchor", "---\n&k a: x\nb: 1\n---\n", []Field{{"a", 2}}, "cannot find its ':'"},
		{"lone carriage return", "---\na: 1\rb: 2\n---\n", []Field{{"a", 2}}, "carriage return"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Set([]byte(tt.in), tt.fields)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Set = %q, %v; want an error containing %q", out, err, tt.wantErr)
			}
			if out != nil {
				t.Errorf("Set returned content %q with an error", out)
			}
		})
	}
	_, err := Set([]byte("---\na: [1\n---\n"), []Field{{"a", 1}})
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 {
		t.Errorf("invalid YAML: error %v is not an *Error at line 2", err)
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name string
		in   string
		keys []string
		want string
	}{
		{"one key, comments kept",
			"---\n# head\na: 1 # about a\n# about b\nb: 2\nc: 3\n---\nbody\n",
			[]string{"b"},
			"---\n# head\na: 1 # about a\n# about b\nc: 3\n---\nbody\n"},
		{"nested value lines go with the key",
			"---\na:\n  x: 1\n  y:\n    - 2\n  # inner comment\n\n# about c\nc: 3\n---\n",
			[]string{"a"},
			"---\n\n# about c\nc: 3\n---\n"},
		{"indentless sequence",
			"---\ntags:\n- a\n- b\nnext: 1\n---\n",
			[]string{"tags"},
			"---\nnext: 1\n---\n"},
		{"block scalar",
			"---\na: |\n  one\n\n  # not a comment\nb: 2\n---\n",
			[]string{"a"},
			"---\nb: 2\n---\n"},
		{"multi-line flow",
			"---\na: [1,\n  2]\nb: 2\n---\n",
			[]string{"a"},
			"---\nb: 2\n---\n"},
		{"several keys, absent ones ignored",
			"---\na: 1\nb: 2\nc: 3\n---\n",
			[]string{"c", "nope", "a", "a"},
			"---\nb: 2\n---\n"},
		{"every key leaves an empty block",
			"---\na: 1\nb: [2]\n---\nbody\n",
			[]string{"a", "b"},
			"---\n---\nbody\n"},
		{"CRLF",
			"---\r\na: 1\r\nb: 2\r\n---\r\n",
			[]string{"a"},
			"---\r\nb: 2\r\n---\r\n"},
		{"BOM, dots, no final newline",
			"\uFEFF---\na: 1\nb: 2\n...",
			[]string{"b"},
			"\uFEFF---\na: 1\n..."},
		{"last key with trailing comment lines",
			"---\na: 1\nb: 2\n# end\n---\n",
			[]string{"b"},
			"---\na: 1\n# end\n---\n"},
		{"indented mapping",
			"---\n  a: 1\n  b:\n    c: 2\n  d: 3\n---\n",
			[]string{"b"},
			"---\n  a: 1\n  d: 3\n---\n"},
		{"explicit key",
			"---\n? a\n: 1\nb: 2\n---\n",
			[]string{"a"},
			"---\nb: 2\n---\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Delete([]byte(tt.in), tt.keys)
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("Delete(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDeleteUnchanged(t *testing.T) {
	for _, in := range []string{"no front matter\n", "---\na: 1\n---\n", "---\n---\n"} {
		out, err := Delete([]byte(in), []string{"b"})
		if err != nil || string(out) != in {
			t.Errorf("Delete(%q) = %q, %v; want it unchanged", in, out, err)
		}
	}
}

func TestDeleteErrors(t *testing.T) {
	tests := []struct {
		name, in, key, wantErr string
	}{
		{"invalid YAML", "---\na: [\n---\n", "a", "line 2"},
		{"list", "---\n- a\n---\n", "a", "mapping"},
		{"merged key", "---\nb: &b {x: 1}\n<<: *b\n---\n", "x", "merge"},
		{"anchor still referenced", "---\na: &x 1\nb: *x\n---\n", "a", "invalid"},
		// Without b, the line of spaces after it would join a's text.
		{"block scalar would grow", "---\na: |\n  text\nb: 1\n     \n---\n", "b", `key "a" would read back`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Delete([]byte(tt.in), []string{tt.key})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Delete = %q, %v; want an error containing %q", out, err, tt.wantErr)
			}
		})
	}
}
