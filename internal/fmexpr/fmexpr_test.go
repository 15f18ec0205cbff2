package fmexpr

import (
	"strings"
	"testing"
	"time"

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

// Dates and times written as text (Obsidian's "Date & time" properties,
// local date-times YAML leaves as strings) compare with times as times.
func TestTextDatesCompareWithTimes(t *testing.T) {
	fm := map[string]any{
		"obsidian": "2024-01-15T10:30", "local": "2030-01-15 10:30:00", "date": "2024-01-15",
		"zoned": "2024-01-15T10:30:00+02:00", "word": "soon", "d": time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC),
	}
	for _, c := range []struct {
		src  string
		want bool
	}{
		{`fm.obsidian < now()`, true},
		{`now() > fm.obsidian`, true},
		{`fm.local > now()`, true},
		{`fm.date <= date("2024-01-15")`, true},
		{`fm.zoned < date("2024-01-15T09:00:00Z")`, true}, // 08:30 UTC
		{`fm.obsidian > fm.d`, true},
		{`fm.obsidian > "2024"`, true}, // text with text: expr's own
	} {
		got, err := run(t, c.src, fm)
		if err != nil || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.src, got, err, c.want)
		}
	}
	if _, err := run(t, `fm.word < now()`, fm); err == nil || !strings.Contains(err.Error(), "string < time.Time") {
		t.Errorf("text that is no date: err = %v", err)
	}
	for s, want := range map[string]time.Time{
		"2024-01-15":                time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC),
		"2024-01-15T10:30":          time.Date(2024, 1, 15, 10, 30, 0, 0, time.Local),
		"2024-01-15 10:30:05":       time.Date(2024, 1, 15, 10, 30, 5, 0, time.Local),
		"2024-01-15T10:30:05.5":     time.Date(2024, 1, 15, 10, 30, 5, 5e8, time.Local),
		"2024-01-15T10:30:00Z":      time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC),
		"2024-01-15T10:30:00-05:00": time.Date(2024, 1, 15, 15, 30, 0, 0, time.UTC),
	} {
		if got, ok := Time(s); !ok || !got.Equal(want) {
			t.Errorf("Time(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"2024-1-15", "2024-01-32", "15/01/2024", "2024", "", "2024-01-15T25:00"} {
		if got, ok := Time(s); ok {
			t.Errorf("Time(%q) = %v, want none", s, got)
		}
	}
}
