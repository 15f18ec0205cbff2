package remote_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
)

// project writes an owner's configuration in a fresh directory: root
// notes/, jobs for remote workers only (engine.workers: 0), streams with 3
// replicas, a 2 s ack wait for jobs. The rule pipes the content through a command
// that waits delay (an I/O-bound action), then stamps the front matter.
func project(t testing.TB, c *bustest.Cluster, delay string) string {
	t.Helper()
	dir, _ := ownerProject(t, c, ownerConfig{remote: true, engine: "  remote_ack_wait: 2s\n", actions: fmt.Sprintf(`      - exec: {command: [sh, -c, "sleep %s; cat"], filter: true, files: false}
      - frontmatter.set: {stamped: "yes"}
`, delay)})
	return dir
}

// startAll starts the owner and n workers and waits until the owner is
// ready and lists the workers.
func startAll(t testing.TB, c *bustest.Cluster, dir string, n int) (*proc, []*proc) {
	t.Helper()
	owner := start(t, "owner", dir, "watch")
	var workers []*proc
	for i := range n {
		workers = append(workers, start(t, fmt.Sprintf("worker %d", i+1), t.TempDir(), "worker", "--bus", c.URL(), "--concurrency", "8"))
	}
	poll.NoError(t, 30*time.Second, func() error {
		st, err := ownerStatus(dir)
		if err != nil {
			return err
		}
		if !st.Ready || st.Remote == nil || len(st.Remote.Workers) != n {
			return fmt.Errorf("owner status %+v; want ready with %d workers", st, n)
		}
		return nil
	})
	return owner, workers
}

const stamp = "---\nstamped: \"yes\"\n---\n"

// TestClusterBurstExactlyOnce: 2,000 changes on a 3-node cluster, one owner
// and two worker processes; mid-burst a NATS node is shut down and a worker
// SIGKILLed. Every file ends stamped once, with its own content; no read
// ever sees anything but the old or the new content; the journal holds one
// write per file.
func TestClusterBurstExactlyOnce(t *testing.T) {
	files := 2000
	if testing.Short() {
		files = 300
	}
	c := bustest.StartCluster(t)
	dir := project(t, c, "0.02")
	_, workers := startAll(t, c, dir, 2)

	body := func(i int) string { return fmt.Sprintf("# Note %d\n\nbody of note %d\n", i, i) }
	notes := filepath.Join(dir, "notes")
	for i := range files {
		sub := filepath.Join(notes, fmt.Sprintf("d%02d", i%20))
		os.MkdirAll(sub, 0o755)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("n%04d.md", i)), []byte(body(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := func(i int) string {
		return filepath.Join(notes, fmt.Sprintf("d%02d", i%20), fmt.Sprintf("n%04d.md", i))
	}

	// scan reads every file: each must be whole (its old or its new
	// content) and it returns how many are stamped.
	scan := func() (int, error) {
		n := 0
		for i := range files {
			b, err := os.ReadFile(path(i))
			if err != nil {
				return 0, err
			}
			switch string(b) {
			case body(i):
			case stamp + body(i):
				n++
			default:
				return 0, fmt.Errorf("%s is torn or wrong: %q", path(i), b)
			}
		}
		return n, nil
	}
	// Mid-burst: a node and a worker go.
	poll.NoError(t, 60*time.Second, func() error {
		n, err := scan()
		if err != nil {
			t.Fatal(err)
		}
		if n < files/5 {
			return fmt.Errorf("%d of %d stamped", n, files)
		}
		return nil
	})
	c.Kill(0)
	workers[0].kill()
	done, _ := scan()
	if done == files {
		t.Fatalf("the burst was over before the node and the worker went; nothing was tested")
	}
	t.Logf("node n1 shut down and worker 1 killed with %d of %d files stamped", done, files)

	poll.NoError(t, 90*time.Second, func() error {
		n, err := scan()
		if err != nil {
			t.Fatal(err)
		}
		if n < files {
			st, err := ownerStatus(dir)
			if err != nil {
				return fmt.Errorf("%d of %d stamped; %v", n, files, err)
			}
			b, _ := json.Marshal(st)
			return fmt.Errorf("%d of %d stamped; owner %s", n, files, b)
		}
		return nil
	})
	// Exactly once: one journaled write per file.
	var entries []struct {
		Path string `json:"path"`
		Rule string `json:"rule"`
	}
	out := runScribe(t, dir, "history", "--format", "json", "--limit", fmt.Sprint(files*2))
	if err := json.Unmarshal(out, &entries); err != nil {
		t.Fatal(err)
	}
	writes := map[string]int{}
	for _, e := range entries {
		writes[e.Path]++
	}
	if len(entries) != files || len(writes) != files {
		var twice []string
		for p, n := range writes {
			if n > 1 {
				twice = append(twice, p)
			}
		}
		t.Fatalf("%d journal entries for %d files (%d distinct); written more than once: %v", len(entries), files, len(writes), twice)
	}
	st, err := ownerStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Counters["written"] != int64(files) {
		t.Errorf("owner counted %d writes, want %d", st.Counters["written"], files)
	}
	t.Logf("results of redelivered jobs dropped: %d", st.Remote.Dropped)
}

// TestRacingEditIsKept: the user saves while a remote job runs on the
// file's previous content; the job's result does not overwrite the save:
// the rules are redone on it.
func TestRacingEditIsKept(t *testing.T) {
	c := bustest.StartCluster(t)
	// Longer than two heartbeats of the worker (every 2 s), so that its
	// load shows the job while it runs.
	dir := project(t, c, "5")
	startAll(t, c, dir, 1)

	file := filepath.Join(dir, "notes", "race.md")
	if err := os.WriteFile(file, []byte("# Race\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Wait until a worker runs the job, then save over it.
	poll.NoError(t, 20*time.Second, func() error {
		st, err := ownerStatus(dir)
		if err != nil {
			return err
		}
		for _, w := range st.Remote.Workers {
			if w.InFlight > 0 {
				return nil
			}
		}
		return fmt.Errorf("no job running yet")
	})
	if err := os.WriteFile(file, []byte("# Race\n\nthe user's line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := stamp + "# Race\n\nthe user's line\n"
	poll.NoError(t, 60*time.Second, func() error {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), "the user's line") {
			t.Fatalf("the user's save was overwritten: %q", b)
		}
		if string(b) != want {
			return fmt.Errorf("content %q, want %q", b, want)
		}
		return nil
	})
}

// markPlugin's action appends a line naming the process that started it
// (its parent, the Scribe process that runs the rules), once.
var markPlugin = pythonPlugin{name: "mark", permissions: "read, write", run: `        content = p["file"]["content"]
        result = {} if "marked by" in content else {"content": content + "marked by %d\n" % os.getppid()}`}

// TestPluginActionRunsOnAWorker: a rule whose action is a process plugin
// runs on the worker, which starts the plugin from the folder the owner's
// configuration names (the owner runs no rules: engine.workers 0); what the
// plugin returns is what the owner writes, once per file.
func TestPluginActionRunsOnAWorker(t *testing.T) {
	cfg := markPlugin.config(t, "      - mark.mark: {}\n")
	c := bustest.StartCluster(t)
	dir, _ := ownerProject(t, c, cfg)
	markPlugin.install(t, dir)
	owner, workers := startAll(t, c, dir, 1)

	const files = 20
	for i := range files {
		name := filepath.Join(dir, "notes", fmt.Sprintf("n%02d.md", i))
		if err := os.WriteFile(name, []byte(fmt.Sprintf("# Note %d\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := func(i int) string { return fmt.Sprintf("# Note %d\nmarked by %d\n", i, workers[0].cmd.Process.Pid) }
	poll.NoError(t, 60*time.Second, func() error {
		for i := range files {
			b, err := os.ReadFile(filepath.Join(dir, "notes", fmt.Sprintf("n%02d.md", i)))
			if err != nil {
				return err
			}
			if string(b) != want(i) {
				return fmt.Errorf("n%02d.md is %q, want %q (the owner is process %d)", i, b, want(i), owner.cmd.Process.Pid)
			}
		}
		return nil
	})
}

// TestNoWorkerDeadLetter: an owner that runs no jobs itself (engine.workers:
// 0) and has no worker gives a file's job up after engine.remote_wait; the
// file is a dead letter in scribe status saying why, and is left as it
// was. Once a worker is there, the next save is processed and clears it.
func TestNoWorkerDeadLetter(t *testing.T) {
	c := bustest.StartCluster(t)
	dir := project(t, c, "0")
	cfgFile := filepath.Join(dir, "scribe.yaml")
	cfg, _ := os.ReadFile(cfgFile)
	s := strings.Replace(string(cfg), "  remote_ack_wait: 2s\n", "  remote_ack_wait: 2s\n  remote_wait: 1s\n", 1)
	s = strings.Replace(s, "  - id: stamp\n", "  - id: stamp\n    on_error: {retries: 0}\n", 1)
	if err := os.WriteFile(cfgFile, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	startAll(t, c, dir, 0)

	file := filepath.Join(dir, "notes", "alone.md")
	if err := os.WriteFile(file, []byte("# Alone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	poll.NoError(t, 60*time.Second, func() error {
		st, err := ownerStatus(dir)
		if err != nil {
			return err
		}
		for _, dl := range st.DeadLetters {
			if dl.Event.Path == "alone.md" {
				if !strings.Contains(dl.Error, "no worker ran the rules") || !strings.Contains(dl.Error, "no worker is connected") {
					t.Fatalf("dead letter says %q; want that no worker is connected", dl.Error)
				}
				if st.Remote.Untaken < 1 || st.Remote.Jobs != 0 {
					t.Fatalf("owner status %+v; want the job taken back", st.Remote)
				}
				return nil
			}
		}
		return fmt.Errorf("no dead letter yet: %+v", st.DeadLetters)
	})
	if b, _ := os.ReadFile(file); string(b) != "# Alone\n" {
		t.Fatalf("file %q; want it left as it was", b)
	}

	start(t, "worker", t.TempDir(), "worker", "--bus", c.URL(), "--concurrency", "2")
	if err := os.WriteFile(file, []byte("# Alone no more\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	poll.NoError(t, 60*time.Second, func() error {
		b, _ := os.ReadFile(file)
		if string(b) != stamp+"# Alone no more\n" {
			return fmt.Errorf("file %q not stamped yet", b)
		}
		st, err := ownerStatus(dir)
		if err != nil {
			return err
		}
		if len(st.DeadLetters) != 0 {
			return fmt.Errorf("dead letters %+v; want it cleared", st.DeadLetters)
		}
		return nil
	})
}
