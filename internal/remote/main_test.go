package remote_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	_ "github.com/scribe-md/scribe/internal/action/builtin" // the built-in actions
)

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupBinary()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
