// Package response reads one line of what a plugin wrote to its standard
// output as a protocol-1 reply (a JSON-RPC 2.0 response), for both runtimes,
// process and wasm, so that a plugin breaking the protocol is told the same
// thing whichever runtime runs it.
//
// Its errors quote the line (cut to 120 bytes, invalid UTF-8 replaced) and
// say what is wrong with it. A line that is not a JSON object at all is
// most often a plugin printing its own messages to standard output, which
// carries only replies: the error says so, and where such lines belong
// (standard error, which Scribe logs).
//
// Parse has no state and is safe for concurrent use.
package response
