// Package plugin is the Go SDK for Scribe plugins: the wire types of protocol
// 1 and a server that speaks it over standard input and output. The same
// program serves both runtimes: built for the host (a process plugin, started
// once and sent many requests) or with GOOS=wasip1 GOARCH=wasm (a WebAssembly
// plugin, instantiated per request with that request on its standard input),
// best as a reactor module (-buildmode=c-shared).
//
// # Protocol
//
// JSON-RPC 2.0, one JSON object per line (UTF-8, '\n'-terminated). The host
// sends initialize ({"protocol": 1}) and expects {"protocol": 1, "actions":
// [...]} listing exactly the actions of the plugin's manifest; then run
// requests ({"action", "params", "file": {"path", "content", "front_matter"}}),
// each answered with {"content", "findings"} or a JSON-RPC error; finally the
// shutdown notification, after which the plugin exits (it is killed 2 s
// later). doc/PLUGINS.md is the full description; this package is one
// implementation of it, and plugins in any language may implement it
// directly.
//
// # Usage
//
// Register the actions in an init function and make Main the whole of main:
//
//	func init() {
//		plugin.Register(plugin.Actions{
//			"shout": func(ctx context.Context, req plugin.Request) (plugin.RunResult, error) {
//				s, _ := req.Content()
//				return plugin.NewContent(strings.ToUpper(s)), nil
//			},
//		}, plugin.Options{})
//	}
//
//	func main() { plugin.Main() }
//
// Built for the host, that is a process plugin; with GOOS=wasip1
// GOARCH=wasm, a WebAssembly command module; with GOOS=wasip1 GOARCH=wasm
// go build -buildmode=c-shared, a WebAssembly reactor module, which never
// runs main: it exports the runtime's _initialize, which runs the init
// functions, and this package's scribe_serve, which serves what Register
// recorded. Scribe runs _initialize once, keeps the instance's memory and
// globals as an image, and restores a fresh instance to it for each
// request, so that no request waits for the Go runtime's start.
//
// Serve takes the actions directly, for a main function of its own:
//
//	func main() {
//		err := plugin.Serve(plugin.Actions{
//			"shout": func(ctx context.Context, req plugin.Request) (plugin.RunResult, error) {
//				s, _ := req.Content()
//				return plugin.NewContent(strings.ToUpper(s)), nil
//			},
//		}, plugin.Options{})
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//	}
//
// Test a handler with Exchange, which runs one request through the real
// wire format.
//
// Scribe starts a WebAssembly instance ahead of its request, and the
// instance runs until it first reads standard input: set-up done before
// Serve (or in init functions) is then off the request's path. In a
// reactor, set-up done in init functions is in the image: done once, when
// the plugin loads.
//
// # Concurrency
//
// Serve reads requests in order and runs each on its own goroutine (at most
// Options.Concurrency at once, when set), so a plugin whose manifest says
// concurrency: 4 gets up to four handlers running together; replies are
// written whole, one line each, in the order handlers finish. Handlers must
// therefore be safe for concurrent use. Standard output belongs to the
// protocol: log to standard error, which the host logs line by line.
//
// This package uses only the standard library and compiles for wasip1.
package plugin
