package wasm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/scribe-md/scribe/internal/plugin/wasm"
	wire "github.com/scribe-md/scribe/plugin"
)

// The hostile and example plugins are built in both forms: a command
// module, whose instances start the Go runtime, and a reactor, whose
// instances are restored to the image of its initialization.
var (
	hostileForms  = []string{"hostile", "hostile-reactor"}
	readtimeForms = []string{"readtime", "readtime-reactor"}
)

// forms runs test once per module of names.
func forms(t *testing.T, names []string, test func(t *testing.T, module []byte)) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) { test(t, modules[name]) })
	}
}

func newRuntime(t *testing.T, module []byte, memoryPages uint32, instances int) *wasm.Runtime {
	t.Helper()
	return newRuntimeWith(t, module, memoryPages, instances, 0)
}

// newRuntimeWith is newRuntime with prestart instances started ahead (0:
// the default, -1: none).
func newRuntimeWith(t *testing.T, module []byte, memoryPages uint32, instances, prestart int) *wasm.Runtime {
	t.Helper()
	return newNamedRuntime(t, "test", module, memoryPages, instances, prestart)
}

// newNamedRuntime is newRuntimeWith with the plugin's name, which is also
// its instances' only argument.
func newNamedRuntime(t *testing.T, name string, module []byte, memoryPages uint32, instances, prestart int) *wasm.Runtime {
	t.Helper()
	r := wasm.New(wasm.Config{
		Name: name, Module: module, CacheDir: cacheDir, MemoryPages: memoryPages, Instances: instances, Prestart: prestart,
		Handshake: func(r wire.InitializeResult) error {
			if r.Protocol != wire.Protocol {
				return fmt.Errorf("the plugin speaks protocol %d, this Scribe speaks protocol %d", r.Protocol, wire.Protocol)
			}
			return nil
		},
		MaxReply: 1 << 20,
		Logger:   slog.New(slog.DiscardHandler),
	})
	t.Cleanup(func() {
		if err := r.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return r
}

func call(ctx context.Context, r *wasm.Runtime, act string, params any, content string) (wire.RunResult, error) {
	pb, _ := json.Marshal(params)
	return r.Call(ctx, wire.RunParams{Action: act, Params: pb, File: wire.File{Path: "a.md", Content: &content, FrontMatter: map[string]any{}}})
}

func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// The example plugin, built from examples/plugins/wasm-readtime, answers
// the handshake and a run request.
func TestExampleModule(t *testing.T) { forms(t, readtimeForms, exampleModule) }

func exampleModule(t *testing.T, module []byte) {
	r := newRuntime(t, module, 0, 2)
	if err := r.Start(within(t, 60*time.Second)); err != nil {
		t.Fatal(err)
	}
	content := "# T\n<!-- readtime -->?<!-- /readtime -->\n" + strings.Repeat("word ", 450)
	res, err := call(within(t, 10*time.Second), r, "stamp", map[string]int{"wpm": 200}, content)
	if err != nil || res.Content == nil || !strings.Contains(*res.Content, "<!-- readtime -->3 min read<!-- /readtime -->") {
		t.Fatalf("stamp: %+v, %v", res, err)
	}
	// Instances run side by side.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := call(within(t, 20*time.Second), r, "stamp", nil, content); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// X3: a module has no file system, no environment and no arguments but its
// name: every attempt to read, write, list or link fails, nothing is
// created, and the canary FIFO outside is never opened.
func TestNoFilesystemNoEnvironment(t *testing.T) {
	t.Setenv("SCRIBE_SECRET", "s3cret")
	forms(t, hostileForms, noFilesystemNoEnvironment)
}

func noFilesystemNoEnvironment(t *testing.T, module []byte) {
	dir := t.TempDir()
	canary := filepath.Join(dir, "canary")
	if err := syscall.Mkfifo(canary, 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t, module, 0, 1)
	res, err := call(within(t, 60*time.Second), r, "escape", map[string]string{"canary": canary, "dir": dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) < 7 {
		t.Fatalf("findings %+v", res.Findings)
	}
	for _, f := range res.Findings {
		if !strings.HasPrefix(f.Message, "DENIED ") {
			t.Errorf("sandbox escape: %s", f.Message)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the module created files: %v", ents)
	}
	if f, err := os.OpenFile(canary, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
		t.Fatal("the canary FIFO has a reader: the module opened it")
	}
}

// X1: a module that never returns is closed at its deadline, and the next
// call gets a fresh instance.
func TestInfiniteLoopStoppedAtDeadline(t *testing.T) {
	forms(t, hostileForms, infiniteLoopStoppedAtDeadline)
}

func infiniteLoopStoppedAtDeadline(t *testing.T, module []byte) {
	r := newRuntime(t, module, 0, 1)
	if err := r.Start(within(t, 60*time.Second)); err != nil {
		t.Fatal(err)
	}
	const deadline = 300 * time.Millisecond
	start := time.Now()
	_, err := call(within(t, deadline), r, "spin", nil, "")
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	t.Logf("a spinning module returned %v after its %v deadline", took-deadline, deadline)
	if took > deadline+200*time.Millisecond {
		t.Fatalf("returned after %v; deadline %v", took, deadline)
	}
	if _, err := call(within(t, 10*time.Second), r, "noop", nil, ""); err != nil {
		t.Fatalf("the next call: %v", err)
	}
}

// X1 and X2 with hand-assembled modules (no Go runtime in between): `loop
// br 0` is stopped at the deadline; memory.grow is refused at the cap.
func TestRawModules(t *testing.T) {
	loop := []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 4, 1, 0x60, 0, 0, // type: func () -> ()
		3, 2, 1, 0, // func 0 has type 0
		7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0, // export _start
		10, 9, 1, 7, 0, 0x03, 0x40, 0x0c, 0, 0x0b, 0x0b} // loop br 0 end end
	r := newRuntime(t, loop, 0, 1)
	start := time.Now()
	err := r.Start(within(t, 200*time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "deadline") || time.Since(start) > time.Second {
		t.Fatalf("loop br 0: err = %v after %v", err, time.Since(start))
	}
	t.Logf("loop br 0 stopped %v after its 200ms deadline", time.Since(start)-200*time.Millisecond)

	// memory 1 page; _start grows it by 16 pages until refused, then traps.
	grow := []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 4, 1, 0x60, 0, 0,
		3, 2, 1, 0,
		5, 3, 1, 0, 1, // memory: min 1 page, no max
		7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0,
		10, 17, 1, 15, 0, 0x03, 0x40, 0x41, 16, 0x40, 0, 0x41, 0x7f, 0x47, 0x0d, 0, 0x0b, 0x00, 0x0b}
	const pages = 256 // 16 MiB
	r = newRuntime(t, grow, pages, 1)
	before := vmHWM(t)
	err = r.Start(within(t, 10*time.Second))
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("memory bomb: err = %v; want the trap after memory.grow was refused", err)
	}
	t.Logf("memory bomb capped at %d pages: host peak RSS grew by %d MiB", pages, (vmHWM(t)-before)>>20)

	// An import Scribe does not provide is a capability it does not grant.
	imp := []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 4, 1, 0x60, 0, 0,
		2, 12, 1, 3, 'e', 'n', 'v', 4, 'e', 'v', 'i', 'l', 0, 0, // import env.evil
		3, 2, 1, 0,
		7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 1,
		10, 4, 1, 2, 0, 0x0b}
	// A module that is not a WASI command (no _start) is refused too.
	lib := []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0,
		7, 7, 1, 3, 'l', 'i', 'b', 0, 0, 10, 4, 1, 2, 0, 0x0b}
	r = newRuntime(t, lib, 0, 1)
	if err := r.Start(within(t, 10*time.Second)); err == nil || !strings.Contains(err.Error(), "exports no _start") {
		t.Fatalf("no _start: %v", err)
	}

	r = newRuntime(t, imp, 0, 1)
	if err := r.Start(within(t, 10*time.Second)); err == nil || !strings.Contains(err.Error(), "imports env.evil") {
		t.Fatalf("undeclared import: %v", err)
	}
	if st, _ := r.State(); st != "refused" {
		t.Fatalf("state %q, want refused", st)
	}
}

// X2 with a Go module that allocates without bound: the allocation fails
// at the memory cap, the module dies, the call fails; the host is fine.
func TestMemoryBombCapped(t *testing.T) { forms(t, hostileForms, memoryBombCapped) }

func memoryBombCapped(t *testing.T, module []byte) {
	const pages = 1024 // 64 MiB
	r := newRuntime(t, module, pages, 1)
	if err := r.Start(within(t, 60*time.Second)); err != nil {
		t.Fatal(err)
	}
	before := vmHWM(t)
	_, err := call(within(t, 30*time.Second), r, "alloc", nil, "")
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want the module to fail at its memory cap", err)
	}
	grew := vmHWM(t) - before
	t.Logf("alloc failed at the 64 MiB cap (%v); host peak RSS grew by %d MiB", err, grew>>20)
	// Growing copies the memory into a larger buffer, and the collector
	// frees the old ones later: a few times the cap at worst.
	if grew > 4*64<<20 && !raceEnabled {
		t.Fatalf("host peak RSS grew by %d MiB for a 64 MiB cap", grew>>20)
	}
	if _, err := call(within(t, 10*time.Second), r, "noop", nil, ""); err != nil {
		t.Fatalf("the next call: %v", err)
	}
}

// A module that floods its output fails at the reply cap.
func TestOutputCapped(t *testing.T) { forms(t, hostileForms, outputCapped) }

func outputCapped(t *testing.T, module []byte) {
	r := newRuntime(t, module, 0, 1)
	_, err := call(within(t, 60*time.Second), r, "flood", nil, "")
	if err == nil || !strings.Contains(err.Error(), "reply longer than 1048576 bytes") {
		t.Fatalf("err = %v", err)
	}
}

// X5: a module that speaks another protocol is refused, for good.
func TestWrongProtocolRefused(t *testing.T) {
	r := newRuntime(t, modules["protocol2"], 0, 1)
	err := r.Start(within(t, 60*time.Second))
	if err == nil || !strings.Contains(err.Error(), "refused to load") || !strings.Contains(err.Error(), "speaks protocol 2") {
		t.Fatalf("err = %v", err)
	}
	if _, err := call(within(t, 5*time.Second), r, "noop", nil, ""); err == nil || !strings.Contains(err.Error(), "speaks protocol 2") {
		t.Fatalf("call after refusal: %v", err)
	}
}

// The compilation cache makes a second runtime of the same module start
// without compiling again.
func TestCompilationCacheUsed(t *testing.T) {
	r1 := newRuntime(t, modules["readtime"], 0, 1)
	if err := r1.Start(within(t, 60*time.Second)); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(cacheDir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("the cache dir is empty: %v", err)
	}
	start := time.Now()
	r2 := newRuntime(t, modules["readtime"], 0, 1)
	if err := r2.Start(within(t, 60*time.Second)); err != nil {
		t.Fatal(err)
	}
	t.Logf("start from the cache: %v", time.Since(start))
}

// vmHWM is this process's peak resident set size.
func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc")
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

// rusage is this process's resource use so far.
func rusage(b *testing.B) syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru
}

// reportRusage reports the CPU time (user and system) and the page faults
// per iteration since before: on a shared machine, CPU time is steadier
// than wall time, and page faults are what a fresh memory costs.
func reportRusage(b *testing.B, before syscall.Rusage) {
	after := rusage(b)
	cpu := time.Duration(after.Utime.Nano() - before.Utime.Nano() + after.Stime.Nano() - before.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(after.Minflt-before.Minflt)/float64(b.N), "faults/op")
}

// BenchmarkCall is the per-call cost of a WebAssembly plugin: a fresh
// instance of the compiled module per request (target ≤ 1 ms). noop-go is a
// Go command module (its runtime starts in every instance), noop-go-reactor
// the same program built as a reactor (each instance restored to the image
// of its initialization): cold starts an instance for each call, one call
// after the other (the CPU cost of a request); prestarted is a call that
// finds an instance started ahead and waiting (the latency of a request to
// an idle runtime; the start of the next instance, after the timer stops,
// is in cpu-µs/op). readtime is the example plugin on a note of ≈300
// words, as in BenchmarkRun10k. bare is the smallest module there is
// (_start returns), instantiated with wazero directly: the floor under any
// plugin.
func BenchmarkCall(b *testing.B) {
	noop := wire.RunParams{Action: "noop", File: wire.File{Path: "a.md", FrontMatter: map[string]any{}}}
	note := "---\ntitle: Note\n---\n# Note\n\n<!-- readtime -->?<!-- /readtime -->\n\n" + strings.Repeat("lorem ipsum dolor sit amet ", 60) + "\n"
	stamp := wire.RunParams{Action: "stamp", Params: json.RawMessage(`{}`), File: wire.File{Path: "a.md", Content: &note, FrontMatter: map[string]any{"title": "Note"}}}
	for _, tc := range []struct {
		name, module string
		req          wire.RunParams
		prestart     int
	}{
		{"noop-go/cold", "hostile", noop, -1},
		{"noop-go/prestarted", "hostile", noop, 1},
		{"noop-go-reactor/cold", "hostile-reactor", noop, -1},
		{"noop-go-reactor/prestarted", "hostile-reactor", noop, 1},
		{"readtime/cold", "readtime", stamp, -1},
		{"readtime-reactor/cold", "readtime-reactor", stamp, -1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := wasm.New(wasm.Config{Name: "bench", Module: modules[tc.module], CacheDir: cacheDir, Prestart: tc.prestart})
			defer r.Close(context.Background())
			if err := r.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			waitReady := func() {
				for tc.prestart > 0 && r.Waiting() == 0 {
					time.Sleep(100 * time.Microsecond)
				}
			}
			waitReady()
			b.ResetTimer()
			before := rusage(b)
			for range b.N {
				if _, err := r.Call(context.Background(), tc.req); err != nil {
					b.Fatal(err)
				}
				if tc.prestart > 0 {
					b.StopTimer()
					waitReady()
					b.StartTimer()
				}
			}
			reportRusage(b, before)
		})
	}
	b.Run("bare", func(b *testing.B) {
		bare := []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0,
			7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0, 10, 4, 1, 2, 0, 0x0b}
		ctx := context.Background()
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true))
		defer rt.Close(ctx)
		wasi_snapshot_preview1.MustInstantiate(ctx, rt)
		cm, err := rt.CompileModule(ctx, bare)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			m, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStdin(bytes.NewReader(nil)))
			if err != nil {
				b.Fatal(err)
			}
			m.Close(ctx)
		}
	})
}

// BenchmarkInstantiate is the start of a Go plugin's instance from the
// compiled module up to its end when its standard input is empty (the Go
// runtime's start, plugin.Serve's JSON warm-up, the exit): what a
// pre-started instance does before its request. wazero-defaults is the
// module as built, with wazero's default memory; merged-mapped is how the
// runtime instantiates it (data segments merged, memory mapped);
// reactor-image is the same program built as a reactor, as the runtime
// runs it: an instance restored to the image, up to the return of
// scribe_serve.
func BenchmarkInstantiate(b *testing.B) {
	b.Run("go/reactor-image", func(b *testing.B) {
		r := wasm.New(wasm.Config{Name: "bench", Module: modules["hostile-reactor"], CacheDir: cacheDir, Prestart: -1})
		defer r.Close(context.Background())
		if err := r.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		before := rusage(b)
		for range b.N {
			if err := r.RunEmpty(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		reportRusage(b, before)
	})
	ctx := context.Background()
	merged, _, _, err := wasm.MergeData(modules["hostile"])
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		module []byte
		mapped bool
	}{
		{"go/wazero-defaults", modules["hostile"], false},
		{"go/merged-mapped", merged, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
			if err != nil {
				b.Fatal(err)
			}
			defer cache.Close(ctx)
			rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true).WithCompilationCache(cache).WithMemoryLimitPages(wasm.DefaultMemoryPages))
			defer rt.Close(ctx)
			wasi_snapshot_preview1.MustInstantiate(ctx, rt)
			cm, err := rt.CompileModule(ctx, tc.module)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			before := rusage(b)
			for range b.N {
				ictx, release := ctx, func() {}
				if tc.mapped {
					var alloc experimental.MemoryAllocator
					alloc, release = wasm.InstanceMemory()
					ictx = experimental.WithMemoryAllocator(ctx, alloc)
				}
				m, err := rt.InstantiateModule(ictx, cm, wazero.NewModuleConfig().WithName("").WithStdin(bytes.NewReader(nil)))
				if err != nil {
					b.Fatal(err)
				}
				m.Close(ctx)
				release()
			}
			reportRusage(b, before)
		})
	}
}
