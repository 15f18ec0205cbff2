// Package wasm runs WebAssembly plugins in wazero (pure Go, no cgo).
//
// A plugin's module is a WASI preview 1 command module, or a reactor that
// exports _initialize and scribe_serve (reactor.go). It is compiled once
// per runtime, through wazero's compilation cache in the state directory, so
// later starts only load the machine code. Each request gets a fresh
// instance with the request line on its standard input: a command module's
// runs _start, a reactor's is restored to the image of the state its
// _initialize left (run once, at load) and runs scribe_serve. The reply is
// the line it writes on standard output (capped at MaxReply).
//
// # Speed
//
// A Go-built command module starts the Go runtime in every instance; a
// reactor's instance starts from the image instead, which costs a copy of
// its non-zero pages (reactor.go). Three more things keep an instance's
// start short without sharing anything between requests: a command
// module's data segments are merged before it is compiled (segments.go),
// each instance's memory is a fresh mapping of its cap that grows without
// copying (memory.go), and an instance is started ahead of its request and
// waits for it in its first read of standard input (prestart.go). Each
// instance still serves exactly one request.
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
// Instances serving requests are bounded by an action.Pool of Instances
// slots; Prestart more may wait for a request, each on its own goroutine,
// started when the handshake passes and again after each call. A
// Runtime is safe for concurrent use; instances never share memory. Close
// ends the waiting instances and waits for their goroutines, then closes
// the runtime (ending running instances) and the cache; it succeeds even
// when ctx is done.
package wasm
