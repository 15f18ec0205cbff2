//go:build failpoints

package safefile

import "os"

// failpoints is whether the build has failpoints.
const failpoints = true

// failpointEnv names the protocol step at which the process exits.
var failpointEnv = os.Getenv("SCRIBE_FAILPOINT")

// testFailpoint is as in the build without failpoints.
var testFailpoint func(name string)

// failpoint exits the process with status 137 (as if SIGKILLed) when name is
// the step named by SCRIBE_FAILPOINT, to test crash consistency at each step.
func failpoint(name string) {
	if name == failpointEnv {
		os.Exit(137)
	}
	if testFailpoint != nil {
		testFailpoint(name)
	}
}
