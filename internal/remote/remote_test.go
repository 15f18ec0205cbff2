package remote_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/remote"
	"github.com/scribe-md/scribe/internal/ruleset"
)

const stampConfig = `rules:
  - id: stamp
    actions:
      - frontmatter.set: {stamped: "yes"}
`

// slowConfig's rule takes a second.
const slowConfig = `security:
  commands:
    - {name: sh, path: /bin/sh}
rules:
  - id: slow
    actions:
      - exec: {command: [sh, -c, "sleep 1; cat"], filter: true, files: false}
      - frontmatter.set: {stamped: "yes"}
`

// pair is an owner and (once started) a worker sharing a NATS server or
// cluster, both in this process.
type pair struct {
	t      testing.TB
	log    *slog.Logger
	b      *bus.Bus
	ctx    context.Context
	wg     *sync.WaitGroup
	owner  *remote.Owner
	worker *remote.Worker
	rev    string
	file   string
	url    string // of the server or cluster
}

// newOwner starts an owner whose jobs wait wait for a worker, and
// publishes config as its revision.
func newOwner(t *testing.T, config string, wait time.Duration) *pair {
	t.Helper()
	return startOwner(t, config, ownerSetup{ackWait: 2 * time.Second, wait: wait, log: bustest.Logger(t)})
}

// ownerSetup is how startOwner sets up a pair's owner.
type ownerSetup struct {
	url      string // the NATS cluster; "" starts a server of the pair's own
	replicas int
	ackWait  time.Duration
	wait     time.Duration // remote.OwnerOptions.Wait
	direct   time.Duration // remote.OwnerOptions.DirectWait
	log      *slog.Logger  // the owner's and the worker's; nil discards
}

// startOwner starts an owner as s says and publishes config as its revision.
func startOwner(t testing.TB, config string, s ownerSetup) *pair {
	t.Helper()
	o := bustest.New(t)
	o.URL, o.StoreDir, o.Replicas = s.url, "", s.replicas
	if o.URL == "" {
		o.URL = bustest.External(t).URL()
	}
	b := bustest.Open(t, o)
	log := s.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })

	owner, err := remote.NewOwner(ctx, b, remote.OwnerOptions{AckWait: s.ackWait, Wait: s.wait, DirectWait: s.direct, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { owner.Run(ctx) })
	dir := t.TempDir()
	file := filepath.Join(dir, "scribe.yaml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	rev, err := owner.Publish(ctx, remote.Revision{File: file, Config: []byte(config)})
	if err != nil {
		t.Fatal(err)
	}
	return &pair{t: t, log: log, b: b, ctx: ctx, wg: &wg, owner: owner, rev: rev, file: file, url: o.URL}
}

// startWorker starts the pair's worker, running concurrency jobs at once.
func (p *pair) startWorker(concurrency int) {
	w, err := remote.NewWorker(remote.WorkerOptions{
		JetStream: p.b.JetStream(), Bus: p.b.Name(), Concurrency: concurrency, Logger: p.log,
		Load: remote.ConfigLoader("", concurrency, p.log),
	})
	if err != nil {
		p.t.Fatal(err)
	}
	p.worker = w
	p.wg.Go(func() { w.Run(p.ctx) })
}

// startWorkerAlone starts a worker with a context and a connection of its
// own, so that a test can stop it or cut it off: stop cancels its context
// (it then has 50 ms for the jobs it runs), cut closes its connection.
func (p *pair) startWorkerAlone(concurrency int) (w *remote.Worker, stop func(), cut func()) {
	p.t.Helper()
	o := bustest.New(p.t)
	o.URL, o.StoreDir = p.url, ""
	b := bustest.Open(p.t, o)
	w, err := remote.NewWorker(remote.WorkerOptions{
		JetStream: b.JetStream(), Bus: b.Name(), Concurrency: concurrency, Logger: p.log, Grace: 50 * time.Millisecond,
		Load: remote.ConfigLoader("", concurrency, p.log),
	})
	if err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(p.ctx)
	p.wg.Go(func() { w.Run(ctx) })
	return w, cancel, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		b.Close(ctx)
	}
}

func newPair(t *testing.T, config string) *pair {
	t.Helper()
	p := newOwner(t, config, time.Second)
	p.startWorker(2)
	return p
}

func offload(t *testing.T, p *pair, rev string, content []byte, timeout time.Duration) (*engine.Computed, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	beats := 0
	c, err := p.owner.Offload(ctx, rev, engine.Job{Root: "/r", Path: "notes/a.md", Content: content, Origin: action.OriginUser}, func() { beats++ })
	return c, err
}

func TestOffloadRunsTheRulesOnAWorker(t *testing.T) {
	p := newPair(t, stampConfig)
	c, err := offload(t, p, p.rev, []byte("# A\n"), 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := "---\nstamped: \"yes\"\n---\n# A\n"
	if string(c.Content) != want || len(c.Rules) != 1 || c.Rules[0] != "stamp" || len(c.ChangedBy) != 1 {
		t.Fatalf("computed %+v, content %q; want %q by rule stamp", c, c.Content, want)
	}
	// Content the rules leave alone comes back as nil (unchanged).
	c, err = offload(t, p, p.rev, []byte(want), 20*time.Second)
	if err != nil || c.Content != nil {
		t.Fatalf("unchanged content: %q, %v; want nil", c.Content, err)
	}
	poll.NoError(t, 10*time.Second, func() error {
		ws, err := p.owner.Workers(context.Background())
		if err != nil {
			return err
		}
		if len(ws) != 1 || ws[0].ID != p.worker.ID() || ws[0].Done < 2 || ws[0].Capacity != 2 {
			return fmt.Errorf("workers %+v; want this one with 2 jobs done", ws)
		}
		return nil
	})
}

func TestLargeContentTravelsThroughTheObjectStore(t *testing.T) {
	p := newPair(t, stampConfig)
	body := bytes.Repeat([]byte("word "), remote.InlineMax/5+1000) // above InlineMax, both ways
	c, err := offload(t, p, p.rev, body, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte("---\nstamped: \"yes\"\n---\n"), body...); !bytes.Equal(c.Content, want) {
		t.Fatalf("content of %d bytes came back as %d bytes", len(want), len(c.Content))
	}
}

func TestUnknownRevisionIsRefusedNotRun(t *testing.T) {
	p := newPair(t, stampConfig)
	rev := strings.Repeat("ab", 32) // published nowhere
	_, err := offload(t, p, rev, []byte("# A\n"), 30*time.Second)
	if !errors.Is(err, engine.ErrNoWorker) || !strings.Contains(err.Error(), "every worker refused configuration revision abababababab") {
		t.Fatalf("err %v; want no worker, every one refusing the revision", err)
	}
	info := p.worker.Info()
	if !strings.Contains(info.Refused, "abababababab") || info.Done != 0 {
		t.Fatalf("worker info %+v; want the revision refused and nothing done", info)
	}
}

func TestWorkerRefusesARevisionWhosePluginsDiffer(t *testing.T) {
	p := newPair(t, stampConfig)
	ctx := context.Background()
	// The same configuration, but the owner claims a plugin this worker
	// does not have.
	dir := t.TempDir()
	file := filepath.Join(dir, "scribe.yaml")
	os.WriteFile(file, []byte(stampConfig), 0o644)
	rev, err := p.owner.Publish(ctx, remote.Revision{File: file, Config: []byte(stampConfig), Plugins: map[string]string{"wordcount": strings.Repeat("0", 64)}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = offload(t, p, rev, []byte("# A\n"), 30*time.Second)
	if !errors.Is(err, engine.ErrNoWorker) || !strings.Contains(err.Error(), "wordcount: missing here") {
		t.Fatalf("err %v; want no worker, the refusal naming the missing plugin", err)
	}
	if info := p.worker.Info(); !strings.Contains(info.Refused, "wordcount: missing here") {
		t.Fatalf("refusal %q; want it to name the missing plugin", info.Refused)
	}
}

// A job that no worker takes, because none is connected, fails after the
// owner's wait with the reason, and is taken back: a worker that comes
// later does not run it.
func TestJobWithNoWorkerFailsAfterTheWait(t *testing.T) {
	p := newOwner(t, stampConfig, time.Second)
	_, err := offload(t, p, p.rev, []byte("# A\n"), 30*time.Second)
	if !errors.Is(err, engine.ErrNoWorker) || !strings.Contains(err.Error(), "no worker is connected") {
		t.Fatalf("err %v; want no worker connected", err)
	}
	if n, err := p.owner.Jobs(context.Background()); err != nil || n != 0 {
		t.Fatalf("%d jobs left in the stream (%v); want the job taken back", n, err)
	}
	if st := p.owner.Stats(); st.Untaken != 1 || st.Waiting != 0 {
		t.Fatalf("stats %+v; want one job taken back, none waiting", st)
	}
	// A worker that connects now gets the next job, not that one.
	p.startWorker(2)
	if c, err := offload(t, p, p.rev, []byte("# B\n"), 30*time.Second); err != nil || !strings.HasSuffix(string(c.Content), "# B\n") {
		t.Fatalf("the next job: %+v, %v", c, err)
	}
	// The worker counts a job once the owner has its result.
	poll.NoError(t, 10*time.Second, func() error {
		if done := p.worker.Info().Done; done != 1 {
			return fmt.Errorf("worker did %d jobs; want only the second", done)
		}
		return nil
	})
}

// A backlog is no reason to give up: jobs wait behind a busy worker past
// the owner's wait, and all of them run there.
func TestBusyWorkerIsNoReasonToGiveUp(t *testing.T) {
	p := newOwner(t, slowConfig, time.Second)
	p.startWorker(2) // 2 at once: 6 jobs take 3 s, past the 1 s wait
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Go(func() {
			_, err := offload(t, p, p.rev, fmt.Appendf(nil, "# %d\n", i), 60*time.Second)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a job behind a busy worker failed: %v", err)
		}
	}
}

// The owner's engine with OffloadFallback runs the rules of a file no
// worker can take itself; without, the file fails with the reason, and
// the rule's breaker hears that it did not run (neither success nor
// failure).
func TestEngineRunsHereWhenNoWorkerCan(t *testing.T) {
	for _, fallback := range []bool{true, false} {
		t.Run(fmt.Sprintf("fallback=%v", fallback), func(t *testing.T) {
			p := newOwner(t, stampConfig, time.Second)
			cfg, err := config.LoadBytes(p.file, []byte(stampConfig))
			if err != nil {
				t.Fatal(err)
			}
			set, err := ruleset.Load(cfg, nil, ruleset.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer set.Close(context.Background())
			var mu sync.Mutex
			var verdicts []engine.Verdict
			eng := engine.New(set.Rules, engine.Options{
				Workers: 1, Offload: p.owner.For(p.rev), OffloadFallback: fallback,
				Gate: func(string) (func(engine.Verdict), bool) {
					return func(v engine.Verdict) { mu.Lock(); verdicts = append(verdicts, v); mu.Unlock() }, true
				},
			})
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a.md"), []byte("# A\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			root, err := engine.OpenRoot(dir, nil, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			res := eng.ProcessChange(context.Background(), root, "a.md", engine.Change{Origin: action.OriginUser}, &engine.Writes{})
			got, _ := os.ReadFile(filepath.Join(dir, "a.md"))
			mu.Lock()
			defer mu.Unlock()
			if fallback {
				if res.Error != "" || !res.Written || string(got) != "---\nstamped: \"yes\"\n---\n# A\n" {
					t.Fatalf("result %+v, file %q; want the rules run here and the file stamped", res, got)
				}
				if !slices.Equal(verdicts, []engine.Verdict{engine.NotRun, engine.Succeeded}) {
					t.Fatalf("verdicts %v; want not run (remote), then succeeded (here)", verdicts)
				}
				return
			}
			if !strings.Contains(res.Error, "no worker is connected") || res.Written || string(got) != "# A\n" {
				t.Fatalf("result %+v, file %q; want the file failed for want of a worker, and untouched", res, got)
			}
			if !slices.Equal(verdicts, []engine.Verdict{engine.NotRun}) {
				t.Fatalf("verdicts %v; want not run", verdicts)
			}
		})
	}
}

// A restarted owner removes the jobs of its earlier run: nobody waits for
// their results any more.
func TestRestartedOwnerRemovesStaleJobs(t *testing.T) {
	p := newOwner(t, stampConfig, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.owner.Offload(ctx, p.rev, engine.Job{Root: "/r", Path: "a.md", Content: []byte("# A\n")}, nil)
		done <- err
	}()
	defer func() { cancel(); <-done }()
	poll.NoError(t, 10*time.Second, func() error {
		if n, err := p.owner.Jobs(context.Background()); err != nil || n != 1 {
			return fmt.Errorf("%d jobs queued (%v), want 1", n, err)
		}
		return nil
	})
	if _, err := remote.NewOwner(context.Background(), p.b, remote.OwnerOptions{AckWait: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if n, err := p.owner.Jobs(context.Background()); err != nil || n != 0 {
		t.Fatalf("%d jobs left (%v) after the owner started again; want none", n, err)
	}
}

// An idle worker takes a job directly, without the stream: each job
// after the first (which goes through the stream, as the worker has not
// loaded the revision yet) is taken so.
func TestIdleWorkerTakesJobsDirectly(t *testing.T) {
	// An offer waits for its answer as long as it takes: on a loaded
	// machine the worker may answer after the default 50 ms, and the job
	// would go on the stream for that alone.
	p := startOwner(t, stampConfig, ownerSetup{ackWait: 2 * time.Second, wait: time.Second, direct: 20 * time.Second, log: bustest.Logger(t)})
	p.startWorker(3) // a job's slot may still be held as the next one comes
	// Offers are made once the owner has the worker's heartbeat (its
	// watch of the heartbeats lags on a loaded machine: CI once sent the
	// second and third jobs to the stream for that alone).
	poll.Until(t, 10*time.Second, "the owner to know the worker's slots", func() bool { return p.owner.Slots() == 3 })

	for i := range 6 {
		// The worker has finished the job before (it frees its slot
		// right after), not only sent its result.
		poll.NoError(t, 10*time.Second, func() error {
			if wi := p.worker.Info(); wi.Done != int64(i) || wi.InFlight != 0 {
				return fmt.Errorf("worker did %d jobs, %d in flight; want %d and 0", wi.Done, wi.InFlight, i)
			}
			return nil
		})
		body := fmt.Sprintf("# %d\n", i)
		c, err := offload(t, p, p.rev, []byte(body), 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if want := stamp + body; string(c.Content) != want {
			t.Fatalf("job %d: %q; want %q", i, c.Content, want)
		}
	}
	if st := p.owner.Stats(); st.Sent != 6 || st.Direct != 5 || st.Dropped != 0 {
		t.Fatalf("owner stats %+v; want 6 jobs sent, 5 of them taken directly, no result dropped", st)
	}
	poll.NoError(t, 10*time.Second, func() error {
		if wi := p.worker.Info(); wi.Done != 6 || wi.Direct != 5 {
			return fmt.Errorf("worker did %d jobs, %d directly; want 6 and 5", wi.Done, wi.Direct)
		}
		return nil
	})
	jobs, err := p.b.JetStream().Stream(context.Background(), p.b.Name()+"-jobs")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := jobs.Info(context.Background()); err != nil || info.State.LastSeq != 1 || info.State.Msgs != 0 {
		t.Fatalf("jobs stream %+v (%v); want only the first job stored, and gone", info.State, err)
	}
}

// A job taken directly goes on the stream when its worker cannot finish
// it, and another worker runs it from there: a worker that stops gives it
// back at once (the ack wait is an hour here), and one whose connection is
// cut falls silent, so the owner queues the job after the ack wait (2 s),
// as the stream redelivers a job whose worker died.
func TestDirectJobOfALostWorkerIsQueued(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ackWait time.Duration
		silent  bool
	}{{"given back", time.Hour, false}, {"silent", 2 * time.Second, true}} {
		t.Run(tc.name, func(t *testing.T) {
			p := startOwner(t, slowConfig, ownerSetup{ackWait: tc.ackWait, wait: time.Minute, log: bustest.Logger(t)})
			// Two slots: the second job comes as the first one's slot is freed.
			a, stop, cut := p.startWorkerAlone(2)
			if _, err := offload(t, p, p.rev, []byte("# loads the revision\n"), 30*time.Second); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				c, err := offload(t, p, p.rev, []byte("# B\n"), 30*time.Second)
				if err == nil && string(c.Content) != stamp+"# B\n" {
					err = fmt.Errorf("content %q", c.Content)
				}
				done <- err
			}()
			poll.NoError(t, 10*time.Second, func() error {
				if n := a.Info().Direct; n != 1 {
					return fmt.Errorf("worker a took %d jobs directly; want 1", n)
				}
				return nil
			})
			if tc.silent {
				cut()
			} else {
				stop() // its 50 ms of grace end before the rule's second does
			}
			p.startWorker(1)
			if err := <-done; err != nil {
				t.Fatalf("the job worker a took: %v", err)
			}
			poll.NoError(t, 10*time.Second, func() error {
				if wi := p.worker.Info(); wi.Done != 1 || wi.Direct != 0 {
					return fmt.Errorf("worker b did %d jobs, %d directly; want the one from the stream", wi.Done, wi.Direct)
				}
				return nil
			})
		})
	}
}
