package wasm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/scribe-md/scribe/internal/plugin/response"
	wire "github.com/scribe-md/scribe/plugin"
)

// Reactor modules, each instance restored from one initialized image.
//
// Most of a Go command module's instance is spent starting the Go runtime
// and running the program's init functions, the same work with the same
// result for every request. A reactor module (GOOS=wasip1 GOARCH=wasm go
// build -buildmode=c-shared) separates that work out: its _initialize
// export starts the runtime and runs the init functions, then returns to
// the host; its scribe_serve export (provided by the Go SDK) then serves
// the requests on standard input and returns.
//
// The runtime runs _initialize once, when the plugin loads, then has the
// same instance answer the handshake, and keeps the instance's state at
// that point: its memory and its globals. Between two
// export calls the wasm call stack is empty, so memory and globals are the
// whole state of an instance (its tables are what instantiation makes them:
// Go's code never changes them). Each request then gets a fresh instance
// of the same compiled module whose memory and globals are set to that
// image before scribe_serve is called: an instance as if _initialize had
// just returned in it, for the cost of a copy of the image's non-zero
// pages instead of the Go runtime's start. Requests stay as isolated as
// with a command module: each instance is fresh, sees the image and
// nothing any other request left, and is thrown away after its request.
//
// To read and set the globals through wazero's API, the module is rewritten
// before it is compiled: every global it defines is exported under
// globalExport's name. Its data section is removed, as the image holds
// what the data segments wrote (the one instance that runs _initialize
// gets them written by the runtime, which checks their bounds as
// instantiation would). The rewritten module does not depend on the
// image, so the compilation cache serves it on later starts.
//
// What an image cannot capture refuses the reactor form at load with the
// reason: a start section (it would run again in every instance), imports
// other than functions, globals of reference types, and data segments
// other than active ones at constant offsets.
//
// The image is what the module's initialization made of memory, the
// randomness it drew included: the pseudo-random generators and map seeds
// inside it start from the same state in every request, as they do in
// command modules, whose random source (wazero's default for guests) is
// the same for every instance. The clocks are wazero's default fake clocks
// too (each reading 1 ms after the last), but a restored instance's clocks
// go on from the image's last readings: its Go runtime holds times read
// in the initializing instance (its start, the last collection, timers),
// and must never see the clock go back from them.

// The exports a reactor has and the runtime adds.
const (
	exportInitialize = "_initialize"
	exportServe      = "scribe_serve"
	exportStart      = "_start"
	globalExport     = "scribe.global." // + the global's index
)

// Module section ids.
const (
	sectionImport = 2
	sectionGlobal = 6
	sectionExport = 7
	sectionStart  = 8
)

// errNotReactor: the module does not export _initialize and scribe_serve,
// or it exports _start (a command module).
var errNotReactor = errors.New("not a reactor module")

// reactor is a reactor module rewritten for images.
type reactor struct {
	module  []byte    // globals exported, no data section
	segs    []segment // the data section's segments, for the image
	globals []string  // the exported names of the defined globals
}

// rewriteReactor returns module rewritten for images (see above), or
// errNotReactor for a module that is not a reactor, or the reason a
// reactor cannot be run from an image.
func rewriteReactor(module []byte) (*reactor, error) {
	secs, err := sections(module)
	if err != nil {
		return nil, err
	}
	var exports, globals, data *section
	for i := range secs {
		s := &secs[i]
		switch s.id {
		case sectionExport:
			exports = s
		case sectionGlobal:
			globals = s
		case sectionData:
			data = s
		}
	}
	if exports == nil {
		return nil, errNotReactor
	}
	names, err := exportNames(exports.payload)
	if err != nil {
		return nil, fmt.Errorf("export section: %w", err)
	}
	if !names[exportInitialize] || !names[exportServe] || names[exportStart] {
		return nil, errNotReactor
	}

	var r reactor
	for _, s := range secs {
		switch s.id {
		case sectionStart:
			return nil, errors.New("it has a start section, which would run again in every instance")
		case sectionImport:
			if err := onlyFunctionImports(s.payload); err != nil {
				return nil, err
			}
		case sectionDataCount:
			return nil, errors.New("its code may name data segments (a data count section)")
		}
	}
	if globals != nil {
		n, err := definedGlobals(globals.payload)
		if err != nil {
			return nil, fmt.Errorf("global section: %w", err)
		}
		for i := range n {
			name := globalExport + strconv.Itoa(i)
			if names[name] {
				return nil, fmt.Errorf("it already exports %q", name)
			}
			r.globals = append(r.globals, name)
		}
	}
	if data != nil {
		r.segs, err = readSegments(data.payload)
		if errors.Is(err, errNotMergeable) {
			return nil, errors.New("its data segments are not all active at constant offsets in its memory")
		}
		if err != nil {
			return nil, fmt.Errorf("data section: %w", err)
		}
	}

	out := make([]byte, 0, len(module))
	out = append(out, wasmHeader...)
	for _, s := range secs {
		switch s.id {
		case sectionData:
			// In the image.
		case sectionExport:
			count, n, _ := uleb32(s.payload) // read by exportNames
			body := appendULEB(nil, count+uint32(len(r.globals)))
			body = append(body, s.payload[n:]...)
			for i, name := range r.globals {
				body = appendULEB(body, uint32(len(name)))
				body = append(body, name...)
				body = append(body, 0x03) // global
				body = appendULEB(body, uint32(i))
			}
			out = append(out, sectionExport)
			out = appendULEB(out, uint32(len(body)))
			out = append(out, body...)
		default:
			out = append(out, s.raw...)
		}
	}
	r.module = out
	return &r, nil
}

// exportNames reads an export section's names.
func exportNames(p []byte) (map[string]bool, error) {
	count, pos, err := uleb32(p)
	if err != nil {
		return nil, err
	}
	names := make(map[string]bool, min(int(count), len(p)))
	for i := range count {
		size, n, err := uleb32(p[pos:])
		if err != nil || uint64(pos+n)+uint64(size)+1 > uint64(len(p)) {
			return nil, fmt.Errorf("export %d: malformed", i)
		}
		pos += n
		names[string(p[pos:pos+int(size)])] = true
		pos += int(size) + 1 // the kind
		if _, n, err = uleb32(p[pos:]); err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		pos += n
	}
	return names, nil
}

// onlyFunctionImports refuses imports of tables, memories and globals:
// state outside the instance, which an image cannot hold.
func onlyFunctionImports(p []byte) error {
	count, pos, err := uleb32(p)
	if err != nil {
		return fmt.Errorf("import section: %w", err)
	}
	for i := range count {
		for range 2 { // module and field names
			size, n, err := uleb32(p[pos:])
			if err != nil || uint64(pos+n)+uint64(size) > uint64(len(p)) {
				return fmt.Errorf("import section: import %d: malformed", i)
			}
			pos += n + int(size)
		}
		if pos >= len(p) {
			return fmt.Errorf("import section: import %d: malformed", i)
		}
		if p[pos] != 0x00 {
			return errors.New("it imports a table, memory or global, state an image cannot hold")
		}
		_, n, err := uleb32(p[pos+1:])
		if err != nil {
			return fmt.Errorf("import section: import %d: %w", i, err)
		}
		pos += 1 + n
	}
	return nil
}

// definedGlobals counts a global section's globals, refusing those whose
// value an exported global cannot carry through wazero's API (reference
// and vector types).
func definedGlobals(p []byte) (int, error) {
	count, pos, err := uleb32(p)
	if err != nil {
		return 0, err
	}
	for i := range count {
		if pos+2 > len(p) {
			return 0, fmt.Errorf("global %d: malformed", i)
		}
		switch p[pos] {
		case 0x7f, 0x7e, 0x7d, 0x7c: // i32, i64, f32, f64
		default:
			return 0, fmt.Errorf("global %d has a reference or vector type, which an image cannot hold", i)
		}
		pos += 2 // type, mutability
		n, err := constExprLen(p[pos:])
		if err != nil {
			return 0, fmt.Errorf("global %d: %w", i, err)
		}
		pos += n
	}
	if pos != len(p) {
		return 0, fmt.Errorf("%d bytes after the last global", len(p)-pos)
	}
	return int(count), nil
}

// constExprLen is the length of a constant expression, its end included.
func constExprLen(p []byte) (int, error) {
	pos := 0
	for pos < len(p) {
		op := p[pos]
		pos++
		switch op {
		case 0x0b: // end
			return pos, nil
		case 0x41, 0x42, 0x23, 0xd2: // i32.const, i64.const, global.get, ref.func
			for pos < len(p) && p[pos]&0x80 != 0 {
				pos++
			}
			pos++
		case 0x43: // f32.const
			pos += 4
		case 0x44: // f64.const
			pos += 8
		case 0xd0: // ref.null
			pos++
		default:
			return 0, fmt.Errorf("unsupported instruction 0x%02x in a constant expression", op)
		}
	}
	return 0, errors.New("constant expression without an end")
}

// image is a reactor instance's state after _initialize: the size of its
// memory, its non-zero pages and its globals.
type image struct {
	pages      uint32 // 64 KiB pages
	runs       []imageRun
	globals    []imageGlobal
	mono, wall int64 // the clocks' last readings
}

// imageRun is a run of memory pages with a non-zero byte.
type imageRun struct {
	offset uint32
	data   []byte
}

type imageGlobal struct {
	name  string
	value uint64
}

// imagePage is the unit in which an image keeps memory: runs of zeros this
// long are left to the fresh instance's zeroed memory.
const imagePage = 4 << 10

// makeImage instantiates the rewritten reactor, writes its data segments,
// runs _initialize, serves it the handshake (the initialize request) with
// scribe_serve, and keeps the image of the result with the handshake's
// result. Serving the handshake before the image is taken leaves in it
// what serving a first request sets up in the guest (buffers, the parser's
// caches, a goroutine's stack to reuse): measured, it halves the guest's
// part of each later request.
func (r *Runtime) makeImage(ctx context.Context, rt wazero.Runtime, cm wazero.CompiledModule, re *reactor) (*image, json.RawMessage, error) {
	id, req, err := r.request(wire.MethodInitialize, wire.InitializeParams{Protocol: wire.Protocol})
	if err != nil {
		return nil, nil, err
	}
	stdout := &capWriter{limit: r.cfg.MaxReply}
	stderr := &lineLogger{log: r.log}
	mem := &instanceMemory{}
	defer mem.release()                             // deferred first: runs after the module's Close
	clk := newClocks(-fakeTick, fakeEpoch-fakeTick) // first readings: 0 and the epoch, as wazero's
	mod, err := rt.InstantiateModule(experimental.WithMemoryAllocator(ctx, mem), cm,
		clk.config(r.moduleConfig(bytes.NewReader(req), stdout, stderr)).WithStartFunctions())
	if err != nil {
		return nil, nil, fmt.Errorf("instantiate: %v", oneLine(err.Error()))
	}
	defer mod.Close(context.WithoutCancel(ctx))
	m := mod.Memory()
	if m == nil {
		return nil, nil, errors.New("the module has no memory")
	}
	for i, s := range re.segs {
		if !m.Write(s.offset, s.init) {
			return nil, nil, fmt.Errorf("data segment %d (offset %d, %d bytes) is outside the memory", i, s.offset, len(s.init))
		}
	}
	_, err = mod.ExportedFunction(exportInitialize).Call(ctx)
	if err := exitErr(err); err != nil {
		stderr.flush()
		_, err = r.outcome(ctx, err, id, stdout, stderr)
		return nil, nil, fmt.Errorf("%s: %w", exportInitialize, err)
	}
	if stdout.buf.Len() > 0 || stdout.over {
		return nil, nil, fmt.Errorf("%s wrote to standard output, which belongs to the protocol: %s", exportInitialize, response.Quote(stdout.buf.Bytes()))
	}
	res, err := mod.ExportedFunction(exportServe).Call(ctx)
	if err = exitErr(err); err == nil && len(res) == 1 && res[0] != 0 {
		err = fmt.Errorf("%s returned status %d", exportServe, int32(res[0]))
	}
	stderr.flush()
	raw, err := r.outcome(ctx, err, id, stdout, stderr)
	if err != nil {
		return nil, nil, err
	}
	img := &image{pages: m.Size() / 65536, mono: clk.mono.Load(), wall: clk.wall.Load()}
	for _, name := range re.globals {
		g := mod.ExportedGlobal(name)
		if _, ok := g.(api.MutableGlobal); ok {
			img.globals = append(img.globals, imageGlobal{name: name, value: g.Get()})
		}
	}
	b, _ := m.Read(0, m.Size())
	for off := 0; off < len(b); off += imagePage {
		page := b[off:min(off+imagePage, len(b))]
		if !bytes.ContainsFunc(page, func(r rune) bool { return r != 0 }) {
			continue
		}
		if n := len(img.runs); n > 0 && int(img.runs[n-1].offset)+len(img.runs[n-1].data) == off {
			img.runs[n-1].data = append(img.runs[n-1].data, page...)
			continue
		}
		img.runs = append(img.runs, imageRun{offset: uint32(off), data: bytes.Clone(page)})
	}
	return img, raw, nil
}

// restore sets a fresh instance's memory and globals to the image.
func (img *image) restore(mod api.Module) error {
	m := mod.Memory()
	if pages := m.Size() / 65536; pages < img.pages {
		if _, ok := m.Grow(img.pages - pages); !ok {
			return fmt.Errorf("restore: memory of %d pages refused", img.pages)
		}
	}
	for _, run := range img.runs {
		if !m.Write(run.offset, run.data) {
			return errors.New("restore: memory smaller than the image")
		}
	}
	for _, g := range img.globals {
		mg, ok := mod.ExportedGlobal(g.name).(api.MutableGlobal)
		if !ok {
			return fmt.Errorf("restore: no mutable global %s", g.name)
		}
		mg.Set(g.value)
	}
	return nil
}

// run instantiates a fresh instance of the rewritten reactor, restores it
// to the image and calls scribe_serve, which serves the requests on its
// standard input. A non-zero status it returns is an error. The module is
// returned, when there is one, for the caller to close.
func (img *image) run(ctx context.Context, rt wazero.Runtime, cm wazero.CompiledModule, cfg wazero.ModuleConfig) (api.Module, error) {
	cfg = newClocks(img.mono, img.wall).config(cfg)
	mod, err := rt.InstantiateModule(ctx, cm, cfg.WithStartFunctions())
	if err != nil {
		return mod, err
	}
	if err := img.restore(mod); err != nil {
		return mod, err
	}
	res, err := mod.ExportedFunction(exportServe).Call(ctx)
	if err := exitErr(err); err != nil {
		return mod, err
	}
	if len(res) == 1 && res[0] != 0 {
		return mod, fmt.Errorf("%s returned status %d", exportServe, int32(res[0]))
	}
	return mod, nil
}

// wazero's default fake clocks: each reading is fakeTick after the last,
// and the wall clock's first reading is fakeEpoch (2022-01-01 UTC).
const (
	fakeTick  = int64(time.Millisecond)
	fakeEpoch = 1640995200 * int64(time.Second)
)

// clocks are an instance's fake clocks, continuing from given readings.
type clocks struct{ mono, wall atomic.Int64 } // the last readings

func newClocks(mono, wall int64) *clocks {
	c := &clocks{}
	c.mono.Store(mono)
	c.wall.Store(wall)
	return c
}

// config sets cfg's clocks to c, with wazero's resolutions for its fakes.
func (c *clocks) config(cfg wazero.ModuleConfig) wazero.ModuleConfig {
	return cfg.
		WithNanotime(func() int64 { return c.mono.Add(fakeTick) }, sys.ClockResolution(1)).
		WithWalltime(func() (int64, int32) {
			w := c.wall.Add(fakeTick)
			return w / 1e9, int32(w % 1e9)
		}, sys.ClockResolution(time.Microsecond))
}

// exitErr is err, except for an exit with status 0, which ends an export
// call as it ends _start: successfully.
func exitErr(err error) error {
	var ee *sys.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 0 {
		return nil
	}
	return err
}
