package state

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idx", "root.gob")
	ix, err := Load(path)
	if err != nil || ix.Len() != 0 {
		t.Fatalf("fresh load: %v %d", err, ix.Len())
	}
	ix.Set("a.md", Entry{Size: 1, ModTime: 2, Ctime: 3, Ino: 4, Hash: [32]byte{5}})
	ix.Set("b/c.md", Entry{Size: 9})
	ix.Delete("b/c.md")
	if err := ix.Save(); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := back.Get("a.md"); !ok || e != (Entry{Size: 1, ModTime: 2, Ctime: 3, Ino: 4, Hash: [32]byte{5}}) || back.Len() != 1 {
		t.Fatalf("loaded %+v ok=%v len=%d", e, ok, back.Len())
	}
}

func TestCorruptIndexStartsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.gob")
	os.WriteFile(path, []byte("not gob"), 0o644)
	ix, err := Load(path)
	if err == nil || ix == nil || ix.Len() != 0 {
		t.Fatalf("corrupt: err=%v", err)
	}
}

func TestSaveOnlyWhenDirty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.gob")
	ix, _ := Load(path)
	if err := ix.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a clean index was written")
	}
	ix.Set("x", Entry{Size: 1})
	ix.Save()
	fi1, _ := os.Stat(path)
	ix.Set("x", Entry{Size: 1}) // same value: not dirty
	ix.Save()
	fi2, _ := os.Stat(path)
	if !fi1.ModTime().Equal(fi2.ModTime()) {
		t.Fatal("unchanged index rewritten")
	}
}
