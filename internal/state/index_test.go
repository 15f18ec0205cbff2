package state

import (
	"encoding/gob"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/scribe-md/scribe/internal/safefile"
)

func stamp(i int) safefile.Stamp { return safefile.Version{Size: int64(i), Ino: uint64(i)}.Stamp() }

// contents lists every path and stamp of ix, through Retain.
func contents(ix *Index) map[string]safefile.Stamp {
	out := map[string]safefile.Stamp{}
	ix.Retain(func(dir, name string) bool {
		rel := name
		if dir != "" {
			rel = dir + "/" + name
		}
		out[rel], _ = ix.m.GetIn(dir, name)
		return true
	})
	return out
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := PathFor(t.TempDir(), "/vault")
	ix, err := Load(path)
	if err != nil || ix.Len() != 0 {
		t.Fatalf("fresh load: %v %d", err, ix.Len())
	}
	want := map[string]safefile.Stamp{}
	for i := range 500 {
		rel := fmt.Sprintf("d%d/sub/n%d.md", i%7, i)
		if i%50 == 0 {
			rel = fmt.Sprintf("top-%d.md", i) // in the root: directory ""
		}
		ix.Set(rel, stamp(i))
		want[rel] = stamp(i)
	}
	ix.Set("gone/x.md", stamp(1))
	ix.Delete("gone/x.md")
	ix.Set("top-0.md", stamp(9999)) // replaced
	want["top-0.md"] = stamp(9999)
	if err := ix.Save(); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := contents(back); !maps.Equal(got, want) || back.Len() != len(want) {
		t.Fatalf("loaded %d entries (Len %d), want %d; equal: %v", len(got), back.Len(), len(want), maps.Equal(got, want))
	}
	if s, ok := back.Get("d3/sub/n3.md"); !ok || s != stamp(3) {
		t.Errorf("Get = %v %v", s, ok)
	}
	if _, ok := back.Get("gone/x.md"); ok {
		t.Error("a deleted path came back")
	}
}

// Any damage to the file gives an error and an empty index, never entries
// made up from garbage.
func TestCorruptIndexStartsEmpty(t *testing.T) {
	path := PathFor(t.TempDir(), "/vault")
	ix, _ := Load(path)
	for i := range 20 {
		ix.Set(fmt.Sprintf("a/%d.md", i), stamp(i))
	}
	must(t, ix.Save())
	good, err := os.ReadFile(path)
	must(t, err)
	cases := map[string][]byte{
		"not an index": []byte("not an index"),
		"empty":        {},
		"truncated":    good[:len(good)-9],
		"no checksum":  good[:len(good)-4],
		"extra byte":   append(slices.Clone(good), 0),
	}
	for _, at := range []int{len(magic), len(magic) + 3, len(good) / 2, len(good) - 12, len(good) - 1} {
		flipped := slices.Clone(good)
		flipped[at] ^= 0x10
		cases[fmt.Sprintf("bit flipped at %d", at)] = flipped
	}
	for name, data := range cases {
		must(t, os.WriteFile(path, data, 0o644))
		ix, err := Load(path)
		if err == nil || ix == nil || ix.Len() != 0 || len(contents(ix)) != 0 {
			t.Errorf("%s: err=%v, %d entries; want an error and an empty index", name, err, ix.Len())
		}
	}
}

func TestSaveOnlyWhenDirty(t *testing.T) {
	path := PathFor(t.TempDir(), "/vault")
	ix, _ := Load(path)
	must(t, ix.Save())
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a clean index was written")
	}
	ix.Set("x", stamp(1))
	must(t, ix.Save())
	fi1, _ := os.Stat(path)
	ix.Set("x", stamp(1)) // same value: not dirty
	must(t, ix.Save())
	fi2, _ := os.Stat(path)
	if !fi1.ModTime().Equal(fi2.ModTime()) {
		t.Fatal("unchanged index rewritten")
	}
}

// The index of an earlier release (gob, whole versions) is read once, so an
// upgrade keeps telling edits from first sightings, and removed at the first
// save.
func TestLegacyIndexIsRead(t *testing.T) {
	path := PathFor(t.TempDir(), "/vault")
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	type entry struct {
		Size, ModTime, Ctime int64
		Ino                  uint64
		Hash                 [32]byte
	}
	old := struct {
		Version int
		Entries map[string]entry
	}{1, map[string]entry{"a.md": {Size: 1, ModTime: 2, Ctime: 3, Ino: 4}, "b/c.md": {Size: 9}}}
	f, err := os.Create(legacyPath(path))
	must(t, err)
	must(t, gob.NewEncoder(f).Encode(old))
	must(t, f.Close())

	ix, err := Load(path)
	must(t, err)
	if s, ok := ix.Get("a.md"); !ok || s != (safefile.Version{Size: 1, ModTime: 2, ChangeTime: 3, Ino: 4}).Stamp() {
		t.Errorf("a.md: %v %v", s, ok)
	}
	if s, ok := ix.Get("b/c.md"); !ok || s != (safefile.Version{Size: 9}).Stamp() {
		t.Errorf("b/c.md: %v %v", s, ok)
	}
	must(t, ix.Save())
	if _, err := os.Stat(legacyPath(path)); !os.IsNotExist(err) {
		t.Errorf("legacy index left after a save: %v", err)
	}
	back, err := Load(path)
	must(t, err)
	if back.Len() != 2 {
		t.Errorf("reloaded %d entries, want 2", back.Len())
	}
}

func TestRetain(t *testing.T) {
	ix, _ := Load(PathFor(t.TempDir(), "/vault"))
	for _, rel := range []string{"a.md", "d/b.md", "d/c.md", "e/f/g.md"} {
		ix.Set(rel, stamp(len(rel)))
	}
	ix.Retain(func(dir, name string) bool { return dir == "d" && name == "c.md" || dir == "" })
	if got := slices.Sorted(maps.Keys(contents(ix))); !slices.Equal(got, []string{"a.md", "d/c.md"}) || ix.Len() != 2 {
		t.Errorf("after Retain: %q (Len %d)", got, ix.Len())
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Size is what the file on disk holds after a save or a load, and Changed
// whether a save would write: what the daemon spaces its saves by.
func TestSizeAndChanged(t *testing.T) {
	path := PathFor(t.TempDir(), "/vault")
	ix, _ := Load(path)
	if ix.Size() != 0 || ix.Changed() {
		t.Fatalf("new index: Size %d, Changed %v; want 0, false", ix.Size(), ix.Changed())
	}
	for i := range 1000 {
		ix.Set(fmt.Sprintf("d%d/note-%d.md", i%10, i), stamp(i))
	}
	if !ix.Changed() {
		t.Fatal("Changed = false after Set")
	}
	must(t, ix.Save())
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Size() != fi.Size() || ix.Changed() {
		t.Fatalf("after Save: Size %d (file %d), Changed %v", ix.Size(), fi.Size(), ix.Changed())
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Size() != fi.Size() || again.Changed() {
		t.Fatalf("after Load: Size %d (file %d), Changed %v", again.Size(), fi.Size(), again.Changed())
	}
}

// BenchmarkSave saves an index of a large tree after one change, as the
// daemon's saver does: encoding, the temporary file, its fsync, the rename.
func BenchmarkSave(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			ix, _ := Load(PathFor(b.TempDir(), "/vault"))
			for i := range n {
				ix.Set(fmt.Sprintf("d%04d/note-%07d.md", i%(n/100), i), stamp(i))
			}
			i := 0
			for b.Loop() {
				i++
				ix.Set("changed.md", stamp(i))
				must(b, ix.Save())
			}
			b.SetBytes(ix.Size())
		})
	}
}
