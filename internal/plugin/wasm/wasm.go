package wasm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/plugin/response"
	wire "github.com/scribe-md/scribe/plugin"
)

// Defaults of Config.
const (
	DefaultMemoryPages = 1024 // 64 MiB
	DefaultMaxReply    = 17 << 20
	DefaultPrestart    = 1
	// prestartTimeout bounds how long a pre-started instance may take to
	// reach its first read of standard input.
	prestartTimeout = 30 * time.Second
	// maxStderrLine caps one logged line of a module's standard error, and
	// maxStderrLines the lines logged per call.
	maxStderrLine  = 4 << 10
	maxStderrLines = 100
)

// Config describes a WebAssembly plugin's runtime.
type Config struct {
	// Name is the plugin's name, used in logs and errors.
	Name string
	// Module is the module's bytes (read, and checked against the pin, once).
	Module []byte
	// CacheDir holds wazero's compilation cache ("" for none).
	CacheDir string
	// MemoryPages caps each instance's memory, in 64 KiB pages.
	MemoryPages uint32
	// Instances bounds the instances running at once.
	Instances int
	// Handshake checks the initialize result; an error refuses the plugin.
	Handshake func(wire.InitializeResult) error
	// MaxReply caps what an instance may write to standard output.
	MaxReply int
	// Logger receives the modules' standard error, line by line.
	Logger *slog.Logger
	// Prestart is how many instances are started ahead of requests (their
	// start code runs until they wait for their request on standard
	// input); 0 means DefaultPrestart, a negative number none.
	Prestart int
}

// Runtime runs one WebAssembly plugin: the module compiled once, an
// instance per request.
type Runtime struct {
	cfg  Config
	log  *slog.Logger
	pool *action.Pool

	mu       sync.Mutex
	rt       wazero.Runtime
	cache    wazero.CompilationCache
	compiled wazero.CompiledModule
	reactor  *reactor // a reactor module, or nil
	image    *image   // a reactor's initialized state: set once, before ready
	ready    bool     // handshake done
	refused  error    // permanent
	lastErr  error
	closed   bool

	running atomic.Int64
	nextID  atomic.Int64

	// Pre-started instances (prestart.go): warmed holds those waiting for
	// their request; warming counts those started and not yet taken by a
	// call (under mu); stopped ends at Close, and with it those not
	// taken; bg waits for their goroutines.
	warmed     chan *warm
	warming    int
	noPrestart bool // an instance ended before it read its request
	stopped    context.Context
	stop       context.CancelFunc
	bg         sync.WaitGroup
}

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("plugin stopped")

// New returns a runtime; nothing is compiled until Start or the first Call.
func New(cfg Config) *Runtime {
	if cfg.MemoryPages == 0 {
		cfg.MemoryPages = DefaultMemoryPages
	}
	if cfg.MaxReply <= 0 {
		cfg.MaxReply = DefaultMaxReply
	}
	cfg.Instances = max(cfg.Instances, 1)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.Prestart == 0:
		cfg.Prestart = DefaultPrestart
	case cfg.Prestart < 0:
		cfg.Prestart = 0
	}
	stopped, stop := context.WithCancel(context.Background())
	return &Runtime{cfg: cfg, log: cfg.Logger, pool: action.NewPool(cfg.Instances),
		warmed: make(chan *warm, cfg.Prestart), stopped: stopped, stop: stop}
}

// Start compiles the module (or loads it from the compilation cache) and
// checks the handshake in a first instance.
func (r *Runtime) Start(ctx context.Context) error {
	_, _, err := r.prepare(ctx)
	return err
}

// prepare compiles and handshakes once; later calls return the result.
func (r *Runtime) prepare(ctx context.Context) (wazero.Runtime, wazero.CompiledModule, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return nil, nil, ErrClosed
	case r.refused != nil:
		return nil, nil, fmt.Errorf("refused to load: %w", r.refused)
	case r.ready:
		return r.rt, r.compiled, nil
	}
	if r.rt == nil {
		rc := wazero.NewRuntimeConfig().
			// The deadline of a call is enforced by closing the module
			// when its context ends (off by default: RELIABILITY rule 13).
			WithCloseOnContextDone(true).
			WithMemoryLimitPages(r.cfg.MemoryPages)
		if r.cfg.CacheDir != "" {
			cache, err := wazero.NewCompilationCacheWithDir(r.cfg.CacheDir)
			if err != nil {
				r.log.Warn("wasm compilation cache unusable; compiling without it", "dir", r.cfg.CacheDir, "err", err)
			} else {
				r.cache = cache
				rc = rc.WithCompilationCache(cache)
			}
		}
		rt := wazero.NewRuntimeWithConfig(context.WithoutCancel(ctx), rc)
		if _, err := wasi_snapshot_preview1.Instantiate(context.WithoutCancel(ctx), rt); err != nil {
			rt.Close(context.Background())
			return nil, nil, fmt.Errorf("wasi: %w", err)
		}
		r.rt = rt
	}
	if r.compiled == nil {
		cm, re, err := r.compile(context.WithoutCancel(ctx))
		if err != nil {
			r.refused = fmt.Errorf("compile module: %w", err)
			return nil, nil, fmt.Errorf("refused to load: %w", r.refused)
		}
		if err := checkImports(cm, re != nil); err != nil {
			r.refused = err
			return nil, nil, fmt.Errorf("refused to load: %w", err)
		}
		r.compiled, r.reactor = cm, re
	}
	var raw json.RawMessage
	var err error
	if r.reactor != nil {
		// A reactor answers the handshake in the instance whose image it
		// keeps (reactor.go).
		var img *image
		if img, raw, err = r.makeImage(ctx, r.rt, r.compiled, r.reactor); err == nil {
			r.image = img
		}
	} else {
		raw, err = r.instantiate(ctx, r.rt, r.compiled, wire.MethodInitialize, wire.InitializeParams{Protocol: wire.Protocol})
	}
	if err != nil {
		r.lastErr = err
		return nil, nil, fmt.Errorf("handshake: %w", err)
	}
	var ir wire.InitializeResult
	if err := json.Unmarshal(raw, &ir); err != nil {
		r.refused = fmt.Errorf("malformed initialize result: %v", err)
		return nil, nil, fmt.Errorf("refused to load: %w", r.refused)
	}
	if r.cfg.Handshake != nil {
		if err := r.cfg.Handshake(ir); err != nil {
			r.refused = err
			return nil, nil, fmt.Errorf("refused to load: %w", err)
		}
	}
	r.ready = true
	r.refillLocked()
	return r.rt, r.compiled, nil
}

// compile compiles the module: a reactor rewritten for images
// (reactor.go), a command module with its data segments merged (mergeData),
// or as it is when they cannot be. Both rewrites are pure functions of the
// module's bytes, so the compilation cache, keyed by the bytes compiled,
// serves the rewritten module on later starts. Should the rewritten module
// not compile where the original does, that is a bug of the rewrite: a
// command module is then compiled as it is, a reactor refused.
func (r *Runtime) compile(ctx context.Context) (wazero.CompiledModule, *reactor, error) {
	re, err := rewriteReactor(r.cfg.Module)
	switch {
	case err == nil:
		cm, err := r.rt.CompileModule(ctx, re.module)
		if err != nil {
			orig, origErr := r.rt.CompileModule(ctx, r.cfg.Module)
			if origErr != nil {
				return nil, nil, origErr
			}
			orig.Close(ctx)
			return nil, nil, fmt.Errorf("the reactor rewritten for images is invalid (a bug in scribe, please report it): %w", err)
		}
		r.log.Debug("wasm reactor module", "plugin", r.cfg.Name, "globals", len(re.globals), "segments", len(re.segs))
		return cm, re, nil
	case !errors.Is(err, errNotReactor):
		return nil, nil, fmt.Errorf("a reactor module (it exports %s and %s) that Scribe cannot start from an image: %w", exportInitialize, exportServe, err)
	}
	merged, before, after, err := mergeData(r.cfg.Module)
	if err != nil {
		r.log.Debug("wasm data segments left as they are", "plugin", r.cfg.Name, "segments", before, "reason", err)
		cm, err := r.rt.CompileModule(ctx, r.cfg.Module)
		return cm, nil, err
	}
	cm, err := r.rt.CompileModule(ctx, merged)
	if err != nil {
		cm, orig := r.rt.CompileModule(ctx, r.cfg.Module)
		if orig == nil {
			r.log.Warn("wasm data segments merged into an invalid module; using the original (a bug in scribe, please report it)", "plugin", r.cfg.Name, "err", err)
		}
		return cm, nil, orig
	}
	r.log.Debug("wasm data segments merged", "plugin", r.cfg.Name, "before", before, "after", after)
	return cm, nil, nil
}

// checkImports refuses a module that imports anything but WASI preview 1:
// a host function Scribe does not provide is a capability it does not grant.
// A command module must export _start; a reactor, _initialize and
// scribe_serve with the signatures the Go SDK gives them.
func checkImports(cm wazero.CompiledModule, reactor bool) error {
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod != wasi_snapshot_preview1.ModuleName {
			return fmt.Errorf("the module imports %s.%s; a plugin may import only %s (WASI preview 1)", mod, name, wasi_snapshot_preview1.ModuleName)
		}
	}
	if len(cm.ImportedMemories()) > 0 {
		return errors.New("the module imports a memory; a WASI module defines its own")
	}
	exports := cm.ExportedFunctions()
	if !reactor {
		if f, ok := exports[exportStart]; !ok || len(f.ParamTypes()) > 0 || len(f.ResultTypes()) > 0 {
			return errors.New("the module is not a WASI command module: it exports no _start function (build it with GOOS=wasip1 GOARCH=wasm, as a main package), nor is it a reactor exporting _initialize and scribe_serve (add -buildmode=c-shared and register the actions with the Go SDK's plugin.Register)")
		}
		return nil
	}
	if f := exports[exportInitialize]; len(f.ParamTypes()) > 0 || len(f.ResultTypes()) > 0 {
		return fmt.Errorf("the reactor's %s takes or returns values; it must be func()", exportInitialize)
	}
	if f := exports[exportServe]; len(f.ParamTypes()) > 0 || len(f.ResultTypes()) != 1 || f.ResultTypes()[0] != api.ValueTypeI32 {
		return fmt.Errorf("the reactor's %s must be func() int32 (the Go SDK's)", exportServe)
	}
	return nil
}

// Call gives the run request to a fresh instance of the module on its
// standard input (one started ahead and waiting, if there is one; else one
// instantiated now) and returns the result it writes on standard output.
// ctx's deadline is the instance's: when it passes, the instance is closed.
func (r *Runtime) Call(ctx context.Context, p wire.RunParams) (wire.RunResult, error) {
	release, err := r.pool.Acquire(ctx)
	if err != nil {
		return wire.RunResult{}, fmt.Errorf("no instance free before the deadline (instances in the manifest): %w", err)
	}
	defer release()
	rt, cm, err := r.prepare(ctx)
	if err != nil {
		return wire.RunResult{}, err
	}
	var raw json.RawMessage
	select {
	case w := <-r.warmed:
		r.mu.Lock()
		r.warming--
		r.mu.Unlock()
		raw, err = r.serve(ctx, w, p)
	default:
		raw, err = r.instantiate(ctx, rt, cm, wire.MethodRun, p)
	}
	// The next instance starts once this request has its reply, so that
	// its start does not compete with the request for the CPU.
	r.refill()
	if err != nil {
		r.mu.Lock()
		r.lastErr = err
		r.mu.Unlock()
		return wire.RunResult{}, err
	}
	var res wire.RunResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return wire.RunResult{}, fmt.Errorf("malformed run result: %v", err)
	}
	return res, nil
}

// instantiate runs one instance with one request and returns the result of
// its reply. The instance has no file system, no environment, no arguments
// but its name, no network (WASI preview 1 has none) and the runtime's
// memory cap.
func (r *Runtime) instantiate(ctx context.Context, rt wazero.Runtime, cm wazero.CompiledModule, method string, params any) (json.RawMessage, error) {
	id, req, err := r.request(method, params)
	if err != nil {
		return nil, err
	}
	stdout := &capWriter{limit: r.cfg.MaxReply}
	stderr := &lineLogger{log: r.log}
	mem := &instanceMemory{}
	r.running.Add(1)
	mod, err := r.start(experimental.WithMemoryAllocator(ctx, mem), rt, cm, r.moduleConfig(bytes.NewReader(req), stdout, stderr))
	r.running.Add(-1)
	if mod != nil {
		mod.Close(context.WithoutCancel(ctx))
	}
	mem.release() // the instance has stopped: nothing can touch its memory now
	stderr.flush()
	return r.outcome(ctx, err, id, stdout, stderr)
}

// start runs an instance until it ends: a command module's _start, or a
// reactor's scribe_serve in an instance restored to the image.
func (r *Runtime) start(ctx context.Context, rt wazero.Runtime, cm wazero.CompiledModule, cfg wazero.ModuleConfig) (api.Module, error) {
	if r.image != nil {
		return r.image.run(ctx, rt, cm, cfg)
	}
	return rt.InstantiateModule(ctx, cm, cfg)
}

// request encodes a request line with a new id.
func (r *Runtime) request(method string, params any) (int64, []byte, error) {
	id := r.nextID.Add(1)
	pb, err := json.Marshal(params)
	if err != nil {
		return 0, nil, fmt.Errorf("encode request: %w", err)
	}
	rawID := json.RawMessage(strconv.FormatInt(id, 10))
	req, _ := json.Marshal(wire.Message{JSONRPC: "2.0", ID: &rawID, Method: method, Params: pb})
	return id, append(req, '\n'), nil
}

// moduleConfig is an instance's: no file system, no environment, no
// arguments but its name (and no network: WASI preview 1 has none).
func (r *Runtime) moduleConfig(stdin io.Reader, stdout *capWriter, stderr *lineLogger) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName(""). // anonymous: instances run side by side
		WithArgs(r.cfg.Name).
		WithStdin(stdin).
		WithStdout(stdout).
		WithStderr(stderr)
}

// outcome is the result of request id given how its instance ended (err,
// from InstantiateModule) and what it wrote. ctx is the request's: when
// it ended the instance, its error says why.
func (r *Runtime) outcome(ctx context.Context, err error, id int64, stdout *capWriter, stderr *lineLogger) (json.RawMessage, error) {
	if err != nil {
		var ee *sys.ExitError
		if errors.As(err, &ee) && (ee.ExitCode() == sys.ExitCodeDeadlineExceeded || ee.ExitCode() == sys.ExitCodeContextCanceled) {
			switch {
			case errors.Is(ctx.Err(), context.DeadlineExceeded):
				return nil, fmt.Errorf("no reply before the deadline; the instance was closed: %w", context.DeadlineExceeded)
			case ctx.Err() != nil:
				return nil, fmt.Errorf("canceled; the instance was closed: %w", context.Canceled)
			}
			return nil, fmt.Errorf("the instance was closed: %w", ErrClosed) // a pre-started one, at Close
		}
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("the module exited with status %d%s", ee.ExitCode(), stderr.tail())
		}
		// wazero's trap error goes on with the wasm stack trace: the
		// first line says what happened, stderr (a Go panic) where.
		msg, _, _ := strings.Cut(err.Error(), "\nwasm stack trace:")
		return nil, fmt.Errorf("the module failed: %v%s", oneLine(msg), stderr.tail())
	}
	if stdout.over {
		return nil, fmt.Errorf("reply longer than %d bytes", r.cfg.MaxReply)
	}
	return reply(stdout.buf.Bytes(), id, stderr)
}

// reply finds the response to request id in what an instance wrote: one
// JSON-RPC response per line; anything else breaks the protocol.
func reply(out []byte, id int64, stderr *lineLogger) (json.RawMessage, error) {
	lines := bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n"))
	if len(out) == 0 {
		return nil, fmt.Errorf("the module exited without a reply%s", stderr.tail())
	}
	for _, line := range lines {
		r, err := response.Parse(line)
		if err != nil {
			return nil, err
		}
		if r.ID != id {
			return nil, fmt.Errorf("out-of-order reply: id %d, but the request was %d", r.ID, id)
		}
		return r.Answer()
	}
	return nil, errors.New("no reply")
}

// Close closes the compiled module, the runtime (ending instances still
// running) and the cache. It succeeds even when ctx is done.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	// Pre-started instances not taken by a call end before the runtime
	// closes (their goroutines take mu only to count, never to wait).
	r.stop()
	r.bg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	var errs []error
	if r.rt != nil {
		errs = append(errs, r.rt.Close(ctx))
		r.rt = nil
	}
	if r.cache != nil {
		errs = append(errs, r.cache.Close(ctx))
		r.cache = nil
	}
	return errors.Join(errs...)
}

// State reports "idle", "running", "refused" or "closed", with the last
// error.
func (r *Runtime) State() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return "closed", nil
	case r.refused != nil:
		return "refused", r.refused
	case r.running.Load() > 0:
		return "running", r.lastErr
	}
	return "idle", r.lastErr
}

// Running counts the instances running now.
func (r *Runtime) Running() int { return int(r.running.Load()) }

// Restarts is always 0: every request gets a fresh instance.
func (r *Runtime) Restarts() int64 { return 0 }

// capWriter keeps at most limit bytes and fails writes past it, so that a
// module flooding its output costs no more than the cap.
type capWriter struct {
	buf   bytes.Buffer
	limit int
	over  bool
}

var errCapped = errors.New("output cap reached")

func (w *capWriter) Write(p []byte) (int, error) {
	if w.over || w.buf.Len()+len(p) > w.limit {
		w.over = true
		return 0, errCapped
	}
	return w.buf.Write(p)
}

// lineLogger logs what a module writes to standard error, line by line.
type lineLogger struct {
	log   *slog.Logger
	part  []byte
	lines int
	first []string // the first lines (a Go panic's message)
	last  []string // and the last (a Python traceback's)
}

func (l *lineLogger) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(l.part)+len(p) <= maxStderrLine {
				l.part = append(l.part, p...)
			}
			break
		}
		if len(l.part)+i <= maxStderrLine {
			l.part = append(l.part, p[:i]...)
		}
		l.emit()
		p = p[i+1:]
	}
	return n, nil
}

func (l *lineLogger) emit() {
	s := strings.ToValidUTF8(string(l.part), "\uFFFD")
	l.part = l.part[:0]
	if l.lines++; l.lines <= maxStderrLines {
		l.log.Info("plugin stderr", "line", s)
	}
	if len(l.first) < 2 {
		l.first = append(l.first, s)
		return
	}
	l.last = append(l.last, s)
	if len(l.last) > 3 {
		l.last = l.last[1:]
	}
}

func (l *lineLogger) flush() {
	if len(l.part) > 0 {
		l.emit()
	}
}

func (l *lineLogger) tail() string {
	if len(l.first) == 0 {
		return " (nothing on stderr)"
	}
	lines := l.first
	if l.lines > len(l.first)+len(l.last) {
		lines = append(lines, "…")
	}
	return "; stderr: " + strings.Join(append(lines, l.last...), " | ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
