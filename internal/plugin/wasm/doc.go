// Package wasm runs WebAssembly plugins in wazero (pure Go, no cgo).
//
// A plugin's module is a WASI preview 1 command module. It is compiled once
// per runtime, through wazero's compilation cache in the state directory, so
// later starts only load the machine code. Each request instantiates the
// module afresh with the request line on its standard input; the reply is
// the line it writes on standard output (capped at MaxReply).
//
// # Sandbox
//
// An instance gets no file system (no mounts at all, so every path
// operation fails), no environment variables, no arguments but the plugin's
// name, WASI preview 1 has no sockets, and the clocks and random source are
// wazero's defaults for guests. Memory is capped per instance
// (WithMemoryLimitPages): memory.grow past the cap fails, and a Go module
// dies of "out of memory". The call's deadline is enforced by closing the
// module when its context ends (WithCloseOnContextDone), which stops even a
// loop that never calls the host. A module that imports anything but
// wasi_snapshot_preview1 is refused at load: a capability Scribe does not
// provide is not granted. A handshake with another protocol version, or
// other actions than the manifest's, refuses the plugin.
//
// # Concurrency
//
// Instances are bounded by an action.Pool of Instances slots. A Runtime is
// safe for concurrent use; instances never share memory. Close closes the
// runtime (ending running instances) and the cache; it succeeds even when
// ctx is done.
package wasm
