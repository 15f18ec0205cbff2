package bus_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// childModes are the roles the test binary plays when re-executed by a crash
// test (see failpoint_test.go), keyed by $BUS_TEST_CHILD.
var childModes = map[string]func() int{}

func TestMain(m *testing.M) {
	if mode := os.Getenv("BUS_TEST_CHILD"); mode != "" {
		run, ok := childModes[mode]
		if !ok {
			os.Exit(2)
		}
		os.Exit(run())
	}
	goleak.VerifyTestMain(m)
}
