package wasm

import (
	"bytes"
	"context"

	"github.com/tetratelabs/wazero/experimental"
)

// Internals for the tests of package wasm_test.
var (
	MergeData       = mergeData
	ErrNotMergeable = errNotMergeable
)

// Waiting counts the pre-started instances waiting for a request.
func (r *Runtime) Waiting() int { return len(r.warmed) }

// Prestarting reports whether instances are started ahead.
func (r *Runtime) Prestarting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.noPrestart && r.cfg.Prestart > 0
}

// InstanceMemory returns the memory allocator of one instantiation and the
// function that unmaps its memory once the instance has stopped.
func InstanceMemory() (experimental.MemoryAllocator, func()) {
	m := &instanceMemory{}
	return m, m.release
}

// Internals of reactor modules.
var (
	RewriteReactor = func(module []byte) ([]byte, error) {
		re, err := rewriteReactor(module)
		if err != nil {
			return nil, err
		}
		return re.module, nil
	}
	ErrNotReactor = errNotReactor
)

// RunEmpty runs one instance as a call does, with an empty standard input.
func (r *Runtime) RunEmpty(ctx context.Context) error {
	rt, cm, err := r.prepare(ctx)
	if err != nil {
		return err
	}
	mem := &instanceMemory{}
	mod, err := r.start(experimental.WithMemoryAllocator(ctx, mem), rt, cm,
		r.moduleConfig(bytes.NewReader(nil), &capWriter{limit: r.cfg.MaxReply}, &lineLogger{log: r.log}))
	if mod != nil {
		mod.Close(ctx)
	}
	mem.release()
	return err
}
