package wasm_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/plugin/wasm"
	"github.com/scribe-md/scribe/internal/poll"
)

// A reactor's instances are restored to the image its initialization
// left: init ran once, in the image, and each request sees it and no
// other request's state, whether its instance was started for it or ahead.
func TestReactorRequestsStartFromImage(t *testing.T) {
	for _, prestart := range []int{-1, 1} {
		r := newRuntimeWith(t, modules["hostile-reactor"], 0, 2, prestart)
		if err := r.Start(within(t, 60*time.Second)); err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			if prestart > 0 {
				poll.Until(t, 60*time.Second, "a pre-started instance", func() bool { return r.Waiting() == 1 })
			}
			res, err := call(within(t, 10*time.Second), r, "count", nil, "")
			if err != nil || len(res.Findings) != 1 || res.Findings[0].Message != "inits 1 counted 1" {
				t.Fatalf("prestart %d, call %d: %+v, %v; want inits 1 counted 1", prestart, i, res, err)
			}
		}
	}
	// The control: the same module as a command runs init in every
	// instance, which then serves one request too.
	r := newRuntime(t, modules["hostile"], 0, 1)
	res, err := call(within(t, 60*time.Second), r, "count", nil, "")
	if err != nil || len(res.Findings) != 1 || res.Findings[0].Message != "inits 1 counted 1" {
		t.Fatalf("command module: %+v, %v", res, err)
	}
}

// A reactor whose initialization fails, hangs or writes to standard
// output does not load, and says why; the runtime stays usable for
// another try (the handshake of a command module behaves the same).
func TestReactorInitFaults(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		// limit bounds Start and the call after it: short where the
		// deadline is the failure, generous where it is not (compiling
		// the module under -race on a busy machine took more than 2 s).
		limit time.Duration
	}{
		{"initspin", "deadline", 2 * time.Second},
		{"initprint", `_initialize wrote to standard output, which belongs to the protocol: "hello from init\n"`, 60 * time.Second},
		{"initpanic", "init failed", 60 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newNamedRuntime(t, tc.name, modules["hostile-reactor"], 0, 1, 0)
			start := time.Now()
			err := r.Start(within(t, tc.limit))
			if err == nil || !strings.Contains(err.Error(), "handshake: _initialize") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want the initialization's failure: %s", err, tc.want)
			}
			t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
			if st, _ := r.State(); st != "idle" {
				t.Fatalf("state %q", st)
			}
			if _, err := call(within(t, tc.limit), r, "noop", nil, ""); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("a call: %v", err)
			}
		})
	}
}

// A reactor that an image cannot hold is refused at load with the reason;
// a module without _initialize and scribe_serve is not a reactor.
func TestReactorRewriteRefuses(t *testing.T) {
	header := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	typ := []byte{1, 4, 1, 0x60, 0, 0}   // func () -> ()
	funcs := []byte{3, 2, 1, 0}          // one function of type 0
	code := []byte{10, 4, 1, 2, 0, 0x0b} // its body: end
	mem := []byte{5, 3, 1, 0, 1}         // memory 0: 1 page
	exports := []byte{7, 30, 2, 11, '_', 'i', 'n', 'i', 't', 'i', 'a', 'l', 'i', 'z', 'e', 0, 0, 12, 's', 'c', 'r', 'i', 'b', 'e', '_', 's', 'e', 'r', 'v', 'e', 0, 0}
	module := func(sections ...[]byte) []byte {
		out := append([]byte{}, header...)
		for _, s := range sections {
			out = append(out, s...)
		}
		return out
	}
	if _, err := wasm.RewriteReactor(module(typ, funcs, mem, exports, code)); err != nil {
		t.Fatalf("a minimal reactor: %v", err)
	}
	command := []byte{7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0}
	if _, err := wasm.RewriteReactor(module(typ, funcs, mem, command, code)); !errors.Is(err, wasm.ErrNotReactor) {
		t.Fatalf("a command module: %v", err)
	}
	if _, err := wasm.RewriteReactor(modules["hostile"]); !errors.Is(err, wasm.ErrNotReactor) {
		t.Fatalf("the hostile command module: %v", err)
	}
	for _, tc := range []struct {
		name   string
		module []byte
		want   string
	}{
		{"start section", module(typ, funcs, mem, exports, []byte{8, 1, 0}, code), "start section"},
		{"imported global", module(typ, []byte{2, 10, 1, 1, 'e', 3, 'g', 'l', 'b', 3, 0x7f, 0}, funcs, mem, exports, code), "imports a table, memory or global"},
		{"passive data", module(typ, funcs, mem, exports, code, []byte{11, 4, 1, 1, 1, 'x'}), "not all active at constant offsets"},
		{"data count", module(typ, funcs, mem, exports, []byte{12, 1, 0}, code), "data count section"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wasm.RewriteReactor(tc.module)
			if err == nil || errors.Is(err, wasm.ErrNotReactor) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
		})
	}
	funcref := module(typ, funcs, mem, []byte{6, 6, 1, 0x70, 1, 0xd0, 0x70, 0x0b}, exports, code)
	if _, err := wasm.RewriteReactor(funcref); err == nil || !strings.Contains(err.Error(), "reference or vector type") {
		t.Fatalf("a funcref global: %v", err)
	}
}
