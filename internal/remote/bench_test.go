package remote_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/remote"
)

// benchProject writes an owner's configuration on cluster c: with remote,
// jobs go to remote workers only (engine.workers: 0); without, the owner
// runs the rules itself (engine.workers: 4), on the same cluster, so that
// the two differ only by the jobs' round trip.
func benchProject(b *testing.B, c *cluster, remote bool, actions string) string {
	dir := b.TempDir()
	os.Mkdir(filepath.Join(dir, "notes"), 0o755)
	workers := 4
	if remote {
		workers = 0
	}
	cfg := fmt.Sprintf(`roots: [notes]
engine:
  remote: %t
  workers: %d
  settle: 10ms
  state_dir: state
  vcs: "off"
bus:
  url: %q
  replicas: 3
http:
  listen: 127.0.0.1:%d
security:
  commands:
    - {name: sh, path: /bin/sh}
rules:
  - id: stamp
    actions:
%s`, remote, workers, c.URL(), freePorts(b, 1)[0], actions)
	if err := os.WriteFile(filepath.Join(dir, "scribe.yaml"), []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkThroughput: files per second through 1, 2 and 4 remote workers
// (2 jobs at once each) of an I/O-bound rule, a command that waits 50 ms
// per file. Target (doc/PERFORMANCE.md): N workers do at least 0.8 × N ×
// what one does. Run with -benchtime 1x: each run is a burst of 400 files.
func BenchmarkThroughput(b *testing.B) {
	const files = 400
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			c := startCluster(b)
			dir := benchProject(b, c, true, `      - exec: {command: [sh, -c, "sleep 0.05; cat"], filter: true, files: false}
      - frontmatter.set: {stamped: "yes"}
`)
			owner := start(b, "owner", dir, "watch")
			for i := range n {
				start(b, fmt.Sprintf("worker %d", i+1), b.TempDir(), "worker", "--bus", c.URL(), "--concurrency", "2")
			}
			waitWorkers(b, dir, n)
			_ = owner
			for b.Loop() {
				round := b.TempDir() // a fresh name per round
				sub := filepath.Join(dir, "notes", filepath.Base(round))
				os.Mkdir(sub, 0o755)
				before := written(b, dir)
				start := time.Now()
				for i := range files {
					os.WriteFile(filepath.Join(sub, fmt.Sprintf("n%04d.md", i)), []byte(fmt.Sprintf("# %d\n", i)), 0o644)
				}
				bustest.CheckFor(b, 5*time.Minute, 50*time.Millisecond, func() error {
					if got := written(b, dir) - before; got < files {
						return fmt.Errorf("%d of %d written", got, files)
					}
					return nil
				})
				b.ReportMetric(files/time.Since(start).Seconds(), "files/s")
			}
		})
	}
}

// BenchmarkSingleSave: the time from a save to the rule's write landing,
// one file at a time, with the rules run by the owner itself (local) or by
// one remote worker (remote). The difference is the remote round trip
// (target: at most 2 ms). Reports the median over 50 saves.
func BenchmarkSingleSave(b *testing.B) {
	for _, mode := range []string{"local", "remote"} {
		b.Run(mode, func(b *testing.B) {
			c := startCluster(b)
			dir := benchProject(b, c, mode == "remote", "      - frontmatter.set: {stamped: \"yes\"}\n")
			start(b, "owner", dir, "watch")
			n := 0
			if mode == "remote" {
				start(b, "worker", b.TempDir(), "worker", "--bus", c.URL(), "--concurrency", "2")
				n = 1
			}
			waitWorkers(b, dir, n)
			file := filepath.Join(dir, "notes", "save.md")
			for b.Loop() {
				var took []time.Duration
				for i := range 50 {
					body := fmt.Sprintf("# save %d\n", i)
					want := stamp + body
					t0 := time.Now()
					os.WriteFile(file, []byte(body), 0o644)
					bustest.CheckFor(b, 30*time.Second, 200*time.Microsecond, func() error {
						if got, _ := os.ReadFile(file); string(got) != want {
							return fmt.Errorf("not stamped yet")
						}
						return nil
					})
					took = append(took, time.Since(t0))
					time.Sleep(50 * time.Millisecond) // the write's own event settles
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms/save(median)")
			}
		})
	}
}

func waitWorkers(b testing.TB, dir string, n int) {
	bustest.CheckFor(b, 30*time.Second, 100*time.Millisecond, func() error {
		st, err := ownerStatus(dir)
		if err != nil {
			return err
		}
		got := 0
		if st.Remote != nil {
			got = len(st.Remote.Workers)
		}
		if !st.Ready || got != n {
			return fmt.Errorf("owner ready %v with %d workers, want %d", st.Ready, got, n)
		}
		return nil
	})
}

func written(b testing.TB, dir string) int64 {
	st, err := ownerStatus(dir)
	if err != nil {
		return 0
	}
	return st.Counters["written"]
}

// BenchmarkOffload: one job's round trip, owner → worker → owner, on a
// 3-node cluster with 3 replicas, in this process: what the remote path
// adds to a file's processing, without the file system or the settle time.
// The rule is a front-matter stamp (microseconds), so ns/op is the trip.
func BenchmarkOffload(b *testing.B) {
	c := startCluster(b)
	o := bustest.New(b)
	o.URL, o.StoreDir, o.Replicas = c.URL(), "", 3
	bs := bustest.Open(b, o)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	b.Cleanup(func() { cancel(); wg.Wait() })
	owner, err := remote.NewOwner(ctx, bs, remote.OwnerOptions{AckWait: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	wg.Go(func() { owner.Run(ctx) })
	file := filepath.Join(b.TempDir(), "scribe.yaml")
	os.WriteFile(file, []byte(stampConfig), 0o644)
	rev, err := owner.Publish(ctx, remote.Revision{File: file, Config: []byte(stampConfig)})
	if err != nil {
		b.Fatal(err)
	}
	w, err := remote.NewWorker(remote.WorkerOptions{JetStream: bs.JetStream(), Bus: bs.Name(), Concurrency: 2,
		Load: remote.ConfigLoader("", 2, slog.New(slog.DiscardHandler))})
	if err != nil {
		b.Fatal(err)
	}
	wg.Go(func() { w.Run(ctx) })
	job := engine.Job{Root: "/r", Path: "a.md", Content: []byte("# A\n"), Origin: action.OriginUser}
	// The first job loads the revision.
	if _, err := owner.Offload(ctx, rev, job, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := owner.Offload(ctx, rev, job, nil); err != nil {
			b.Fatal(err)
		}
	}
}
