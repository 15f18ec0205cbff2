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
	"github.com/scribe-md/scribe/internal/poll"
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
	poll.Until(t, 2*time.Second, fmt.Sprintf("process group %d empty", pgid), func() bool {
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
	poll.Until(t, 2*time.Second, "leftover killed", func() bool { return len(groupMembers(t, pgid)) == 0 })
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
	poll.Until(t, 2*time.Second, "group empty", func() bool { return len(groupMembers(t, pgid)) == 0 })
}

// uniqueSleep returns a sleep argument no other process has, and kills any
// process still holding it when the test ends.
func uniqueSleep(t *testing.T, n int) string {
	marker := fmt.Sprintf("59.%06d%d", time.Now().UnixNano()%1e6, n)
	t.Cleanup(func() {
		for _, pid := range processesWithArg(marker) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return marker
}

// untilReady waits for the file "ready" in the working directory.
const untilReady = "while [ ! -e ready ]; do sleep 0.01; done; "

// TestSetsidEscapeesAreKilled is E2's setsid variant: processes that move
// to a new session leave the process group, so the group kill misses them;
// they are reparented to Scribe (a child subreaper) and killed when the
// command ends, whether it timed out or exited, however deep they are. Run
// still returns by timeout + WaitDelay. A /proc scan shows none survives.
func TestSetsidEscapeesAreKilled(t *testing.T) {
	system(t, "/usr/bin/setsid")
	for _, tc := range []struct {
		name    string
		script  string // %s: the sleep argument
		timeout time.Duration
		escaped int64 // processes that left the group and kept running
	}{
		{"timeout", "setsid sleep %s & sleep 60", 300 * time.Millisecond, 1},
		// The script waits for the escapee to be out ("ready") before it
		// ends, so that it really escaped.
		{"exit", "setsid sh -c 'touch ready; exec sleep %s' & " + untilReady + "exit 0", 10 * time.Second, 1},
		{"double fork", "(setsid sh -c 'touch ready; exec sleep %s' &); " + untilReady + "exit 0", 10 * time.Second, 1},
		{"escapee with children", "setsid sh -c 'sleep %[1]s & sleep %[1]s & touch ready; wait' & " + untilReady + "exit 0", 10 * time.Second, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, every := range []bool{false, true} {
				name := "children files"
				if every {
					name = "every process" // a kernel without children files
				}
				t.Run(name, func(t *testing.T) {
					noChildrenFiles = every
					t.Cleanup(func() { noChildrenFiles = false })
					testEscapee(t, tc.script, tc.timeout, tc.escaped)
				})
			}
		})
	}
}

// testEscapee runs script (%s: the sleep argument) with timeout and checks
// that nothing of it survives and that at least escaped processes were
// counted as having left the group.
func testEscapee(t *testing.T, script string, timeout time.Duration, escaped int64) {
	r := shRunner(t, 0)
	marker := uniqueSleep(t, 0)
	before := Escaped()
	start := time.Now()
	_, err := r.Run(context.Background(), action.Command{
		Name:    "sh",
		Args:    []string{"-c", fmt.Sprintf(script, marker)},
		Timeout: timeout,
	})
	took := time.Since(start)
	if timeout < time.Second && !errors.Is(err, context.DeadlineExceeded) || timeout > time.Second && err != nil {
		t.Fatalf("err = %v", err)
	}
	if limit := timeout + waitDelay + 500*time.Millisecond; timeout < time.Second && took > limit {
		t.Fatalf("Run took %v, want ≤ %v", took, limit)
	}
	if left := processesWithArg(marker); len(left) > 0 {
		t.Fatalf("processes outside the group survived the command: %v", left)
	}
	// A short-lived helper of the escapee (touch) may be counted too when
	// it is caught running.
	if got := Escaped() - before; got < escaped {
		t.Errorf("Escaped() counted %d, want at least %d", got, escaped)
	}
	t.Logf("returned after %v; %d escapees killed, none left (/proc scan)", took.Round(time.Millisecond), Escaped()-before)
}

// With two commands running, one's end does not kill what the other moved
// out of its group while it still runs; the other's end does.
func TestEscapeesOfAnotherRunningCommandAreLeft(t *testing.T) {
	system(t, "/usr/bin/setsid")
	r := shRunner(t, 0)
	marker := uniqueSleep(t, 1)
	aStarted := make(chan struct{})
	aDone := make(chan error, 1)
	go func() {
		close(aStarted)
		_, err := r.Run(context.Background(), action.Command{Name: "sh", Args: []string{"-c", "sleep 0.3"}, Timeout: 10 * time.Second})
		aDone <- err
	}()
	<-aStarted
	bDone := make(chan error, 1)
	go func() {
		_, err := r.Run(context.Background(), action.Command{Name: "sh",
			Args: []string{"-c", "sleep 0.05; setsid sleep " + marker + " & sleep 1.5"}, Timeout: 10 * time.Second})
		bDone <- err
	}()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if len(processesWithArg(marker)) != 1 {
		select {
		case err := <-bDone:
			t.Fatalf("the second command ended first (%v); the machine is too slow for this test", err)
		default:
		}
		t.Fatalf("the first command's end killed the second's escapee while it ran")
	}
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	if left := processesWithArg(marker); len(left) > 0 {
		t.Fatalf("the second command's escapee survived it: %v", left)
	}
}
