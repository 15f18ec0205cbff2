package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tinyTree writes n small notes under dir/tree, in two directories.
func tinyTree(t *testing.T, n int) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		p := filepath.Join(dir, "tree", fmt.Sprintf("d%d", i%2), fmt.Sprintf("note-%d.md", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("---\ntitle: %d\n---\n# Note %d\n", i, i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testBench(files int) *bench {
	return &bench{
		f: &flags{workers: 2, dirSync: true, timeout: 20 * time.Second, settle: "1ms",
			drainMax: 30 * time.Second, files: files},
		log: slog.New(slog.DiscardHandler),
	}
}

// TestMain runs the test binary as the bare loop's child when
// startBareProcess re-executes it.
func TestMain(m *testing.M) {
	if os.Getenv(bareChildEnv) != "" {
		if err := bareChild(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLatencySamplesAgainstBareLoop(t *testing.T) {
	for _, child := range []bool{false, true} {
		t.Run(fmt.Sprintf("child=%v", child), func(t *testing.T) {
			testLatencyAgainstBareLoop(t, child)
		})
	}
}

// testLatencyAgainstBareLoop saves notes one at a time under the bare loop,
// in this process or in a child process of its own (-bare-process), and
// checks each rewrite and the loop's count of them.
func testLatencyAgainstBareLoop(t *testing.T, child bool) {
	dir := tinyTree(t, 10)
	tree := filepath.Join(dir, "tree")
	ctx := context.Background()
	b := testBench(0)
	var tgt target
	var err error
	if child {
		var p *bareProcTarget
		if p, err = b.startBareProcess(ctx, tree); err == nil {
			if p.pid() == os.Getpid() {
				t.Fatal("the bare loop's child runs in this process")
			}
			tgt = p
		}
	} else {
		tgt, err = b.startBare(ctx, tree)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := tgt.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	s, err := newSaver(tree, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	for i := range 15 { // more saves than files: files are saved again
		lat, ok, err := s.one(ctx, b.f.timeout)
		if err != nil || !ok || lat <= 0 {
			t.Fatalf("save %d: latency %v, ok %v, err %v", i, lat, ok, err)
		}
	}
	// The count follows the rename by a directory fsync: poll for it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _ := tgt.written(ctx)
		if n == 15 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bare loop wrote %d files, want 15", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBurstAgainstDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon with embedded NATS")
	}
	testBurst(t, func(b *bench, dir string) (*daemonTarget, error) { return b.startDaemon(context.Background(), dir) })
}

// TestBurstAgainstProcess runs a burst against `scribe watch` in a child
// process, whose peak memory and CPU the burst reads from /proc.
func TestBurstAgainstProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds scribe and starts it with embedded NATS")
	}
	res := testBurst(t, func(b *bench, dir string) (*daemonTarget, error) {
		b.f.work = t.TempDir()
		tgt, err := b.startProcess(context.Background(), dir)
		if err == nil && targetPID(tgt) == 0 {
			t.Error("the target runs in this process")
		}
		return tgt, err
	})
	own, err := procStatus()
	if err != nil {
		t.Fatal(err)
	}
	if res.peak <= 0 || res.peak == own["VmHWM"] {
		t.Errorf("peak %d; want the child's (this process: %d)", res.peak, own["VmHWM"])
	}
}

// testBurst starts a target on a tree of 40 notes, saves 30 of them at once
// and checks that each is rewritten once.
func testBurst(t *testing.T, start func(*bench, string) (*daemonTarget, error)) burstResult {
	dir := tinyTree(t, 40)
	ctx := context.Background()
	b := testBench(30)
	tgt, err := start(b, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := tgt.stop(); err != nil {
			t.Errorf("target: %v", err)
		}
	}()
	if _, err := tgt.drain(ctx, b.f.drainMax); err != nil {
		t.Fatal(err)
	}
	s, err := newSaver(filepath.Join(dir, "tree"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	res, err := b.oneBurst(ctx, s, tgt)
	if err != nil {
		t.Fatal(err)
	}
	// The drain is a measurement, not a verdict: the target may rewrite the
	// last file before the saver's own call returns and stamps lastSave, so
	// it can come out a few microseconds below zero.
	if res.missed != 0 || res.double != 0 || res.writtenCnt != 30 {
		t.Errorf("burst = %+v, want 30 rewrites, none missed or doubled", res)
	}
	return res
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {90, 90}, {99, 99}, {100, 100}, {0.1, 1}} {
		if got := percentile(s, tc.p); got != tc.want {
			t.Errorf("percentile(1..100, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile(nil) = %v", got)
	}
	sum := summarize([]time.Duration{3, 1, 2})
	if sum.n != 3 || sum.min != 1 || sum.max != 3 || sum.p50 != 2 {
		t.Errorf("summarize = %+v", sum)
	}
}

// readProc reads this process as the idle scenario reads the daemon.
func TestReadProc(t *testing.T) {
	p0, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU until a clock tick is counted.
	var p1 procSample
	for deadline := time.Now().Add(10 * time.Second); p1.cpuTicks <= p0.cpuTicks; {
		if time.Now().After(deadline) {
			t.Fatalf("no CPU time counted after 10 s of work: %+v", p1)
		}
		for end := time.Now().Add(20 * time.Millisecond); time.Now().Before(end); {
		}
		if p1, err = readProc(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if p1.rss <= 0 || p1.rssAnon <= 0 || p1.rssAnon > p1.rss || p1.switches <= 0 {
		t.Errorf("readProc = %+v; want RSS, anonymous RSS within it, and context switches", p1)
	}
}

// TestFloodAgainstBareLoop runs the flood scenario's measurement against the
// bare loop, which must find the folder made before it started and rewrite
// every file as the daemon would (oneFlood checks each byte for byte).
func TestFloodAgainstBareLoop(t *testing.T) {
	dir := tinyTree(t, 4)
	ctx := context.Background()
	b := testBench(200)
	flood := filepath.Join(dir, "tree", "flood")
	if err := os.Mkdir(flood, 0o755); err != nil {
		t.Fatal(err)
	}
	tgt, err := b.startBare(ctx, filepath.Join(dir, "tree"))
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.stop()
	took, _, err := b.oneFlood(ctx, tgt, flood)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := tgt.written(ctx); n < 200 || took <= 0 {
		t.Errorf("flood: %d rewrites in %v, want 200", n, took)
	}
}

// The flood's folders leave the tree once a run is over, whole, so that the
// next invocation starts on the corpus alone.
func TestRetireMovesFloodsOutOfTheTree(t *testing.T) {
	dir := tinyTree(t, 2)
	var floods []string
	for _, name := range []string{"flood-1-0", "flood-1-1"} {
		f := filepath.Join(dir, "tree", name)
		if err := os.Mkdir(f, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f, "f000000.md"), []byte("# 0\n- [ ] flood 0\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		floods = append(floods, f)
	}
	floods = append(floods, filepath.Join(dir, "tree", "flood-1-2")) // a run that never came
	retire(dir, floods)
	for _, f := range floods[:2] {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s still in the tree (%v)", f, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "spent", filepath.Base(f), "f000000.md"))
		if err != nil || string(b) != "# 0\n- [ ] flood 0\n" {
			t.Errorf("moved folder's file: %q, %v", b, err)
		}
	}
}
