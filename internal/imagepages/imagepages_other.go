//go:build !linux

package imagepages

// Release does nothing outside Linux.
func Release() (int64, error) { return 0, nil }

// Evict does nothing outside Linux.
func Evict() (int64, error) { return 0, nil }
