package engine

import (
	"slices"
	"sync"
	"testing"
)

// A daemon's Docs is built from its source when first listed, then kept by
// Add, Remove and Rename; a list handed out never changes under its holder.
func TestDocsLazyListStaysPut(t *testing.T) {
	r, err := OpenRoot(t.TempDir(), []string{"**/*.md"}, nil, ".scribe")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := r.Docs
	calls := 0
	d.SetSource(func(yield func(string)) {
		calls++
		for _, p := range []string{"b.md", "a.md", "d/c.md"} {
			yield(p)
		}
	})
	d.Add("ignored-before-build.md") // the source lists what exists
	d.Remove("b.md")
	if calls != 0 {
		t.Fatal("the source was read before anything asked for the list")
	}
	first := d.List()
	if want := []string{"a.md", "b.md", "d/c.md"}; !slices.Equal(first, want) || calls != 1 {
		t.Fatalf("List = %q after %d source calls, want %q after 1", first, calls, want)
	}
	held := slices.Clone(first)

	d.Add("c.md")
	d.Add("a.md") // already there
	d.Remove("b.md")
	d.Add("z.md")
	d.Remove("z.md") // added then removed: never listed
	d.Remove("nope.md")
	if !slices.Equal(first, held) {
		t.Fatalf("a list handed out changed: %q, was %q", first, held)
	}
	if got, want := d.List(), []string{"a.md", "c.md", "d/c.md"}; !slices.Equal(got, want) || d.Len() != 3 {
		t.Fatalf("List = %q (Len %d), want %q", got, d.Len(), want)
	}
	d.Rename("d", "e")
	d.Remove("a.md")
	d.Add("b.md") // removed earlier, back
	if got, want := d.List(), []string{"b.md", "c.md", "e/c.md"}; !slices.Equal(got, want) || calls != 1 {
		t.Fatalf("List = %q, want %q (source calls %d)", got, want, calls)
	}
	if !slices.Equal(first, held) {
		t.Fatalf("a list handed out changed: %q, was %q", first, held)
	}
}

// Readers iterate lists while workers add and remove documents: the race
// detector checks that no list is written while read.
func TestDocsConcurrent(t *testing.T) {
	r, err := OpenRoot(t.TempDir(), []string{"**/*.md"}, nil, ".scribe")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := r.Docs
	d.Set([]string{"m.md"})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				p := string(rune('a'+w)) + string(rune('a'+i%26)) + ".md"
				if i%3 == 0 {
					d.Remove(p)
				} else {
					d.Add(p)
				}
				for _, q := range d.List() {
					_ = len(q)
				}
			}
		})
	}
	wg.Wait()
	if l := d.List(); !slices.IsSorted(l) || !slices.Contains(l, "m.md") {
		t.Fatalf("list after concurrent changes: sorted %v, has m.md %v", slices.IsSorted(l), slices.Contains(l, "m.md"))
	}
}
