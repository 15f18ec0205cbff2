package daemon_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/safefile"
)

// slowRules makes each TODO file take about 500 ms: a shell first touches
// a marker named after the file in markers (so a test can tell a file is in
// flight), then sleeps. It returns the rules and security.commands.
func slowRules(t testing.TB, markers string) (string, map[string]string) {
	t.Helper()
	sh := tool(t, "sh")
	return `  - id: slow-todo
    match: '(?m)^TODO: (.+)$'
    actions:
      - exec: { command: [sh, "-c", 'touch "$0" && sleep 0.5', "` + markers + `/{{ .Path }}"], files: false }
      - replace: { with: "- [ ] $1" }
`, map[string]string{"sh": sh}
}

// slowFiles writes n files for slowRules: t<i>.md holding "TODO: task <i>".
func slowFiles(e *env, n int) []string {
	var files []string
	for i := range n {
		rel := fmt.Sprintf("t%d.md", i)
		files = append(files, rel)
		e.write(rel, fmt.Sprintf("TODO: task %d\n", i))
	}
	return files
}

// waitProcessed waits until each of slowFiles' files holds the rule's
// output, and fails the test with the daemon's status if that takes long.
func waitProcessed(t testing.TB, r *running, e *env, files []string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < len(files); {
		if e.read(files[i]) == fmt.Sprintf("- [ ] task %d\n", i) {
			i++
			continue
		}
		if time.Now().After(deadline) {
			var left []string
			for j, rel := range files {
				if e.read(rel) != fmt.Sprintf("- [ ] task %d\n", j) {
					left = append(left, rel)
				}
			}
			t.Fatalf("not processed after the restart: %q; status %+v", left, r.status())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// inFlight returns the files whose command started and whose result is not
// written yet.
func inFlight(e *env, markers string, files []string) []string {
	var out []string
	for _, rel := range files {
		if _, err := os.Stat(filepath.Join(markers, rel)); err == nil && strings.HasPrefix(e.read(rel), "TODO") {
			out = append(out, rel)
		}
	}
	return out
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
	markers := t.TempDir()
	rules, cmds := slowRules(t, markers)
	e := newEnv(t, conf{Workers: 2, Commands: cmds, Rules: rules}, nil)
	r := e.start()
	files := slowFiles(e, 8)
	var busy []string
	poll.Until(t, 20*time.Second, "a file in flight", func() bool {
		busy = inFlight(e, markers, files)
		return len(busy) > 0
	})
	if err := r.stop(); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	t.Logf("Run returned %v after cancel", r.took.Round(time.Millisecond))
	if r.took > 5*time.Second {
		t.Errorf("Run took %v to return; files in flight need about 500 ms", r.took)
	}
	done := checkWhole(t, e, files)
	for _, rel := range busy {
		if !strings.HasPrefix(e.read(rel), "- [ ]") {
			t.Errorf("%s was in flight at the stop and was not finished", rel)
		}
	}
	t.Logf("%d of %d files processed before the stop", done, len(files))
	goleak.VerifyNone(t, ignore)

	// The files the stop left are processed at the next start, and none
	// was given up on.
	r = e.start()
	waitProcessed(t, r, e, files)
	if st := r.status(); len(st.DeadLetters) > 0 {
		t.Errorf("dead letters after a clean stop and restart: %+v", st.DeadLetters)
	}
}
