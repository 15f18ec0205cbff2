// Package httpapi serves the daemon's HTTP surface (SPEC §5): liveness,
// readiness, Prometheus metrics, a JSON status, a server-sent event stream of
// processing, pause/resume, and the journal (history, undo) and dead-letter
// retry that the CLI uses while a daemon holds the state.
//
// The package knows nothing of the engine: it talks to a Backend.
//
// # Concurrency
//
// Handlers run on net/http's goroutines and call the Backend concurrently. An
// event stream ends when its client goes away or the Backend closes the
// subscription.
package httpapi
