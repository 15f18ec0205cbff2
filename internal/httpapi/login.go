package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Lifetimes and caps of dashboard logins.
const (
	// CodeTTL is how long a one-time login code may wait for its use: a
	// link is printed to be opened now; `scribe dashboard` prints another.
	CodeTTL = 15 * time.Minute
	// SessionTTL is how long a browser stays logged in. Sessions live in
	// the daemon's memory, so a restart ends them sooner.
	SessionTTL = 7 * 24 * time.Hour
	// maxLogins caps the codes and the sessions kept (each), so that a
	// caller minting codes in a loop cannot grow the daemon without bound;
	// the oldest is dropped first.
	maxLogins = 64
)

// Logins are the dashboard's credentials, Jupyter-style: a one-time login
// code in a URL (GET /?login=CODE) is exchanged once for a session cookie
// (HttpOnly, SameSite=Strict, Secure under TLS) that then authenticates the
// browser's requests. Codes and sessions are random 256-bit secrets; only
// their sha256 is kept, so comparing them takes no secret-dependent time.
//
// A Guard with Login set does the exchange and accepts the cookie. Logins are
// safe for concurrent use.
type Logins struct {
	cookie string
	secure bool
	now    func() time.Time

	mu       sync.Mutex
	codes    map[[sha256.Size]byte]time.Time // expiry
	sessions map[[sha256.Size]byte]time.Time // expiry
}

// NewLogins returns an empty set of logins whose session cookie has the
// given name. Cookies are not kept apart by port, so the name should say
// which daemon it is for (two daemons on one host must not share it); secure
// marks the cookie Secure (an HTTPS listener).
func NewLogins(cookie string, secure bool) *Logins {
	return &Logins{cookie: cookie, secure: secure, now: time.Now,
		codes: map[[sha256.Size]byte]time.Time{}, sessions: map[[sha256.Size]byte]time.Time{}}
}

// Code returns a new one-time login code, valid for CodeTTL.
func (l *Logins) Code() string {
	code := secret()
	l.mu.Lock()
	defer l.mu.Unlock()
	add(l.codes, sha256.Sum256([]byte(code)), l.now().Add(CodeTTL), l.now())
	return code
}

// LoginPath is the path and query that log a browser in with code.
func LoginPath(code string) string { return "/?" + url.Values{"login": {code}}.Encode() }

// Authenticate accepts a request that carries a live session cookie.
func (l *Logins) Authenticate(r *http.Request) bool {
	c, err := r.Cookie(l.cookie)
	if err != nil || c.Value == "" {
		return false
	}
	k := sha256.Sum256([]byte(c.Value))
	l.mu.Lock()
	defer l.mu.Unlock()
	exp, ok := l.sessions[k]
	if ok && !l.now().Before(exp) {
		delete(l.sessions, k)
		return false
	}
	return ok
}

var _ Authenticator = (*Logins)(nil)

// exchange handles GET /?login=CODE: a live code is spent and answered with
// a session cookie and a redirect to the same page without the code (so it
// stays out of the history and of what the page can leak); a spent, expired
// or unknown one with 403. It reports whether it answered the request.
func (l *Logins) exchange(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet || r.URL.Path != "/" || !r.URL.Query().Has("login") {
		return false
	}
	k := sha256.Sum256([]byte(r.URL.Query().Get("login")))
	now := l.now()
	l.mu.Lock()
	exp, ok := l.codes[k]
	delete(l.codes, k)
	var session string
	if ok && now.Before(exp) {
		session = secret()
		add(l.sessions, sha256.Sum256([]byte(session)), now.Add(SessionTTL), now)
	}
	l.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if session == "" {
		// A page, since a person opened the link in a browser.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, loginFailedPage, int(CodeTTL.Minutes()))
		return true
	}
	http.SetCookie(w, &http.Cookie{
		Name: l.cookie, Value: session, Path: "/",
		MaxAge: int(SessionTTL / time.Second), HttpOnly: true, Secure: l.secure,
		SameSite: http.SameSiteStrictMode,
	})
	q := r.URL.Query()
	q.Del("login")
	to := url.URL{Path: "/", RawQuery: q.Encode()}
	http.Redirect(w, r, to.String(), http.StatusSeeOther)
	return true
}

// Logout ends the session r carries, if any, and tells the browser to drop
// its cookie.
func (l *Logins) Logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(l.cookie); err == nil {
		l.mu.Lock()
		delete(l.sessions, sha256.Sum256([]byte(c.Value)))
		l.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: l.cookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: l.secure, SameSite: http.SameSiteStrictMode})
}

const loginFailedPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Scribe: login link spent</title></head>
<body><h1>This login link was used already or has expired</h1>
<p>A login link works once, within %d minutes. Run <code>scribe dashboard</code> for a new one,
or <a href="/">read the dashboard</a> without logging in.</p></body></html>
`

// add puts k in m, first dropping what expired and, when m is full, the entry
// that expires first.
func add(m map[[sha256.Size]byte]time.Time, k [sha256.Size]byte, exp, now time.Time) {
	for k, e := range m {
		if !now.Before(e) {
			delete(m, k)
		}
	}
	for len(m) >= maxLogins {
		var first [sha256.Size]byte
		var at time.Time
		for k, e := range m {
			if at.IsZero() || e.Before(at) {
				first, at = k, e
			}
		}
		delete(m, first)
	}
	m[k] = exp
}

// secret returns 256 random bits as hex.
func secret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
