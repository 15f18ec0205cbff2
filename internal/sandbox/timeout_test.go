package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

// shRunner returns a Runner over a temporary root that may run /bin/sh.
func shRunner(t *testing.T, outputCap int64) *Runner {
	t.Helper()
	return NewRunner(t.TempDir(), map[string]string{"sh": system(t, "/bin/sh")}, []string{"PATH"}, outputCap)
}

// firstInt parses the first line of out as the pid the script echoed.
func firstInt(t *testing.T, out []byte) int {
	t.Helper()
	line, _, _ := strings.Cut(string(out), "\n")
	n, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("script did not print its pid first: %q", out)
	}
	return n
}

// TestTimeoutKillsGrandchild is E2: a command whose grandchild holds the
// output pipe is killed as a group, and Run returns within timeout + 1 s.
func TestTimeoutKillsGrandchild(t *testing.T) {
	r := shRunner(t, 0)
	const timeout = 300 * time.Millisecond
	start := time.Now()
	res, err := r.Run(context.Background(), action.Command{
		Name:    "sh",
		Args:    []string{"-c", "echo $$; sleep 60 & sleep 60"},
		Timeout: timeout,
	})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if took > timeout+time.Second {
		t.Fatalf("Run took %v, want ≤ %v", took, timeout+time.Second)
	}
	if res.ExitCode != -1 {
		t.Errorf("ExitCode = %d, want -1", res.ExitCode)
	}
	pgid := firstInt(t, res.Stdout)
	eventually(t, 2*time.Second, fmt.Sprintf("process group %d empty", pgid), func() bool {
		return len(groupMembers(t, pgid)) == 0
	})
	t.Logf("returned after %v (timeout %v); group %d empty", took.Round(time.Millisecond), timeout, pgid)
}

// TestLeftoversDieWithTheCommand: a command that exits at once but leaves a
// background process in its group returns promptly, and the leftover is
// killed.
func TestLeftoversDieWithTheCommand(t *testing.T) {
	r := shRunner(t, 0)
	start := time.Now()
	res, err := r.Run(context.Background(), action.Command{
		Name:    "sh",
		Args:    []string{"-c", "echo $$; sleep 60 &"},
		Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Run took %v for a command that exits at once", took)
	}
	pgid := firstInt(t, res.Stdout)
	eventually(t, 2*time.Second, "leftover killed", func() bool { return len(groupMembers(t, pgid)) == 0 })
}

// TestCancelKillsGroup: cancelling the caller's context (not a timeout)
// kills the group too.
func TestCancelKillsGroup(t *testing.T) {
	r := shRunner(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res, err := r.Run(ctx, action.Command{Name: "sh", Args: []string{"-c", "echo $$; sleep 60 & sleep 60"}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	pgid := firstInt(t, res.Stdout)
	eventually(t, 2*time.Second, "group empty", func() bool { return len(groupMembers(t, pgid)) == 0 })
}

// TestSetsidEscapeeIsDocumented is E2's setsid variant: a process that moves
// to a new session leaves the group and survives the group kill (see the
// package doc: contain such commands with a cgroup), but Run still returns
// by timeout + WaitDelay, because the output pipes are closed.
func TestSetsidEscapeeIsDocumented(t *testing.T) {
	system(t, "/usr/bin/setsid")
	r := shRunner(t, 0)
	marker := fmt.Sprintf("59.%d", time.Now().UnixNano()%1e6) // a unique sleep argument
	t.Cleanup(func() {
		for _, pid := range processesWithArg(marker) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	const timeout = 300 * time.Millisecond
	start := time.Now()
	_, err := r.Run(context.Background(), action.Command{
		Name:    "sh",
		Args:    []string{"-c", "setsid sleep " + marker + " & sleep 60"},
		Timeout: timeout,
	})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if limit := timeout + waitDelay + 500*time.Millisecond; took > limit {
		t.Fatalf("Run took %v, want ≤ %v", took, limit)
	}
	t.Logf("returned after %v; setsid escapees still alive: %v (documented limit)", took.Round(time.Millisecond), processesWithArg(marker))
}
