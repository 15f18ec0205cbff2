//go:build failpoints

package safefile

import "os"

// failpointEnv names the protocol step at which the process exits.
var failpointEnv = os.Getenv("SCRIBE_FAILPOINT")

// failpoint exits the process with status 137 (as if SIGKILLed) when name is
// the step named by SCRIBE_FAILPOINT, to test crash consistency at each step.
func failpoint(name string) {
	if name == failpointEnv {
		os.Exit(137)
	}
}
