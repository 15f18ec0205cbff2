package links

import (
	"slices"
	"strings"
	"testing"
)

func TestPacked(t *testing.T) {
	in := []string{"", "a", "\x00\xff", strings.Repeat("é", 200), "", strings.Repeat("x", 1<<15)}
	var p packer
	for _, s := range in {
		p.add(s)
	}
	p.addTagged('w', "Note")
	l := p.done()
	want := append(slices.Clone(in), "wNote")
	if got := l.strings(); !slices.Equal(got, want) {
		t.Fatalf("round trip: got %d strings, want %d", len(got), len(want))
	}
	if !l.contains("wNote") || !l.contains("") || l.contains("Note") {
		t.Error("contains")
	}
	if p.done() != "" || packed("").strings() != nil {
		t.Error("an empty list is not empty")
	}
	for range l.all() {
		break // stopping early is allowed
	}
}
