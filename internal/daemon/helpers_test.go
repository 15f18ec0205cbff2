package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	_ "github.com/scribe-md/scribe/internal/action/builtin" // register the built-in actions
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/cli"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/httpapi"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/rule"
)

// todoRule turns "TODO: x" lines into tasks; it is idempotent.
const todoRule = `  - id: todo
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
`

// conf describes the scribe.yaml of a test environment. The root is the
// environment's vault/ directory and the state dir its state/ directory.
type conf struct {
	Workers  int               // engine.workers (default 2)
	Settle   string            // engine.settle (default 50ms)
	Listen   string            // http.listen (default 127.0.0.1:0)
	BusURL   string            // bus.url (default: embedded)
	Include  string            // include, a YAML flow list (default: the config default)
	Exclude  string            // exclude, a YAML flow list (default: none)
	Commands map[string]string // security.commands: name → absolute path
	Plugins  string            // plugins, a YAML flow list
	Rules    string            // the items of rules:, each line indented
	Engine   string            // more engine: keys, each line indented
	HTTP     string            // more http: keys, each line indented
}

func (c conf) yaml() string {
	var b strings.Builder
	b.WriteString("version: 1\nroots: [vault]\n")
	if c.Include != "" {
		fmt.Fprintf(&b, "include: %s\n", c.Include)
	}
	if c.Exclude != "" {
		fmt.Fprintf(&b, "exclude: %s\n", c.Exclude)
	}
	workers, settle, listen := c.Workers, c.Settle, c.Listen
	if workers == 0 {
		workers = 2
	}
	if settle == "" {
		settle = "50ms"
	}
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	fmt.Fprintf(&b, "engine:\n  workers: %d\n  settle: %s\n  max_wait: 2s\n  state_dir: state\n%s", workers, settle, c.Engine)
	fmt.Fprintf(&b, "bus:\n  url: %q\nhttp:\n  listen: %q\n%s", c.BusURL, listen, c.HTTP)
	if len(c.Commands) > 0 {
		b.WriteString("security:\n  commands:\n")
		for name, path := range c.Commands {
			fmt.Fprintf(&b, "    - name: %s\n      path: %s\n", name, path)
		}
	}
	if c.Plugins != "" {
		fmt.Fprintf(&b, "plugins: %s\n", c.Plugins)
	}
	b.WriteString("rules:\n")
	b.WriteString(c.Rules)
	return b.String()
}

// env is one test's world: a directory holding scribe.yaml, the root
// vault/ and the state dir state/ (journal, index, embedded NATS store).
type env struct {
	t       testing.TB
	dir     string
	vault   string
	cfgPath string
}

// newEnv writes the configuration and the files of the vault (paths
// relative to vault/, slash-separated).
func newEnv(t testing.TB, c conf, files map[string]string) *env {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	e := &env{t: t, dir: dir, vault: filepath.Join(dir, "vault"), cfgPath: filepath.Join(dir, "scribe.yaml")}
	must(t, os.MkdirAll(e.vault, 0o755))
	e.writeConfig(c.yaml())
	for rel, content := range files {
		e.write(rel, content)
	}
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// path returns the absolute path of a vault file.
func (e *env) path(rel string) string { return filepath.Join(e.vault, filepath.FromSlash(rel)) }

// write saves a vault file in place (truncate and write), creating its
// directory.
func (e *env) write(rel, content string) {
	e.t.Helper()
	p := e.path(rel)
	must(e.t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(e.t, os.WriteFile(p, []byte(content), 0o644))
}

// read returns a vault file's content.
func (e *env) read(rel string) string {
	e.t.Helper()
	b, err := os.ReadFile(e.path(rel))
	must(e.t, err)
	return string(b)
}

// writeConfig replaces scribe.yaml in place, as an editor saving it would.
func (e *env) writeConfig(yaml string) {
	e.t.Helper()
	must(e.t, os.WriteFile(e.cfgPath, []byte(yaml), 0o644))
}

// load reads and compiles the configuration the way the CLI does.
func load(path string) (*config.Config, *rule.Set, error) {
	cfg, rules, _, err := loadWithPlugins(path, nil)
	return cfg, rules, err
}

// loadWithPlugins is load with the configuration's plugins, reusing the
// unchanged ones of prev.
func loadWithPlugins(path string, prev *plugin.Set) (*config.Config, *rule.Set, *plugin.Set, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, nil, err
	}
	plugins, err := plugin.Load(cfg, plugin.Options{Previous: prev})
	if err != nil {
		return nil, nil, nil, err
	}
	cmds := map[string]string{}
	for _, c := range cfg.Security.Commands {
		cmds[c.Name] = c.Path
	}
	rules, err := rule.Compile(cfg, action.Build{
		ConfigDir: cfg.Dir,
		Commands:  cmds,
		Timeout:   cfg.Engine.ActionTimeout.Std(),
		Plugins:   plugins.Specs(),
	})
	if err != nil {
		plugins.Retire(context.Background(), prev)
		return nil, nil, nil, err
	}
	return cfg, rules, plugins, nil
}

// tool returns the absolute path of the program name, its links resolved
// (security.commands pins a binary), and skips the test without it.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("no %s program: %v", name, err)
	}
	p, err = filepath.EvalSymlinks(p)
	must(t, err)
	return p
}

// failingGate is a rule whose command fails on a FAIL line until flag
// exists, and then turns the line into FIXED, followed by todoRule; extra
// are more lines of the gate rule (on_error), each indented four spaces.
// With no retries, a dead letter at the first failure.
func failingGate(t testing.TB, extra string) (rules string, cmds map[string]string, flag string) {
	t.Helper()
	flag = filepath.Join(t.TempDir(), "fixed")
	rules = `  - id: gate
    match: '(?m)^FAIL$'
    actions:
      - exec: { command: [test, "-e", "` + flag + `"], files: false }
      - replace: { with: "FIXED" }
` + extra + todoRule
	return rules, map[string]string{"test": tool(t, "test")}, flag
}

// api talks to a daemon's HTTP API.
type api struct {
	t      testing.TB
	base   string       // http://host:port, https://host:port, http://localhost for a socket
	token  string       // the API token
	client *http.Client // sends the token with every request
	raw    *http.Client // sends what the request holds
}

// withToken adds the API token to requests that carry no Authorization.
type withToken struct {
	rt    http.RoundTripper
	token string
}

func (w withToken) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+w.token)
	}
	return w.rt.RoundTrip(req)
}

// readAPI returns an api for reads over TCP at base, without the token.
func readAPI(t testing.TB, base string) api {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	return api{t: t, base: base, client: c, raw: c}
}

// apiFor returns an api for the daemon d runs with cfg: over TCP, TLS or the
// unix socket of http.listen, with the token from the token file.
func apiFor(t testing.TB, cfg *config.Config, d *daemon.Daemon) api {
	t.Helper()
	tok, err := httpapi.ReadToken(cfg.TokenPath())
	must(t, err)
	// No idle connections, so that no transport goroutine outlives a
	// request (the leak checks would see it).
	tr := &http.Transport{DisableKeepAlives: true}
	a := api{t: t, base: "http://" + d.Addr(), token: string(tok),
		client: &http.Client{Transport: withToken{tr, string(tok)}, Timeout: 30 * time.Second},
		raw:    &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	switch {
	case cfg.SocketPath() != "":
		a.base = "http://localhost"
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", cfg.SocketPath())
		}
	case cfg.HTTP.TLS.Cert != "":
		pem, err := os.ReadFile(cfg.Abs(cfg.HTTP.TLS.Cert))
		must(t, err)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
		a.base = "https://" + d.Addr()
	}
	return a
}

func (a api) get(path string, out any) {
	a.t.Helper()
	resp, err := a.client.Get(a.base + path)
	must(a.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(a.t, err)
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			a.t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
}

func (a api) post(path string) {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.base+path, nil)
	must(a.t, err)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.client.Do(req)
	must(a.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("POST %s: %s: %s", path, resp.Status, body)
	}
}

// getStatus returns the HTTP status code of GET path (0 when unreachable).
func (a api) getStatus(path string) int {
	resp, err := a.client.Get(a.base + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (a api) status() daemon.Status {
	a.t.Helper()
	var st daemon.Status
	a.get("/api/v1/status", &st)
	return st
}

// history returns the journal entries of one vault file (abs path), newest
// first.
func (a api) history(abs string) []journal.Entry {
	a.t.Helper()
	var es []journal.Entry
	a.get("/api/v1/history?"+url.Values{"path": {abs}, "limit": {"10000"}}.Encode(), &es)
	return es
}

// metric returns the value of the sample of /metrics whose name and labels
// are exactly series (e.g. `scribe_dead_letters` or
// `scribe_files_processed_total{result="written",rule="todo"}`), or -1.
func (a api) metric(series string) float64 {
	a.t.Helper()
	resp, err := a.client.Get(a.base + "/metrics")
	must(a.t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			must(a.t, err)
			return v
		}
	}
	must(a.t, sc.Err())
	return -1
}

// events collects the daemon's /api/v1/events stream.
type events struct {
	mu   sync.Mutex
	list []daemon.Event
	done chan struct{} // closed when the stream ended
}

// subscribe opens the event stream and returns once the daemon has
// registered the subscription, so no later event is missed.
func subscribe(t testing.TB, a api) *events {
	t.Helper()
	resp, err := a.client.Get(a.base + "/api/v1/events")
	must(t, err)
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("GET /api/v1/events: %s", resp.Status)
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	// The server subscribes before it writes its first comment line.
	if _, err := br.ReadString('\n'); err != nil {
		resp.Body.Close()
		t.Fatalf("read event stream: %v", err)
	}
	ev := &events{done: make(chan struct{})}
	go func() {
		defer close(ev.done)
		defer resp.Body.Close()
		for {
			line, err := br.ReadBytes('\n')
			if data, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				var e daemon.Event
				if json.Unmarshal(data, &e) == nil {
					ev.mu.Lock()
					ev.list = append(ev.list, e)
					ev.mu.Unlock()
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ev
}

// count returns how many events so far satisfy match.
func (ev *events) count(match func(daemon.Event) bool) int {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	n := 0
	for _, e := range ev.list {
		if match(e) {
			n++
		}
	}
	return n
}

// find returns the events so far that satisfy match.
func (ev *events) find(match func(daemon.Event) bool) []daemon.Event {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var out []daemon.Event
	for _, e := range ev.list {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// processed matches the "processed" events of path.
func processed(path string) func(daemon.Event) bool {
	return func(e daemon.Event) bool { return e.Type == "processed" && e.Path == path }
}

// written matches the "processed" events of path that wrote it.
func written(path string) func(daemon.Event) bool {
	return func(e daemon.Event) bool { return e.Type == "processed" && e.Path == path && e.Written }
}

// running is a daemon started in-process on an env.
type running struct {
	api
	e      *env
	d      *daemon.Daemon
	ev     *events
	cancel context.CancelFunc
	done   chan struct{}
	runErr error
	took   time.Duration // how long Run took to return after cancel
	syncs  atomic.Int64
	once   sync.Once
}

// start runs a daemon on e and waits until it is ready (caught up). It is
// stopped when the test ends, if the test did not stop it.
func (e *env) start(tweak ...func(*daemon.Options)) *running {
	e.t.Helper()
	cfg, rules, plugins, err := loadWithPlugins(e.cfgPath, nil)
	must(e.t, err)
	ready := make(chan struct{})
	opts := daemon.Options{
		Config: cfg, Rules: rules, Plugins: plugins,
		Load: func(prev *plugin.Set) (*config.Config, *rule.Set, *plugin.Set, error) {
			return loadWithPlugins(e.cfgPath, prev)
		},
		Logger: bustest.Logger(e.t),
		Ready:  ready,
		Grace:  10 * time.Second,
	}
	for _, f := range tweak {
		f(&opts)
	}
	d, err := daemon.New(opts)
	must(e.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{e: e, d: d, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.runErr = d.Run(ctx)
	}()
	e.t.Cleanup(func() { r.stop() })
	select {
	case <-ready:
	case <-r.done:
		e.t.Fatalf("daemon exited before it was ready: %v", r.runErr)
	case <-time.After(60 * time.Second):
		e.t.Fatal("daemon not ready after 60 s")
	}
	r.api = apiFor(e.t, cfg, d)
	if code := r.getStatus("/readyz"); code != http.StatusOK {
		e.t.Fatalf("/readyz = %d after Ready was closed", code)
	}
	r.ev = subscribe(e.t, r.api)
	return r
}

// stop cancels the daemon, waits for Run and the event stream, and returns
// Run's error. Safe to call more than once.
func (r *running) stop() error {
	r.once.Do(func() {
		t0 := time.Now()
		r.cancel()
		select {
		case <-r.done:
		case <-time.After(60 * time.Second):
			r.e.t.Error("daemon did not stop within 60 s of cancel")
			return
		}
		r.took = time.Since(t0)
		if r.ev != nil {
			select {
			case <-r.ev.done:
			case <-time.After(10 * time.Second):
				r.e.t.Error("event stream still open 10 s after the daemon stopped")
			}
		}
	})
	return r.runErr
}

// sync writes a fresh sentinel document at the vault's top level and waits
// until it has been processed. With engine.workers 1 the queue is worked in
// order, so every change the watcher reported before the sentinel's has
// been processed too (and a change the engine's own write would have caused
// settles before the sentinel's, which is written later).
func (r *running) sync() {
	r.e.t.Helper()
	r.syncWithin(30 * time.Second)
}

// created waits until each file, created after the start, has been
// processed, then syncs. A sentinel alone is no barrier here: a file in a
// new folder is found by the folder's scan, which can come after a
// sentinel written in the root.
func (r *running) created(rels ...string) {
	r.e.t.Helper()
	for _, rel := range rels {
		poll.Until(r.e.t, 10*time.Second, rel+" processed", func() bool { return r.ev.count(processed(rel)) > 0 })
	}
	r.sync()
}

// syncWithin is sync with a deadline for a long queue.
func (r *running) syncWithin(timeout time.Duration) {
	r.e.t.Helper()
	name := fmt.Sprintf("sync-%d.md", r.syncs.Add(1))
	r.e.write(name, "sentinel\n")
	poll.Until(r.e.t, timeout, "sentinel "+name+" processed", func() bool { return r.ev.count(processed(name)) > 0 })
}

// freePort returns a TCP address on 127.0.0.1 that was free a moment ago,
// for configurations the CLI (which dials http.listen) must reach.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// scribe runs the command line in-process.
func scribe(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}
