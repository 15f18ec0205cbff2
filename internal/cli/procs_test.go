package cli_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/cli"
)

// TestWritingCommandsRaiseProcs runs the command line in a child process,
// as cmd/scribe does (cli.OwnProcess set), and reads the child's GOMAXPROCS
// before and after: `run` doubles it, `check` leaves it, and so does `run`
// when the environment sets GOMAXPROCS.
func TestWritingCommandsRaiseProcs(t *testing.T) {
	if args := os.Getenv("SCRIBE_TEST_CLI_CHILD"); args != "" {
		cli.OwnProcess = true
		before := runtime.GOMAXPROCS(0)
		code := cli.Main(context.Background(), strings.Split(args, "\n"), strings.NewReader(""), os.Stdout, os.Stderr)
		fmt.Fprintf(os.Stderr, "GOMAXPROCS %d -> %d\n", before, runtime.GOMAXPROCS(0))
		os.Exit(code)
	}
	dir := vault(t)
	cfg := filepath.Join(dir, "scribe.yaml")
	child := func(env string, args ...string) (before, after int) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestWritingCommandsRaiseProcs$")
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") })
		cmd.Env = append(cmd.Env, "SCRIBE_TEST_CLI_CHILD="+strings.Join(args, "\n"))
		if env != "" {
			cmd.Env = append(cmd.Env, env)
		}
		out, _ := cmd.CombinedOutput()
		m := regexp.MustCompile(`GOMAXPROCS (\d+) -> (\d+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("scribe %s: no GOMAXPROCS line in the output:\n%s", strings.Join(args, " "), out)
		}
		before, _ = strconv.Atoi(string(m[1]))
		after, _ = strconv.Atoi(string(m[2]))
		return before, after
	}

	if before, after := child("", "check", "-q", "-c", cfg); after != before {
		t.Errorf("check: GOMAXPROCS %d -> %d, want it left alone", before, after)
	}
	if before, after := child("GOMAXPROCS=3", "run", "-q", "-c", cfg); before != 3 || after != 3 {
		t.Errorf("run with GOMAXPROCS=3 in the environment: GOMAXPROCS %d -> %d, want 3 kept", before, after)
	}
	if before, after := child("", "run", "-q", "-c", cfg); after != 2*before {
		t.Errorf("run: GOMAXPROCS %d -> %d, want %d", before, after, 2*before)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes/a.md")); !strings.Contains(string(b), "- [ ] write") {
		t.Errorf("the run in the child process did not write: %q", b)
	}
}
