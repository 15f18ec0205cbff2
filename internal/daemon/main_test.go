package daemon_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"go.uber.org/goleak"

	"github.com/scribe-md/scribe/internal/cli"
	"github.com/scribe-md/scribe/internal/plugin/plugintest"
)

// childEnv, when set to "1", makes the test binary run the command line
// given as its arguments instead of the tests: the crash and signal tests
// start it as `scribe watch`, a real process they can SIGKILL and SIGTERM.
const childEnv = "SCRIBE_DAEMON_TEST_CHILD"

var (
	flagOverflowFiles = flag.Int("daemon.overflow-files", 20000, "files created while paused in TestOverflowWhilePaused (unless set: 5000 under -race, 2000 with -short)")
	flagCrashKills    = flag.Int("daemon.crash-kills", 3, "SIGKILLs during the burst of TestSigkillDuringBurst")
	flagGitFiles      = flag.Int("daemon.git-files", 2000, "notes that differ between the branches of TestGitCheckout (200 with -short)")
	flagGitQueue      = flag.Int("daemon.git-queue", 0, "TestGitCheckout: set fs.inotify.max_queued_events to this while the daemon starts (root only), so that the checkout overflows the kernel queue")
)

// flagSet reports whether the named flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		// The same as cmd/scribe's main.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	plugintest.Main() // the test binary as a plugin (plugin_test.go)
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
