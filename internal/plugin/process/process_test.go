package process_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/plugin/plugintest"
	"github.com/scribe-md/scribe/internal/plugin/process"
	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/sandbox"
	wire "github.com/scribe-md/scribe/plugin"
)

// newRuntime returns a runtime of the helper plugin in mode, closed (and
// checked to leave no process) when the test ends.
func newRuntime(t *testing.T, mode string, concurrency, instances int) *process.Runtime {
	t.Helper()
	bin := plugintest.Helper(t)
	r := process.New(process.Config{
		Name:        mode,
		Runner:      sandbox.NewRunner(t.TempDir(), map[string]string{"helper": bin}, nil, 0),
		Command:     action.Command{Name: "helper", Args: []string{mode}},
		Concurrency: concurrency,
		Instances:   instances,
		Handshake: func(r wire.InitializeResult) error {
			if r.Protocol != wire.Protocol {
				return fmt.Errorf("the plugin speaks protocol %d, this Scribe speaks protocol %d", r.Protocol, wire.Protocol)
			}
			return nil
		},
		MaxReply: 1 << 20,
		Logger:   slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	})
	t.Cleanup(func() {
		if err := r.Close(context.Background()); err != nil {
			t.Error(err)
		}
		poll.Until(t, 5*time.Second, "no plugin process left", func() bool { return len(plugintest.Processes()) == 0 })
	})
	return r
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func run(ctx context.Context, r *process.Runtime, act string, params any, content string) (wire.RunResult, error) {
	pb, _ := json.Marshal(params)
	return r.Call(ctx, wire.RunParams{Action: act, Params: pb, File: wire.File{Path: "a.md", Content: &content, FrontMatter: map[string]any{}}})
}

func report(t *testing.T, res wire.RunResult) plugintest.Report {
	t.Helper()
	if len(res.Findings) != 1 {
		t.Fatalf("want one report finding, got %+v", res)
	}
	var rep plugintest.Report
	if err := json.Unmarshal([]byte(res.Findings[0].Message), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestHandshakeAndCall(t *testing.T) {
	r := newRuntime(t, plugintest.Good, 1, 1)
	if err := r.Start(timeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if st, err := r.State(); st != "running" || err != nil || r.Running() != 1 {
		t.Fatalf("state %s (%v), %d running; want one running instance", st, err, r.Running())
	}
	res, err := run(timeout(t, 5*time.Second), r, "upper", nil, "hello\n")
	if err != nil || res.Content == nil || *res.Content != "HELLO\n" {
		t.Fatalf("upper: %+v, %v", res, err)
	}
}

// One instance with concurrency 4 holds four requests at once: each waits
// until the process has four in flight, which only happens if the host
// sends them together (matched by id) rather than one by one.
func TestConcurrentRequestsToOneInstance(t *testing.T) {
	r := newRuntime(t, plugintest.Good, 4, 1)
	var wg sync.WaitGroup
	reps := make([]plugintest.Report, 4)
	for i := range 4 {
		wg.Go(func() {
			res, err := run(timeout(t, 10*time.Second), r, "gate", plugintest.GateParams{Want: 4}, "")
			if err != nil {
				t.Error(err)
				return
			}
			reps[i] = report(t, res)
		})
	}
	wg.Wait()
	for _, rep := range reps {
		if rep.Pid != reps[0].Pid || rep.Peak != 4 {
			t.Fatalf("reports %+v: want one process with 4 requests in flight at once", reps)
		}
	}
	if r.Running() != 1 {
		t.Fatalf("%d instances running, want 1", r.Running())
	}
}

// instances: 3 with concurrency 1 (the "sync plugin wrapped in a pool"):
// twelve concurrent requests are spread over at most three processes, and
// no process ever holds two requests at once.
func TestInstancesRespected(t *testing.T) {
	r := newRuntime(t, plugintest.Good, 1, 3)
	var mu sync.Mutex
	pids := map[int]bool{}
	peakRunning := 0
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			res, err := run(timeout(t, 20*time.Second), r, "sleep", map[string]int{"ms": 50}, "")
			if err != nil {
				t.Error(err)
				return
			}
			rep := report(t, res)
			mu.Lock()
			defer mu.Unlock()
			pids[rep.Pid] = true
			peakRunning = max(peakRunning, r.Running())
			if rep.Peak != 1 {
				t.Errorf("process %d had %d requests in flight at once; concurrency is 1", rep.Pid, rep.Peak)
			}
		})
	}
	wg.Wait()
	if len(pids) == 0 || len(pids) > 3 || peakRunning > 3 {
		t.Fatalf("%d processes served the requests, %d ran at once; want at most 3", len(pids), peakRunning)
	}
	t.Logf("12 requests served by %d processes", len(pids))
}

// A plugin that dies on its third request fails that request only, with
// its exit status and last words; it is restarted (counted) and serves the
// next ones.
func TestCrashOnThirdRequest(t *testing.T) {
	r := newRuntime(t, plugintest.CrashThird, 1, 1)
	for i := 1; i <= 5; i++ {
		_, err := run(timeout(t, 10*time.Second), r, "echo", nil, "x")
		if i == 3 {
			if err == nil || !strings.Contains(err.Error(), "exited with status 2") || !strings.Contains(err.Error(), "panic: third request") {
				t.Fatalf("request 3: err = %v; want the exit status and the plugin's stderr", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if r.Restarts() != 1 {
		t.Fatalf("restarts = %d, want 1", r.Restarts())
	}
}

// A plugin that never answers is killed at the request's deadline; only
// that request fails, and the next request gets a fresh instance.
func TestHangKilledAtDeadline(t *testing.T) {
	r := newRuntime(t, plugintest.Hang, 1, 1)
	if err := r.Start(timeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	before := plugintest.Processes()
	start := time.Now()
	_, err := run(timeout(t, 300*time.Millisecond), r, "echo", nil, "x")
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "instance was killed") {
		t.Fatalf("err = %v; want a deadline error saying the instance was killed", err)
	}
	if took > time.Second {
		t.Fatalf("the call returned after %v, deadline 300ms", took)
	}
	t.Logf("a hung plugin's call returned %v after its 300ms deadline", took-300*time.Millisecond)
	poll.Until(t, 5*time.Second, "the hung process gone", func() bool {
		for _, p := range plugintest.Processes() {
			for _, b := range before {
				if p == b {
					return false
				}
			}
		}
		return true
	})
	poll.Until(t, 5*time.Second, "the restart counted", func() bool { return r.Restarts() == 1 })
}

// Replies that break the protocol fail the request they held, with a
// message naming the problem, never the caller.
func TestProtocolViolations(t *testing.T) {
	for _, tc := range []struct{ mode, want string }{
		{plugintest.Garbage, "not a JSON-RPC reply to standard output, which carries only replies (write logs to standard error)"},
		{plugintest.WrongID, "out-of-order reply: id 987654321"},
		{plugintest.Flood, "reply longer than 1048576 bytes"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			r := newRuntime(t, tc.mode, 1, 1)
			_, err := run(timeout(t, 20*time.Second), r, "echo", nil, "x")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			poll.Until(t, 5*time.Second, "the instance replaced", func() bool { return r.Running() == 0 && r.Restarts() == 1 })
		})
	}
}

// A call that finds every slot busy until its deadline says so, and where
// the slots are set, rather than blaming the plugin.
func TestNoFreeInstanceIsNamed(t *testing.T) {
	r := newRuntime(t, plugintest.Good, 1, 1)
	if err := r.Start(timeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() {
		_, err := run(timeout(t, 20*time.Second), r, "sleep", map[string]int{"ms": 3000}, "x")
		held <- err
	}()
	// Until the sleep holds the slot, an echo gets it and succeeds.
	var err error
	poll.Until(t, 5*time.Second, "a call that finds the slot taken", func() bool {
		_, err = run(timeout(t, 500*time.Millisecond), r, "echo", nil, "x")
		return err != nil
	})
	want := "no instance free before the deadline (instances × concurrency in the manifest): its one slot stayed busy: context deadline exceeded"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v; want %q", err, want)
	}
	if err := <-held; err != nil {
		t.Fatalf("the call holding the slot: %v", err)
	}
}

// A plugin that exits before the handshake fails with its status and
// stderr; calls during the backoff fail at once rather than wait.
func TestExitAtStart(t *testing.T) {
	r := newRuntime(t, plugintest.ExitAtOnce, 1, 1)
	err := r.Start(timeout(t, 10*time.Second))
	if err == nil || !strings.Contains(err.Error(), "exited with status 3") || !strings.Contains(err.Error(), "cannot start: missing configuration") {
		t.Fatalf("err = %v; want the exit status and the plugin's stderr", err)
	}
	for range 3 {
		if _, err := run(timeout(t, 10*time.Second), r, "echo", nil, "x"); err == nil {
			t.Fatal("a call to a plugin that cannot start succeeded")
		}
	}
	if st, _ := r.State(); st != "backoff" && st != "idle" {
		t.Fatalf("state %q after failed starts", st)
	}
	if r.Restarts() < 2 {
		t.Fatalf("restarts = %d; every failed start counts", r.Restarts())
	}
}

// A wrong protocol version refuses the plugin with a clear message; it is
// not restarted again and again.
func TestWrongProtocolRefused(t *testing.T) {
	r := newRuntime(t, plugintest.Protocol2, 1, 1)
	err := r.Start(timeout(t, 10*time.Second))
	if err == nil || !strings.Contains(err.Error(), "refused to load") || !strings.Contains(err.Error(), "speaks protocol 2") {
		t.Fatalf("err = %v", err)
	}
	_, err = run(timeout(t, 5*time.Second), r, "echo", nil, "x")
	if err == nil || !strings.Contains(err.Error(), "speaks protocol 2") {
		t.Fatalf("call after refusal: %v", err)
	}
	if st, _ := r.State(); st != "refused" || r.Restarts() != 0 || r.Running() != 0 {
		t.Fatalf("state %s, %d restarts, %d running; want refused, 0, 0", st, r.Restarts(), r.Running())
	}
}

// A plugin that stops reading its input cannot block a caller past its
// deadline, even with a request larger than the pipe buffer.
func TestNotReadingBoundedByDeadline(t *testing.T) {
	r := newRuntime(t, plugintest.NoRead, 1, 1)
	big := strings.Repeat("x", 4<<20)
	start := time.Now()
	_, err := run(timeout(t, 300*time.Millisecond), r, "echo", nil, big)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

// Close sends shutdown; a plugin that exits on it is gone at once, and
// Close is safe to repeat.
func TestCloseIsGracefulAndRepeatable(t *testing.T) {
	r := newRuntime(t, plugintest.Good, 2, 2)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := run(timeout(t, 10*time.Second), r, "sleep", map[string]int{"ms": 20}, ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	start := time.Now()
	r.Close(context.Background())
	if took := time.Since(start); took > process.ShutdownGrace {
		t.Fatalf("Close took %v; a plugin that honours shutdown exits at once", took)
	}
	r.Close(context.Background())
	if _, err := run(timeout(t, time.Second), r, "echo", nil, "x"); !errors.Is(err, process.ErrClosed) {
		t.Fatalf("call after Close: %v", err)
	}
}

// BenchmarkCall is the per-call overhead of a warm process plugin: a no-op
// action through the pipes and back (target ≤ 100 µs).
func BenchmarkCall(b *testing.B) {
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			r := process.New(process.Config{
				Name:        "bench",
				Runner:      sandbox.NewRunner(b.TempDir(), map[string]string{"helper": plugintest.Helper(b)}, nil, 0),
				Command:     action.Command{Name: "helper", Args: []string{plugintest.Good}},
				Concurrency: conc,
				Instances:   1,
			})
			defer r.Close(context.Background())
			if err := r.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			req := wire.RunParams{Action: "findings", Params: []byte(`{"n":0}`), File: wire.File{Path: "a.md", FrontMatter: map[string]any{}}}
			b.SetParallelism(conc)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.Call(context.Background(), req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
