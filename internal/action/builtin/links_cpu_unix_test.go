//go:build unix

package builtin

import (
	"syscall"
	"time"
)

// lkCPUTime is the CPU time (user + system) the process has used: the
// benchmarks report it next to wall time, which a busy machine inflates.
func lkCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
