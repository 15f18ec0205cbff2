package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// loginWorld is a guarded handler with dashboard logins and a clock the test
// moves.
type loginWorld struct {
	t      *testing.T
	logins *Logins
	h      http.Handler
	now    time.Time
	called int
}

func newLoginWorld(t *testing.T, g *Guard, secure bool) *loginWorld {
	w := &loginWorld{t: t, now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	w.logins = NewLogins("scribe-9469", secure)
	w.logins.now = func() time.Time { return w.now }
	g.Login = w.logins
	w.h = g.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { w.called++ }))
	return w
}

// do sends a request from the dashboard's own page (same origin) with the
// given cookie value ("" for none).
func (w *loginWorld) do(method, target, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://127.0.0.1:9469"+target, nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "scribe-9469", Value: cookie})
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	return rec
}

// login exchanges code and returns the session cookie.
func (w *loginWorld) login(code string) *http.Cookie {
	w.t.Helper()
	rec := w.do("GET", LoginPath(code), "")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		w.t.Fatalf("login: %d to %q (%s), want 303 to /", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	cs := rec.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != "scribe-9469" || len(cs[0].Value) != 64 {
		w.t.Fatalf("login cookies %v, want one scribe-9469 session cookie", cs)
	}
	if h := rec.Header().Get("Cache-Control"); h != "no-store" {
		w.t.Errorf("login answer Cache-Control %q, want no-store", h)
	}
	return cs[0]
}

func TestLoginCookie(t *testing.T) {
	w := newLoginWorld(t, &Guard{Auth: []Authenticator{BearerToken(testToken)}}, false)
	code := w.logins.Code()
	if len(code) != 64 {
		t.Fatalf("code %q, want 64 hex characters", code)
	}
	if rec := w.do("POST", "/api/v1/pause", ""); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "scribe dashboard") {
		t.Fatalf("pause before login: %d %s; want 401 naming `scribe dashboard`", rec.Code, rec.Body.String())
	}
	c := w.login(code)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.MaxAge != int(SessionTTL/time.Second) {
		t.Errorf("cookie %+v; want HttpOnly, SameSite=Strict, Path=/, not Secure over HTTP, Max-Age of a session", c)
	}
	if w.called != 0 {
		t.Fatal("the login request reached the endpoints")
	}
	if rec := w.do("POST", "/api/v1/pause", c.Value); rec.Code != http.StatusOK || w.called != 1 {
		t.Fatalf("pause with the session cookie: %d %s", rec.Code, rec.Body.String())
	}
	if rec := w.do("POST", "/api/v1/pause", c.Value[1:]+"0"); rec.Code != http.StatusUnauthorized {
		t.Errorf("pause with a wrong cookie: %d, want 401", rec.Code)
	}

	// A cross-origin request is refused whatever it carries.
	req := httptest.NewRequest("POST", "http://127.0.0.1:9469/api/v1/pause", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("cross-site pause with the cookie: %d, want 403", rec.Code)
	}

	// The code works once.
	if rec := w.do("GET", LoginPath(code), ""); rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 || !strings.Contains(rec.Body.String(), "used already or has expired") {
		t.Errorf("second use of the code: %d, cookies %v, %s; want 403 and no cookie", rec.Code, rec.Result().Cookies(), rec.Body.String())
	}
	if rec := w.do("GET", LoginPath("0"+code[1:]), ""); rec.Code != http.StatusForbidden {
		t.Errorf("unknown code: %d, want 403", rec.Code)
	}
	// A login query on another path is no login: it goes to the endpoints.
	if rec := w.do("GET", "/api/v1/status?login="+w.logins.Code(), ""); rec.Code != http.StatusOK || len(rec.Result().Cookies()) != 0 {
		t.Errorf("login query on /api/v1/status: %d, cookies %v; want the endpoint and no cookie", rec.Code, rec.Result().Cookies())
	}

	// Codes and sessions expire.
	late := w.logins.Code()
	w.now = w.now.Add(CodeTTL)
	if rec := w.do("GET", LoginPath(late), ""); rec.Code != http.StatusForbidden {
		t.Errorf("expired code: %d, want 403", rec.Code)
	}
	w.now = w.now.Add(SessionTTL)
	if rec := w.do("POST", "/api/v1/pause", c.Value); rec.Code != http.StatusUnauthorized {
		t.Errorf("pause with an expired session: %d, want 401", rec.Code)
	}

	// Logout ends a session and clears the cookie.
	c = w.login(w.logins.Code())
	req = httptest.NewRequest("POST", "http://127.0.0.1:9469/logout", nil)
	req.AddCookie(c)
	rec = httptest.NewRecorder()
	w.logins.Logout(rec, req)
	if cs := rec.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("logout cookies %v, want the cookie deleted", cs)
	}
	if rec := w.do("POST", "/api/v1/pause", c.Value); rec.Code != http.StatusUnauthorized {
		t.Errorf("pause after logout: %d, want 401", rec.Code)
	}
}

// A daemon other machines reach needs credentials for reads: the login link
// itself is the credential, and the cookie then opens reads. Over HTTPS the
// cookie is Secure.
func TestLoginOnExposedDaemon(t *testing.T) {
	w := newLoginWorld(t, &Guard{AnyIP: true, PrivateReads: true, Auth: []Authenticator{BearerToken(testToken)}}, true)
	if rec := w.do("GET", "/", ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("dashboard without login: %d, want 401", rec.Code)
	}
	c := w.login(w.logins.Code())
	if !c.Secure {
		t.Error("session cookie over HTTPS is not Secure")
	}
	if rec := w.do("GET", "/api/v1/status", c.Value); rec.Code != http.StatusOK {
		t.Errorf("read with the session cookie: %d, want 200", rec.Code)
	}
	// The Host check comes first: a rebound name cannot log in.
	req := httptest.NewRequest("GET", "http://evil.example"+LoginPath(w.logins.Code()), nil)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
		t.Errorf("login under a foreign Host: %d, cookies %v; want 403 and no cookie", rec.Code, rec.Result().Cookies())
	}
}

// Minting codes in a loop keeps at most maxLogins of them: the oldest go.
func TestLoginCap(t *testing.T) {
	w := newLoginWorld(t, &Guard{}, false)
	first := w.logins.Code()
	var last string
	for range maxLogins {
		w.now = w.now.Add(time.Millisecond)
		last = w.logins.Code()
	}
	if n := len(w.logins.codes); n != maxLogins {
		t.Errorf("%d codes kept, want %d", n, maxLogins)
	}
	if rec := w.do("GET", LoginPath(first), ""); rec.Code != http.StatusForbidden {
		t.Errorf("the oldest code still works (%d) after %d newer ones", rec.Code, maxLogins)
	}
	w.login(last)
}

// The session cookie opens the explain endpoint, which needs credentials
// although it is a GET (it runs the rules), but only for a request from the
// daemon's own page or typed by the user: a page served on another port of
// the same host is same-site, so the browser sends it the cookie too.
func TestLoginCookieExplain(t *testing.T) {
	w := newLoginWorld(t, &Guard{Auth: []Authenticator{BearerToken(testToken)}}, false)
	c := w.login(w.logins.Code())
	explain := ExplainPath + "?path=a.md"
	if rec := w.do("GET", explain, ""); rec.Code != http.StatusUnauthorized || w.called != 0 {
		t.Fatalf("explain without the cookie: %d, want 401", rec.Code)
	}
	if rec := w.do("GET", explain, c.Value); rec.Code != http.StatusOK || w.called != 1 {
		t.Fatalf("explain from the page with the cookie: %d %s, want 200", rec.Code, rec.Body.String())
	}
	for _, tc := range []struct {
		site, origin string
		code         int
	}{
		{"none", "", http.StatusOK},                                     // typed in the address bar
		{"", "", http.StatusOK},                                         // a browser without fetch metadata, same origin
		{"", "http://127.0.0.1:9469", http.StatusOK},                    // same, with an Origin
		{"same-site", "http://127.0.0.1:8000", http.StatusUnauthorized}, // a page on another port
		{"cross-site", "https://evil.example", http.StatusUnauthorized}, // another site
		{"", "http://127.0.0.1:8000", http.StatusUnauthorized},          // another port, no fetch metadata
		{"same-origin", "http://127.0.0.1:9469", http.StatusOK},         // the dashboard
		{"same-site", "", http.StatusUnauthorized},                      // <img src> from another port
	} {
		req := httptest.NewRequest("GET", "http://127.0.0.1:9469"+explain, nil)
		if tc.site != "" {
			req.Header.Set("Sec-Fetch-Site", tc.site)
		}
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Errorf("explain with the cookie, Sec-Fetch-Site %q, Origin %q: %d, want %d", tc.site, tc.origin, rec.Code, tc.code)
		}
	}
	// The token works from anywhere the Host and cross-origin checks allow:
	// it is no ambient credential a browser adds by itself.
	req := httptest.NewRequest("GET", "http://127.0.0.1:9469"+explain, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("explain with the token: %d, want 200", rec.Code)
	}
}
