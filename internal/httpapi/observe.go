package httpapi

import (
	"context"
	"net/http"
	"strconv"
)

// Observer is implemented by a Backend that keeps findings and dead letters
// worth listing: New then serves GET /api/v1/findings, GET
// /api/v1/deadletters and POST /api/v1/deadletters/retry.
type Observer interface {
	// Findings lists the current findings q selects.
	Findings(ctx context.Context, q FindingsQuery) (any, error)
	// DeadLetters lists the dead letters of rule (every rule when anyRule),
	// grouped, with at most limit of them one by one.
	DeadLetters(ctx context.Context, rule string, anyRule bool, limit int) (any, error)
	// RetryDeadLetters requeues the dead letters of rule, or all of them,
	// and says how many.
	RetryDeadLetters(ctx context.Context, rule string, all bool) (int, error)
}

// FindingsQuery is the query of GET /api/v1/findings: rule, severity, path
// (a file relative to its root, a directory ending in "/", or an absolute
// path), root, limit and offset.
type FindingsQuery struct {
	Rule, Severity, Path, Root string
	Limit, Offset              int
}

func serveObserver(mux *http.ServeMux, o Observer) {
	mux.HandleFunc("GET /api/v1/findings", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, err1 := atoiOr(q.Get("limit"))
		offset, err2 := atoiOr(q.Get("offset"))
		if err1 != nil || err2 != nil || limit < 0 || offset < 0 {
			writeError(w, http.StatusBadRequest, "limit and offset must be whole numbers")
			return
		}
		if sev := q.Get("severity"); sev != "" && sev != "error" && sev != "warning" && sev != "info" {
			writeError(w, http.StatusBadRequest, "severity must be error, warning or info")
			return
		}
		v, err := o.Findings(r.Context(), FindingsQuery{Rule: q.Get("rule"), Severity: q.Get("severity"), Path: q.Get("path"), Root: q.Get("root"), Limit: limit, Offset: offset})
		respond(w, v, err)
	})
	mux.HandleFunc("GET /api/v1/deadletters", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, err := atoiOr(q.Get("limit"))
		if err != nil || limit < 0 {
			writeError(w, http.StatusBadRequest, "limit must be a whole number")
			return
		}
		v, err := o.DeadLetters(r.Context(), q.Get("rule"), !q.Has("rule"), limit)
		respond(w, v, err)
	})
	mux.HandleFunc("POST /api/v1/deadletters/retry", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		all := q.Get("all") == "1" || q.Get("all") == "true"
		if all == q.Has("rule") {
			writeError(w, http.StatusBadRequest, "say which dead letters to retry: all=1, or rule=ID")
			return
		}
		n, err := o.RetryDeadLetters(r.Context(), q.Get("rule"), all)
		respond(w, map[string]any{"retried": n}, err)
	})
}

func atoiOr(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}
