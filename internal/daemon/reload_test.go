package daemon_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/poll"
)

// Saving a valid configuration changes behaviour at once; saving an invalid
// one is reported on the event stream and the previous rules keep running.
func TestHotReload(t *testing.T) {
	t.Parallel()
	c := conf{Rules: todoRule}
	e := newEnv(t, c, nil)
	r := e.start()

	// Before: DONE lines are nobody's business.
	e.write("a.md", "TODO: one\nDONE: two\n")
	poll.Until(t, 10*time.Second, "a.md processed", func() bool { return e.read("a.md") == "- [ ] one\nDONE: two\n" })

	// A new rule takes effect.
	c.Rules = todoRule + `  - id: done
    match: '(?m)^DONE: (.+)$'
    actions:
      - replace: { with: "- [x] $1" }
`
	e.writeConfig(c.yaml())
	poll.Until(t, 10*time.Second, "the reload event", func() bool { return len(r.reloads()) == 1 })
	if ev := r.reloads()[0]; ev.Error != "" || ev.Message != "2 rules" {
		t.Fatalf("reload event %+v, want a success with 2 rules", ev)
	}
	if st := r.status(); len(st.Rules) != 2 || st.Rules[1].ID != "done" {
		t.Errorf("status rules after the reload: %+v", st.Rules)
	}
	e.write("b.md", "TODO: three\nDONE: four\n")
	poll.Until(t, 10*time.Second, "b.md processed by both rules", func() bool { return e.read("b.md") == "- [ ] three\n- [x] four\n" })

	// Broken configurations are reported, and the two rules keep running.
	for i, bad := range []struct{ yaml, want string }{
		{c.yaml() + "bogus: true\n", `unknown field "bogus"`},
		{strings.Replace(c.yaml(), `(?m)^DONE: (.+)$`, `(?m)^DONE: (.+$`, 1), "rules[1].match"},
	} {
		e.writeConfig(bad.yaml)
		poll.Until(t, 10*time.Second, "the failed reload event", func() bool { return len(r.reloads()) == 2+i })
		if ev := r.reloads()[1+i]; !strings.Contains(ev.Error, bad.want) || !strings.Contains(ev.Error, "scribe.yaml:") {
			t.Errorf("failed reload event %+v; want an error naming the file, line and %s", ev, bad.want)
		}
	}
	e.write("c.md", "TODO: five\nDONE: six\n")
	poll.Until(t, 10*time.Second, "c.md processed by the old rules", func() bool { return e.read("c.md") == "- [ ] five\n- [x] six\n" })
	if st := r.status(); len(st.Rules) != 2 {
		t.Errorf("status rules after a failed reload: %+v", st.Rules)
	}
}

// A burst of saves to scribe.yaml (a script, a sync tool, an editor saving
// on every change) is one reload, not one per save: saves 150 ms apart are
// one burst.
func TestConfigSaveBurstIsOneReload(t *testing.T) {
	t.Parallel()
	c := conf{Rules: todoRule}
	e := newEnv(t, c, nil)
	r := e.start()
	for i := range 12 {
		e.writeConfig(c.yaml() + fmt.Sprintf("# save %d\n", i))
		time.Sleep(150 * time.Millisecond)
	}
	poll.Until(t, 10*time.Second, "the reload event", func() bool { return len(r.reloads()) >= 1 })
	time.Sleep(time.Second) // more than the settle time: a second reload would show by now
	if n := len(r.reloads()); n != 1 {
		t.Fatalf("%d reloads for a burst of 12 saves, want 1", n)
	}
}

// A reload that changes settings the daemon reads only when it starts (the
// watcher's include and settle here) names them in its event, and a
// reload back to the running values names nothing.
func TestReloadNamesSettingsForTheNextStart(t *testing.T) {
	t.Parallel()
	c := conf{Rules: todoRule}
	e := newEnv(t, c, nil)
	r := e.start()

	changed := c
	changed.Include, changed.Settle = `["**/*.md", "**/*.txt"]`, "10ms"
	e.writeConfig(changed.yaml())
	poll.Until(t, 10*time.Second, "the reload event", func() bool { return len(r.reloads()) == 1 })
	if ev, want := r.reloads()[0], "1 rule; at the next start: include, engine.settle"; ev.Error != "" || ev.Message != want {
		t.Fatalf("reload event %+v, want %q", ev, want)
	}
	// The rules were reloaded all the same.
	e.write("a.md", "TODO: one\n")
	poll.Until(t, 10*time.Second, "a.md processed", func() bool { return e.read("a.md") == "- [ ] one\n" })

	e.writeConfig(c.yaml())
	poll.Until(t, 10*time.Second, "the second reload event", func() bool { return len(r.reloads()) == 2 })
	if ev := r.reloads()[1]; ev.Error != "" || ev.Message != "1 rule" {
		t.Fatalf("reload back to the running settings: event %+v, want %q", ev, "1 rule")
	}
}

// reloads returns the reload events the daemon sent so far.
func (r *running) reloads() []daemon.Event {
	return r.ev.find(func(ev daemon.Event) bool { return ev.Type == "reload" })
}
