//go:build !failpoints

package safefile

// failpoints is whether the build has failpoints.
const failpoints = false

// testFailpoint, when a test sets it (before any write starts), is called
// at each failpoint: it can act there (a user's save) or stop the calling
// goroutine as a crash would stop the process (runtime.Goexit).
var testFailpoint func(name string)

// failpoint calls testFailpoint, if set: a load and a branch per step.
func failpoint(name string) {
	if testFailpoint != nil {
		testFailpoint(name)
	}
}
