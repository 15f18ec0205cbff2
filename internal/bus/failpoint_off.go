//go:build !failpoints

package bus

// failpoint is a no-op without the failpoints build tag; the compiler inlines
// it away.
func failpoint(string) {}
