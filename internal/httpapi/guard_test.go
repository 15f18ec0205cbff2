package httpapi

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestGuard(t *testing.T) {
	local := &Guard{Auth: []Authenticator{BearerToken(testToken)}}
	named := &Guard{Hosts: []string{"notes.lan"}, Auth: []Authenticator{BearerToken(testToken)}}
	exposed := &Guard{AnyIP: true, PrivateReads: true, Auth: []Authenticator{BearerToken(testToken)}}
	bearer := "Bearer " + testToken
	for _, tc := range []struct {
		name   string
		g      *Guard
		method string
		path   string
		host   string
		header map[string]string
		want   int
	}{
		{"loopback read", local, "GET", "/api/v1/status", "127.0.0.1:9469", nil, 200},
		{"localhost read", local, "GET", "/api/v1/status", "localhost:9469", nil, 200},
		{"localhost. read", local, "GET", "/api/v1/status", "LOCALHOST.:9469", nil, 200},
		{"IPv6 loopback read", local, "GET", "/api/v1/status", "[::1]:9469", nil, 200},
		{"127/8 read", local, "GET", "/api/v1/status", "127.0.0.2", nil, 200},
		{"rebound name", local, "GET", "/api/v1/status", "evil.example:9469", nil, 403},
		{"rebound name on port 80", local, "GET", "/api/v1/history", "evil.example", nil, 403},
		{"a name under localhost's look-alike", local, "GET", "/api/v1/status", "localhost.evil.example", nil, 403},
		{"no Host", local, "GET", "/api/v1/status", "", nil, 403},
		{"IP literal on a loopback listen", local, "GET", "/api/v1/status", "192.0.2.1", nil, 403},
		{"mutation without token", local, "POST", "/api/v1/pause", "127.0.0.1", nil, 401},
		{"mutation with token", local, "POST", "/api/v1/pause", "127.0.0.1", map[string]string{"Authorization": bearer}, 200},
		{"scheme is case-insensitive", local, "POST", "/api/v1/pause", "127.0.0.1", map[string]string{"Authorization": "bearer " + testToken}, 200},
		{"wrong token", local, "POST", "/api/v1/pause", "127.0.0.1", map[string]string{"Authorization": "Bearer " + testToken[1:] + "0"}, 401},
		{"token prefix", local, "POST", "/api/v1/pause", "127.0.0.1", map[string]string{"Authorization": "Bearer " + testToken[:32]}, 401},
		{"empty bearer", local, "POST", "/api/v1/pause", "127.0.0.1", map[string]string{"Authorization": "Bearer "}, 401},
		{"DELETE needs the token", local, "DELETE", "/api/v1/x", "127.0.0.1", nil, 401},
		{"foreign Origin, text/plain", local, "POST", "/api/v1/pause", "127.0.0.1:9469", map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain", "Authorization": bearer}, 403},
		{"cross-site fetch", local, "POST", "/api/v1/pause", "127.0.0.1:9469", map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": bearer}, 403},
		{"same-origin fetch", local, "POST", "/api/v1/pause", "127.0.0.1:9469", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:9469", "Authorization": bearer}, 200},
		{"typed in the address bar", local, "POST", "/api/v1/pause", "127.0.0.1:9469", map[string]string{"Sec-Fetch-Site": "none", "Authorization": bearer}, 200},
		{"configured name", named, "GET", "/api/v1/status", "NOTES.lan:9469", nil, 200},
		{"other name", named, "GET", "/api/v1/status", "other.lan:9469", nil, 403},
		{"exposed: health without token", exposed, "GET", "/healthz", "192.0.2.1:9469", nil, 200},
		{"exposed: readiness without token", exposed, "GET", "/readyz", "192.0.2.1:9469", nil, 200},
		{"exposed: read without token", exposed, "GET", "/api/v1/status", "192.0.2.1:9469", nil, 401},
		{"exposed: metrics without token", exposed, "GET", "/metrics", "[2001:db8::1]:9469", nil, 401},
		{"exposed: read with token", exposed, "GET", "/api/v1/status", "192.0.2.1:9469", map[string]string{"Authorization": bearer}, 200},
		{"exposed: rebound name", exposed, "GET", "/healthz", "evil.example:9469", nil, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			h := tc.g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { called = true }))
			req := httptest.NewRequest(tc.method, "http://x"+tc.path, nil)
			req.Host = tc.host
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d (%s), want %d", rec.Code, strings.TrimSpace(rec.Body.String()), tc.want)
			}
			if called != (tc.want == 200) {
				t.Fatalf("handler called = %v with status %d", called, rec.Code)
			}
			if tc.want == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
}

// The zero Guard refuses every state change: there is no credential.
func TestZeroGuard(t *testing.T) {
	h := (&Guard{}).Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("POST", "http://127.0.0.1/api/v1/pause", nil)
	req.Header.Set("Authorization", "Bearer ")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("zero Guard: %d, want 401", rec.Code)
	}
}

func TestToken(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "api-token")
	tok, created, err := LoadOrCreateToken(p)
	if err != nil || !created || len(tok) != 64 {
		t.Fatalf("first load: %q, created %v, %v; want a new 64-character token", tok, created, err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	again, created, err := LoadOrCreateToken(p)
	if err != nil || created || string(again) != string(tok) {
		t.Fatalf("second load: %q, created %v, %v; want the same token", again, created, err)
	}
	other, _, _ := LoadOrCreateToken(filepath.Join(dir, "other"))
	if string(other) == string(tok) {
		t.Fatal("two new tokens are equal")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the directory, want the two tokens and no temporary file", len(entries))
	}

	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		err           string
	}{
		{"readable by others", testToken, 0o644, "chmod 600"},
		{"readable by the group", testToken, 0o640, "chmod 600"},
		{"too short", "secret", 0o600, "shorter than 32"},
		{"a space inside", testToken[:20] + " " + testToken[20:], 0o600, "printable ASCII"},
		{"surrounded by white space", "\n  " + testToken + "\r\n", 0o600, ""},
	} {
		f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
		if err := os.WriteFile(f, []byte(tc.content), tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, tc.mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
		tok, _, err := LoadOrCreateToken(f)
		switch {
		case tc.err == "" && (err != nil || string(tok) != testToken):
			t.Errorf("%s: %q, %v; want the token", tc.name, tok, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.err)
		}
	}
	if _, _, err := LoadOrCreateToken(filepath.Join(dir, "missing", "api-token")); err == nil {
		t.Error("a token file in a missing directory was created")
	}
}
