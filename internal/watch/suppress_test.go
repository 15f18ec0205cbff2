package watch

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/safefile"
)

// writeAtomic replaces p the way the engine does: a temp file beside it,
// renamed over it.
func writeAtomic(t testing.TB, p string, b []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(p), ".scribe-tmp-0123456789abcdef")
	must(t, os.WriteFile(tmp, b, 0o600))
	must(t, os.Rename(tmp, p))
}

// TestSuppress is rule 8: the engine's own write is not reported; a user's
// later write with other content is.
func TestSuppress(t *testing.T) {
	h := start(t, map[string]string{"a.md": "user v1\n", "b.md": "b"}, config{})

	own := []byte("user v1\nupdated: today\n")
	h.w.Suppress("a.md", sha256.Sum256(own))
	writeAtomic(t, h.path("a.md"), own)
	h.quiesce()
	wantChanges(t, h.take())
	if got := h.w.Stats().Suppressed; got != 1 {
		t.Errorf("suppressed = %d, want 1", got)
	}

	// The user edits: other content, reported.
	must(t, os.WriteFile(h.path("a.md"), []byte("user v2\n"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed a.md")

	// An armed suppression whose write is overtaken by a user's edit in the
	// same burst: the content on disk is not ours, so it is reported.
	h.w.Suppress("b.md", sha256.Sum256([]byte("ours")))
	writeAtomic(t, h.path("b.md"), []byte("ours"))
	must(t, os.WriteFile(h.path("b.md"), []byte("theirs"), 0o644))
	h.quiesce()
	wantChanges(t, h.take(), "changed b.md")
}

// TestSuppressExpires: an entry older than its lifetime no longer hides a
// change, and Suppress keeps its table small.
func TestSuppressExpires(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	must(t, err)
	defer root.Close()
	w := newTestWatcher(t, dir, root)
	for i := range 10 * sweepAbove {
		w.Suppress(fmt.Sprintf("f%d.md", i), [32]byte{})
	}
	w.mu.Lock()
	for k, s := range w.suppress {
		s.until = time.Now().Add(-time.Second)
		w.suppress[k] = s
	}
	w.mu.Unlock()
	w.Suppress("last.md", [32]byte{})
	w.Suppress("last2.md", [32]byte{})
	w.mu.Lock()
	n := len(w.suppress)
	w.mu.Unlock()
	// Expired entries go at the next sweep, which comes once the table has
	// doubled since the last one; until then they are merely ignored.
	if n > 10*sweepAbove+2 {
		t.Errorf("%d entries", n)
	}
	for i := range 20 * sweepAbove {
		w.Suppress(fmt.Sprintf("g%d.md", i), [32]byte{})
	}
	w.mu.Lock()
	for k := range w.suppress {
		if len(k) > 1 && k[0] == 'f' {
			t.Errorf("expired entry %s survived a sweep", k)
			break
		}
	}
	w.mu.Unlock()
}

// TestRacy: a fingerprint recorded within its mtime's tick is racy; one
// recorded later, or with an mtime far in the future, is not.
func TestRacy(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.md")
	must(t, os.WriteFile(p, []byte("x"), 0o644))
	mt := time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.UTC)
	must(t, os.Chtimes(p, mt, mt))
	fi, err := os.Lstat(p)
	must(t, err)
	for _, c := range []struct {
		now  time.Time
		racy bool
	}{
		{mt, true},
		{mt.Add(50 * time.Millisecond), true},
		{mt.Add(time.Second), false},
		{mt.Add(-time.Hour), false},
	} {
		if got := fingerprintOf(safefile.VersionOf(fi), false, c.now).racy(); got != c.racy {
			t.Errorf("recorded %v after the mtime: racy = %v, want %v", c.now.Sub(mt), got, c.racy)
		}
	}
	whole := mt.Truncate(time.Second)
	must(t, os.Chtimes(p, whole, whole))
	fi, err = os.Lstat(p)
	must(t, err)
	if !fingerprintOf(safefile.VersionOf(fi), false, whole.Add(time.Second)).racy() {
		t.Error("a whole-second mtime (a coarse file system) is not racy one second later")
	}
}
