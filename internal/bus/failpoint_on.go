//go:build failpoints

package bus

import "os"

// failpointEnv names the bus step at which the process exits.
var failpointEnv = os.Getenv("SCRIBE_FAILPOINT")

// failpoint exits the process with status 137 (as if SIGKILLed) when name is
// the step named by SCRIBE_FAILPOINT, to test crash consistency at each step:
// "bus-publish" (event stored, PublishFile not yet returned), "bus-ack"
// (handler succeeded, event not yet acknowledged), "bus-dead-letter" (dead
// letter stored, original not yet removed).
func failpoint(name string) {
	if name == failpointEnv {
		os.Exit(137)
	}
}
