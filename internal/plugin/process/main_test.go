package process_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/scribe-md/scribe/internal/plugin/plugintest"
)

func TestMain(m *testing.M) {
	plugintest.Main()
	code := m.Run()
	plugintest.Cleanup()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
		if left := plugintest.Processes(); len(left) > 0 {
			fmt.Fprintln(os.Stderr, "plugin processes left running:", left)
			code = 1
		}
	}
	os.Exit(code)
}
