package dashboard

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scribe-md/scribe/internal/httpapi"
)

//go:embed assets
var assets embed.FS

// Options configure the dashboard.
type Options struct {
	// API serves every request the dashboard does not: the control API
	// (httpapi.New).
	API http.Handler
	// Activity feeds the activity chart and the rule counts.
	Activity *Activity
	// Writes gives the content of journaled writes, for their diffs.
	Writes Writes
	// Guard is the guard in front of the handler: the dashboard asks it
	// whether a request is logged in, and its Login (nil: none) mints
	// login codes.
	Guard *httpapi.Guard
}

// securityHeaders go on every page and asset: the page loads only its own
// scripts and styles and talks only to its own origin, no other site may
// frame it (its buttons change state), and no URL leaks in a Referer.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"X-Frame-Options":        "DENY",
	"Referrer-Policy":        "no-referrer",
	"Cache-Control":          "no-cache",
}

// Handler returns the dashboard in front of o.API: the page at /, its
// assets under /assets/, and the endpoints the page needs beyond the
// control API.
func Handler(o Options) http.Handler {
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(static)
	mux := http.NewServeMux()
	mux.Handle("/", o.API)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w)
		http.ServeFileFS(w, r, static, "index.html")
	})
	mux.Handle("GET /assets/", http.StripPrefix("/assets", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		setHeaders(w)
		files.ServeHTTP(w, r)
	})))
	mux.HandleFunc("GET /api/v1/activity", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, o.Activity.Snapshot(r.Context()))
	})
	mux.HandleFunc("GET /api/v1/history/{id}/diff", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "the write id must be a number")
			return
		}
		wr, err := o.Writes.Write(r.Context(), id)
		switch {
		case errors.Is(err, httpapi.ErrNotFound):
			writeError(w, http.StatusNotFound, err.Error())
		case err != nil:
			writeError(w, http.StatusInternalServerError, err.Error())
		default:
			writeJSON(w, http.StatusOK, diffOf(wr))
		}
	})
	mux.HandleFunc("GET /api/v1/session", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, Session{LoggedIn: o.Guard.Authenticated(r), Logins: o.Guard.Login != nil})
	})
	mux.HandleFunc("POST /api/v1/login", func(w http.ResponseWriter, r *http.Request) {
		if o.Guard.Login == nil {
			writeError(w, http.StatusNotFound, "this daemon has no dashboard logins: it listens on a unix socket")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, Login{Path: httpapi.LoginPath(o.Guard.Login.Code()), Expires: time.Now().Add(httpapi.CodeTTL).UTC()})
	})
	mux.HandleFunc("POST /api/v1/logout", func(w http.ResponseWriter, r *http.Request) {
		if o.Guard.Login != nil {
			o.Guard.Login.Logout(w, r)
		}
		writeJSON(w, http.StatusOK, Session{Logins: o.Guard.Login != nil})
	})
	return mux
}

// Session is the document of GET /api/v1/session.
type Session struct {
	// LoggedIn is true when the request carries credentials that allow
	// state changes (a session cookie, or the API token).
	LoggedIn bool `json:"logged_in"`
	// Logins is true when the daemon offers dashboard logins (TCP).
	Logins bool `json:"logins"`
}

// Login is the answer of POST /api/v1/login: a one-time login link.
type Login struct {
	// Path is the link's path and query, to append to the daemon's
	// address.
	Path    string    `json:"path"`
	Expires time.Time `json:"expires"`
}

func setHeaders(w http.ResponseWriter) {
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
