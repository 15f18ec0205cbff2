package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Backend is what the API exposes.
type Backend interface {
	// Ready reports whether the daemon is watching and caught up.
	Ready() bool
	// Status returns a JSON-encodable status document.
	Status(ctx context.Context) any
	// Pause and Resume stop and restart processing.
	Pause()
	Resume()
	// Subscribe returns a stream of JSON-encoded events and a cancel func.
	Subscribe() (<-chan []byte, func())
	// History lists the engine's writes (path "" for all; run, when set,
	// those of one `scribe run`), newest first.
	History(ctx context.Context, path, run string, limit int) (any, error)
	// Undo restores the content before write id.
	Undo(ctx context.Context, id uint64, force bool) (any, error)
	// RetryDeadLetter puts a dead letter back on the queue.
	RetryDeadLetter(ctx context.Context, id uint64) error
}

// Explainer is implemented by a Backend that says what the rules do with
// one file and why (GET /api/v1/explain?path=PATH&origin=ORIGIN; path as
// for History, origin user by default). The answer runs the rules as a
// check would: nothing is written, but allow-listed commands and plugins
// run, so the request needs the token although it is a read (see Guard).
type Explainer interface {
	Explain(ctx context.Context, path, origin string) (any, error)
}

// ExplainPath is the explain endpoint's path.
const ExplainPath = "/api/v1/explain"

// Liveness is implemented by a Backend that can tell a live daemon from a
// wedged one: /healthz then answers 503 while Alive fails, and the same
// check gates systemd's watchdog pings.
type Liveness interface {
	Alive(ctx context.Context) error
}

// livenessTimeout bounds the check behind /healthz.
const livenessTimeout = 2 * time.Second

// ErrNotFound is returned by a Backend for an unknown id.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by a Backend when an operation would clobber data.
var ErrConflict = errors.New("conflict")

// ErrBadRequest is returned by a Backend for a request it cannot answer as
// asked (a path outside every root, an unknown origin).
var ErrBadRequest = errors.New("bad request")

// New returns the API handler. metrics serves /metrics.
func New(b Backend, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if l, ok := b.(Liveness); ok {
			ctx, cancel := context.WithTimeout(r.Context(), livenessTimeout)
			err := l.Alive(ctx)
			cancel()
			if err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintln(w, "not live:", err)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !b.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready: starting, catching up or shutting down")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, b.Status(r.Context()))
	})
	mux.HandleFunc("POST /api/v1/pause", func(w http.ResponseWriter, r *http.Request) {
		b.Pause()
		writeJSON(w, http.StatusOK, map[string]any{"paused": true})
	})
	mux.HandleFunc("POST /api/v1/resume", func(w http.ResponseWriter, r *http.Request) {
		b.Resume()
		writeJSON(w, http.StatusOK, map[string]any{"paused": false})
	})
	mux.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) { serveEvents(w, r, b) })
	mux.HandleFunc("GET /api/v1/history", func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		q := r.URL.Query()
		v, err := b.History(r.Context(), q.Get("path"), q.Get("run"), limit)
		respond(w, v, err)
	})
	mux.HandleFunc("GET "+ExplainPath, func(w http.ResponseWriter, r *http.Request) {
		ex, ok := b.(Explainer)
		if !ok {
			writeError(w, http.StatusNotFound, "this daemon does not explain files")
			return
		}
		q := r.URL.Query()
		if q.Get("path") == "" {
			writeError(w, http.StatusBadRequest, "path is missing: GET "+ExplainPath+"?path=FILE")
			return
		}
		v, err := ex.Explain(r.Context(), q.Get("path"), q.Get("origin"))
		respond(w, v, err)
	})
	mux.HandleFunc("POST /api/v1/undo/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "the write id must be a number")
			return
		}
		v, err := b.Undo(r.Context(), id, r.URL.Query().Get("force") == "1")
		respond(w, v, err)
	})
	mux.HandleFunc("POST /api/v1/deadletters/{id}/retry", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "the dead letter id must be a number")
			return
		}
		respond(w, map[string]any{"retried": id}, b.RetryDeadLetter(r.Context(), id))
	})
	if o, ok := b.(Observer); ok {
		serveObserver(mux, o)
	}
	return mux
}

func respond(w http.ResponseWriter, v any, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, v)
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, ErrBadRequest):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// serveEvents streams events as server-sent events, with a comment line every
// 15 s so proxies keep the connection open.
func serveEvents(w http.ResponseWriter, r *http.Request, b Backend) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	events, cancel := b.Subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": scribe events\n\n")
	fl.Flush()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keep.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			fl.Flush()
		case ev, ok := <-events:
			if !ok {
				return
			}
			fmt.Fprintf(w, "data: %s\n\n", ev)
			fl.Flush()
		}
	}
}
