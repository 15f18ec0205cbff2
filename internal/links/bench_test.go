package links

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchVault generates n notes with about ten links each (the same shape
// as the action benchmark's vault), in memory.
func benchVault(n int) map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	out := make(map[string][]byte, n)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.Reset()
		fmt.Fprintf(&b, "---\ntitle: Note %05d\n---\n# Note %05d\n\n", i, i)
		for s := 1; s <= 3; s++ {
			fmt.Fprintf(&b, "## Section %d\n\nSome prose about the topic of this section. ", s)
			for k := 0; k < 3; k++ {
				j := r.IntN(n)
				switch r.IntN(4) {
				case 0:
					fmt.Fprintf(&b, "See [[Note %05d#Section %d]]. ", j, 1+r.IntN(3))
				case 1:
					fmt.Fprintf(&b, "Also [that](../area-%02d/Note%%20%05d.md#section-%d). ", j%100, j, 1+r.IntN(3))
				default:
					fmt.Fprintf(&b, "Related: [[Note %05d]]. ", j)
				}
			}
			if r.IntN(100) < 3 {
				fmt.Fprintf(&b, "A typo [[Note %05dx]]. ", r.IntN(n))
			}
			fmt.Fprintf(&b, "\n\n`[[code]]` text ^b%d\n\n", s)
		}
		out[fmt.Sprintf("area-%02d/Note %05d.md", i%100, i)] = []byte(b.String())
	}
	return out
}

func BenchmarkParse(b *testing.B) {
	v := benchVault(100)
	doc := v["area-42/Note 00042.md"]
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		Parse(doc)
	}
}

// BenchmarkGraphCheck10k builds the graph of 10,000 notes and checks every
// one, single-threaded and without I/O.
func BenchmarkGraphCheck10k(b *testing.B) {
	v := benchVault(10000)
	for b.Loop() {
		g := NewGraph(Options{})
		for p, c := range v {
			g.Update(p, c)
		}
		n := 0
		for p := range v {
			n += len(g.Check(p, Parse(v[p]), nil))
		}
		if n == 0 {
			b.Fatal("no problems found")
		}
	}
}

// BenchmarkGraphUpdate re-parses one edited note of a 10,000-note graph and
// re-checks it and the notes it affects.
func BenchmarkGraphUpdate(b *testing.B) {
	v := benchVault(10000)
	g := NewGraph(Options{})
	for p, c := range v {
		g.Update(p, c)
	}
	p := "area-42/Note 04242.md"
	versions := [][]byte{[]byte(strings.Replace(string(v[p]), "## Section 2", "## Section Two", 1)), v[p]}
	i := 0
	for b.Loop() {
		for _, a := range g.Update(p, versions[i%2]) {
			c := v[a]
			if a == p {
				c = versions[i%2]
			}
			g.Check(a, Parse(c), nil)
		}
		i++
	}
}

// BenchmarkParseFrontMatter parses a note whose front matter is as
// Obsidian writes it (a title, tags, a status, a date, aliases): the
// parse looks at its keys for the fields that place a page in a site.
func BenchmarkParseFrontMatter(b *testing.B) {
	doc := []byte("---\ntitle: Victor kilo 385\ntags: [uniform, golf/daemon]\nstatus: draft\ncreated: 2026-10-21\naliases:\n  - V385\n---\n" +
		"# note-385\n\n## Summary\n\nSee [[Note 00042]] and [the plan](plan.md#goals). ^key\n")
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		Parse(doc)
	}
}
