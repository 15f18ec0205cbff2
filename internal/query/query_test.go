package query

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func paths(docs []Doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Path
	}
	return out
}

func mustCompile(t *testing.T, s Spec) *Query {
	t.Helper()
	q, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", s, err)
	}
	return q
}

var day = func(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var corpus = []Doc{
	{Path: "notes/b.md", FM: map[string]any{"title": "Beta", "date": day("2024-02-01"), "rank": 2, "status": "published"}},
	{Path: "notes/a.md", FM: map[string]any{"title": "alpha", "date": day("2024-03-01"), "rank": 10, "status": "draft"}},
	{Path: "notes/c.md", FM: map[string]any{"title": "Charlie", "rank": 2.5, "status": "published"}},
	{Path: "notes/sub/d.md", FM: map[string]any{"title": "delta", "date": day("2024-01-15"), "status": "published", "meta": map[string]any{"w": 3}}},
	{Path: "journal/e.md", FM: map[string]any{"title": "Echo", "date": day("2024-05-01")}},
	{Path: "f.md", FM: nil},
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want []string
	}{
		{"all by path", Spec{}, []string{"f.md", "journal/e.md", "notes/a.md", "notes/b.md", "notes/c.md", "notes/sub/d.md"}},
		{"path desc", Spec{Order: "desc"}, []string{"notes/sub/d.md", "notes/c.md", "notes/b.md", "notes/a.md", "journal/e.md", "f.md"}},
		{"glob", Spec{From: []string{"notes/*.md"}}, []string{"notes/a.md", "notes/b.md", "notes/c.md"}},
		{"globstar", Spec{From: []string{"notes/**/*.md"}}, []string{"notes/a.md", "notes/b.md", "notes/c.md", "notes/sub/d.md"}},
		{"two globs", Spec{From: []string{"journal/**", "f.md"}}, []string{"f.md", "journal/e.md"}},
		{"where", Spec{Where: `fm.status == "published"`}, []string{"notes/b.md", "notes/c.md", "notes/sub/d.md"}},
		{"where missing is nil", Spec{Where: `fm.status == nil`}, []string{"f.md", "journal/e.md"}},
		{"where path", Spec{Where: `path startsWith "notes/sub/"`}, []string{"notes/sub/d.md"}},
		{"where ordered, missing fields never", Spec{Where: `fm.rank > 2`}, []string{"notes/a.md", "notes/c.md"}},
		{"where in one value", Spec{Where: `"draft" in fm.status`}, []string{"notes/a.md"}},
		{"date desc, missing last", Spec{Sort: "fm.date", Order: "desc"}, []string{"journal/e.md", "notes/a.md", "notes/b.md", "notes/sub/d.md", "f.md", "notes/c.md"}},
		{"date asc, missing last", Spec{Sort: "date"}, []string{"notes/sub/d.md", "notes/b.md", "notes/a.md", "journal/e.md", "f.md", "notes/c.md"}},
		{"numbers mixed int and float", Spec{Sort: "rank", From: []string{"notes/*.md"}}, []string{"notes/b.md", "notes/c.md", "notes/a.md"}},
		{"strings case-insensitive", Spec{Sort: "fm.title"}, []string{"notes/a.md", "notes/b.md", "notes/c.md", "notes/sub/d.md", "journal/e.md", "f.md"}},
		{"nested key", Spec{Sort: "fm.meta.w"}, []string{"notes/sub/d.md", "f.md", "journal/e.md", "notes/a.md", "notes/b.md", "notes/c.md"}},
		{"limit", Spec{Sort: "fm.date", Order: "desc", Limit: 2}, []string{"journal/e.md", "notes/a.md"}},
		{"limit larger than result", Spec{Where: `fm.rank == 10`, Limit: 5}, []string{"notes/a.md"}},
		{"empty result", Spec{Where: `fm.status == "gone"`}, []string{}},
		{"tie broken by path in both orders", Spec{Sort: "fm.status", Order: "desc", From: []string{"notes/**"}}, []string{"notes/b.md", "notes/c.md", "notes/sub/d.md", "notes/a.md"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := mustCompile(t, tt.spec)
			res := q.Select(corpus)
			if got := paths(res.Docs); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if len(res.Failed) != 0 {
				t.Errorf("unexpected failures: %v", res.Failed)
			}
		})
	}
}

func TestSelectDoesNotDependOnInputOrder(t *testing.T) {
	q := mustCompile(t, Spec{Sort: "fm.status", Order: "desc"})
	want := paths(q.Select(corpus).Docs)
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		docs := slices.Clone(corpus)
		r.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
		if got := paths(q.Select(docs).Docs); !slices.Equal(got, want) {
			t.Fatalf("order depends on input: got %q want %q", got, want)
		}
	}
}

// A document whose values the condition cannot compare (a title with a
// number) is left out and reported; one that lacks the field is only left
// out (internal/fmexpr).
func TestSelectRuntimeFailureLeavesDocOut(t *testing.T) {
	q := mustCompile(t, Spec{Where: `fm.title > 2`})
	res := q.Select(corpus)
	if len(res.Docs) != 0 {
		t.Errorf("docs = %q, want none", paths(res.Docs))
	}
	var failed []string
	for _, f := range res.Failed {
		failed = append(failed, f.Path)
		if !strings.Contains(f.Err.Error(), "where `fm.title > 2` failed") || !strings.Contains(f.Err.Error(), "string > int") || !strings.Contains(f.Err.Error(), "(here fm.title = \"") {
			t.Errorf("failure %s: %v does not say it is the condition, why, and the value it read", f.Path, f.Err)
		}
	}
	if want := []string{"journal/e.md", "notes/a.md", "notes/b.md", "notes/c.md", "notes/sub/d.md"}; !slices.Equal(failed, want) {
		t.Errorf("failed = %q, want %q (f.md has no title: left out, not failed)", failed, want)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		spec  Spec
		field string
		says  string
	}{
		{Spec{From: []string{"ok/**", "bad/[z"}}, "from[1]", `invalid glob "bad/[z"`},
		{Spec{From: []string{""}}, "from[0]", "invalid glob"},
		{Spec{Where: `fm.status ==`}, "where", "invalid condition"},
		{Spec{Where: `path + 1`}, "where", "mismatched types"},
		{Spec{Where: `path`}, "where", "expected bool"},
		{Spec{Where: `nosuchvar == 1`}, "where", "unknown name nosuchvar"},
		{Spec{Where: `pth startsWith "notes/"`}, "where", `unknown name pth`},
		{Spec{Sort: "fm."}, "sort", "invalid sort key"},
		{Spec{Sort: "a..b"}, "sort", "invalid sort key"},
		{Spec{Order: "up"}, "order", `unknown order "up"`},
		{Spec{Limit: -1}, "limit", "negative"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.spec)
		var qe *Error
		if !errors.As(err, &qe) {
			t.Errorf("Compile(%+v) = %v, want *Error", tt.spec, err)
			continue
		}
		if qe.Field != tt.field || !strings.Contains(err.Error(), tt.says) || qe.Hint == "" {
			t.Errorf("Compile(%+v) = %q (field %q), want field %q containing %q and a hint", tt.spec, err, qe.Field, tt.field, tt.says)
		}
		if strings.Contains(tt.spec.Where, "pth") && qe.Hint != `did you mean "path"?` {
			t.Errorf("Compile(%+v): hint %q, want the name it may have meant", tt.spec, qe.Hint)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error spans lines: %q", err)
		}
	}
}

func TestCompare(t *testing.T) {
	ordered := []any{
		false, true,
		math.NaN(), int64(math.MinInt64), -1.5, -1, 0, uint8(1), 1.5, 2, uint64(math.MaxUint64),
		day("2020-01-01"), day("2024-01-01"),
		"", "Apple", "apple", "banana", "Cherry",
		[]any{"x"},
	}
	for i := range ordered {
		for j := range ordered {
			got := Compare(ordered[i], ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("Compare(%#v, %#v) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestCoversWithoutFromIsEverything(t *testing.T) {
	q := mustCompile(t, Spec{})
	for _, p := range []string{"a.md", "x/y/z.txt", ""} {
		if !q.Covers(p) {
			t.Errorf("Covers(%q) = false", p)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []struct{ from, where, sort string }{
		{"**/*.md", `fm.status == "x"`, "fm.date"},
		{"notes/{a,b}/*", `path matches "^a" || fm.n > 1`, "path"},
		{"[", `fm.a?.b ?? 1`, "a..b"},
		{"", `len(fm.tags) > 0 and "x" in fm.tags`, "fm."},
	} {
		f.Add(s.from, s.where, s.sort)
	}
	f.Fuzz(func(t *testing.T, from, where, sort string) {
		q, err := Compile(Spec{From: []string{from}, Where: where, Sort: sort})
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("error is not *Error: %v", err)
			}
			return
		}
		res := q.Select(corpus)
		for _, d := range res.Docs {
			if !q.Covers(d.Path) {
				t.Fatalf("selected %s outside from", d.Path)
			}
		}
	})
}
