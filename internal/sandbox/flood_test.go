package sandbox

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/poll"
)

// TestOutputFloodIsCapped is E3: an endless or huge output is cut at the cap,
// the command is killed, the result is marked Truncated, and Run allocates on
// the order of the cap, not of the flood.
func TestOutputFloodIsCapped(t *testing.T) {
	const outputCap = 1 << 20
	cases := []struct {
		name, script string
		stderr       bool
	}{
		{"yes", "echo $$ >&2; exec yes", false},
		{"1GiB of zeros", "echo $$ >&2; head -c 1073741824 /dev/zero", false},
		{"stderr flood", "echo $$; yes >&2", true},
		{"ignores SIGPIPE", "echo $$ >&2; trap '' PIPE; yes", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := shRunner(t, outputCap)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			res, err := r.Run(context.Background(), action.Command{Name: "sh", Args: []string{"-c", tc.script}, Timeout: 20 * time.Second})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrOutputCapped) {
				t.Fatalf("err = %v, want ErrOutputCapped", err)
			}
			if !res.Truncated || res.ExitCode != -1 {
				t.Fatalf("Truncated = %v, ExitCode = %d; want true, -1", res.Truncated, res.ExitCode)
			}
			flood, other := res.Stdout, res.Stderr
			if tc.stderr {
				flood, other = res.Stderr, res.Stdout
			}
			if len(flood) != outputCap {
				t.Fatalf("captured %d bytes, want exactly the cap %d", len(flood), outputCap)
			}
			pgid := firstInt(t, other)
			poll.Until(t, 2*time.Second, "flooding group killed", func() bool { return len(groupMembers(t, pgid)) == 0 })
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > 3*outputCap {
				t.Errorf("Run allocated %d bytes for a %d-byte cap", alloc, outputCap)
			}
			t.Logf("capped at %d bytes in %v, allocated %d bytes", len(flood), took.Round(time.Millisecond), alloc)
		})
	}
}

func TestOutputUnderCapIsWhole(t *testing.T) {
	r := shRunner(t, 1000)
	res, err := r.Run(context.Background(), action.Command{Name: "sh", Args: []string{"-c", "head -c 1000 /dev/zero"}, Timeout: 5 * time.Second})
	if err != nil || res.Truncated || len(res.Stdout) != 1000 {
		t.Fatalf("err=%v truncated=%v len=%d; want nil false 1000", err, res.Truncated, len(res.Stdout))
	}
}
