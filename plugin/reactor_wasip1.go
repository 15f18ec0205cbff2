//go:build wasip1

package plugin

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// serveExport is the scribe_serve export of a WebAssembly reactor module
// (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared). Scribe runs the
// module's _initialize once, keeps the state it leaves, and calls
// scribe_serve in a fresh instance restored to that state for each
// request, with the request on standard input: it serves the actions
// Register recorded until standard input ends, and returns 0, or 1 after
// writing the error to standard error.
//
//go:wasmexport scribe_serve
func serveExport() int32 {
	err := serveRegistered()
	if !warmed {
		warmed = true
		warmUp()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// warmed is set by the first call of scribe_serve: the handshake, which
// Scribe sends in the instance whose image it then keeps.
var warmed bool

// warmUp serves one run request of a no-op action of its own (never one of
// the plugin's) through ServeIO, its reply discarded, so that what the run
// path sets up on first use (parser buffers, a goroutine's stack to reuse)
// is in the image every later instance starts from. It runs after the
// first scribe_serve, the handshake, so command modules and process
// plugins never pay for it. Measured in an instance restored without it,
// decoding and dispatching its first request took 146–187 µs, a second one
// 78–117.
func warmUp() {
	const line = `{"jsonrpc":"2.0","id":1,"method":"run","params":{"action":"warm-up","params":{},` +
		`"file":{"path":"a.md","content":"# A\n","front_matter":{"title":"A"}}}}` + "\n"
	noop := func(context.Context, Request) (RunResult, error) { return RunResult{}, nil }
	_ = ServeIO(context.Background(), strings.NewReader(line), io.Discard, Actions{"warm-up": noop}, Options{})
}
