package watch

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/scan"
)

// CountDirs, which `scribe doctor` uses to size the inotify limit, counts
// exactly the directories a running watcher watches: not .git, not the
// state dir, not excluded or ignored trees, not through a symbolic link.
func TestCountDirsMatchesTheWatcher(t *testing.T) {
	tree := map[string]string{
		"a/b/c/1.md":        "1",
		"a/d/":              "",
		"e/2.md":            "2",
		".git/objects/x":    "x",
		".scribe/nats/y":    "y",
		"ignored/deep/3.md": "3",
		".gitignore":        "ignored/\n",
		"f/sub/4.md":        "4",
	}
	h := start(t, tree, config{})
	must(t, os.Symlink(h.path("a"), h.path("link")))
	h.quiesce()
	f, err := scan.NewFilter(h.dir, []string{"**/*.md"}, nil, ".scribe")
	must(t, err)
	root, err := os.OpenRoot(h.dir)
	must(t, err)
	defer root.Close()
	n, err := CountDirs(t.Context(), root, f)
	must(t, err)
	if w := h.w.Stats().Watches; n != w {
		t.Fatalf("CountDirs = %d, the watcher watches %d", n, w)
	}
	if n != 8 { // ., a, a/b, a/b/c, a/d, e, f, f/sub
		t.Fatalf("CountDirs = %d, want 8", n)
	}
}

// CurrentUsage finds this process's own watches in /proc, and sets them
// aside when asked to.
func TestCurrentUsageSeesOurWatches(t *testing.T) {
	h := start(t, map[string]string{"a/b/1.md": "1", "c/2.md": "2"}, config{})
	h.quiesce()
	own := h.w.Stats().Watches
	exe, err := os.Executable()
	must(t, err)
	exe, _ = filepath.EvalSymlinks(exe)
	u := CurrentUsage(nil)
	if u.Watches < own || u.Instances < 1 {
		t.Fatalf("usage %+v does not include this process's %d watches", u, own)
	}
	v := CurrentUsage(func(p string) bool { return p == exe })
	if v.Skipped < own || v.Watches != u.Watches-v.Skipped {
		t.Fatalf("skip: %+v, without skip %+v, own %d", v, u, own)
	}
	if l := KernelLimits(); l.MaxWatches <= 0 || l.MaxInstances <= 0 {
		t.Fatalf("limits not read: %+v", l)
	}
}

// TestKnownIsTheFirstCrawl: after Ready, Known lists exactly the regular
// documents of the tree with the stamps of the versions a stat gives, and
// IsDocument agrees, leaving out what the
// filter excludes and symbolic links (a one-shot run leaves them too), so
// the daemon's catch-up needs no second walk.
func TestKnownIsTheFirstCrawl(t *testing.T) {
	h := start(t, map[string]string{
		"a.md":          "a",
		"sub/b.md":      "bb",
		"sub/deep/c.md": "ccc",
		"notes.txt":     "not a document",
		".scribe/x.md":  "state dir",
		"sub/empty/":    "",
	}, config{before: func(w *Watcher) {
		// Before the first crawl, which then finds it.
		must(t, os.Symlink("a.md", filepath.Join(w.opts.Root, "link.md")))
	}})

	got := map[string]safefile.Stamp{}
	for _, dir := range h.w.Dirs() {
		h.w.Known(dir, func(name string, s safefile.Stamp) {
			if !h.w.isKnownLocked(join(dir, name)) { // Known holds the lock
				t.Errorf("Known gave %q in %q, which the watcher does not hold", name, dir)
			}
			got[join(dir, name)] = s
		})
	}
	want := []string{"a.md", "sub/b.md", "sub/deep/c.md"}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
		t.Fatalf("Known lists %q, want %q", keys, want)
	}
	for rel, s := range got {
		fi, err := os.Lstat(h.path(rel))
		must(t, err)
		if want := safefile.VersionOf(fi).Stamp(); s != want {
			t.Errorf("%s: Known gives stamp %#x, a stat gives %#x", rel, s, want)
		}
		d, n := splitRel(rel)
		if !h.w.IsDocument(d, n) {
			t.Errorf("IsDocument(%q, %q) = false", d, n)
		}
	}
	for _, rel := range []string{"link.md", "notes.txt", ".scribe/x.md", "sub/empty", "nope.md"} {
		d, n := splitRel(rel)
		if rel != "link.md" && h.w.IsDocument(d, n) {
			t.Errorf("IsDocument(%q, %q) = true", d, n)
		}
	}
}
