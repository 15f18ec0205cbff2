// Package httpapi serves the daemon's HTTP surface (SPEC §5): liveness,
// readiness, Prometheus metrics, a JSON status, a server-sent event stream of
// processing, pause/resume, and the journal (history, undo) and dead-letter
// retry that the CLI uses while a daemon holds the state.
//
// A Backend that is also an Observer gets GET /api/v1/findings (filters
// and pages), GET /api/v1/deadletters (grouped) and POST
// /api/v1/deadletters/retry (all=1 or rule=ID).
//
// The package knows nothing of the engine: it talks to a Backend.
//
// # Access
//
// New returns the endpoints only; the daemon puts a Guard in front of them
// (doc/SECURITY.md has the threat model). The Guard refuses a Host header
// that does not name the daemon (DNS rebinding), a cross-origin
// state-changing request from a browser (net/http.CrossOriginProtection),
// and, without credentials, every request that is not GET, HEAD or OPTIONS
// (every one but /healthz and /readyz when the daemon is reachable from
// other machines). Credentials are Authenticators: the API token as a bearer
// token is the one there is; a dashboard's login cookie would be another.
// LoadOrCreateToken and ReadToken keep the token in its file (mode 0600).
//
// # Concurrency
//
// Handlers run on net/http's goroutines and call the Backend concurrently. An
// event stream ends when its client goes away or the Backend closes the
// subscription. A Guard must not be changed once Wrap was called.
package httpapi
