package daemon_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/poll"
)

// Names that are not UTF-8, or that hold terminal escape sequences, go
// through every layer of the daemon (watcher, bus, engine, journal, file
// index, events) like any other name, and keep their exact bytes.
func TestOddNamesEndToEnd(t *testing.T) {
	t.Parallel()
	latin1 := "notes/caf\xe9.md"
	names := []string{latin1, "notes/a\x1b]0;pwned\x07.md", "notes/\x1b[2J.md", "d\xff\xfe/x.md"}
	e := newEnv(t, conf{Rules: todoRule}, map[string]string{"notes/before.md": "TODO: seed\n"})
	r := e.start()
	poll.Until(t, 30*time.Second, "the seed processed", func() bool { return e.read("notes/before.md") == "- [ ] seed\n" })

	for _, n := range names {
		e.write(n, "TODO: x\n")
	}
	for _, n := range names {
		poll.Until(t, 30*time.Second, "processing of "+n, func() bool { return e.read(n) == "- [ ] x\n" })
	}
	// The journal (through the API's JSON) has each write under its exact
	// name, so history and undo work for it.
	for _, n := range names {
		// The journal entry follows the write by a moment.
		poll.Until(t, 10*time.Second, "the journal entry of "+n, func() bool { return len(r.history(e.path(n))) > 0 })
		h := r.history(e.path(n))
		if len(h) != 1 || h[0].Path != n || h[0].Rule != "todo" {
			t.Errorf("history of %q: %+v", n, h)
		}
	}
	// Events carry the escaped name and the exact bytes.
	b64 := base64.StdEncoding.EncodeToString([]byte(latin1))
	poll.Until(t, 10*time.Second, "the processed event of the latin-1 name", func() bool {
		return r.ev.count(func(ev daemon.Event) bool {
			return ev.Type == "processed" && ev.Written && ev.PathBase64 == b64 && ev.Path == `notes/caf\xe9.md`
		}) == 1
	})
	if st := r.status(); st.Counters["failed"] != 0 {
		t.Errorf("failed counter = %d", st.Counters["failed"])
	}

	// After a restart the file index knows the names: nothing is redone.
	must(t, r.stop())
	r = e.start()
	r.sync()
	for _, n := range names {
		if h := r.history(e.path(n)); len(h) != 1 {
			t.Errorf("after a restart, %q has %d writes, want 1", n, len(h))
		}
	}
}

// Notes that link to each other, all renamed by naming's fix mode while
// the daemon's workers process them side by side: every link follows its
// note. A note read before another's rename rewrote its links is redone on
// what is on disk (engine.changedSince); written back as it was read, its
// links broke (96 of 150 notes of such a ring, in a trial).
func TestNamingFixRingEndToEnd(t *testing.T) {
	t.Parallel()
	const n = 60
	files := map[string]string{}
	want := map[string]string{}
	for i := range n {
		prev, next, far := (i+n-1)%n, (i+1)%n, (i+7)%n
		files[fmt.Sprintf("note_%02d.md", i)] = fmt.Sprintf("[prev](note_%02d.md) [next](note_%02d.md) [[note_%02d]]\n", prev, next, far)
		want[fmt.Sprintf("note-%02d.md", i)] = fmt.Sprintf("[prev](note-%02d.md) [next](note-%02d.md) [[note-%02d]]\n", prev, next, far)
	}
	e := newEnv(t, conf{Workers: 4, Rules: `  - id: names
    actions:
      - naming: {mode: fix}
`}, files)
	r := e.start()
	poll.Until(t, 60*time.Second, "every note renamed", func() bool {
		for p := range want {
			if _, err := os.Stat(e.path(p)); err != nil {
				return false
			}
		}
		return true
	})
	r.sync()
	for p, w := range want {
		if got := e.read(p); got != w {
			t.Errorf("%s = %q, want %q", p, got, w)
		}
	}
	for p := range files {
		if _, err := os.Stat(e.path(p)); err == nil {
			t.Errorf("%s is still there", p)
		}
	}
}
