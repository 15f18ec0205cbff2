// Package process runs process plugins: long-lived programs that speak the
// plugin protocol (JSON-RPC 2.0, one object per line) on their standard
// input and output.
//
// Instances are started through the command sandbox (sandbox.Runner.Start):
// command[0] allow-listed and checked against the identity recorded when the
// configuration loaded, no shell, the allow-listed environment only, the
// plugin folder as working directory (opened through os.Root), a process
// group of their own. Each instance is checked with the initialize
// handshake (a timeout, the protocol version and the action list); a
// mismatch refuses the plugin until it is reloaded.
//
// # Requests
//
// Call takes a slot of the runtime's action.Pool (instances × concurrency),
// picks the least busy running instance with a free slot, or starts one when
// all are busy and fewer than Instances run, and sends the request with a
// fresh id. Replies are matched to requests by id, so an instance with
// concurrency above 1 may answer in any order; a concurrency 1 plugin is the
// original engine's "sync plugin wrapped in a pool".
//
// # Failure
//
// What a plugin does wrong fails only the requests the instance held, never
// the caller: an instance that exits fails them with its exit status and its
// last lines on standard error; a request that outlives its deadline kills
// its instance (the whole process group) and fails what that instance held;
// a reply line longer than MaxReply, not JSON, not a JSON-RPC response or
// naming no request in flight ("out of order") breaks the stream, so the
// instance is killed too. An instance that ended on its own is counted
// (Restarts) and the next one starts after an exponential backoff (100 ms
// doubling to 30 s, reset by a successful reply); calls whose deadline ends
// before the backoff fail at once with the last error. Writing a request
// obeys the deadline as well, so a plugin that stops reading cannot block a
// worker. Standard error is logged line by line (lines capped at 4 KiB).
//
// # Concurrency
//
// Each instance owns three goroutines: a reply reader, a stderr reader and a
// supervisor that reaps the process, fails what it held and removes it. A
// Runtime is safe for concurrent use. Close sends the shutdown notification,
// closes standard input, waits up to ShutdownGrace, kills the group, and
// returns once every instance goroutine has ended; it is safe to repeat.
package process
