package safefile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzRelPath is P1 for this package: hostile relative paths (.., absolute,
// NUL, long names, links out of the root) given to every function never
// touch anything outside the root. A canary FIFO outside the root would be
// opened for reading by any escape through fifo-link; the directories above
// the root must keep their exact listings.
func FuzzRelPath(f *testing.F) {
	for _, s := range []string{
		"a.md", "../x", "/etc/passwd", "a/../../x", "a\x00b", ".", "", "..", "a//b", "./a",
		"a/./b", "sub/", "esc/x.md", "esc/../x", "abslink/x.md", "fifo-link", "loop/x",
		"dir/../../x", TempPrefix + "x", "\xff\xfe.md", strings.Repeat("a", 300),
		strings.Repeat("a/", 2100) + "x", strings.Repeat("../", 50) + "tmp/x",
	} {
		f.Add(s, "moved.md")
	}
	f.Add("a.md", "../escaped.md")
	f.Add("a.md", "esc/escaped.md")
	f.Add("dir", "abslink/escaped")

	outer := f.TempDir()
	rootDir := filepath.Join(outer, "root")
	canary := filepath.Join(outer, "canary.fifo")
	if err := os.Mkdir(rootDir, 0o755); err != nil {
		f.Fatal(err)
	}
	if err := syscall.Mkfifo(canary, 0o666); err != nil {
		f.Fatal(err)
	}
	fixtures := map[string]string{"esc": "..", "abslink": outer, "fifo-link": "../canary.fifo", "loop": "loop"}
	for name, target := range fixtures {
		if err := os.Symlink(target, filepath.Join(rootDir, name)); err != nil {
			f.Fatal(err)
		}
	}
	root := openRoot(f, rootDir)
	listing := func(dir string) []string {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	outerBefore, aboveBefore := listing(outer), listing(filepath.Dir(outer))

	f.Fuzz(func(t *testing.T, rel, rel2 string) {
		Read(root, rel, 1<<20)
		if got, err := Resolve(root, rel); err == nil && got != "." && !filepath.IsLocal(got) {
			t.Fatalf("Resolve(%q) = %q: not inside the root", rel, got)
		}
		Create(root, rel, []byte("fuzz\n"), 0o644)
		if s, err := Read(root, rel, 1<<20); err == nil {
			replace(root, rel, s, []byte("fuzz 2\n"))
		} else {
			replace(root, rel, &Snapshot{Mode: 0o644, Nlink: 1}, []byte("fuzz 3\n"))
		}
		Rename(root, rel, rel2)
		Rename(root, "dir", rel)
		CleanTemps(root)

		// An escape through fifo-link would have opened the canary for
		// reading; opening it for writing without blocking then succeeds.
		if fd, err := unix.Open(canary, unix.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			unix.Close(fd)
			t.Fatalf("canary FIFO outside the root was opened (rel %q, %q)", rel, rel2)
		}
		if got := listing(outer); !slices.Equal(got, outerBefore) {
			t.Fatalf("directory above the root changed: %v (rel %q, %q)", got, rel, rel2)
		}
		if got := listing(filepath.Dir(outer)); !slices.Equal(got, aboveBefore) {
			t.Fatalf("directory two levels above the root changed: %v", got)
		}
		// Reset the root to its fixtures, plus a directory to rename.
		for _, name := range listing(rootDir) {
			if _, ok := fixtures[name]; !ok {
				os.RemoveAll(filepath.Join(rootDir, name))
			}
		}
		os.Mkdir(filepath.Join(rootDir, "dir"), 0o755)
	})
}
