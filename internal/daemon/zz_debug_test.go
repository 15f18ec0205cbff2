package daemon_test

import (
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
)

func TestZZDebugStop(t *testing.T) {
	rules, cmds := slowRules(t)
	e := newEnv(t, conf{Workers: 2, Commands: cmds, Rules: rules}, nil)
	r := e.start(func(o *daemon.Options) {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for i := range 8 {
		e.write(fmt.Sprintf("t%d.md", i), fmt.Sprintf("TODO: task %d\n", i))
	}
	waitFor(t, 20*time.Second, "files in flight", func() bool {
		st := r.status()
		return st.Counters["processed"] >= 1 && st.Queue.Pending >= 2
	})
	fmt.Fprintln(os.Stderr, "STOP", time.Now())
	r.stop()
	fmt.Fprintln(os.Stderr, "STOPPED", time.Now())
	for i := range 8 {
		t.Logf("%q", e.read(fmt.Sprintf("t%d.md", i)))
	}
	t.Logf("%+v", r.ev.find(func(daemon.Event) bool { return true }))
}
