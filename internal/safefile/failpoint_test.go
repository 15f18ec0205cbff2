//go:build failpoints

package safefile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestFailpoints is A2: a child crashes (exit 137) right after each step of
// the write protocol, K times per step; the file is always the whole old or
// new version, a created file is absent or whole, and CleanTemps leaves no
// temp file behind. Run with -tags failpoints.
func TestFailpoints(t *testing.T) {
	points := []string{"create-temp", "write-half", "chmod", "fsync", "close", "exchange", "check", "unlink-old", "dir-fsync"}
	k := 20
	if testing.Short() {
		k = 5
	}
	for _, fp := range points {
		t.Run(fp, func(t *testing.T) {
			dir := t.TempDir()
			root := openRoot(t, dir)
			path := filepath.Join(dir, "fp.md")
			writeFile(t, path, crashContent(0), 0o644)
			var crashed, cleaned int
			var versions [2]int
			for range k {
				os.Remove(filepath.Join(dir, "new.md"))
				err := helper(t, "failpoint", "SAFEFILE_DIR="+dir, "SCRIBE_FAILPOINT="+fp).Run()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 137 {
					t.Fatalf("child did not stop at %s: %v", fp, err)
				}
				crashed++
				n, err := CleanTemps(root)
				if err != nil {
					t.Fatal(err)
				}
				cleaned += n
				v, err := checkCrashContent(readFile(t, path))
				if err != nil {
					t.Fatalf("crash at %s: fp.md torn: %v", fp, err)
				}
				versions[min(v, 1)]++
				writeFile(t, path, crashContent(0), 0o644)
				if b, err := os.ReadFile(filepath.Join(dir, "new.md")); err == nil {
					if _, err := checkCrashContent(b); err != nil {
						t.Fatalf("crash at %s: new.md torn: %v", fp, err)
					}
				}
				if left := temps(t, dir); len(left) > 0 {
					t.Fatalf("temp files left: %v", left)
				}
			}
			t.Logf("%s: %d crashes, file old %d / new %d times, 0 torn, %d temps cleaned", fp, crashed, versions[0], versions[1], cleaned)
		})
	}
}
