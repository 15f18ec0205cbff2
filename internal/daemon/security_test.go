package daemon_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/poll"
)

// request is one HTTP request a hostile client makes.
type request struct {
	name   string
	method string
	path   string
	host   string            // the Host header; "" keeps the real address
	header map[string]string // extra headers
	token  string            // "good" sends the daemon's token, another value itself, "" none
	want   int
}

// send makes the request with a's client and returns the status and body.
func (a api) send(rq request) (int, string) {
	a.t.Helper()
	req, err := http.NewRequest(rq.method, a.base+rq.path, strings.NewReader(""))
	must(a.t, err)
	if rq.host != "" {
		req.Host = rq.host
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	switch rq.token {
	case "":
	case "good":
		req.Header.Set("Authorization", "Bearer "+a.token)
	default:
		req.Header.Set("Authorization", rq.token)
	}
	resp, err := a.raw.Do(req)
	must(a.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// world is what a refused request must not change.
type world struct {
	paused      bool
	pauseFile   bool
	content     string
	history     int
	deadLetters int
	// deadLetterIDs changes when a dead letter is retried, even if the
	// retry fails again and makes a new one.
	deadLetterIDs string
}

func (r *running) world(rel string) world {
	r.e.t.Helper()
	st := r.status()
	_, err := os.Stat(filepath.Join(r.e.dir, "state", "paused"))
	ids := ""
	for _, dl := range st.DeadLetters {
		ids += strconv.FormatUint(dl.ID, 10) + " "
	}
	return world{paused: st.Paused, pauseFile: err == nil, content: r.e.read(rel),
		history: len(r.history(r.e.path(rel))), deadLetters: len(st.DeadLetters), deadLetterIDs: ids}
}

// prepare gives the daemon a write to undo, newer user edit on top of it
// (what a forced undo would destroy), and a dead letter; it returns the
// write's id.
func prepare(t *testing.T, r *running) uint64 {
	t.Helper()
	e := r.e
	e.write("notes/a.md", "TODO: the rule rewrites this\n")
	poll.Until(t, 10*time.Second, "notes/a.md rewritten", func() bool { return e.read("notes/a.md") == "- [ ] the rule rewrites this\n" })
	var hist []journal.Entry
	poll.Until(t, 10*time.Second, "the journal entry", func() bool {
		hist = r.history(e.path("notes/a.md"))
		return len(hist) == 1
	})
	e.write("notes/a.md", "the user's newer edit\n")
	e.write("bad.md", "FAIL\n")
	poll.Until(t, 30*time.Second, "a dead letter", func() bool { return len(r.status().DeadLetters) == 1 })
	r.sync()
	return hist[0].ID
}

// RELIABILITY H1: requests a web page or another machine could make are
// refused, 403 or 401, and change nothing: a foreign Origin (even with the
// token), Sec-Fetch-Site: cross-site, a foreign Host (DNS rebinding; reads
// too), no token, a wrong token. The same requests made properly succeed.
func TestAPIRefusesForeignRequests(t *testing.T) {
	t.Parallel()
	rules, cmds, _ := failingGate(t, "")
	e := newEnv(t, conf{Rules: rules, Commands: cmds}, nil)
	r := e.start()
	id := strconv.FormatUint(prepare(t, r), 10)
	dlID := strconv.FormatUint(r.status().DeadLetters[0].ID, 10)
	before := r.world("notes/a.md")

	evil := map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site"}
	mutations := []string{"/api/v1/pause", "/api/v1/undo/" + id + "?force=1", "/api/v1/deadletters/" + dlID + "/retry",
		"/api/v1/deadletters/retry?all=1", "/api/v1/deadletters/retry?rule=gate"}
	var reqs []request
	for _, p := range mutations {
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		reqs = append(reqs,
			request{"foreign Origin with the token", "POST", p, "", evil, "good", 403},
			request{"foreign Origin", "POST", p, "", evil, "", 403},
			request{"Sec-Fetch-Site: cross-site with the token", "POST", p, "", crossSite, "good", 403},
			request{"Sec-Fetch-Site: same-site with the token", "POST", p, "", map[string]string{"Sec-Fetch-Site": "same-site"}, "good", 403},
			request{"foreign Host with the token", "POST", p, "evil.example:9469", nil, "good", 403},
			request{"no token", "POST", p, "", nil, "", 401},
			request{"wrong token", "POST", p, "", nil, "Bearer " + strings.Repeat("0", 64), 401},
			request{"the token, but not as a bearer", "POST", p, "", nil, "Basic " + r.token, 401},
			request{"the token in the query", "POST", p + sep + "token=" + r.token, "", nil, "", 401},
		)
	}
	for _, p := range []string{"/api/v1/status", "/api/v1/history", "/api/v1/events", "/api/v1/findings", "/api/v1/deadletters", "/metrics", "/readyz"} {
		reqs = append(reqs, request{"DNS rebinding read", "GET", p, "evil.example:9469", nil, "", 403},
			request{"DNS rebinding read with a trailing dot", "GET", p, "evil.example.", nil, "", 403})
	}
	for _, rq := range reqs {
		if code, body := r.send(rq); code != rq.want {
			t.Errorf("%s %s (%s): %d %s, want %d", rq.method, rq.path, rq.name, code, strings.TrimSpace(body), rq.want)
		}
	}
	if after := r.world("notes/a.md"); after != before {
		t.Fatalf("refused requests changed the daemon or the vault:\nbefore %+v\nafter  %+v", before, after)
	}
	if n := r.ev.count(func(ev daemon.Event) bool { return ev.Type == "pause" }); n != 0 {
		t.Fatalf("%d pause events after refused requests", n)
	}

	// The checks refuse what they should and no more: loopback names,
	// a same-origin browser request and plain clients with the token pass.
	for _, rq := range []request{
		{"localhost", "GET", "/api/v1/status", "localhost:9469", nil, "", 200},
		{"loopback address", "GET", "/api/v1/status", "127.0.0.1", nil, "", 200},
		{"IPv6 loopback", "GET", "/api/v1/history", "[::1]:9469", nil, "", 200},
		{"same-origin page with the token", "POST", "/api/v1/pause", "", map[string]string{"Origin": r.base, "Sec-Fetch-Site": "same-origin"}, "good", 200},
		{"CLI-like client with the token", "POST", "/api/v1/resume", "", nil, "good", 200},
	} {
		if code, body := r.send(rq); code != rq.want {
			t.Errorf("%s %s (%s): %d %s, want %d", rq.method, rq.path, rq.name, code, strings.TrimSpace(body), rq.want)
		}
	}
	if got := e.read("notes/a.md"); got != "the user's newer edit\n" {
		t.Errorf("notes/a.md = %q; the user's edit was overwritten", got)
	}
}

// The unix socket is private to its user (mode 0600) and needs the token
// like TCP does; the CLI's status, pause, resume, undo and retry-dead-letter
// work over it. The token is kept across restarts, mode 0600, never logged.
func TestAPIOverUnixSocket(t *testing.T) {
	t.Parallel()
	rules, cmds, flag := failingGate(t, "")
	e := newEnv(t, conf{Listen: "unix:state/api.sock", Rules: rules, Commands: cmds}, nil)
	logs := &logBuffer{}
	r := e.start(func(o *daemon.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	sock := filepath.Join(e.dir, "state", "api.sock")
	fi, err := os.Stat(sock)
	must(t, err)
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: mode %v, want a socket with mode 0600", sock, fi.Mode())
	}
	id := prepare(t, r)
	before := r.world("notes/a.md")
	for _, rq := range []request{
		{"no token", "POST", "/api/v1/pause", "", nil, "", 401},
		{"wrong token", "POST", "/api/v1/pause", "", nil, "Bearer " + strings.Repeat("x", 64), 401},
		{"no token", "POST", "/api/v1/undo/" + strconv.FormatUint(id, 10) + "?force=1", "", nil, "", 401},
		{"foreign Host", "POST", "/api/v1/pause", "evil.example", nil, "good", 403},
		{"foreign Origin", "POST", "/api/v1/pause", "", map[string]string{"Origin": "https://evil.example"}, "good", 403},
	} {
		if code, body := r.send(rq); code != rq.want {
			t.Errorf("%s %s over the socket (%s): %d %s, want %d", rq.method, rq.path, rq.name, code, strings.TrimSpace(body), rq.want)
		}
	}
	if after := r.world("notes/a.md"); after != before {
		t.Fatalf("refused requests changed something:\nbefore %+v\nafter  %+v", before, after)
	}

	cli := func(args ...string) string {
		t.Helper()
		code, out, errOut := scribe(t, append(args, "-c", e.cfgPath)...)
		if code != 0 {
			t.Fatalf("scribe %s over the socket: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	if out := cli("pause"); !strings.Contains(out, "paused") {
		t.Errorf("scribe pause: %q", out)
	}
	if out := cli("status"); !strings.Contains(out, "paused by api") || !strings.Contains(out, "bad.md") {
		t.Errorf("scribe status while paused, with a dead letter:\n%s", out)
	}
	cli("resume")
	if st := r.status(); st.Paused {
		t.Errorf("still paused after scribe resume")
	}
	// Undo refuses to clobber the user's newer edit without --force, then
	// restores with it.
	if code, _, errOut := scribe(t, "undo", strconv.FormatUint(id, 10), "-c", e.cfgPath); code != 3 || !strings.Contains(errOut, "changed") {
		t.Errorf("undo over a newer edit: exit %d, %s", code, errOut)
	}
	cli("undo", "--force", strconv.FormatUint(id, 10))
	if got := e.read("notes/a.md"); got != "TODO: the rule rewrites this\n" {
		t.Errorf("after undo --force: %q", got)
	}
	must(t, os.WriteFile(flag, nil, 0o644))
	cli("retry-dead-letter", strconv.FormatUint(r.status().DeadLetters[0].ID, 10))
	poll.Until(t, 10*time.Second, "bad.md processed after the retry", func() bool { return e.read("bad.md") == "FIXED\n" })

	tokenFile := filepath.Join(e.dir, "state", "api-token")
	tfi, err := os.Stat(tokenFile)
	must(t, err)
	if tfi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %04o, want 0600", tokenFile, tfi.Mode().Perm())
	}
	if len(r.token) != 64 {
		t.Errorf("token of %d characters, want 64 (256 bits in hex)", len(r.token))
	}
	must(t, r.stop())
	if _, err := os.Lstat(sock); err == nil {
		t.Errorf("the socket %s outlived the daemon", sock)
	}
	r2 := e.start(func(o *daemon.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	if r2.token != r.token {
		t.Errorf("the token changed across a restart")
	}
	must(t, r2.stop())
	if strings.Contains(logs.String(), r.token) {
		t.Errorf("the token appears in the logs")
	}
	if !strings.Contains(logs.String(), "api-token") {
		t.Errorf("the first start did not log where it wrote the token:\n%s", logs.String())
	}
}

// A daemon that listens on every interface (with a token file, as the
// configuration then requires) says so in its log, asks for the token on
// reads too (but not for health checks), and answers a Host that is an IP
// address, which DNS rebinding cannot produce, but not a foreign name.
func TestAPIOnEveryInterface(t *testing.T) {
	t.Parallel()
	_, port, _ := net.SplitHostPort(freePort(t))
	e := newEnv(t, conf{Listen: "0.0.0.0:" + port, HTTP: "  token_file: secret/token\n", Rules: todoRule}, nil)
	must(t, os.Mkdir(filepath.Join(e.dir, "secret"), 0o700))
	logs := &logBuffer{}
	r := e.start(func(o *daemon.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	if !strings.Contains(logs.String(), "can be reached from other machines") {
		t.Errorf("no warning about the exposed listen address:\n%s", logs.String())
	}
	for _, rq := range []request{
		{"health", "GET", "/healthz", "", nil, "", 200},
		{"readiness", "GET", "/readyz", "", nil, "", 200},
		{"status without the token", "GET", "/api/v1/status", "", nil, "", 401},
		{"metrics without the token", "GET", "/metrics", "", nil, "", 401},
		{"events without the token", "GET", "/api/v1/events", "", nil, "", 401},
		{"status with the token", "GET", "/api/v1/status", "", nil, "good", 200},
		{"by an address of the machine", "GET", "/api/v1/history", "192.0.2.7:" + port, nil, "good", 200},
		{"by a foreign name", "GET", "/api/v1/status", "evil.example:" + port, nil, "good", 403},
	} {
		if code, body := r.send(rq); code != rq.want {
			t.Errorf("%s %s (%s): %d %s, want %d", rq.method, rq.path, rq.name, code, strings.TrimSpace(body), rq.want)
		}
	}
	if code, out, errOut := scribe(t, "status", "-c", e.cfgPath); code != 0 || !strings.Contains(out, "ready") {
		t.Errorf("scribe status against 0.0.0.0: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(logs.String(), r.token) {
		t.Errorf("the token appears in the logs")
	}
}

// The exposure rule holds on the address actually bound, so a configuration
// that bypassed the load-time check (or a host name that resolves outside)
// is refused at start, with the position of http.listen.
func TestExposedListenRefusedAtStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Rules: todoRule}, nil)
	cfg, rules, err := load(e.cfgPath)
	must(t, err)
	cfg.HTTP.Listen = "0.0.0.0:0"
	d, err := daemon.New(daemon.Options{Config: cfg, Rules: rules})
	must(t, err)
	err = d.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "can be reached from other machines") || !strings.Contains(err.Error(), "scribe.yaml:") {
		t.Fatalf("Run = %v, want the exposure refused with the file position", err)
	}
}

// A token file others may read is refused: the token may have leaked.
func TestExposedTokenFileRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Rules: todoRule}, nil)
	tokenFile := filepath.Join(e.dir, "state", "api-token")
	must(t, os.MkdirAll(filepath.Dir(tokenFile), 0o755))
	must(t, os.WriteFile(tokenFile, []byte(strings.Repeat("a", 64)+"\n"), 0o644))
	cfg, rules, err := load(e.cfgPath)
	must(t, err)
	d, err := daemon.New(daemon.Options{Config: cfg, Rules: rules})
	must(t, err)
	err = d.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+tokenFile) {
		t.Fatalf("Run = %v, want the readable token file refused with a chmod hint", err)
	}
}

// With http.tls the daemon serves HTTPS only, and the CLI trusts the
// configured (here self-signed) certificate.
func TestAPIOverTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Listen: freePort(t), HTTP: "  tls: { cert: cert.pem, key: key.pem }\n", Rules: todoRule}, nil)
	writeSelfSigned(t, filepath.Join(e.dir, "cert.pem"), filepath.Join(e.dir, "key.pem"))
	r := e.start()
	if !strings.HasPrefix(r.base, "https://") {
		t.Fatalf("base %s", r.base)
	}
	for _, cmd := range [][]string{{"pause"}, {"status"}, {"resume"}} {
		if code, out, errOut := scribe(t, append(cmd, "-c", e.cfgPath)...); code != 0 {
			t.Fatalf("scribe %s over TLS: exit %d\n%s%s", cmd[0], code, out, errOut)
		}
	}
	plain := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := plain.Get("http://" + strings.TrimPrefix(r.base, "https://") + "/api/v1/status")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP answered 200 on a TLS listener")
		}
	}
}

// writeSelfSigned writes a certificate for 127.0.0.1 and localhost.
func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "scribe test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
}

// logBuffer collects log lines from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
