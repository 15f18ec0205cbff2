package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

// TestWorkingDirConfined is E7: a working directory outside the root is
// refused before anything is launched.
func TestWorkingDirConfined(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root, outside, filepath.Join(root, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink(outside, filepath.Join(root, "out"))
	os.Symlink("../../outside", filepath.Join(root, "sub", "up"))
	os.Symlink("/", filepath.Join(root, "slash"))
	os.WriteFile(filepath.Join(root, "file.md"), nil, 0o644)
	canary := filepath.Join(outside, "LAUNCHED")
	r := NewRunner(root, map[string]string{"mark": helper(t, "", markerName)}, nil, 0)

	cases := []struct{ dir, want string }{
		{"..", "climbs out"},
		{"../..", "climbs out"},
		{"sub/../../outside", "climbs out"},
		{"/", "absolute"},
		{outside, "absolute"},
		{root, "absolute"},
		{"out", "outside the root"},
		{"sub/up", "outside the root"},
		{"slash", "outside the root"},
		{"missing", "does not exist"},
		{"file.md", "not a directory"},
	}
	for _, tc := range cases {
		_, err := r.Run(context.Background(), action.Command{Name: "mark", Dir: tc.dir, Args: []string{canary}, Timeout: 5 * time.Second})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("dir %q: err = %v, want one containing %q", tc.dir, err, tc.want)
		}
		if tc.want != "does not exist" && tc.want != "not a directory" && !errors.Is(err, ErrOutsideRoot) {
			t.Errorf("dir %q: err = %v, want ErrOutsideRoot", tc.dir, err)
		}
	}
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("a command was launched outside the root")
	}
}

func TestWorkingDirInside(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a", "b"), 0o755)
	os.Symlink("a/b", filepath.Join(root, "short"))
	real, _ := filepath.EvalSymlinks(root)
	for dir, want := range map[string]string{
		"":       real,
		".":      real,
		"a/b":    filepath.Join(real, "a", "b"),
		"a/../a": filepath.Join(real, "a"),
		"short":  filepath.Join(real, "a", "b"),
	} {
		rec, err := recordRun(t, root, nil, action.Command{Dir: dir})
		if err != nil {
			t.Fatalf("dir %q: %v", dir, err)
		}
		if rec.Cwd != want {
			t.Errorf("dir %q: cwd %q, want %q", dir, rec.Cwd, want)
		}
	}
}

// TestConcurrentRunsKeepTheirDirectories: each concurrent Run starts in its
// own checked directory (the descriptor handed to the child is per call).
func TestConcurrentRunsKeepTheirDirectories(t *testing.T) {
	root := t.TempDir()
	real, _ := filepath.EvalSymlinks(root)
	r := NewRunner(root, map[string]string{"rec": helper(t, "", recorderName)}, nil, 0)
	const n = 12
	errs := make(chan error, n)
	for i := range n {
		dir := filepath.Join("d", strconv.Itoa(i))
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		go func() {
			res, err := r.Run(context.Background(), action.Command{Name: "rec", Dir: dir, Files: []string{dir}, Timeout: 20 * time.Second})
			if err != nil {
				errs <- err
				return
			}
			var rec record
			if err := json.Unmarshal(res.Stdout, &rec); err != nil {
				errs <- err
				return
			}
			if want := filepath.Join(real, dir); rec.Cwd != want {
				errs <- fmt.Errorf("run in %s started in %s", want, rec.Cwd)
				return
			}
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
