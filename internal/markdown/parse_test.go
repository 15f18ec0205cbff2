package markdown

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// fm wraps YAML text in fences.
func fm(yaml string) string { return "---\n" + yaml + "---\nbody\n" }

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    map[string]any
	}{
		{"no front matter", "# Title\n", map[string]any{}},
		{"empty front matter", "---\n---\n", map[string]any{}},
		{"comments only", fm("# just a note\n\n"), map[string]any{}},
		{"explicit null document", fm("~\n"), map[string]any{}},
		{"unclosed block is not front matter", "---\na: 1\n", map[string]any{}},
		{"scalars", fm("s: hello world\ni: 42\nn: -7\nf: 3.5\nt: true\nF: False\nz: null\ne:\nt2: ~\nbig: 18446744073709551615\nhex: 0x1F\noct: 0o17\n"),
			map[string]any{"s": "hello world", "i": 42, "n": -7, "f": 3.5, "t": true, "F": false, "z": nil, "e": nil, "t2": nil, "big": uint64(math.MaxUint64), "hex": 31, "oct": 15}},
		{"YAML 1.2 words stay strings", fm("a: yes\nb: off\nd: 1.2.3\ne: 1_000\nf: 0b101\n"), map[string]any{"a": "yes", "b": "off", "d": "1.2.3", "e": "1_000", "f": "0b101"}},
		{"YAML 1.2 numbers", fm("c: 1e3\no: 0777\np: +12\nq: .5\nr: 5.\ns: -0x1F\n"), map[string]any{"c": 1000.0, "o": 777, "p": 12, "q": 0.5, "r": 5.0, "s": "-0x1F"}},
		{"special floats", fm("a: .inf\nb: -.inf\n"), map[string]any{"a": math.Inf(1), "b": math.Inf(-1)}},
		{"quoted", fm("a: \"x: y\"\nb: 'it''s'\nc: \"tab\\there\"\nd: \"\"\n"), map[string]any{"a": "x: y", "b": "it's", "c": "tab\there", "d": ""}},
		{"timestamps", fm("d: 2026-01-02\nt: 2026-01-02T15:04:05Z\nz: 2026-01-02 15:04:05.25 +02:00\no: 2026-01-02T15:04:05.25+02:00\nq: \"2026-01-02\"\nbad: 2026-02-30\nnum: 20260102\n"),
			map[string]any{
				"d":   date(2026, 1, 2),
				"t":   time.Date(2026, 1, 2, 15, 4, 5, 0, utcStamp),
				"z":   "2026-01-02 15:04:05.25 +02:00", // not RFC 3339: kept as written
				"o":   time.Date(2026, 1, 2, 15, 4, 5, 250000000, time.FixedZone("", 2*3600)),
				"q":   "2026-01-02",
				"bad": "2026-02-30",
				"num": 20260102,
			}},
		{"collections", fm("flow: [a, 1, {k: v}]\nblock:\n- x\n- y\nmap:\n  k: v\n  n:\n    deep: [1, 2]\nempty: []\nemptymap: {}\n"),
			map[string]any{"flow": []any{"a", 1, map[string]any{"k": "v"}}, "block": []any{"x", "y"},
				"map": map[string]any{"k": "v", "n": map[string]any{"deep": []any{1, 2}}}, "empty": []any{}, "emptymap": map[string]any{}}},
		{"block scalars", fm("lit: |\n  one\n  two\nfold: >-\n  one\n  two\nkeep: |+\n  x\n\nafter: 1\n"),
			map[string]any{"lit": "one\ntwo\n", "fold": "one two", "keep": "x\n\n", "after": 1}},
		{"multi-line plain", fm("a: first\n  second\nb: 2\n"), map[string]any{"a": "first second", "b": 2}},
		{"anchors, aliases, merge", fm("base: &b {x: 1, y: 2}\nref: *b\nmerged:\n  <<: *b\n  y: 3\n"),
			map[string]any{"base": map[string]any{"x": 1, "y": 2}, "ref": map[string]any{"x": 1, "y": 2}, "merged": map[string]any{"x": 1, "y": 3}}},
		{"tags", fm("a: !!str 1.0\nb: !!int \"5\"\nc: !!float 2\nd: !!timestamp \"2026-01-02\"\ne: !custom text\nf: !!str\n"),
			map[string]any{"a": "1.0", "b": 5, "c": 2.0, "d": date(2026, 1, 2), "e": "text", "f": ""}},
		{"keys are strings as written", fm("1: one\ntrue: t\n\"quoted key\": q\nnull: n\n0x1F: h\n"),
			map[string]any{"1": "one", "true": "t", "quoted key": "q", "null": "n", "0x1F": "h"}},
		{"indented mapping", fm("  a: 1\n  b: [2]\n"), map[string]any{"a": 1, "b": []any{2}}},
		{"CRLF", "---\r\na: x\r\nb: |\r\n  l1\r\n  l2\r\n# c\r\nc: [1, 2]\r\n---\r\n", map[string]any{"a": "x", "b": "l1\nl2\n", "c": []any{1, 2}}},
		{"BOM and dots", "\uFEFF---\na: 1\n...\n", map[string]any{"a": 1}},
		{"comments everywhere", fm("# head\na: 1 # trailing\n\n  # indented\nb: \"x\" # t\n"), map[string]any{"a": 1, "b": "x"}},
		{"unicode", fm("titre: Élan vital\nemoji: \"😀\"\n"), map[string]any{"titre": "Élan vital", "emoji": "😀"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.content))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got == nil {
				t.Fatal("Parse returned a nil map")
			}
			if !equal(got, tt.want) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.content, got, tt.want)
			}
		})
	}
}

func TestParseNaN(t *testing.T) {
	m, err := Parse([]byte(fm("a: .nan\n")))
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := m["a"].(float64); !ok || !math.IsNaN(f) {
		t.Errorf("a = %#v, want NaN", m["a"])
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name       string
		content    string
		line, col  int
		msgContain string
	}{
		{"bad indentation", "---\na: 1\n b: 2\n---\n", 3, 3, "not allowed"},
		{"after a BOM and a blank", "\uFEFF---\n\nx: [1,\n---\n", 3, 4, "']'"},
		{"CRLF keeps line numbers", "---\r\n# c\r\n# d\r\na: 1\r\na: 2\r\n---\r\n", 5, 1, "already defined"},
		{"a list", fm("- a\n- b\n"), 2, 1, "mapping"},
		{"a scalar", fm("just text\n"), 2, 1, "mapping"},
		{"duplicate key", fm("a: 1\nb: 2\na: 3\n"), 4, 1, "already defined"},
		{"duplicate key, quoted", fm("1: a\n\"1\": b\n"), 3, 1, "already defined"},
		{"undefined alias", fm("a: *nope\n"), 2, 4, "nope"},
		{"bad tag value", fm("a: !!int abc\n"), 2, 4, "integer"},
		{"second document", "---\na: 1\n--- b\n---\n", 3, 0, "one YAML document"},
		{"second empty document", "---\na: 1\n--- # c\n---\n", 3, 1, "one YAML document"},
		{"bracket bomb", fm("a: " + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + "\n"), 2, 1, "nest deeper"},
		{"alias bomb", fm(aliasBomb(9)), 0, 0, "expands to more than"},
		{"lone CR breaks YAML lines, not file lines", "---\n#\r\r0\n---", 2, 1, "mapping"},
		{"too large", fm(genKeys(5000)), 2, 1, "more than the 64 KiB"},
		{"merge of a scalar", fm("a: 1\nb:\n  <<: 5\n"), 4, 3, "merge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.content))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error = %v (%T), want *Error", err, err)
			}
			if (tt.line != 0 && e.Line != tt.line) || (tt.col != 0 && e.Column != tt.col) || !strings.Contains(e.Message, tt.msgContain) {
				t.Errorf("error = %+v, want line %d column %d containing %q", e, tt.line, tt.col, tt.msgContain)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("line %d", e.Line)) {
				t.Errorf("Error() = %q does not name the line", err.Error())
			}
		})
	}
}

// aliasBomb returns the "billion laughs": n levels of ten aliases each.
func aliasBomb(n int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= n; i++ {
		prev := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.Repeat(prev+", ", 9)+prev)
	}
	return b.String()
}
