//go:build !failpoints

package safefile

// failpoints is whether the build has failpoints.
const failpoints = false

// failpoint is a no-op without the failpoints build tag; the compiler inlines
// it away.
func failpoint(string) {}
