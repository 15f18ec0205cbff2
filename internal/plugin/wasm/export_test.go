package wasm

import "github.com/tetratelabs/wazero/experimental"

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
