package safefile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// helperEnv selects a helper mode when the test binary re-executes itself as
// a child process (crash writer, disk-full writer, unprivileged writer).
const helperEnv = "SAFEFILE_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	goleak.VerifyTestMain(m)
}

// runHelper runs a child-process mode and returns its exit status.
func runHelper(mode string) int {
	var err error
	switch mode {
	case "crash-writer":
		err = crashWriter(os.Getenv("SAFEFILE_DIR"), os.Getenv("SAFEFILE_WRITER") == "bad")
	case "disk-full":
		err = diskFullChild(os.Getenv("SAFEFILE_DIR"))
	case "replace-once":
		err = replaceOnceChild(os.Getenv("SAFEFILE_DIR"), os.Getenv("SAFEFILE_FILE"))
	case "failpoint":
		err = failpointChild(os.Getenv("SAFEFILE_DIR"))
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stdout, "ERROR:", err)
		return 1
	}
	return 0
}

// helper returns a command that runs this test binary in helper mode.
func helper(t testing.TB, mode string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + mode}, env...)...)
	return cmd
}

// openRoot opens dir as a root, closed at the end of the test.
func openRoot(t testing.TB, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// newRoot returns a fresh temporary directory and a root on it.
func newRoot(t testing.TB) (string, *os.Root) {
	dir := t.TempDir()
	return dir, openRoot(t, dir)
}

// newNote returns a fresh root holding note.md with content, the note's
// path, and a snapshot of it read as a rewrite would.
func newNote(t testing.TB, content []byte) (dir string, root *os.Root, path string, s *Snapshot) {
	t.Helper()
	dir, root = newRoot(t)
	path = filepath.Join(dir, "note.md")
	writeFile(t, path, content, 0o644)
	s, err := Read(root, "note.md", 0)
	if err != nil {
		t.Fatal(err)
	}
	return dir, root, path, s
}

func writeFile(t testing.TB, path string, data []byte, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // beat the umask
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// temps lists the temp files left anywhere under dir.
func temps(t testing.TB, dir string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(de.Name(), TempPrefix) {
			found = append(found, p)
		}
		return nil
	})
	return found
}

// Self-checksummed content for the crash tests: a header line with a version
// and the sha256 of the body, then a pseudo-random body, exactly crashSize
// bytes in all. Any torn mix of two versions fails the check.
const crashSize = 256 << 10

func crashContent(version uint64) []byte {
	body := bytes.Repeat(crashBlocks[version%2], crashSize/len(crashBlocks[0]))
	body = body[:crashSize-len(crashHeader(0, nil))]
	return append(crashHeader(version, body), body...)
}

// crashBlocks are two random 4 KiB blocks that differ at almost every byte;
// consecutive versions repeat different ones, so any mix of two versions
// breaks the checksum. Repeating a block keeps generation cheap under -race.
var crashBlocks = func() [2][]byte {
	var b [2][]byte
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = make([]byte, 4096)
		for j := range b[i] {
			b[i][j] = 'a' + byte(r.IntN(26))
			if j%64 == 63 {
				b[i][j] = '\n'
			}
		}
	}
	return b
}()

func crashHeader(version uint64, body []byte) []byte {
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, "crash-test v=%016d sum=%s\n", version, hex.EncodeToString(sum[:]))
}

// checkCrashContent returns the version in b, or an error if b is torn.
func checkCrashContent(b []byte) (uint64, error) {
	if len(b) != crashSize {
		return 0, fmt.Errorf("size %d, want %d", len(b), crashSize)
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return 0, errors.New("no header")
	}
	var v uint64
	var sum string
	if _, err := fmt.Sscanf(string(b[:nl]), "crash-test v=%d sum=%s", &v, &sum); err != nil {
		return 0, fmt.Errorf("bad header: %w", err)
	}
	got := sha256.Sum256(b[nl+1:])
	if hex.EncodeToString(got[:]) != sum {
		return v, errors.New("checksum mismatch")
	}
	return v, nil
}
