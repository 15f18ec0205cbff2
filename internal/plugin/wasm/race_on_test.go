//go:build race

package wasm_test

// raceEnabled: the race detector multiplies memory use, so RSS bounds are
// reported, not asserted.
const raceEnabled = true
