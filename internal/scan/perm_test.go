package scan

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWalkUnreadableDir checks that a directory the walker may not read is
// reported through onErr and skipped while the rest is listed. Root reads
// everything, so as root the listing runs in a child process (this test
// binary in helper mode) with the credentials of nobody (65534).
func TestWalkUnreadableDir(t *testing.T) {
	base, err := os.MkdirTemp("", "scan-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Chmod(filepath.Join(base, "tree", "locked"), 0o755)
		os.RemoveAll(base)
	})
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "tree")
	writeTree(t, dir, map[string]string{
		"a.md":             "",
		"locked/hidden.md": "",
		"open/b.md":        "",
		"open/deep/c.md":   "",
		"noexec/x.md":      "",
	})
	if err := os.Chmod(filepath.Join(dir, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	// Readable but not searchable: the names (and types) can be listed, the
	// files cannot be opened; the engine reports that per file.
	if err := os.Chmod(filepath.Join(dir, "noexec"), 0o644); err != nil {
		t.Fatal(err)
	}

	var out helperOutput
	if os.Geteuid() != 0 {
		f := mustFilter(t, dir, nil, nil, "")
		entries, errs, err := List(t.Context(), openRoot(t, dir), f, 2)
		if err != nil {
			t.Fatal(err)
		}
		out.Entries = rels(entries)
		for _, e := range errs {
			out.Errors = append(out.Errors, e.Error())
		}
	} else {
		out = listAsNobody(t, base, dir)
	}

	t.Logf("listed %q; reported %q", out.Entries, out.Errors)
	sameSet(t, out.Entries, []string{"a.md", "open/b.md", "open/deep/c.md", "noexec/x.md"})
	if out.Err != "" {
		t.Errorf("walk failed: %s", out.Err)
	}
	if len(out.Errors) != 1 || !strings.Contains(out.Errors[0], "scan locked:") {
		t.Errorf("errors = %q, want one for locked", out.Errors)
	}
	for _, e := range out.Errors {
		if !strings.Contains(e, "permission denied") {
			t.Errorf("error %q does not say permission denied", e)
		}
	}
}

// listAsNobody runs the helper mode of a copy of the test binary as uid and
// gid 65534 (the build directory is not readable by them) and decodes its
// output.
func listAsNobody(t *testing.T, base, dir string) helperOutput {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "scan.test")
	if err := copyFile(self, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin)
	cmd.Env = []string{helperEnv + "=" + dir, "PATH=/usr/bin:/bin"}
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		if strings.Contains(err.Error(), "operation not permitted") {
			t.Skipf("cannot drop privileges here (%v): the permission check needs a uid other than root", err)
		}
		t.Fatalf("helper: %v\n%s", err, stderr.String())
	}
	var out helperOutput
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("helper output %q: %v", stdout, err)
	}
	return out
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
