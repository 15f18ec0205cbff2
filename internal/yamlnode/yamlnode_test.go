package yamlnode

import (
	"errors"
	"math"
	"strings"
	"testing"

	"go.uber.org/goleak"
	yaml "go.yaml.in/yaml/v3"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestPlain(t *testing.T) {
	tests := map[string]any{
		"": nil, "~": nil, "null": nil, "NULL": nil, "Null": nil, "nULL": "nULL",
		"true": true, "True": true, "FALSE": false, "yes": "yes", "on": "on", "y": "y",
		"0": int64(0), "-0": int64(0), "+12": int64(12), "0777": int64(777), "0o17": int64(15), "0x1F": int64(31),
		"-0x1F": "-0x1F", "+0o7": "+0o7", "0b101": "0b101", "1_000": "1_000", "0x": "0x",
		"9223372036854775807": int64(math.MaxInt64), "18446744073709551615": uint64(math.MaxUint64),
		"1.5": 1.5, ".5": 0.5, "5.": 5.0, "1e3": 1000.0, "-1.5E-3": -0.0015, "1e": "1e", ".": ".", "+.": "+.",
		".inf": math.Inf(1), "+.Inf": math.Inf(1), "-.INF": math.Inf(-1), "1.2.3": "1.2.3", "12:30": "12:30",
		"2024-05-01": "2024-05-01", "word": "word", "-": "-",
	}
	for in, want := range tests {
		got := Plain(in)
		if got != want {
			t.Errorf("Plain(%q) = %#v, want %#v", in, got, want)
		}
	}
	if f, ok := Plain(".NaN").(float64); !ok || !math.IsNaN(f) {
		t.Errorf("Plain(.NaN) = %#v", Plain(".NaN"))
	}
	if f, ok := Plain("123456789012345678901234567890").(float64); !ok || f < 1e29 {
		t.Errorf("a huge integer = %#v, want a float64", Plain("123456789012345678901234567890"))
	}
}

func TestDepth(t *testing.T) {
	tests := []struct {
		src  string
		want int
	}{
		{"", 0},
		{"a: 1\nb: 2\n", 1},
		{"a:\n  b:\n    c: 1\n", 3},
		{"a:\n- x\n- y\n", 3},
		{"- - - x\n", 4}, // a bound: the scalar after the dashes counts too
		{"a: [1, [2, {b: 3}]]\n", 4},
		{"a: |\n  deep\n    deeper\n      deepest\nb: 1\n", 1},
		{"a:\n- b:\n  - c\n", 5},
		{"a: 1 # [[[\n", 4}, // a bound: brackets count even in comments
	}
	for _, tt := range tests {
		if got, _ := Depth([]byte(tt.src), 0); got != tt.want {
			t.Errorf("Depth(%q) = %d, want %d", tt.src, got, tt.want)
		}
	}
}

// treeDepth is the nesting depth of collections under n.
func treeDepth(n *yaml.Node, seen int) int {
	if n == nil || seen > 10_000 {
		return 0
	}
	d := 0
	for _, c := range n.Content {
		d = max(d, treeDepth(c, seen+1))
	}
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		d++
	}
	return d
}

// FuzzDepthIsABound holds Depth to what it promises: never less than the
// nesting of what the parser builds, so that Check cannot let a deeper
// document through. Parse must never panic.
func FuzzDepthIsABound(f *testing.F) {
	for _, s := range []string{"a:\n  b: [1, {c: 2}]\n", "- - x\n- y\n", "a:\n- b:\n  - c\n", "? a\n: b\n", "a: &x\n  b: 1\nc: *x\n",
		"a: |\n  x\n b: 1\n", "{a: [b, {c: d}]}\n", "a:\n  - [1,\n  2]\n", "k: >-\n  text\n\n  more\nz: 1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 4096 {
			return
		}
		root, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || e.Column < 1 {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		if got, _ := Depth(src, 0); got < treeDepth(root, 0) {
			t.Fatalf("Depth = %d, the parser nests %d levels:\n%s", got, treeDepth(root, 0), src)
		}
	})
}

func TestParseErrorsArePlaced(t *testing.T) {
	tests := []struct {
		src       string
		line, col int
		contains  string
	}{
		{"a: @x\n", 1, 4, "'@'"},
		{"a: 1\nb: `x`\n", 2, 4, "'`'"},
		{"a:\n\tb: 1\n", 2, 1, "tab"},
		{"a: b: c\n", 1, 5, "second ': '"},
		{"a: [1,\n  2\nb: 3\n", 1, 4, "never closed"},
		{"a: {x: 1\n", 1, 4, "never closed"},
		{"a: *nope\n", 1, 4, "unknown alias *nope"},
		{"a: 1\n--- \nb: 2\n", 2, 1, "second YAML document"},
		{"a: 'x\n", 2, 1, "end of stream"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.src))
		var e *Error
		if !errors.As(err, &e) || e.Line != tt.line || e.Column != tt.col || !strings.Contains(e.Message, tt.contains) {
			t.Errorf("Parse(%q) = %v, want an error at %d:%d containing %q", tt.src, err, tt.line, tt.col, tt.contains)
		}
	}
	if root, err := Parse([]byte("# only a comment\n")); root != nil || err != nil {
		t.Errorf("comment only: %v, %v", root, err)
	}
}

func TestCheck(t *testing.T) {
	lim := Limits{MaxBytes: 1 << 10, MaxDepth: 8}
	if e := Check([]byte(strings.Repeat("x", 2<<10)), lim); e == nil || !strings.Contains(e.Message, "KiB") {
		t.Errorf("size: %v", e)
	}
	var b strings.Builder
	for i := range 20 {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	if e := Check([]byte(b.String()), lim); e == nil || e.Line != 9 {
		t.Errorf("depth: %v, want the error on line 9", e)
	}
	if e := Check([]byte("a:\n  b: [1, 2]\n"), lim); e != nil {
		t.Errorf("ordinary text refused: %v", e)
	}
}

func TestDecode(t *testing.T) {
	root, err := Parse([]byte("base: &b {x: 1, y: two}\nm:\n  <<: *b\n  y: 3\nl: [*b, ~, 0x1F, 'q']\n"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := Decode(root, 100)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if got := m["m"].(map[string]any); got["x"] != int64(1) || got["y"] != int64(3) {
		t.Errorf("merge: %#v", got)
	}
	if l := m["l"].([]any); len(l) != 4 || l[1] != nil || l[2] != int64(31) || l[3] != "q" {
		t.Errorf("list: %#v", l)
	}
	var laughs strings.Builder
	laughs.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		p := "*a" + string(rune('0'+i-1))
		laughs.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(p+", ", 9) + p + "]\n")
	}
	root, err = Parse([]byte(laughs.String()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(root, 100_000); err == nil || !strings.Contains(err.Error(), "more than 100000 values") {
		t.Errorf("billion laughs: %v", err)
	}
	root, _ = Parse([]byte("a: 1\na: 2\n"))
	if _, err := Decode(root, 100); err == nil || !strings.Contains(err.Error(), "already defined") {
		t.Errorf("duplicate key: %v", err)
	}
}
