package fmexpr

import (
	"strings"
	"testing"

	"github.com/expr-lang/expr"
)

func run(t *testing.T, src string, fm map[string]any) (bool, error) {
	t.Helper()
	env := map[string]any{"fm": map[string]any{}, "n": 0}
	p, err := expr.Compile(src, append(Options(), expr.Env(env), expr.AsBool())...)
	if err != nil {
		t.Fatalf("compile %q: %v", src, err)
	}
	out, err := expr.Run(p, map[string]any{"fm": fm, "n": 2})
	b, _ := out.(bool)
	return b, err
}

func TestComparisons(t *testing.T) {
	fm := map[string]any{
		"p": 4, "f": 2.5, "s": "b", "tags": []any{"x", "y"}, "tag": "x",
		"m": map[string]any{"k": 1, "deep": map[string]any{"v": 7}},
	}
	for _, c := range []struct {
		src  string
		want bool
	}{
		{`fm.p >= 3`, true},
		{`fm.p < 3`, false},
		{`3 < fm.p`, true},
		{`fm.f > 2 && fm.f <= 2.5`, true},
		{`fm.s > "a"`, true},
		{`fm.missing > 3`, false},
		{`fm.missing <= 3`, false},
		{`3 >= fm.missing`, false},
		{`fm["missing"] > 3`, false},
		{`fm.m.deep.v > 6`, true},
		{`fm.m?.gone?.v > 6`, false}, // a nested missing field: ?. as in expr
		{`fm?.m?.deep?.v > 6`, true},
		{`not (fm.missing > 3)`, true},
		{`"x" in fm.tags`, true},
		{`"z" in fm.tags`, false},
		{`"x" in fm.tag`, true},
		{`"xx" in fm.tag`, false},
		{`"x" not in fm.tag`, false},
		{`"k" in fm.m`, true},
		{`"x" in fm.missing`, false},
		{`4 in fm.p`, true},
		{`n > 1`, true},                 // not the front matter: expr's own
		{`"x" in ["x"]`, true},          // likewise
		{`(fm.missing ?? 5) > 3`, true}, // a default still works
	} {
		got, err := run(t, c.src, fm)
		if err != nil || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.src, got, err, c.want)
		}
	}
}

// Values that cannot be ordered still fail, with expr's words.
func TestMismatchStillFails(t *testing.T) {
	for src, want := range map[string]string{
		`fm.s > 3`:    "invalid operation: string > int",
		`fm.tags < 1`: "invalid operation: []interface {} < int",
		`fm.m >= 1`:   "invalid operation: map[string]interface {} >= int",
	} {
		_, err := run(t, src, map[string]any{"s": "a", "tags": []any{1}, "m": map[string]any{}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}
