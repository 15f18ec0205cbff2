package daemon_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/poll"
)

// The memory budget is reported, never enforced: a daemon over it says so
// (log, status, metric, an event) and keeps working. Without one configured,
// the budget is set when the daemon first goes idle, to at least 256 MiB.
func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	t.Run("automatic", func(t *testing.T) {
		t.Parallel()
		r := newEnv(t, conf{Rules: todoRule}, nil).start()
		st := r.status()
		if st.Memory.Held == 0 || st.Memory.Budget < 256<<20 || st.Memory.Over {
			t.Errorf("memory %+v; want memory held, a budget of at least 256 MiB set at ready, not over", st.Memory)
		}
		if v := r.metric("scribe_memory_budget_bytes"); v != float64(st.Memory.Budget) {
			t.Errorf("scribe_memory_budget_bytes = %v, want %d", v, st.Memory.Budget)
		}
	})
	t.Run("exceeded", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, conf{Rules: todoRule, Engine: "  memory_budget: 1KiB\n"}, nil)
		logs := &logBuffer{}
		r := e.start(func(o *daemon.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
		e.write("a.md", "TODO: still processed\n")
		poll.Until(t, 10*time.Second, "a.md rewritten", func() bool { return e.read("a.md") == "- [ ] still processed\n" })
		// Crossed at ready (already over), before the event stream was
		// opened: the log says it.
		poll.Until(t, 10*time.Second, "the warning", func() bool { return strings.Contains(logs.String(), "more memory than its budget") })
		if st := r.status(); !st.Memory.Over || st.Memory.Budget != 1024 {
			t.Errorf("memory %+v; want over a budget of 1024 bytes", st.Memory)
		}
		if v := r.metric("scribe_memory_over_budget"); v != 1 {
			t.Errorf("scribe_memory_over_budget = %v, want 1", v)
		}
		if n := strings.Count(logs.String(), "more memory than its budget"); n != 1 {
			t.Errorf("the crossing was logged %d times, want once:\n%s", n, logs.String())
		}
	})
}
