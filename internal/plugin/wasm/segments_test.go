package wasm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/scribe-md/scribe/internal/plugin/wasm"
	wire "github.com/scribe-md/scribe/plugin"
)

// initialMemory instantiates module without running _start and returns
// its memory: what the data segments made of it. A module that does not
// compile or instantiate returns the error.
func initialMemory(t testing.TB, rt wazero.Runtime, module []byte) ([]byte, error) {
	ctx := context.Background()
	cm, err := rt.CompileModule(ctx, module)
	if err != nil {
		return nil, err
	}
	defer cm.Close(ctx)
	m, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, err
	}
	defer m.Close(ctx)
	if m.Memory() == nil {
		return []byte{}, nil
	}
	b, _ := m.Memory().Read(0, m.Memory().Size())
	return bytes.Clone(b), nil
}

// rawRuntime is wazero with its defaults, WASI and the tests' compilation
// cache: the reference the runtime's rewrites are compared with.
func rawRuntime(t *testing.T) wazero.Runtime {
	ctx := context.Background()
	cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true).WithCompilationCache(cache))
	t.Cleanup(func() {
		rt.Close(ctx)
		cache.Close(ctx)
	})
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	return rt
}

// Go modules, whose ≈40,000 data segments the merge is for: the merged
// module is a valid module whose memory, once instantiated, is byte for
// byte the original's.
func TestMergeDataKeepsMemory(t *testing.T) {
	rt := rawRuntime(t)
	for _, name := range []string{"readtime", "hostile"} {
		t.Run(name, func(t *testing.T) {
			merged, before, after, err := wasm.MergeData(modules[name])
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d segments merged into %d; module %d → %d bytes", before, after, len(modules[name]), len(merged))
			if before < 1000 || after > 10 {
				t.Errorf("%d segments merged into %d", before, after)
			}
			want, err := initialMemory(t, rt, modules[name])
			if err != nil {
				t.Fatal(err)
			}
			got, err := initialMemory(t, rt, merged)
			if err != nil {
				t.Fatalf("the merged module: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("the merged module's memory differs (%d bytes, want %d)", len(got), len(want))
			}
			// A merged module has nothing left to merge.
			if _, _, _, err := wasm.MergeData(merged); !errors.Is(err, wasm.ErrNotMergeable) {
				t.Fatalf("merging again: %v", err)
			}
		})
	}
}

// module assembles a module with a memory of one page, no functions, and
// the given data section payload (and a data count section if count >= 0).
func module(count int, data ...byte) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 5, 3, 1, 0, 1}
	if count >= 0 {
		m = append(m, 12, 1, byte(count))
	}
	return append(append(m, 11, byte(len(data))), data...)
}

// Data sections the merge cannot prove it keeps the meaning of are left
// alone; malformed modules are left to wazero to report.
func TestMergeDataLeavesOthersAlone(t *testing.T) {
	for _, tc := range []struct {
		name   string
		module []byte
		err    error // nil: any error but ErrNotMergeable
	}{
		{"passive segment", module(-1, 2, 0, 0x41, 0, 0x0b, 1, 'a', 1, 1, 'b'), wasm.ErrNotMergeable},
		{"overlapping segments", module(-1, 2, 0, 0x41, 0, 0x0b, 2, 'a', 'b', 0, 0x41, 1, 0x0b, 1, 'c'), wasm.ErrNotMergeable},
		{"a data count section", module(2, 2, 0, 0x41, 0, 0x0b, 1, 'a', 0, 0x41, 2, 0x0b, 1, 'c'), wasm.ErrNotMergeable},
		{"global offset", module(-1, 2, 0, 0x23, 0, 0x0b, 1, 'a', 0, 0x41, 2, 0x0b, 1, 'c'), wasm.ErrNotMergeable},
		{"one segment", module(-1, 1, 0, 0x41, 0, 0x0b, 1, 'a'), wasm.ErrNotMergeable},
		{"gap too large", module(-1, 2, 0, 0x41, 0, 0x0b, 1, 'a', 0, 0x41, 0x80, 0x40, 0x0b, 1, 'c'), wasm.ErrNotMergeable},
		{"no data", []byte{0, 'a', 's', 'm', 1, 0, 0, 0}, wasm.ErrNotMergeable},
		{"not wasm", []byte("#!/bin/sh\n"), nil},
		{"truncated section", module(-1, 2, 0, 0x41, 0, 0x0b, 1, 'a', 0, 0x41, 2, 0x0b, 1, 'c')[:20], nil},
		{"segment past its section", module(-1, 2, 0, 0x41, 0, 0x0b, 1, 'a', 0, 0x41, 2, 0x0b, 9, 'c'), nil},
		{"count larger than the segments", module(-1, 3, 0, 0x41, 0, 0x0b, 1, 'a', 0, 0x41, 2, 0x0b, 1, 'c'), nil},
		{"bytes after the segments", module(-1, 2, 0, 0x41, 0, 0x0b, 1, 'a', 0, 0x41, 2, 0x0b, 1, 'c', 0), nil},
		{"overlong LEB128", module(-1, 2, 0, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 0x0b, 1, 'a'), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, _, err := wasm.MergeData(tc.module)
			switch {
			case err == nil:
				t.Fatalf("merged into %x", out)
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Fatalf("err = %v, want %v", err, tc.err)
			case tc.err == nil && errors.Is(err, wasm.ErrNotMergeable):
				t.Fatalf("err = %v, want a malformed-module error", err)
			}
		})
	}
	// Out of order, and 3 bytes apart: one segment, the gap written as
	// zeros, the memory the same.
	m := module(-1, 2, 0, 0x41, 4, 0x0b, 1, 'c', 0, 0x41, 0, 0x0b, 1, 'a')
	merged, before, after, err := wasm.MergeData(m)
	if err != nil || before != 2 || after != 1 || !bytes.HasSuffix(merged, []byte{0, 0x41, 0, 0x0b, 5, 'a', 0, 0, 0, 'c'}) {
		t.Fatalf("%x %d %d %v", merged, before, after, err)
	}
}

// FuzzMergeData: for any bytes, the merge never panics, and a module it
// rewrites compiles and instantiates exactly when the original does, to
// the same memory.
func FuzzMergeData(f *testing.F) {
	f.Add(module(-1, 2, 0, 0x41, 4, 0x0b, 1, 'c', 0, 0x41, 0, 0x0b, 1, 'a'))
	f.Add(module(-1, 3, 0, 0x41, 0, 0x0b, 1, 'a', 0, 0x41, 0x80, 0x80, 0x04, 0x0b, 2, 'b', 'b', 0, 0x41, 0x10, 0x0b, 1, 'c'))
	f.Add(module(-1, 2, 0, 0x41, 0x7f, 0x0b, 1, 'a', 0, 0x41, 0x80, 0x80, 0x04, 0x0b, 1, 'c'))
	f.Add(module(-1, 2, 0, 0x41, 0xff, 0xff, 0x03, 0x0b, 1, 'a', 0, 0x41, 0xfe, 0xff, 0x03, 0x0b, 1, 'c'))
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithMemoryLimitPages(16))
	defer rt.Close(ctx)
	f.Fuzz(func(t *testing.T, m []byte) {
		merged, _, _, err := wasm.MergeData(m)
		if err != nil {
			return
		}
		want, werr := initialMemory(t, rt, m)
		got, gerr := initialMemory(t, rt, merged)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("original: %v; merged: %v", werr, gerr)
		}
		if !bytes.Equal(got, want) {
			t.Fatal("the merged module's memory differs")
		}
	})
}

// The example plugin answers byte for byte the same through the runtime
// (data merged, memory mapped; or built as a reactor and restored from its
// image) as the original command module instantiated by wazero with its
// defaults.
func TestExampleAnswersAsOriginal(t *testing.T) {
	forms(t, readtimeForms, exampleAnswersAsOriginal)
}

func exampleAnswersAsOriginal(t *testing.T, module []byte) {
	ctx := context.Background()
	rt := rawRuntime(t)
	cm, err := rt.CompileModule(ctx, modules["readtime"])
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t, module, 0, 1)
	if err := r.Start(within(t, 120*time.Second)); err != nil {
		t.Fatal(err)
	}
	for i, content := range []string{
		"",
		"no markers at all\n",
		"# T\n<!-- readtime -->?<!-- /readtime -->\n" + strings.Repeat("word ", 450),
		"---\ntitle: ü\n---\n<!-- readtime -->1 min read<!-- /readtime -->\r\n" + strings.Repeat("mot\u00a0élan ", 5000),
		strings.Repeat("<!-- readtime --><!-- /readtime -->", 3) + "\x00\xff",
	} {
		params := json.RawMessage(`{"wpm":100}`)
		got, err := r.Call(within(t, 10*time.Second), wire.RunParams{Action: "stamp", Params: params, File: wire.File{Path: "a.md", Content: &content, FrontMatter: map[string]any{}}})
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 7, "method": "run", "params": wire.RunParams{Action: "stamp", Params: params, File: wire.File{Path: "a.md", Content: &content, FrontMatter: map[string]any{}}}})
		var out bytes.Buffer
		m, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithArgs("test").
			WithStdin(bytes.NewReader(append(req, '\n'))).WithStdout(&out).WithStderr(io.Discard))
		if err != nil {
			t.Fatalf("%d: the original: %v", i, err)
		}
		m.Close(ctx)
		var msg wire.Message
		if err := json.Unmarshal(out.Bytes(), &msg); err != nil {
			t.Fatalf("%d: the original's reply %q: %v", i, out.String(), err)
		}
		var want wire.RunResult
		json.Unmarshal(msg.Result, &want)
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Fatalf("%d: got %s, the original answered %s", i, gotJSON, wantJSON)
		}
	}
}

// No byte of one request's memory is visible to the next: a request
// stashes a pattern in 8 MiB of its memory, and the next requests, run
// one at a time and side by side, scan all of theirs for it. The control
// (stash and scan in one request) shows the scan finds it.
func TestMemoryNotSharedBetweenRequests(t *testing.T) {
	forms(t, hostileForms, func(t *testing.T, module []byte) {
		for _, prestart := range []int{-1, 2} {
			t.Run(fmt.Sprintf("prestart=%d", prestart), func(t *testing.T) { memoryNotShared(t, module, prestart) })
		}
	})
}

func memoryNotShared(t *testing.T, module []byte, prestart int) {
	r := newRuntimeWith(t, module, 0, 2, prestart)
	secret := map[string]string{"secret": "s3cr3t-of-request-one"}
	res, err := call(within(t, 60*time.Second), r, "stashscan", secret, "")
	if err != nil || len(res.Findings) != 1 || res.Findings[0].Message == "found 0" {
		t.Fatalf("control: %+v, %v; want the scan to find the stash", res, err)
	}
	t.Logf("control: %s", res.Findings[0].Message)
	for i := range 3 {
		if _, err := call(within(t, 60*time.Second), r, "stash", secret, ""); err != nil {
			t.Fatal(err)
		}
		res, err := call(within(t, 60*time.Second), r, "scan", secret, "")
		if err != nil || len(res.Findings) != 1 || res.Findings[0].Message != "found 0" {
			t.Fatalf("scan %d after a stash: %+v, %v", i, res, err)
		}
	}
}
