package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/poll"
)

// A long-lived process gets the same sandbox as Run: argv as given, the
// allow-listed environment only, the checked working directory; its pipes
// carry what it reads and writes.
func TestStartSandboxAndPipes(t *testing.T) {
	t.Setenv("NATS_TOKEN", "s3cret")
	t.Setenv("SCRIBE_TEST_ALLOWED", "yes")
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "sub"), 0o755)
	real, _ := filepath.EvalSymlinks(filepath.Join(root, "sub"))
	r := NewRunner(root, map[string]string{"rec": helper(t, "", recorderName)}, []string{"SCRIBE_TEST_ALLOWED"}, 0)
	p, err := r.Start(action.Command{Name: "rec", Args: []string{"$(touch PWNED)"}, Dir: "sub"})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(p.Stdin, "request\n")
	p.Stdin.Close()
	out, err := io.ReadAll(p.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	rec := decodeRecord(t, out)
	if argv := strs(rec.Argv); len(argv) != 2 || argv[1] != "$(touch PWNED)" {
		t.Errorf("argv %q", argv)
	}
	if env := strs(rec.Env); !slices.Equal(env, []string{"SCRIBE_TEST_ALLOWED=yes"}) {
		t.Errorf("env %q, want only the allow-listed variable", env)
	}
	if rec.Cwd != real || string(rec.Stdin) != "request\n" {
		t.Errorf("cwd %q stdin %q", rec.Cwd, rec.Stdin)
	}
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "status 0") {
		t.Errorf("Err() = %v", err)
	}
	p.Kill() // after the end: harmless
	p.Stop(time.Second)
}

// Kill takes the whole process group, grandchildren included; Stop waits
// for a graceful exit and kills after the grace; both are safe to repeat.
func TestStartKillAndStop(t *testing.T) {
	r := shRunner(t, 0)
	if _, err := r.Start(action.Command{Name: "nope"}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("a command not allowed: %v", err)
	}
	if _, err := r.Start(action.Command{Name: "sh", Dir: "../.."}); !errors.Is(err, ErrOutsideRoot) {
		t.Fatalf("a directory outside the root: %v", err)
	}

	p, err := r.Start(action.Command{Name: "sh", Args: []string{"-c", "echo $$; sleep 60 & sleep 60"}})
	if err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 32)
	n, _ := p.Stdout.Read(line)
	pgid := firstInt(t, line[:n])
	if pgid != p.Pid() {
		t.Fatalf("pid %d, group %d", p.Pid(), pgid)
	}
	p.Kill()
	p.Kill()
	<-p.Done()
	poll.Until(t, 2*time.Second, fmt.Sprintf("process group %d empty", pgid), func() bool { return len(groupMembers(t, pgid)) == 0 })
	if err := p.Err(); err == nil || err.Error() != "was killed by SIGKILL (killed)" {
		t.Errorf("Err() = %v; want it to name the signal", err)
	}

	// Ignores its input closing: killed after the grace.
	p, err = r.Start(action.Command{Name: "sh", Args: []string{"-c", "trap '' TERM; sleep 60"}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.Stop(200 * time.Millisecond)
	if took := time.Since(start); took < 200*time.Millisecond || took > 2*time.Second {
		t.Fatalf("Stop returned after %v with a 200ms grace", took)
	}
	// Exits when its input closes: Stop returns at once.
	p, err = r.Start(action.Command{Name: "sh", Args: []string{"-c", "cat >/dev/null"}})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	p.Stop(10 * time.Second)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Stop took %v for a process that exits on EOF", took)
	}
}
