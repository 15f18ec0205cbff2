package daemon_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/dashboard"
	"github.com/scribe-md/scribe/internal/poll"
)

// The diff of a write shows what it changed: the content it left comes from
// the file while it still has it, or from a later entry that replaced it (an
// undo, a rule's next write); once neither holds it (the user edited the
// file), the diff says so.
func TestWriteDiff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Workers: 1, Rules: todoRule}, nil)
	r := e.start()
	diff := func(id uint64) dashboard.Diff {
		var d dashboard.Diff
		r.get("/api/v1/history/"+strconv.FormatUint(id, 10)+"/diff", &d)
		return d
	}

	e.write("a.md", "TODO: one\n")
	poll.Until(t, 10*time.Second, "the first write journaled", func() bool { return len(r.history(e.path("a.md"))) == 1 })
	first := r.history(e.path("a.md"))[0].ID
	want := "--- a/a.md\n+++ b/a.md\n@@ -1 +1 @@\n-TODO: one\n+- [ ] one\n"
	if d := diff(first); d.Diff != want || d.Note != "" || d.Entry.ID != first {
		t.Errorf("diff of the write, file unchanged since: %+v, want %q", d, want)
	}
	// Undone, the file no longer has the write's result; the undo's entry
	// holds it.
	r.post("/api/v1/undo/" + strconv.FormatUint(first, 10))
	poll.Until(t, 10*time.Second, "the undo", func() bool { return e.read("a.md") == "TODO: one\n" })
	if d := diff(first); d.Diff != want {
		t.Errorf("diff of the undone write: %+v, want %q", d, want)
	}

	e.write("b.md", "TODO: two\n")
	poll.Until(t, 10*time.Second, "the write of b.md journaled", func() bool { return len(r.history(e.path("b.md"))) == 1 })
	e.write("b.md", "edited by hand\n")
	r.sync()
	h := r.history(e.path("b.md"))
	if len(h) != 1 {
		t.Fatalf("history of b.md %+v, want 1 write", h)
	}
	if d := diff(h[0].ID); d.Diff != "" || !strings.Contains(d.Note, "no longer holds") {
		t.Errorf("diff of a write edited over by hand: %+v; want a note that its result is gone", d)
	}
	if code := r.getStatus("/api/v1/history/999999/diff"); code != http.StatusNotFound {
		t.Errorf("diff of an unknown write: %d, want 404", code)
	}
}

// The processed events carry what the dashboard's stream shows, and the
// activity counts every file per rule.
func TestDashboardData(t *testing.T) {
	t.Parallel()
	var link string
	e := newEnv(t, conf{Rules: todoRule}, nil)
	r := e.start(func(o *daemon.Options) { o.Dashboard = func(u string) { link = u } })
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/\?login=[0-9a-f]{64}$`).MatchString(link) || !strings.HasPrefix(link, "http://"+r.d.Addr()+"/") {
		t.Errorf("login link %q; want one to %s", link, r.d.Addr())
	}

	e.write("a.md", "TODO: x\n")
	poll.Until(t, 10*time.Second, "a.md written", func() bool { return r.ev.count(written("a.md")) == 1 })
	ev := r.ev.find(written("a.md"))[0]
	if ev.Result != "written" || ev.DurationMS <= 0 || len(ev.FailedRules) != 0 || len(ev.Rules) != 1 || ev.Rules[0] != "todo" {
		t.Errorf("processed event %+v; want result written, a duration and the rule todo", ev)
	}
	// The page names a file's root when there are several, and explains a
	// file by its absolute path: the event gives the root's directory, the
	// status its name as configured.
	if ev.Root != e.vault {
		t.Errorf("processed event's root %q, want %q", ev.Root, e.vault)
	}
	var st daemon.Status
	r.get("/api/v1/status", &st)
	if len(st.Roots) != 1 || st.Roots[0].Name != "vault" || st.Roots[0].Dir != e.vault {
		t.Errorf("status roots %+v; want vault at %s", st.Roots, e.vault)
	}
	// The status counts per rule as the dashboard does.
	if len(st.Rules) != 1 || st.Rules[0].ID != "todo" || st.Rules[0].Applied != 1 || st.Rules[0].Failed != 0 {
		t.Errorf("status rules %+v; want todo applied to 1 file, failed on none", st.Rules)
	}
	var a dashboard.Snapshot
	r.get("/api/v1/activity", &a)
	n := 0
	for _, s := range a.Samples {
		n += s.Written
	}
	if n != 1 || len(a.Rules) != 1 || a.Rules[0] != (dashboard.RuleCount{Rule: "todo", Applied: 1}) {
		t.Errorf("activity %+v; want one written file and the rule todo applied once", a)
	}
	if last := a.Samples[len(a.Samples)-1]; last.Pending == nil || *last.Pending != 0 {
		t.Errorf("last sample %+v; want the queue read at 0", last)
	}
}
