package httpapi

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Guard is the access check in front of every endpoint (doc/SECURITY.md has
// the threat model). In order, a request is refused when:
//
//  1. its Host header names neither a loopback address, nor Hosts, nor (with
//     AnyIP) an IP address: 403. This defeats DNS rebinding, where a web page
//     reaches the daemon under the attacker's own domain name.
//  2. it is a cross-origin request from a browser that would change state
//     (net/http.CrossOriginProtection: Sec-Fetch-Site, else Origin against
//     Host): 403.
//  3. it needs credentials and none of Auth accepts it: 401. Every request
//     that is not GET, HEAD or OPTIONS needs them, and so does the explain
//     endpoint, which runs the rules (commands, plugins) and so is not left
//     to any web page's simple GET; with PrivateReads every request does
//     except /healthz and /readyz.
//
// The zero Guard accepts loopback Hosts only and refuses every state change.
type Guard struct {
	// Hosts are the host names or addresses, besides loopback ones, that a
	// request's Host may name: the host the daemon listens on.
	Hosts []string
	// AnyIP accepts a Host that is an IP address literal. A page cannot
	// rebind an address, only a name, so this is safe for a daemon that
	// listens on every interface and is reached by address.
	AnyIP bool
	// Auth are the accepted credentials; a request any of them accepts is
	// authenticated. The CLI uses a BearerToken; a dashboard would add a
	// session cookie here (obtained from a one-time login URL).
	Auth []Authenticator
	// PrivateReads makes reads need credentials too (a daemon reachable
	// from other machines).
	PrivateReads bool
	// TokenHint ends the 401 message: where a client finds the token.
	TokenHint string
}

// Authenticator accepts or rejects the credentials of a request.
type Authenticator interface {
	// Authenticate reports whether r carries valid credentials. It must not
	// leak, through timing, how close invalid credentials came.
	Authenticate(r *http.Request) bool
}

// BearerToken accepts "Authorization: Bearer TOKEN" carrying this token.
type BearerToken []byte

// Authenticate compares in constant time.
func (t BearerToken) Authenticate(r *http.Request) bool {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(t) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), t) == 1
}

var _ Authenticator = BearerToken(nil)

// Wrap returns next behind the guard.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.hostAllowed(r.Host) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("Host %q is not this daemon's address; use the address in http.listen or a loopback one (127.0.0.1, localhost)", r.Host))
			return
		}
		if err := cop.Check(r); err != nil {
			writeError(w, http.StatusForbidden, "cross-origin request refused: the API takes no state-changing request from a web page of another origin")
			return
		}
		if g.needsAuth(r) && !g.authenticated(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scribe"`)
			msg := "this request needs the daemon's API token (Authorization: Bearer TOKEN)"
			if r.Header.Get("Authorization") != "" {
				msg = "the API token is wrong"
			}
			if g.TokenHint != "" {
				msg += "; " + g.TokenHint
			}
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (g *Guard) needsAuth(r *http.Request) bool {
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions:
		return true
	case r.URL.Path == ExplainPath:
		return true
	}
	return g.PrivateReads && r.URL.Path != "/healthz" && r.URL.Path != "/readyz"
}

func (g *Guard) authenticated(r *http.Request) bool {
	for _, a := range g.Auth {
		if a.Authenticate(r) {
			return true
		}
	}
	return false
}

// hostAllowed reports whether a Host header names this daemon.
func (g *Guard) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return false
	}
	if IsLoopback(host) {
		return true
	}
	for _, h := range g.Hosts {
		if strings.EqualFold(strings.Trim(h, "[]"), host) {
			return true
		}
	}
	return g.AnyIP && net.ParseIP(host) != nil
}

// IsLoopback reports whether host is a loopback address or the name
// localhost (which resolvers must map to loopback, RFC 6761).
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
