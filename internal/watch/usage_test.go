package watch

import (
	"os"
	"path/filepath"
	"testing"

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
