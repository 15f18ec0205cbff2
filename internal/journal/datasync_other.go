//go:build !linux

package journal

import "os"

// datasync flushes f (an fsync where the system has no fdatasync at hand).
func datasync(f *os.File) error { return f.Sync() }
