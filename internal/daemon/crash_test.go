package daemon_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/poll"
)

// Files of the crash test carry their own checksum: a first line the rule
// rewrites, a payload that says which file and version it is, and the
// payload's SHA-256. A torn file (part of one version, part of another, or
// cut short) fails the check.
const (
	crashFiles   = 50
	crashEdits   = 500
	crashPayload = 32 << 10
)

func crashPath(f int) string { return fmt.Sprintf("burst/f%02d.md", f) }

func crashBody(f, v int) string {
	var b strings.Builder
	for j := 0; b.Len() < crashPayload; j++ {
		fmt.Fprintf(&b, "file %d version %d line %d: the quick brown fox jumps over the lazy dog\n", f, v, j)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return b.String() + "sha256: " + hex.EncodeToString(sum[:]) + "\n"
}

// crashUser is version v of file f as the user saves it; crashRule is what
// the rule makes of it.
func crashUser(f, v int) string { return fmt.Sprintf("TODO: f%d v%d\n", f, v) + crashBody(f, v) }
func crashRule(f, v int) string { return fmt.Sprintf("- [ ] f%d v%d\n", f, v) + crashBody(f, v) }

// checkIntact returns a description of what is wrong with file f's
// content, "" if it is a whole version (user's or rule's) with a valid
// checksum. It also returns the version and whether the rule ran.
func checkIntact(f int, content string) (problem string, version int, ruled bool) {
	first, rest, ok := strings.Cut(content, "\n")
	if !ok {
		return "no first line", 0, false
	}
	var ff int
	if _, err := fmt.Sscanf(first, "TODO: f%d v%d", &ff, &version); err == nil {
	} else if _, err := fmt.Sscanf(first, "- [ ] f%d v%d", &ff, &version); err == nil {
		ruled = true
	} else {
		return fmt.Sprintf("bad first line %q", first), 0, false
	}
	i := strings.LastIndex(rest, "sha256: ")
	if ff != f || i < 0 || !strings.HasSuffix(rest, "\n") {
		return "no checksum line or wrong file", version, ruled
	}
	payload, sum := rest[:i], strings.TrimSuffix(rest[i+len("sha256: "):], "\n")
	h := sha256.Sum256([]byte(payload))
	if hex.EncodeToString(h[:]) != sum {
		return "checksum mismatch (torn)", version, ruled
	}
	if rest != crashBody(f, version) {
		return "payload of another version", version, ruled
	}
	return "", version, ruled
}

// saveAtomic saves like an editor's safe write: a temp file beside the
// target, renamed over it (the temp name is no document).
func saveAtomic(t testing.TB, p, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".user-tmp")
	must(t, os.WriteFile(tmp, []byte(content), 0o644))
	must(t, os.Rename(tmp, p))
}

// The real daemon is SIGKILLed several times while it works through a burst
// of 500 changes (more changes land while it is down); after the restarts
// every file holds exactly the rule's output of its last version, no file
// was ever torn, and no temp file is left.
func TestSigkillDuringBurst(t *testing.T) {
	listen := freePort(t)
	e := newEnv(t, conf{Workers: 4, Listen: listen, Rules: todoRule}, nil)
	last := make([]int, crashFiles) // version of each file last saved
	for f := range crashFiles {
		e.write(crashPath(f), crashRule(f, 0))
	}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	kills := max(*flagCrashKills, 1)
	perRound := crashEdits / kills
	// edit saves n random versions and returns how many files it touched.
	edit := func(n int) int {
		touched := map[int]bool{}
		for range n {
			f := rng.IntN(crashFiles)
			last[f]++
			touched[f] = true
			saveAtomic(t, e.path(crashPath(f)), crashUser(f, last[f]))
		}
		return len(touched)
	}
	torn := 0
	checkAll := func(when string) {
		for f := range crashFiles {
			b, err := os.ReadFile(e.path(crashPath(f)))
			must(t, err)
			if p, _, _ := checkIntact(f, string(b)); p != "" {
				torn++
				t.Errorf("%s: %s: %s", when, crashPath(f), p)
			}
		}
	}

	busy, midWrite := 0, 0 // kills with events queued, kills that left a temp file
	for round := range kills {
		c := e.spawn(listen)
		c.waitReady()
		base := c.api.status().Counters["written"]
		// Two thirds of the round's changes while the daemon runs; the kill
		// lands after a random number of its writes.
		touched := edit(perRound * 2 / 3)
		after := int64(1 + rng.IntN(max(1, touched/2)))
		poll.Until(t, 60*time.Second, "writes under way", func() bool { return c.api.status().Counters["written"] >= base+after })
		if c.api.status().Queue.Pending > 0 {
			busy++
		}
		c.kill()
		// The mark that makes the next start look for temp files.
		if _, err := os.Stat(filepath.Join(e.dir, "state", "running")); err != nil {
			t.Errorf("after kill %d: no running mark: %v", round+1, err)
		}
		if len(tempFiles(t, e.vault)) > 0 {
			midWrite++
		}
		checkAll(fmt.Sprintf("after kill %d", round+1))
		// The rest of the round's changes while it is down.
		edit(perRound - perRound*2/3)
	}

	// An orphan temp file, as a kill between create and rename leaves.
	must(t, os.WriteFile(e.path("burst/.scribe-tmp-orphan"), []byte("half a file"), 0o600))
	c := e.spawn(listen)
	c.waitReady()
	t0 := time.Now()
	pending := func() []string {
		var out []string
		for f := range crashFiles {
			if e.read(crashPath(f)) != crashRule(f, last[f]) {
				out = append(out, crashPath(f))
			}
		}
		return out
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(pending()) > 0 {
		if time.Now().After(deadline) {
			st := c.api.status()
			var held []string
			for _, p := range pending() {
				var f int
				fmt.Sscanf(p, "burst/f%d.md", &f)
				problem, v, ruled := checkIntact(f, e.read(p))
				held = append(held, fmt.Sprintf("%s: saved last as v%d, holds v%d (rule ran: %v) %s", p, last[f], v, ruled, problem))
			}
			t.Fatalf("not processed 60 s after the last restart: %q; status %+v", held, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Saves that a kill left swapped out under a temp name, put back by the
	// next start (the daemon's log says so).
	putBack := 0
	logs, _ := filepath.Glob(filepath.Join(e.dir, "child-*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		putBack += strings.Count(string(b), "the save is back in place")
	}
	t.Logf("%d kills (%d with events queued, %d mid-write), %d edits of %d files: all processed %v after the last restart, %d torn files, %d saves put back",
		kills, busy, midWrite, kills*perRound, crashFiles, time.Since(t0).Round(time.Millisecond), torn, putBack)
	checkAll("at the end")
	if temps := tempFiles(t, e.vault); len(temps) > 0 {
		t.Errorf("temp files left after the restart: %q", temps)
	}
	// Events the killed daemons held come back when their ack wait (30 s)
	// runs out: they must be redone (as no-ops), not given up on.
	if !testing.Short() {
		for end := time.Now().Add(32 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
			if st := c.api.status(); len(st.DeadLetters) > 0 {
				t.Fatalf("dead letters after the restarts: %+v", st.DeadLetters)
			}
		}
		poll.Until(t, 10*time.Second, "an empty queue", func() bool { return c.api.status().Queue.Pending == 0 })
	}
	st := c.api.status()
	if len(st.DeadLetters) > 0 {
		t.Errorf("dead letters after the restarts: %+v", st.DeadLetters)
	}
	for f := range crashFiles {
		if got := e.read(crashPath(f)); got != crashRule(f, last[f]) {
			t.Errorf("%s changed after it was processed: %.40q", crashPath(f), got)
		}
	}

	// A clean stop of the last one.
	must(t, c.cmd.Process.Signal(syscall.SIGTERM))
	if code := c.wait(15 * time.Second); code != 0 {
		c.dumpLog()
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "state", "running")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("running mark after a clean stop: %v, want it removed", err)
	}
}

// SIGTERM with files in flight: the real binary finishes them and exits 0
// within the grace period; a restart then processes the rest.
func TestSigtermExitsWithinGrace(t *testing.T) {
	markers := t.TempDir()
	rules, cmds := slowRules(t, markers)
	listen := freePort(t)
	e := newEnv(t, conf{Workers: 2, Listen: listen, Commands: cmds, Rules: rules}, nil)
	c := e.spawn(listen, "--grace", "5s")
	c.waitReady()
	files := slowFiles(e, 8)
	var busy []string
	poll.Until(t, 20*time.Second, "a file in flight", func() bool {
		busy = inFlight(e, markers, files)
		return len(busy) > 0
	})
	t0 := time.Now()
	must(t, c.cmd.Process.Signal(syscall.SIGTERM))
	code := c.wait(15 * time.Second)
	took := c.exited.Sub(t0)
	if code != 0 {
		c.dumpLog()
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
	if took > 5*time.Second+2*time.Second {
		t.Errorf("exited %v after SIGTERM; the grace period is 5 s", took)
	}
	if !strings.Contains(c.log(), "shutting down") {
		t.Errorf("no shutdown message on stderr:\n%s", c.log())
	}
	done := checkWhole(t, e, files)
	for _, rel := range busy {
		if !strings.HasPrefix(e.read(rel), "- [ ]") {
			t.Errorf("%s was in flight at SIGTERM and was not finished", rel)
		}
	}
	t.Logf("exited 0 %v after SIGTERM with %d of %d files processed", took.Round(time.Millisecond), done, len(files))

	// What was left is processed at the next start, and nothing was given
	// up on.
	r := e.start()
	waitProcessed(t, r, e, files)
	if st := r.status(); len(st.DeadLetters) > 0 {
		t.Errorf("dead letters after a clean stop and restart: %+v", st.DeadLetters)
	}
}
