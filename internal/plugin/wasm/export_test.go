package wasm

// Internals for the tests of package wasm_test.
var (
	MergeData       = mergeData
	ErrNotMergeable = errNotMergeable
)

// Waiting counts the pre-started instances waiting for a request.
func (r *Runtime) Waiting() int { return len(r.warmed) }
