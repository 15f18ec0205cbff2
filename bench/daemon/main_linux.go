package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scribe-md/scribe/internal/gctune"
)

// flags are the command line, shared by every scenario.
type flags struct {
	scenario   string
	target     string // daemon or bare
	work       string
	keep       bool
	ns         []int
	settle     string
	workers    int
	samples    int
	warmup     int
	files      int
	runs       int
	timeout    time.Duration
	drainMax   time.Duration
	dirSync    bool
	bareWait   time.Duration
	bareProc   bool
	header     bool
	verbose    bool
	cpuprof    string
	memprof    string
	cold       bool
	idle       time.Duration
	gomemlimit string
	scribe     string // a scribe binary to run instead of building one
	slow       time.Duration
	gap        time.Duration
}

func main() {
	if os.Getenv(bareChildEnv) != "" {
		if err := bareChild(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench/daemon: bare loop's child:", err)
			os.Exit(1)
		}
		return
	}
	var f flags
	var ns string
	flag.StringVar(&f.scenario, "scenario", "", "latency, burst, flood, startup, rss, idle or million")
	flag.StringVar(&f.target, "target", "daemon", "daemon (scribe in this process), process (scribe watch in a child process: its memory and CPU alone) or bare (bench/bareloop); latency, burst and flood (rss: daemon or process)")
	flag.StringVar(&f.work, "work", "", "work directory: corpus, config and state (default: a temporary one, removed at exit)")
	flag.BoolVar(&f.keep, "keep", false, "keep the temporary work directory")
	flag.StringVar(&ns, "n", "", "corpus size, or a comma-separated list for startup (default 10000; startup 10000,100000; rss 100000)")
	flag.StringVar(&f.settle, "settle", "50ms", "engine.settle, written into the configuration as given")
	flag.IntVar(&f.workers, "workers", 4, "engine.workers (bare: rewriting goroutines)")
	flag.IntVar(&f.samples, "samples", 500, "latency: saves measured per run")
	flag.IntVar(&f.warmup, "warmup", 20, "latency: saves made before measuring")
	flag.IntVar(&f.files, "files", 2000, "burst: files saved; flood: files created")
	flag.IntVar(&f.runs, "runs", 3, "measurements per scenario; the best is reported")
	flag.DurationVar(&f.timeout, "timeout", 30*time.Second, "a file not rewritten this long after its save is missed")
	flag.DurationVar(&f.drainMax, "drain-timeout", 90*time.Second, "how long to wait for the daemon's queue to drain")
	flag.BoolVar(&f.dirSync, "dirsync", true, "bare: fsync the directory after each rename, as scribe does")
	flag.BoolVar(&f.bareProc, "bare-process", false, "bare: run the loop in a child process of its own (this program re-executed), as -target process runs scribe watch, so that its CPU and memory are measured the same way")
	flag.DurationVar(&f.bareWait, "bare-settle", 0, "bare: delay each rewrite by this long after its event (a timer, no coalescing)")
	flag.BoolVar(&f.header, "header", true, "print the table header")
	flag.BoolVar(&f.verbose, "v", false, "log the daemon's info messages to stderr")
	flag.StringVar(&f.cpuprof, "cpuprofile", "", "write a CPU profile of the measured part to this file")
	flag.StringVar(&f.memprof, "memprofile", "", "rss, million: write a heap profile to this file once the queue drained; latency, burst, flood (-target daemon): one at the start of the measured part (FILE.start) and one at its end (FILE)")
	flag.DurationVar(&f.idle, "idle", 60*time.Second, "idle: how long nothing changes while the daemon's CPU time is measured")
	flag.StringVar(&f.scribe, "scribe", "", "process, idle: run this scribe binary instead of building cmd/scribe from the checkout (to compare two builds)")
	flag.DurationVar(&f.gap, "gap", 0, "latency: pause between a rewrite seen and the next save (0: back to back), for the daemon's work after the rewrite (directory fsync, journal) to end, as between a user's saves")
	flag.DurationVar(&f.slow, "slow", 0, "latency: print each save slower than this, with the wall-clock time it was made (to line slow saves up with the daemon's log, or GODEBUG=gctrace=1)")
	flag.StringVar(&f.gomemlimit, "gomemlimit", "", "idle: run scribe watch with this GOMEMLIMIT (e.g. 64MiB, the limit it used to set itself)")
	flag.BoolVar(&f.cold, "cold", true, "startup: measure cold starts too (false: warm starts only, after one unmeasured cold start if there is no state); idle: start without state, so that the catch-up processes every file")
	flag.Parse()

	defaults := map[string]string{"latency": "10000", "burst": "10000", "flood": "10000", "startup": "10000,100000", "rss": "100000", "idle": "20000", "million": "1000000"}
	def, ok := defaults[f.scenario]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench/daemon: -scenario %q: use latency, burst, flood, startup, rss, idle or million\n", f.scenario)
		os.Exit(2)
	}
	if ns == "" {
		ns = def
	}
	for _, s := range strings.Split(ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench/daemon: -n %q: want positive integers separated by commas\n", ns)
			os.Exit(2)
		}
		f.ns = append(f.ns, n)
	}
	if f.target != "daemon" && f.target != "process" && f.target != "bare" {
		fmt.Fprintf(os.Stderr, "bench/daemon: -target %q: use daemon, process or bare\n", f.target)
		os.Exit(2)
	}
	if f.bareProc && f.target != "bare" {
		fmt.Fprintln(os.Stderr, "bench/daemon: -bare-process runs the bare loop: use it with -target bare")
		os.Exit(2)
	}
	if f.runs < 1 {
		f.runs = 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, &f)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/daemon:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, f *flags) (err error) {
	if _, err := os.Stat(filepath.Join("bench", "corpus")); err != nil {
		return fmt.Errorf("run from the module root (./bench/corpus writes the corpus): %w", err)
	}
	if f.work == "" {
		f.work, err = os.MkdirTemp("", "scribe-bench-")
		if err != nil {
			return err
		}
		if !f.keep {
			defer os.RemoveAll(f.work)
		}
	}
	if f.work, err = filepath.Abs(f.work); err != nil {
		return err
	}
	if f.work, err = filepath.EvalSymlinks(f.work); err != nil {
		return err
	}
	log := slog.New(slog.DiscardHandler)
	if f.verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	env := &bench{f: f, log: log}
	if f.target == "daemon" {
		// The collector's pace of `scribe watch` (the idle scenario runs
		// the binary itself, which sets it).
		defer gctune.Apply(gctune.Daemon)()
	}

	fmt.Fprintf(os.Stderr, "machine: %d CPUs, load %s, %s\n", runtime.NumCPU(), loadAvg(), runtime.Version())
	var rows []row
	switch f.scenario {
	case "latency":
		rows, err = env.latency(ctx)
	case "burst":
		rows, err = env.burst(ctx)
	case "startup":
		rows, err = env.startup(ctx)
	case "rss":
		rows, err = env.rss(ctx)
	case "idle":
		rows, err = env.idle(ctx)
	case "flood":
		rows, err = env.flood(ctx)
	case "million":
		rows, err = env.million(ctx)
	}
	printRows(os.Stdout, rows, f.header)
	return err
}

// startProfile starts the CPU profile asked for with -cpuprofile, and
// returns the function that stops it. With -memprofile (and -target daemon,
// whose heap is this process's), it writes a heap profile to FILE.start now
// and to FILE when stopped: `go tool pprof -sample_index=alloc_space -base
// FILE.start FILE` then shows what the measured part allocated.
func (b *bench) startProfile() (func(), error) {
	stopCPU := func() {}
	if b.f.cpuprof != "" {
		pf, err := os.Create(b.f.cpuprof)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			pf.Close()
			return nil, err
		}
		stopCPU = func() { pprof.StopCPUProfile(); pf.Close() }
	}
	if b.f.memprof == "" || b.f.scenario == "million" {
		return stopCPU, nil // million writes its heap profile once drained
	}
	if b.f.target != "daemon" {
		stopCPU()
		return nil, fmt.Errorf("-memprofile profiles this process's heap: use it with -target daemon")
	}
	if err := writeHeapProfile(b.f.memprof + ".start"); err != nil {
		stopCPU()
		return nil, err
	}
	return func() {
		stopCPU()
		if err := writeHeapProfile(b.f.memprof); err != nil {
			fmt.Fprintf(os.Stderr, "bench/daemon: -memprofile: %v\n", err)
		}
	}, nil
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fs := strings.Fields(string(b))
	if len(fs) < 3 {
		return "unknown"
	}
	return strings.Join(fs[:3], " ")
}
