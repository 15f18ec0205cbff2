package wasm

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
