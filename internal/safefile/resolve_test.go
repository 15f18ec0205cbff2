package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	dir, root := newRoot(t)
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, d := range []string{"real", "sub/inner"} {
		if err := os.MkdirAll(p(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, p("top.md"), []byte("top\n"), 0o644)
	writeFile(t, p("real/x.md"), []byte("x\n"), 0o644)
	links := [][2]string{
		{"a.md", "top.md"},
		{"chain1.md", "a.md"},
		{"dirlink", "real"},
		{"sub/up.md", "../top.md"},
		{"sub/inner/upup.md", "../../real/x.md"},
		{"sub/out.md", "../../outside.md"},
		{"abs.md", "/etc/passwd"},
		{"zero.md", "/dev/zero"},
		{"dangling.md", "none.md"},
		{"loop1.md", "loop2.md"},
		{"loop2.md", "loop1.md"},
		{"self", "."},
		{"sub/viadir.md", "../dirlink/x.md"},
		{"notdir.md", "top.md/x"},
	}
	// A chain of exactly 40 links resolves; 41 is too many.
	for i := range 41 {
		links = append(links, [2]string{fmt.Sprintf("c%02d", i), fmt.Sprintf("c%02d", i+1)})
	}
	writeFile(t, p("c41"), []byte("end\n"), 0o644)
	for _, l := range links {
		if err := os.Symlink(l[1], p(l[0])); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		in, want string
		err      error
	}{
		{"top.md", "top.md", nil},
		{"real/x.md", "real/x.md", nil},
		{"a.md", "top.md", nil},
		{"chain1.md", "top.md", nil},
		{"dirlink/x.md", "real/x.md", nil},
		{"sub/up.md", "top.md", nil},
		{"sub/inner/upup.md", "real/x.md", nil},
		{"sub/viadir.md", "real/x.md", nil},
		{"self/self/top.md", "top.md", nil},
		{"c01", "c41", nil},
		{"c00", "", ErrLinkLoop},
		{"sub/out.md", "", ErrSymlinkEscape},
		{"abs.md", "", ErrSymlinkEscape},
		{"zero.md", "", ErrSymlinkEscape},
		{"dangling.md", "", ErrDanglingLink},
		{"loop1.md", "", ErrLinkLoop},
		{"missing.md", "", fs.ErrNotExist},
		{"notdir.md", "", nil},
		{"../top.md", "", ErrInvalidPath},
		{"/top.md", "", ErrInvalidPath},
	}
	for _, tt := range tests {
		got, err := Resolve(root, tt.in)
		switch {
		case tt.in == "notdir.md":
			if err == nil {
				t.Errorf("Resolve(%s) = %q, want an error", tt.in, got)
			}
		case tt.err != nil:
			if !errors.Is(err, tt.err) {
				t.Errorf("Resolve(%s) = %q, %v; want %v", tt.in, got, err, tt.err)
			}
		case err != nil || got != tt.want:
			t.Errorf("Resolve(%s) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestReplaceThroughSymlink is A7's symlink row: the engine resolves the link,
// rewrites the target, and the link stays a link.
func TestReplaceThroughSymlink(t *testing.T) {
	dir, root := newRoot(t)
	writeFile(t, filepath.Join(dir, "target.md"), []byte("old\n"), 0o644)
	if err := os.Symlink("target.md", filepath.Join(dir, "link.md")); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(root, "link.md", 0); !IsSkip(err) {
		t.Fatalf("Read(link) = %v, want a skip", err)
	}
	real, err := Resolve(root, "link.md")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Read(root, real, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := replace(root, real, s, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(dir, "link.md"))
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("link.md is no longer a symlink: %v %v", fi.Mode(), err)
	}
	if got := readFile(t, filepath.Join(dir, "link.md")); string(got) != "new\n" {
		t.Fatalf("through the link: %q", got)
	}
}
