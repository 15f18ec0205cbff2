package pathmap

import (
	"fmt"
	"maps"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

func TestMap(t *testing.T) {
	var m Map[int]
	want := map[string]int{}
	for i := range 300 {
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
	if !m.Set("top0.md", -1) {
		t.Error("Set of another value reported no change")
	}
	want["top0.md"] = -1
	if m.Delete("nope.md") || m.Delete("d1/nope.md") {
		t.Error("Delete of an absent path reported one")
	}
	got := map[string]int{}
	m.Range(func(dir, name string, v int) bool {
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
	m.Range(func(dir, name string, v int) bool {
		if strings.HasPrefix(dir, "d1/") || dir == "" {
			m.DeleteIn(dir, name)
		}
		return true
	})
	for d := range m.Dirs() {
		if strings.HasPrefix(d, "d1/") || d == "" {
			t.Errorf("directory %q left after all its paths went", d)
		}
		if len(m.Dir(d)) == 0 {
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
	if m.Len() != 0 || len(m.Dir("d0/s0")) != 0 {
		t.Error("Clear left paths")
	}
}

// The map's keys are copies: a long path given to Set is not kept alive by
// its substrings.
func TestKeysAreCopies(t *testing.T) {
	var m Map[int]
	long := strings.Repeat("x", 1<<20) + "/name.md"
	m.Set(long, 1)
	m.Set(long, 2) // a replacement keeps a copy too
	for d := range m.Dirs() {
		if unsafe.StringData(d) == unsafe.StringData(long) {
			t.Error("the directory key shares the caller's string")
		}
		for n := range m.Dir(d) {
			if p := uintptr(unsafe.Pointer(unsafe.StringData(n))); p >= uintptr(unsafe.Pointer(unsafe.StringData(long))) && p < uintptr(unsafe.Pointer(unsafe.StringData(long)))+uintptr(len(long)) {
				t.Error("the name key points into the caller's string")
			}
		}
	}
	runtime.KeepAlive(long)
}
