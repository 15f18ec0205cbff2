//go:build failpoints

package safefile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestFailpoints is A2: a child crashes (exit 137) right after each step of
// the write protocol, K times per step, in Replace and in Create. The file is
// always the whole old or new version, a created file is absent or whole, and
// CleanTemps leaves no temp file behind. Run with -tags failpoints.
func TestFailpoints(t *testing.T) {
	points := []string{"create-temp", "write-half", "chmod", "fsync", "close", "recheck", "exchange", "check", "unlink-old", "dir-fsync"}
	k := 20
	if testing.Short() {
		k = 5
	}
	for _, op := range []string{"replace", "create"} {
		for _, fp := range points {
			if op == "create" && slices.Contains([]string{"recheck", "check", "unlink-old"}, fp) {
				continue // steps Create does not have
			}
			t.Run(op+"/"+fp, func(t *testing.T) { failpointRun(t, op, fp, k) })
		}
	}
}

// TestFailpointsRaced is A2 with real crashes: the child's write races
// with one or two of the user's rename saves, so that it reaches the
// swap-back, and exits right after the exchange, the renaming of its temp
// file for the first swap-back, or that swap-back. After CleanTemps the
// file holds the last save, whole; a conflict copy, if any, an earlier
// save, whole; and no temp file is left.
func TestFailpointsRaced(t *testing.T) {
	k := 20
	if testing.Short() {
		k = 5
	}
	for _, op := range []string{"replace-raced", "replace-raced-twice"} {
		for _, fp := range []string{"exchange", "swap-tag", "swap-back"} {
			t.Run(op+"/"+fp, func(t *testing.T) {
				dir := t.TempDir()
				root := openRoot(t, dir)
				path := filepath.Join(dir, "fp.md")
				last := uint64(2) // the last save's version
				if op == "replace-raced-twice" && fp != "exchange" {
					last = 3
				}
				var restored, kept int
				for range k {
					writeFile(t, path, crashContent(0), 0o644)
					c := crashAndClean(t, root, dir, op, fp)
					restored += len(c.Restored)
					kept += len(c.Kept)
					if v, err := checkCrashContent(readFile(t, path)); err != nil || v != last {
						t.Fatalf("fp.md holds version %d (%v), want the last save's, %d", v, err, last)
					}
					for _, name := range c.Kept {
						p := filepath.Join(dir, name)
						if v, err := checkCrashContent(readFile(t, p)); err != nil || v < 2 || v >= last {
							t.Fatalf("conflict copy %s holds version %d (%v), want an earlier save", name, v, err)
						}
						os.Remove(p)
					}
				}
				t.Logf("%d crashes: the last save at the file each time, %d put back, %d earlier saves kept", k, restored, kept)
			})
		}
	}
}

// crashAndClean runs the child writer of op in dir, which must exit at the
// step fp, then CleanTemps, which must leave no temp file.
func crashAndClean(t *testing.T, root *os.Root, dir, op, fp string) Cleaned {
	t.Helper()
	err := helper(t, "failpoint", "SAFEFILE_DIR="+dir, "SAFEFILE_OP="+op, "SCRIBE_FAILPOINT="+fp).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 137 {
		t.Fatalf("child did not stop at %s: %v", fp, err)
	}
	c, err := CleanTemps(root)
	if err != nil {
		t.Fatal(err)
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Fatalf("temp files left: %v", left)
	}
	return c
}

func failpointRun(t *testing.T, op, fp string, k int) {
	dir := t.TempDir()
	root := openRoot(t, dir)
	path := filepath.Join(dir, "fp.md")
	created := filepath.Join(dir, "new.md")
	writeFile(t, path, crashContent(0), 0o644)
	var cleaned, absent, whole int
	var versions [2]int
	for range k {
		c := crashAndClean(t, root, dir, op, fp)
		if len(c.Restored)+len(c.Kept) > 0 {
			t.Fatalf("CleanTemps restored %q and kept %q, with no save but the writer's", c.Restored, c.Kept)
		}
		cleaned += c.Removed
		if op == "replace" {
			v, err := checkCrashContent(readFile(t, path))
			if err != nil {
				t.Fatalf("crash at %s: fp.md torn: %v", fp, err)
			}
			versions[min(v, 1)]++
			writeFile(t, path, crashContent(0), 0o644)
			continue
		}
		b, err := os.ReadFile(created)
		if errors.Is(err, os.ErrNotExist) {
			absent++
			continue
		}
		if _, err := checkCrashContent(b); err != nil {
			t.Fatalf("crash at %s: new.md torn: %v", fp, err)
		}
		whole++
		os.Remove(created)
	}
	if op == "replace" {
		t.Logf("%d crashes: file old %d / new %d times, 0 torn, %d temps cleaned", k, versions[0], versions[1], cleaned)
	} else {
		t.Logf("%d crashes: new file absent %d / whole %d times, 0 torn, %d temps cleaned", k, absent, whole, cleaned)
	}
}
