package watch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsnotify/fsnotify"

	"github.com/scribe-md/scribe/internal/safefile"
)

// nopBackend is a kernel watcher that watches nothing.
type nopBackend struct{}

func (nopBackend) Add(string) error              { return nil }
func (nopBackend) Remove(string) error           { return nil }
func (nopBackend) Events() <-chan fsnotify.Event { return nil }
func (nopBackend) Errors() <-chan error          { return nil }
func (nopBackend) Close() error                  { return nil }

// FuzzHandle feeds hostile event names and operations to the event handler:
// it must never panic, and never queue a path or a directory that is not a
// clean relative path inside the root. A name that is not UTF-8 is clean:
// such files are tracked like any other.
func FuzzHandle(f *testing.F) {
	for _, s := range []string{
		"a.md", "d", "d/x.md", "../x.md", "a/../../b.md", "\x00.md", "d/", "//x.md",
		strings.Repeat("a/", 300) + "x.md", "\xff\xfe.md", ".scribe-cookie-1-1", "", ".", "..",
		"4913", "x.md~", ".#x.md", ".x.md.swp", ".gitignore", "d/.scribeignore",
	} {
		f.Add(s, uint8(fsnotify.Create))
		f.Add(s, uint8(fsnotify.Remove|fsnotify.Rename))
	}
	dir := f.TempDir()
	must(f, os.WriteFile(filepath.Join(dir, "a.md"), []byte("a"), 0o644))
	must(f, os.MkdirAll(filepath.Join(dir, "d"), 0o755))
	root, err := os.OpenRoot(dir)
	must(f, err)
	f.Cleanup(func() { root.Close() })

	f.Fuzz(func(t *testing.T, name string, op uint8) {
		w := newTestWatcher(t, dir, root)
		w.bk = &kernel{be: nopBackend{}}
		w.watched["d"] = struct{}{}
		w.knownSetLocked("d/k.md", 0)
		ev := fsnotify.Event{Name: w.prefix + name, Op: fsnotify.Op(op) & (fsnotify.Create | fsnotify.Write | fsnotify.Remove | fsnotify.Rename | fsnotify.Chmod)}
		_ = w.handle(ev)
		for rel := range w.co.byPath {
			if !safefile.ValidRel(rel) {
				t.Fatalf("queued malformed path %q for event %v", rel, ev)
			}
		}
		for _, j := range w.jobs {
			if !safefile.ValidRel(j.rel) {
				t.Fatalf("queued malformed directory %q for event %v", j.rel, ev)
			}
		}
	})
}

// FuzzTransient: the scratch-name check never panics and never calls a
// Markdown name with an ordinary stem scratch.
func FuzzTransient(f *testing.F) {
	for _, s := range []string{"", "a", ".", "~", "#", "##", ".swp", "x.md", "4913", ".a.swp", "x___jb_tmp___"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stem string) {
		transient(stem)
		if stem != "" && !strings.ContainsAny(stem, "#~.") && stem != "4913" && transient(stem+".md") {
			t.Fatalf("%q.md called scratch", stem)
		}
	})
}
