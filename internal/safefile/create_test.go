package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestCreate(t *testing.T) {
	dir, root := newRoot(t)
	if err := Create(root, "a/b/c/new.md", []byte("hello\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "a/b/c/new.md")
	if got := readFile(t, path); string(got) != "hello\n" {
		t.Fatalf("content %q", got)
	}
	if fi, _ := os.Stat(path); fi.Mode() != 0o640 {
		t.Errorf("mode %v, want 0640 exactly", fi.Mode())
	}
	if err := Create(root, "a/b/c/new.md", []byte("again\n"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over an existing file = %v, want fs.ErrExist", err)
	}
	if got := readFile(t, path); string(got) != "hello\n" {
		t.Fatalf("existing file changed: %q", got)
	}
	// A dangling symlink is an existing name too: never written through.
	target := filepath.Join(t.TempDir(), "should-not-exist")
	os.Symlink(target, filepath.Join(dir, "dangle.md"))
	if err := Create(root, "dangle.md", []byte("x"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over a dangling link = %v", err)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Fatal("Create wrote through a symlink")
	}
	// A file in the way of a parent directory.
	if err := Create(root, "a/b/c/new.md/x.md", nil, 0o644); err == nil {
		t.Fatal("Create under a file succeeded")
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestRename(t *testing.T) {
	dir, root := newRoot(t)
	p := func(name string) string { return filepath.Join(dir, name) }
	writeFile(t, p("a.md"), []byte("a\n"), 0o644)
	writeFile(t, p("b.md"), []byte("b\n"), 0o644)
	if err := Rename(root, "a.md", "b.md"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Rename over an existing file = %v, want fs.ErrExist", err)
	}
	if string(readFile(t, p("a.md"))) != "a\n" || string(readFile(t, p("b.md"))) != "b\n" {
		t.Fatal("files changed by a refused rename")
	}
	if err := Rename(root, "a.md", "A.md"); err != nil { // case-only
		t.Fatal(err)
	}
	if err := Rename(root, "A.md", "new/dir/a.md"); err != nil {
		t.Fatal(err)
	}
	if string(readFile(t, p("new/dir/a.md"))) != "a\n" {
		t.Fatal("renamed content differs")
	}
	if err := Rename(root, "new/dir/a.md", "new/dir/a.md"); err != nil {
		t.Fatalf("Rename to itself: %v", err)
	}
	if err := os.Symlink("b.md", p("link.md")); err != nil {
		t.Fatal(err)
	}
	if err := Rename(root, "link.md", "link2.md"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(p("link2.md")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link itself was not renamed: %v", err)
	}
	if err := Rename(root, "missing.md", "x.md"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Rename(missing) = %v", err)
	}
	if err := Rename(root, "b.md", "../b.md"); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("Rename out of the root = %v", err)
	}
}

func TestCleanTemps(t *testing.T) {
	dir, root := newRoot(t)
	outside := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	os.MkdirAll(p("x/y"), 0o755)
	os.MkdirAll(p(".git"), 0o755)
	for _, name := range []string{TempPrefix + "1", "x/" + TempPrefix + "2", "x/y/" + TempPrefix + "3", "keep.md", ".git/" + TempPrefix + "git"} {
		writeFile(t, p(name), []byte("t"), 0o600)
	}
	outsideTemp := filepath.Join(outside, TempPrefix+"out")
	writeFile(t, outsideTemp, []byte("o"), 0o600)
	os.Symlink(outside, p("x/linkdir"))
	os.Symlink(outsideTemp, p(TempPrefix+"link"))
	c, err := CleanTemps(root)
	if err != nil {
		t.Fatal(err)
	}
	if c.Removed != 3 || len(c.Restored)+len(c.Kept) > 0 {
		t.Errorf("CleanTemps = %+v, want 3 removed", c)
	}
	for _, keep := range []string{"keep.md", ".git/" + TempPrefix + "git", TempPrefix + "link"} {
		if _, err := os.Lstat(p(keep)); err != nil {
			t.Errorf("%s removed: %v", keep, err)
		}
	}
	if _, err := os.Stat(outsideTemp); err != nil {
		t.Errorf("followed a link out of the root: %v", err)
	}
}
