//go:build !unix

package builtin

import "time"

// lkCPUTime is not measured here.
func lkCPUTime() time.Duration { return 0 }
