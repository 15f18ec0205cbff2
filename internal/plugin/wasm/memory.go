package wasm

import (
	"sync"

	"github.com/tetratelabs/wazero/experimental"
)

// Linear memory of an instance.
//
// wazero's default memory is a Go slice that grows by append: every
// memory.grow allocates a larger slice and copies the memory into it. A Go
// plugin's runtime grows its memory a dozen times while it starts (to
// ≈11 MiB), so a third of an instantiation went to allocating, clearing
// and copying. On Linux, instanceMemory instead reserves the instance's
// whole cap as one anonymous private mapping: growing is a longer slice of
// the same mapping (never a copy), the kernel hands out zeroed pages only
// where the guest touches them, and the mapping is unmapped as soon as the
// instance is done. A fresh mapping per instance keeps the isolation of a
// fresh instance per request: no byte of one request's memory is ever
// visible to the next.
//
// wazero calls Free when it closes the module, which may happen on another
// goroutine while the guest still runs (Runtime.Close ends running
// instances). Unmapping then would pull the memory from under running
// code, so Free does nothing: the Call that instantiated the module
// releases the memory once InstantiateModule has returned, when nothing
// can touch it any more.

// instanceMemory is the memory allocator of one instantiation.
type instanceMemory struct {
	mu       sync.Mutex
	mappings [][]byte // reservations to unmap in release
}

var _ experimental.MemoryAllocator = (*instanceMemory)(nil)

// Allocate reserves max bytes (the instance's memory cap). A reservation
// that fails falls back to a Go slice, wazero's own behaviour.
func (a *instanceMemory) Allocate(capacity, max uint64) experimental.LinearMemory {
	if b, err := reserve(max); err == nil {
		a.mu.Lock()
		a.mappings = append(a.mappings, b)
		a.mu.Unlock()
		return &mappedMemory{b: b}
	}
	return &sliceMemory{b: make([]byte, 0, capacity), max: max}
}

// release unmaps the memory; call it only after the instance has stopped.
func (a *instanceMemory) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, b := range a.mappings {
		unreserve(b)
	}
	a.mappings = nil
}

// mappedMemory is a linear memory in a reservation of its maximum size.
type mappedMemory struct{ b []byte }

func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.b)) {
		return nil
	}
	return m.b[:size:size]
}

func (m *mappedMemory) Free() {} // see release

// sliceMemory is wazero's default: a Go slice grown by append.
type sliceMemory struct {
	b   []byte
	max uint64
}

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if n := uint64(len(m.b)); size > n {
		m.b = append(m.b, make([]byte, size-n)...)
	}
	return m.b[:size]
}

func (m *sliceMemory) Free() {}
