package daemon_test

import (
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/scribe-md/scribe/internal/safefile"
)

// slowRules makes each TODO file take about 300 ms (a command runs first),
// so that files are in flight when the daemon is told to stop.
func slowRules(t testing.TB) (string, map[string]string) {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1) program:", err)
	}
	sleep, err = filepath.EvalSymlinks(sleep)
	must(t, err)
	return `  - id: slow-todo
    match: '(?m)^TODO: (.+)$'
    actions:
      - exec: { command: [sleep, "0.3"], files: false }
      - replace: { with: "- [ ] $1" }
`, map[string]string{"sleep": sleep}
}

// checkWhole fails the test unless each of files is either its user version
// ("TODO: x") or the rule's output ("- [ ] x"), and no temp file is left.
// It returns how many were processed.
func checkWhole(t testing.TB, e *env, files []string) int {
	t.Helper()
	done := 0
	for i, rel := range files {
		switch e.read(rel) {
		case fmt.Sprintf("- [ ] task %d\n", i):
			done++
		case fmt.Sprintf("TODO: task %d\n", i):
		default:
			t.Errorf("%s is neither the user's nor the rule's version: %q", rel, e.read(rel))
		}
	}
	if temps := tempFiles(t, e.vault); len(temps) > 0 {
		t.Errorf("temp files left: %q", temps)
	}
	return done
}

// tempFiles lists the engine's temp files (safefile.TempPrefix) under dir.
func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), safefile.TempPrefix) {
			out = append(out, p)
		}
		return nil
	}))
	return out
}

// Cancelling Run with files in flight: they finish within the grace period,
// Run returns nil, and no goroutine is left behind.
func TestShutdownInProcessNoLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	rules, cmds := slowRules(t)
	e := newEnv(t, conf{Workers: 2, Commands: cmds, Rules: rules}, nil)
	r := e.start()
	var files []string
	for i := range 8 {
		rel := fmt.Sprintf("t%d.md", i)
		files = append(files, rel)
		e.write(rel, fmt.Sprintf("TODO: task %d\n", i))
	}
	waitFor(t, 20*time.Second, "files in flight", func() bool {
		st := r.status()
		return st.Counters["processed"] >= 1 && st.Queue.Pending >= 2
	})
	if err := r.stop(); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	t.Logf("Run returned %v after cancel", r.took.Round(time.Millisecond))
	if r.took > 5*time.Second {
		t.Errorf("Run took %v to return; files in flight need about 300 ms", r.took)
	}
	done := checkWhole(t, e, files)
	t.Logf("%d of %d files processed before the stop", done, len(files))
	goleak.VerifyNone(t, ignore)

	// The files the stop left are processed at the next start, and none
	// was given up on.
	r = e.start()
	for i, rel := range files {
		want := fmt.Sprintf("- [ ] task %d\n", i)
		waitFor(t, 20*time.Second, rel+" processed after the restart", func() bool { return e.read(rel) == want })
	}
	if st := r.status(); len(st.DeadLetters) > 0 {
		t.Errorf("dead letters after a clean stop and restart: %+v", st.DeadLetters)
	}
}
