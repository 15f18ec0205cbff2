package daemon_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/findings"
	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/telemetry"
)

// lockedBuffer collects log lines from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logger logs at info level, as `scribe watch` does by default, into b,
// with trace ids.
func (b *lockedBuffer) logger(testing.TB) *slog.Logger {
	h := slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo})
	return slog.New(telemetry.LogHandler(h))
}

// lines returns the log lines holding every one of subs.
func (b *lockedBuffer) lines(subs ...string) []string {
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		ok := line != ""
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// linksRule reports broken wiki links.
const linksRule = `  - id: links
    actions:
      - links.check: {}
`

// The daemon says what it found: each new finding once, as a log line with
// its place at info level; listed by /api/v1/findings with filters and by
// `scribe status --findings`; counted in the metrics; replaced when the file
// changes, gone when it is fixed or removed; kept across a restart.
func TestFindingsLoggedListedCounted(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	e := newEnv(t, conf{Listen: freePort(t), Rules: linksRule + todoRule}, map[string]string{
		"target.md": "# Target\n",
		"a.md":      "see [[target]] and [[missing-one]]\nand [[missing-two]]\n",
	})
	r := e.start(func(o *daemon.Options) { o.Logger = logs.logger(t) })

	poll.Until(t, 30*time.Second, "a.md's findings logged", func() bool { return len(logs.lines("msg=finding", "path=a.md")) == 2 })
	if l := logs.lines("msg=finding", "at=a.md:1:"); len(l) != 1 || !strings.Contains(l[0], "rule=links") || !strings.Contains(l[0], "missing-one") {
		t.Errorf("finding line of [[missing-one]]: %q", l)
	}
	var p findings.Page
	r.get("/api/v1/findings", &p)
	if p.Total != 2 || p.Files != 1 || len(p.Findings) != 2 || p.Findings[0].Line != 1 || p.Findings[1].Line != 2 {
		t.Fatalf("findings: %+v", p)
	}
	if v := r.metric(`scribe_findings{rule="links",severity="error"}`); v != 2 {
		t.Errorf("scribe_findings{links,error} = %v, want 2", v)
	}
	if v := r.metric("scribe_files_with_findings"); v != 1 {
		t.Errorf("scribe_files_with_findings = %v, want 1", v)
	}
	if st := r.status(); st.Findings.Total != 2 || st.Findings.Files != 1 {
		t.Errorf("status findings: %+v", st.Findings)
	}
	r.get("/api/v1/findings?"+url.Values{"rule": {"todo"}}.Encode(), &p)
	if p.Total != 0 {
		t.Errorf("findings of rule todo: %+v", p)
	}
	r.get("/api/v1/findings?"+url.Values{"path": {e.path("a.md")}, "limit": {"1"}}.Encode(), &p)
	if p.Total != 2 || len(p.Findings) != 1 || p.Next != 1 {
		t.Errorf("findings of a.md by absolute path, one per page: %+v", p)
	}
	code, out, errOut := scribe(t, "status", "-c", e.cfgPath, "--findings")
	if code != 0 || !strings.Contains(out, "2 findings in 1 file") || !strings.Contains(out, "rule links: 2 findings") || !strings.Contains(out, "a.md:2:") {
		t.Errorf("scribe status --findings: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = scribe(t, "status", "-c", e.cfgPath, "--findings", "--limit", "1")
	if code != 0 || !strings.Contains(out, "… 1 more") {
		t.Errorf("scribe status --findings --limit 1 does not say what it left out:\n%s", out)
	}
	code, out, _ = scribe(t, "status", "-c", e.cfgPath)
	if code != 0 || !strings.Contains(out, "findings: 2 in 1 file (links 2 error)") {
		t.Errorf("scribe status has no findings line:\n%s", out)
	}

	// Processed again with the same findings: nothing new is logged. The
	// sync sentinel makes sure the rescan's work is done.
	e.write("a.md", "see [[target]] and [[missing-one]]\nand [[missing-two]]\nTODO: more\n")
	poll.Until(t, 30*time.Second, "a.md rewritten", func() bool { return r.ev.count(written("a.md")) > 0 })
	r.sync()
	if n := len(logs.lines("msg=finding", "path=a.md")); n != 2 {
		t.Errorf("%d finding lines for a.md after a change that kept them, want still 2 (once per finding)", n)
	}
	// One fixed.
	e.write("a.md", "see [[target]]\nand [[missing-two]]\n")
	poll.Until(t, 30*time.Second, "a fixed finding reported", func() bool {
		return len(logs.lines(`msg="findings resolved"`, "path=a.md", "resolved=1", "remaining=1")) == 1
	})
	r.get("/api/v1/findings", &p)
	if p.Total != 1 || !strings.Contains(p.Findings[0].Message, "missing-two") {
		t.Errorf("after one fix: %+v", p)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	// Across a restart the findings of an unchanged file are still known.
	r = e.start()
	r.get("/api/v1/findings", &p)
	if p.Total != 1 {
		t.Errorf("after a restart: %+v", p)
	}
	e.remove("a.md")
	poll.Until(t, 30*time.Second, "a removed file's findings gone", func() bool {
		r.get("/api/v1/findings", &p)
		return p.Total == 0
	})
}

// At the default level of `scribe watch` the daemon says that it starts
// (roots, rules, where its pages are), that it is ready, paused, resumed and
// reloaded; the NATS server's banner is not among what it says.
func TestInfoLines(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	e := newEnv(t, conf{Rules: todoRule}, nil)
	r := e.start(func(o *daemon.Options) { o.Logger = logs.logger(t) })
	start := logs.lines("msg=starting")
	if len(start) != 1 || !strings.Contains(start[0], "roots="+e.vault) || !strings.Contains(start[0], "rules=1") || !strings.Contains(start[0], "dashboard=http://127.0.0.1:") {
		t.Errorf("start line: %q", start)
	}
	if l := logs.lines(`msg="ready: watching for changes"`, "dashboard=http://"); len(l) != 1 {
		t.Errorf("ready line: %q", l)
	}
	r.post("/api/v1/pause")
	poll.Until(t, 10*time.Second, "the pause logged", func() bool { return len(logs.lines(`msg="paused: changes are queued until resumed"`, "by=api")) == 1 })
	r.post("/api/v1/resume")
	poll.Until(t, 10*time.Second, "the resume logged", func() bool { return len(logs.lines(`msg="resumed: processing the queued changes"`)) == 1 })
	e.writeConfig(strings.Replace(conf{Rules: todoRule}.yaml(), "settle: 50ms", "settle: 60ms", 1))
	poll.Until(t, 10*time.Second, "the reload logged", func() bool { return len(logs.lines(`msg="configuration reloaded"`)) == 1 })
	for _, banner := range []string{"Starting nats-server", "Version:", "JetStream"} {
		if l := logs.lines(banner); len(l) > 0 {
			t.Errorf("the NATS banner at info level: %q", l)
		}
	}
}

// remove deletes a vault file.
func (e *env) remove(rel string) {
	e.t.Helper()
	must(e.t, os.Remove(e.path(rel)))
}

// Dead letters: one per file however often it fails, grouped by rule and
// error in `scribe status`, cleared when the file later succeeds, retried
// by rule or all at once; the gauge counts them, and every log line about
// them names the file.
func TestDeadLettersGroupedClearedRetried(t *testing.T) {
	t.Parallel()
	rules, cmds, flagFile := failingGate(t, "")
	var logs lockedBuffer
	e := newEnv(t, conf{Listen: freePort(t), Commands: cmds, Rules: rules}, nil)
	r := e.start(func(o *daemon.Options) { o.Logger = logs.logger(t) })
	const n = 12
	for i := range n {
		e.write(fmt.Sprintf("bad-%02d.md", i), "FAIL\n")
	}
	poll.Until(t, 60*time.Second, "12 dead letters", func() bool { return r.status().DeadLetterCount == n })
	// bad-00 fails again: it keeps one dead letter.
	e.write("bad-00.md", "FAIL\n\n")
	poll.Until(t, 30*time.Second, "bad-00.md failed again", func() bool {
		return r.ev.count(func(ev daemon.Event) bool { return ev.Type == "dead-letter" && ev.Path == "bad-00.md" }) == 2
	})
	st := r.status()
	if st.DeadLetterCount != n || len(st.DeadLetterGroups) != 1 || st.DeadLetterGroups[0].Count != n || st.DeadLetterGroups[0].Rule != "gate" {
		t.Fatalf("dead letters: %d in groups %+v; want %d, one group of rule gate", st.DeadLetterCount, st.DeadLetterGroups, n)
	}
	if v := r.metric("scribe_dead_letters"); v != n {
		t.Errorf("scribe_dead_letters = %v, want %d", v, n)
	}
	for _, line := range logs.lines("dead-lettered") {
		if !strings.Contains(line, "path=bad-") {
			t.Errorf("a dead-letter log line without the path: %s", line)
		}
	}
	code, out, errOut := scribe(t, "status", "-c", e.cfgPath)
	if code != 0 || !strings.Contains(out, "dead letters: 12 files, by rule and error") || !strings.Contains(out, "    12  gate: rule gate: action exec") || strings.Count(out, "bad-") > 3 {
		t.Errorf("scribe status: exit %d, want the dead letters in one group:\n%s%s", code, out, errOut)
	}

	// Fixed, and bad-01 saved again: it succeeds, and its dead letter goes.
	must(t, os.WriteFile(flagFile, nil, 0o644))
	e.write("bad-01.md", "FAIL\n")
	poll.Until(t, 30*time.Second, "bad-01.md's dead letter cleared", func() bool { return r.status().DeadLetterCount == n-1 })
	if l := logs.lines(`msg="dead letter cleared: the file was processed"`, "path=bad-01.md"); len(l) != 1 {
		t.Errorf("clear log line: %q", l)
	}
	if code, out, errOut := scribe(t, "retry-dead-letter", "-c", e.cfgPath, "--rule", "nope"); code != 0 || !strings.Contains(out, "requeued 0 dead letters") {
		t.Errorf("retry of another rule's: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := scribe(t, "retry-dead-letter", "-c", e.cfgPath, "--all", "3"); code != 2 {
		t.Errorf("retry with an ID and --all: exit %d, want 2\n%s%s", code, out, errOut)
	}
	if code, out, errOut := scribe(t, "retry-dead-letter", "-c", e.cfgPath, "--rule", "gate"); code != 0 || !strings.Contains(out, "requeued 11 dead letters") {
		t.Fatalf("retry --rule gate: exit %d\n%s%s", code, out, errOut)
	}
	poll.Until(t, 30*time.Second, "every file fixed", func() bool {
		for i := range n {
			if e.read(fmt.Sprintf("bad-%02d.md", i)) != "FIXED\n" && e.read(fmt.Sprintf("bad-%02d.md", i)) != "FIXED\n\n" {
				return false
			}
		}
		return true
	})
	poll.Until(t, 10*time.Second, "no dead letters", func() bool { return r.status().DeadLetterCount == 0 })
	if v := r.metric("scribe_dead_letters"); v != 0 {
		t.Errorf("scribe_dead_letters = %v, want 0", v)
	}
}
