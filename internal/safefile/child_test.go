package safefile

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// diskFullChild runs under a tiny RLIMIT_FSIZE, so writing the temp file
// fails as on a full disk. It prints the errors for the parent to check.
func diskFullChild(dir string) error {
	signal.Ignore(syscall.SIGXFSZ) // get EFBIG instead of being killed
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 4096, Max: 4096}); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	s, err := Read(root, "big.md", 0)
	if err != nil {
		return err
	}
	next := make([]byte, 64<<10)
	for i := range next {
		next[i] = 'z'
	}
	if err := replace(root, "big.md", s, next); err == nil {
		return errors.New("Replace succeeded beyond RLIMIT_FSIZE")
	} else {
		fmt.Println("REPLACE:", err)
	}
	if err := Create(root, "new.md", next, 0o644); err == nil {
		return errors.New("Create succeeded beyond RLIMIT_FSIZE")
	} else {
		fmt.Println("CREATE:", err)
	}
	return nil
}

// replaceOnceChild reads and replaces one file and prints the outcome; the
// permission test runs it as an unprivileged user.
func replaceOnceChild(dir, file string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, name := range strings.Split(file, ",") {
		s, err := Read(root, name, 0)
		if err != nil {
			fmt.Printf("%s READ: %v\n", name, err)
			continue
		}
		if err := replace(root, name, s, []byte("written by uid "+fmt.Sprint(os.Geteuid())+"\n")); err != nil {
			fmt.Printf("%s REPLACE: %v\n", name, err)
			continue
		}
		fmt.Printf("%s REPLACED\n", name)
	}
	return nil
}

// failpointChild performs one Replace of fp.md, or one Create of new.md when
// SAFEFILE_OP=create; with -tags failpoints and SCRIBE_FAILPOINT set it exits
// 137 at that step.
func failpointChild(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if os.Getenv("SAFEFILE_OP") == "create" {
		return Create(root, "new.md", crashContent(7), 0o644)
	}
	s, err := Read(root, "fp.md", 0)
	if err != nil {
		return err
	}
	v, err := checkCrashContent(s.Content)
	if err != nil {
		return err
	}
	// A raced write has a user's rename save land after its last check
	// (version v+2), and, raced twice, another while the rewrite is in
	// place (v+3): so the steps of the swap-back are reached.
	saves := map[string]uint64{}
	switch os.Getenv("SAFEFILE_OP") {
	case "replace-raced":
		saves["recheck"] = v + 2
	case "replace-raced-twice":
		saves["recheck"], saves["exchange"] = v+2, v+3
	}
	testFailpoint = func(name string) {
		if sv, ok := saves[name]; ok {
			delete(saves, name)
			if err := userSave(filepath.Join(dir, "fp.md"), crashContent(sv), saveRename); err != nil {
				panic(err)
			}
		}
	}
	return replace(root, "fp.md", s, crashContent(v+1))
}

func fileSum(t *testing.T, path string) [32]byte {
	return sha256.Sum256(readFile(t, path))
}

// TestDiskFull is A4: when the temp file cannot be written, the original is
// intact, no temp file remains and the error says what happened.
func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.md")
	writeFile(t, path, []byte(strings.Repeat("original line\n", 1000)), 0o644)
	before := fileSum(t, path)
	out, err := helper(t, "disk-full", "SAFEFILE_DIR="+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child under RLIMIT_FSIZE=4096:\n%s", out)
	for _, line := range []string{"REPLACE: replace big.md: write temporary file", "CREATE: create new.md: write temporary file "} {
		if !strings.Contains(string(out), line) || !strings.Contains(string(out), ": file too large\n") {
			t.Errorf("output lacks %q ... file too large", line)
		}
	}
	if fileSum(t, path) != before {
		t.Error("original changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.md")); err == nil {
		t.Error("new.md created")
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestPermissionDenied is A5 with privileges really dropped (CI runs as
// root, where permission tests would pass vacuously): uid 65534 must not
// rewrite root's file in a world-writable directory, and gets a clear error
// for a file it cannot read.
func TestPermissionDenied(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to drop privileges to uid 65534")
	}
	base, err := os.MkdirTemp("", "safefile-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	// The child must be able to reach its binary and the data.
	exe, _ := os.Executable()
	bin := filepath.Join(base, "safefile.test")
	copyFile(t, exe, bin, 0o755)
	data := filepath.Join(base, "data")
	os.Mkdir(data, 0o777)
	for _, d := range []string{base, data} {
		os.Chmod(d, 0o777)
	}
	os.Chmod(base, 0o755)
	writeFile(t, filepath.Join(data, "root.md"), []byte("root's file\n"), 0o644)
	os.Mkdir(filepath.Join(data, "closed"), 0o700)
	writeFile(t, filepath.Join(data, "closed", "x.md"), []byte("hidden\n"), 0o644)
	before := fileSum(t, filepath.Join(data, "root.md"))

	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=replace-once", "SAFEFILE_DIR="+data, "SAFEFILE_FILE=root.md,closed/x.md")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child as uid 65534:\n%s", out)
	if !strings.Contains(string(out), "root.md REPLACE: replace root.md: "+ErrForeignOwner.Error()) {
		t.Error("root.md: no ErrForeignOwner refusal")
	}
	if !strings.Contains(string(out), "closed/x.md READ: read closed/x.md: ") || !strings.Contains(string(out), "closed: permission denied") {
		t.Error("closed/x.md: no clear permission error")
	}
	if fileSum(t, filepath.Join(data, "root.md")) != before {
		t.Error("root's file was modified")
	}
	if left := temps(t, data); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func copyFile(t *testing.T, from, to string, perm os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
