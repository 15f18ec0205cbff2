package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/httpapi"
	"github.com/scribe-md/scribe/internal/journal"
)

const token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// fakeWrites serves one write, id 1.
type fakeWrites struct{ w Write }

func (f fakeWrites) Write(_ context.Context, id uint64) (Write, error) {
	if id != 1 {
		return Write{}, fmt.Errorf("%w: no write %d in the journal", httpapi.ErrNotFound, id)
	}
	return f.w, nil
}

// server is the dashboard behind a guard with the token and logins, in
// front of an API that answers "api".
func server(t *testing.T) *httptest.Server {
	g := &httpapi.Guard{Auth: []httpapi.Authenticator{httpapi.BearerToken(token)}, Login: httpapi.NewLogins("scribe-test", false)}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "api") })
	before := "TODO: x <b>\n"
	wr := Write{Entry: journal.Entry{ID: 1, Path: "a.md", Rule: "todo", BeforeHash: journal.Hash([]byte(before)), AfterHash: "x"},
		Before: []byte(before), After: []byte("- [ ] x <b>\n"), AfterKnown: true}
	h := Handler(Options{API: api, Activity: NewActivity(func(context.Context) (int, error) { return 3, nil }), Writes: fakeWrites{wr}, Guard: g})
	srv := httptest.NewServer(g.Wrap(h))
	t.Cleanup(srv.Close)
	return srv
}

func request(t *testing.T, srv *httptest.Server, method, path, bearer string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestHandler(t *testing.T) {
	srv := server(t)
	for _, tc := range []struct {
		method, path, bearer string
		code                 int
		ctype, body          string
	}{
		{"GET", "/", "", 200, "text/html; charset=utf-8", "<title>Scribe</title>"},
		{"HEAD", "/", "", 200, "text/html; charset=utf-8", ""},
		{"GET", "/assets/app.js", "", 200, "text/javascript; charset=utf-8", "'use strict'"},
		{"GET", "/assets/style.css", "", 200, "text/css; charset=utf-8", ":focus-visible"},
		{"GET", "/assets/icon.svg", "", 200, "image/svg+xml", "<svg"},
		{"GET", "/assets/", "", 404, "", ""},
		{"GET", "/assets/nope.js", "", 404, "", ""},
		{"GET", "/api/v1/status", "", 200, "", "api"},
		{"POST", "/api/v1/pause", token, 200, "", "api"},
		{"GET", "/api/v1/activity", "", 200, "application/json", `"interval_seconds":5`},
		{"GET", "/api/v1/history/1/diff", "", 200, "application/json", `"diff":"--- a/a.md\n+++ b/a.md\n@@ -1 +1 @@\n-TODO: x \u003cb\u003e\n+- [ ] x \u003cb\u003e\n"`},
		{"GET", "/api/v1/history/2/diff", "", 404, "application/json", "no write 2"},
		{"GET", "/api/v1/history/x/diff", "", 400, "application/json", "must be a number"},
		{"GET", "/api/v1/session", "", 200, "application/json", `{"logged_in":false,"logins":true}`},
		{"GET", "/api/v1/session", token, 200, "application/json", `{"logged_in":true,"logins":true}`},
		{"POST", "/api/v1/login", "", 401, "application/json", "needs the daemon's API token"},
		{"POST", "/api/v1/login", token, 200, "application/json", `"path":"/?login=`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, body := request(t, srv, tc.method, tc.path, tc.bearer)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.ctype)
			}
			if !strings.Contains(body, tc.body) {
				t.Errorf("body %q does not hold %q", body, tc.body)
			}
			if tc.code == 200 && (tc.path == "/" || strings.HasPrefix(tc.path, "/assets/")) {
				for k, v := range securityHeaders {
					if got := resp.Header.Get(k); got != v {
						t.Errorf("%s: %q, want %q", k, got, v)
					}
				}
			}
		})
	}
}

// The link POST /api/v1/login returns logs a browser in, once.
func TestLoginEndpoint(t *testing.T) {
	srv := server(t)
	_, body := request(t, srv, "POST", "/api/v1/login", token)
	var l Login
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	resp, _ := request(t, srv, "GET", l.Path, "")
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("GET %s: %s, cookies %v; want a redirect with the session cookie", l.Path, resp.Status, resp.Cookies())
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/session", nil)
	req.AddCookie(resp.Cookies()[0])
	r2, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var s Session
	json.NewDecoder(r2.Body).Decode(&s)
	r2.Body.Close()
	if !s.LoggedIn {
		t.Error("the session cookie does not log the browser in")
	}
	if resp, _ := request(t, srv, "GET", l.Path, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("second use of the link: %s, want 403", resp.Status)
	}
}

// The page loads nothing from elsewhere, and its script never turns data
// into markup.
func TestAssetsSelfContained(t *testing.T) {
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(assets, "assets", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		for _, m := range url.FindAllString(string(b), -1) {
			if m != "http://www.w3.org" { // the SVG namespace, not a fetch
				t.Errorf("%s refers to %s: the dashboard must load nothing from elsewhere", p, m)
			}
		}
		if strings.HasSuffix(p, ".js") {
			for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
				if strings.Contains(string(b), bad) {
					t.Errorf("%s uses %s: data must go into the page as text", p, bad)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDiffOf(t *testing.T) {
	e := journal.Entry{ID: 4, Path: "n.md", BeforeHash: "b", AfterHash: "a"}
	for _, tc := range []struct {
		name       string
		w          Write
		diff, note string
	}{
		{"changed", Write{Entry: e, Before: []byte("x\n"), After: []byte("y\n"), AfterKnown: true}, "--- a/n.md\n+++ b/n.md\n@@ -1 +1 @@\n-x\n+y\n", ""},
		{"created", Write{Entry: journal.Entry{Path: "n.md", AfterHash: "a"}, Before: []byte{}, After: []byte("y\n"), AfterKnown: true}, "--- /dev/null\n+++ b/n.md\n@@ -0,0 +1 @@\n+y\n", ""},
		{"removed", Write{Entry: journal.Entry{Path: "n.md", BeforeHash: "b"}, Before: []byte("x\n"), After: []byte{}, AfterKnown: true}, "--- a/n.md\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n", ""},
		{"after unknown", Write{Entry: e, Before: []byte("x\n")}, "", "no longer holds the content the write left"},
		{"too large", Write{Entry: e, Before: make([]byte, maxDiffInput), After: []byte("y"), AfterKnown: true}, "", "too large to show"},
		{"same", Write{Entry: e, Before: []byte("x\n"), After: []byte("x\n"), AfterKnown: true}, "", "left the content as it was"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := diffOf(tc.w)
			if d.Diff != tc.diff || !strings.Contains(d.Note, tc.note) || (tc.note == "") != (d.Note == "") {
				t.Errorf("diff %q note %q; want %q and a note holding %q", d.Diff, d.Note, tc.diff, tc.note)
			}
		})
	}
}
