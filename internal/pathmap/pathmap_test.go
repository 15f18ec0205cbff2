package pathmap

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

func TestMap(t *testing.T) {
	var m Map[uint64]
	want := map[string]uint64{}
	for i := range uint64(300) {
		rel := fmt.Sprintf("d%d/s%d/f%d.md", i%5, i%3, i)
		if i%40 == 0 {
			rel = fmt.Sprintf("top%d.md", i)
		}
		if !m.Set(rel, i) {
			t.Fatalf("Set(%q) of a new path reported no change", rel)
		}
		want[rel] = i
	}
	if m.Set("top0.md", 0) {
		t.Error("Set of the same value reported a change")
	}
	if !m.Set("top0.md", 7) {
		t.Error("Set of another value reported no change")
	}
	want["top0.md"] = 7
	if m.Delete("nope.md") || m.Delete("d1/nope.md") {
		t.Error("Delete of an absent path reported one")
	}
	got := map[string]uint64{}
	m.Range(func(dir, name string, v uint64) bool {
		got[Join(dir, name)] = v
		return true
	})
	if !maps.Equal(got, want) || m.Len() != len(want) {
		t.Fatalf("Range gave %d paths (Len %d), want %d", len(got), m.Len(), len(want))
	}
	for rel, v := range want {
		if g, ok := m.Get(rel); !ok || g != v {
			t.Fatalf("Get(%q) = %d %v, want %d", rel, g, ok, v)
		}
	}
	// Deleting while ranging, and empty directories go.
	m.Range(func(dir, name string, v uint64) bool {
		if strings.HasPrefix(dir, "d1/") || dir == "" {
			m.DeleteIn(dir, name)
		}
		return true
	})
	for d := range m.Dirs() {
		if strings.HasPrefix(d, "d1/") || d == "" {
			t.Errorf("directory %q left after all its paths went", d)
		}
		if m.DirLen(d) == 0 {
			t.Errorf("empty directory %q listed", d)
		}
	}
	n := 0
	for rel := range want {
		if d, _ := Split(rel); !strings.HasPrefix(d, "d1/") && d != "" {
			n++
		}
	}
	if m.Len() != n {
		t.Errorf("Len = %d after deletes, want %d", m.Len(), n)
	}
	m.Clear()
	if m.Len() != 0 || m.DirLen("d0/s0") != 0 {
		t.Error("Clear left paths")
	}
}

// The map's keys are copies: a long path given to Set is not kept alive by
// its substrings.
func TestKeysAreCopies(t *testing.T) {
	var m Map[uint64]
	long := strings.Repeat("x", 1<<20) + "/name.md"
	m.Set(long, 1)
	m.Set(long, 2) // a replacement keeps a copy too
	for d := range m.Dirs() {
		if unsafe.StringData(d) == unsafe.StringData(long) {
			t.Error("the directory key shares the caller's string")
		}
		for n := range m.InDir(d) {
			if p := uintptr(unsafe.Pointer(unsafe.StringData(n))); p >= uintptr(unsafe.Pointer(unsafe.StringData(long))) && p < uintptr(unsafe.Pointer(unsafe.StringData(long)))+uintptr(len(long)) {
				t.Error("the name key points into the caller's string")
			}
		}
	}
	runtime.KeepAlive(long)
}

// TestAgainstAMap: a long random sequence of sets and deletes, in a few
// directories so that each holds many names and is packed anew more than
// once, agrees with a Go map at every step that looks.
func TestAgainstAMap(t *testing.T) {
	var m Map[uint64]
	want := map[string]uint64{}
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"", "a.md", strings.Repeat("l", 254), strings.Repeat("L", 255), strings.Repeat("é", 200)}
	for i := range 3000 {
		names = append(names, fmt.Sprintf("note-%d.md", i))
	}
	for step := range 200_000 {
		rel := Join(fmt.Sprintf("d%d", rng.IntN(3)), names[rng.IntN(len(names))])
		if rng.IntN(3) == 0 {
			_, had := want[rel]
			if m.Delete(rel) != had {
				t.Fatalf("step %d: Delete(%q) disagrees (had %v)", step, rel, had)
			}
			delete(want, rel)
			continue
		}
		v := rng.Uint64N(4)
		old, had := want[rel]
		if m.Set(rel, v) != (!had || old != v) {
			t.Fatalf("step %d: Set(%q, %d) disagrees (had %v %d)", step, rel, v, had, old)
		}
		want[rel] = v
		if step%20_000 == 0 {
			checkEqual(t, &m, want)
		}
	}
	checkEqual(t, &m, want)
}

func checkEqual(t *testing.T, m *Map[uint64], want map[string]uint64) {
	t.Helper()
	got := map[string]uint64{}
	n := 0
	for d := range m.Dirs() {
		if m.DirLen(d) == 0 {
			t.Fatalf("empty directory %q listed", d)
		}
		k := 0
		for name, v := range m.InDir(d) {
			got[Join(d, name)] = v
			k++
		}
		if k != m.DirLen(d) {
			t.Fatalf("InDir(%q) yielded %d, DirLen %d", d, k, m.DirLen(d))
		}
		n += k
	}
	if !maps.Equal(got, want) || n != len(want) || m.Len() != len(want) {
		t.Fatalf("the map holds %d paths (Len %d), want %d", n, m.Len(), len(want))
	}
	for rel, v := range want {
		if g, ok := m.Get(rel); !ok || g != v {
			t.Fatalf("Get(%q) = %d %v, want %d", rel, g, ok, v)
		}
	}
}

// A name yielded by InDir stays the same after it is deleted and the
// directory is packed anew by later sets.
func TestYieldedNamesStay(t *testing.T) {
	var m Map[uint64]
	for i := range uint64(100) {
		m.Set(fmt.Sprintf("d/n%03d.md", i), i)
	}
	var kept []string
	for n := range m.InDir("d") {
		kept = append(kept, n)
	}
	for i := range uint64(100) {
		m.Delete(fmt.Sprintf("d/n%03d.md", i))
		m.Set(fmt.Sprintf("d/m%03d.md", i), i) // packs the table more than once
	}
	for i, n := range kept {
		if !strings.HasPrefix(n, "n") || len(n) != len("n000.md") {
			t.Fatalf("kept name %d became %q", i, n)
		}
	}
}

// The tables hold no pointer per name and take less memory than the Go
// maps of strings they replaced, measured side by side on a million paths
// in 10,000 directories (the daemon benchmark's tree).
func TestCompact(t *testing.T) {
	if testing.Short() {
		t.Skip("a million paths")
	}
	rel := func(i int) string { return fmt.Sprintf("d%04d/note-%07d.md", i%10_000, i) }
	heap := func(fill func() any) float64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		x := fill()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(x)
		return float64(after.HeapAlloc-before.HeapAlloc) / 1e6
	}
	ours := heap(func() any {
		m := new(Map[uint64])
		for i := range 1_000_000 {
			m.Set(rel(i), uint64(i))
		}
		return m
	})
	goMaps := heap(func() any {
		g := goMaps{}
		for i := range 1_000_000 {
			g.set(rel(i), uint64(i))
		}
		return g
	})
	t.Logf("bytes a path: %.1f, Go maps of strings %.1f", ours, goMaps)
	if ours > 0.8*goMaps {
		t.Errorf("%.1f bytes a path, Go maps of strings %.1f: want at most 80 %%", ours, goMaps)
	}
}

// BenchmarkMap: setting and then looking up 100,000 paths, 100 to a
// directory (the daemon benchmark's shape), against Go maps of names.
func BenchmarkMap(b *testing.B) {
	rels := make([]string, 100_000)
	for i := range rels {
		rels[i] = fmt.Sprintf("d%04d/note-%07d.md", i%1000, i)
	}
	b.Run("pathmap", func(b *testing.B) {
		for b.Loop() {
			var m Map[uint64]
			for i, rel := range rels {
				m.Set(rel, uint64(i))
			}
			for _, rel := range rels {
				if _, ok := m.Get(rel); !ok {
					b.Fatal(rel)
				}
			}
		}
	})
	b.Run("go-maps", func(b *testing.B) {
		for b.Loop() {
			g := goMaps{}
			for i, rel := range rels {
				g.set(rel, uint64(i))
			}
			for _, rel := range rels {
				if _, ok := g.get(rel); !ok {
					b.Fatal(rel)
				}
			}
		}
	})
}

// goMaps is what Map replaced: a Go map of names per directory, with cloned
// keys. TestCompact and BenchmarkMap measure Map against it.
type goMaps map[string]map[string]uint64

func (g goMaps) set(rel string, v uint64) {
	d, n := Split(rel)
	if g[d] == nil {
		g[strings.Clone(d)] = map[string]uint64{}
	}
	g[d][strings.Clone(n)] = v
}

func (g goMaps) get(rel string) (uint64, bool) {
	d, n := Split(rel)
	v, ok := g[d][n]
	return v, ok
}
