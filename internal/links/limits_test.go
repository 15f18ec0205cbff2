package links

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseLimits(t *testing.T) {
	lim := Limits{Links: 10, Anchors: 5}
	for _, tc := range []struct {
		name  string
		item  string // one element; the content repeats it
		limit int
		count func(*Document) int
		more  func(*Document) bool
	}{
		{"wiki links", "[[x]] ", 10, func(d *Document) int { return len(d.Links) }, func(d *Document) bool { return d.MoreLinks }},
		{"wiki links on lines", "[[x]]\n", 10, func(d *Document) int { return len(d.Links) }, func(d *Document) bool { return d.MoreLinks }},
		{"markdown links", "[a](b.md) ", 10, func(d *Document) int { return len(d.Links) }, func(d *Document) bool { return d.MoreLinks }},
		{"definitions", "[a]: b.md\n\n", 10, func(d *Document) int { return len(d.Links) }, func(d *Document) bool { return d.MoreLinks }},
		{"headings", "# h\n", 5, func(d *Document) int { return len(d.Headings) }, func(d *Document) bool { return d.MoreAnchors }},
		{"blocks", "text ^b\n\n", 5, func(d *Document) int { return len(d.Blocks) }, func(d *Document) bool { return d.MoreAnchors }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := []byte(strings.Repeat(tc.item, tc.limit))
			d, err := ParseContext(context.Background(), at, lim)
			if err != nil || tc.count(d) != tc.limit || tc.more(d) {
				t.Fatalf("exactly at the limit: %d kept, more=%v, err=%v; want %d, false", tc.count(d), tc.more(d), err, tc.limit)
			}
			over := []byte(strings.Repeat(tc.item, 3*tc.limit))
			d, err = ParseContext(context.Background(), over, lim)
			if err != nil || tc.count(d) != tc.limit || !tc.more(d) {
				t.Fatalf("over the limit: %d kept, more=%v, err=%v; want %d, true", tc.count(d), tc.more(d), err, tc.limit)
			}
			checkInvariants(t, over, d)
			d, _ = ParseContext(context.Background(), over, Limits{Links: -1, Anchors: -1})
			if tc.count(d) != 3*tc.limit || tc.more(d) {
				t.Fatalf("without limits: %d kept, more=%v; want %d, false", tc.count(d), tc.more(d), 3*tc.limit)
			}
		})
	}
}

// The links kept are the first ones, in document order.
func TestParseLimitsKeepTheFirst(t *testing.T) {
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "[[n%d]] [t](m%d.md)\n", i, i)
	}
	d, _ := ParseContext(context.Background(), []byte(b.String()), Limits{Links: 7})
	want := []string{"n0", "m0.md", "n1", "m1.md", "n2", "m2.md", "n3"}
	var got []string
	for _, l := range d.Links {
		got = append(got, l.Target)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("kept %q, want %q", got, want)
	}
}

func TestParseContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, content := range []string{"[[a]]", strings.Repeat("[[x]] ", 200_000), strings.Repeat("a\n", 500_000)} {
		d, err := ParseContext(ctx, []byte(content), Limits{})
		if !errors.Is(err, context.Canceled) || d != nil {
			t.Fatalf("cancelled parse of %d bytes: %v, %v; want context.Canceled", len(content), d, err)
		}
	}
	g := NewGraph(Options{})
	if _, err := g.UpdateContext(ctx, "a.md", []byte("[[b]]")); !errors.Is(err, context.Canceled) || g.Has("a.md") {
		t.Fatalf("cancelled UpdateContext: err %v, in the graph: %v", err, g.Has("a.md"))
	}
}

// H3: hostile notes of about 8 MB (the default max_file_size) parse within
// the limits, in bounded memory. The figures are logged; the pass criterion
// is allocation, not time.
func TestParseHostileNotesBounded(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		links         int
	}{
		{"1.3M wiki links on one line", strings.Repeat("[[x]] ", 1_300_000), DefaultMaxLinks},
		{"1.3M wiki links, one per line", strings.Repeat("[[x]]\n", 1_300_000), DefaultMaxLinks},
		{"1.1M markdown links", strings.Repeat("[a](b) ", 1_100_000), DefaultMaxLinks},
		{"7.8M opening brackets", strings.Repeat("[", 7_800_000), 0},
		{"nested brackets around a link", strings.Repeat("[", 3_900_000) + "](x)" + strings.Repeat("]", 3_900_000), 1},
		{"1.95M headings", strings.Repeat("# h\n", 1_950_000), 0},
		{"1.5M block ids", strings.Repeat("a ^b\n", 1_560_000), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			content := []byte(tc.content)
			alloc, took, d := measure(func() *Document { return Parse(content) })
			t.Logf("%.1f MB: %d links, %d headings, %d blocks in %v, %.1f MB allocated",
				float64(len(content))/1e6, len(d.Links), len(d.Headings), len(d.Blocks), took.Round(time.Millisecond), float64(alloc)/(1<<20))
			if alloc > 100<<20 {
				t.Errorf("allocated %d MiB, want < 100 MiB", alloc>>20)
			}
			if len(d.Links) != tc.links || len(d.Headings) > DefaultMaxAnchors || len(d.Blocks) > DefaultMaxAnchors {
				t.Errorf("kept %d links (want %d), %d headings, %d blocks", len(d.Links), tc.links, len(d.Headings), len(d.Blocks))
			}
		})
	}
}

// measure returns the bytes allocated while f ran, and how long it took.
func measure[T any](f func() T) (uint64, time.Duration, T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	v := f()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, took, v
}

func TestCheckLimit(t *testing.T) {
	g := NewGraph(Options{})
	var b strings.Builder
	for i := range 600 {
		fmt.Fprintf(&b, "[[missing %d]] [[img%d.png]]\n", i, i)
	}
	g.Update("a.md", []byte(b.String()))
	doc := Parse([]byte(b.String()))
	all := g.Check("a.md", doc, nil)
	if len(all) != 1200 {
		t.Fatalf("Check found %d problems, want 1200", len(all))
	}
	notImages := func(p Problem) bool { return !LooksLikeAttachment(p.Link.Target) }
	got, more := g.CheckLimit("a.md", doc, nil, notImages, 100)
	if len(got) != 100 || more != 500 {
		t.Fatalf("CheckLimit kept %d and counted %d more; want 100 and 500", len(got), more)
	}
	for i, p := range got {
		if want := fmt.Sprintf("missing %d", i); p.Link.Target != want || p.Kind != MissingTarget {
			t.Fatalf("problem %d is %v %q, want the missing target %q (document order)", i, p.Kind, p.Link.Target, want)
		}
	}
	// exists is still asked before a problem counts.
	got, more = g.CheckLimit("a.md", doc, func(string) bool { return true }, nil, 10)
	if len(got) != 0 || more != 0 {
		t.Fatalf("with every attachment present: %d problems, %d more; want none", len(got), more)
	}
}
