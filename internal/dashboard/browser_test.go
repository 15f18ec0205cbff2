package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/scribe-md/scribe/internal/cli"
	"github.com/scribe-md/scribe/internal/poll"
)

// requireChromium, when set (CI sets it), makes a missing Chromium fail the
// browser tests instead of skipping them.
const requireChromium = "SCRIBE_REQUIRE_CHROMIUM"

// chromiumPath returns the browser the tests drive: $SCRIBE_CHROMIUM, else
// Debian's chromium (or another Chromium or Chrome on PATH).
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SCRIBE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(requireChromium) != "" {
		t.Fatalf("no Chromium on PATH and %s is set: install it (apt-get install chromium)", requireChromium)
	}
	t.Skip("no Chromium on PATH (apt-get install chromium); the browser tests skip")
	return ""
}

// browser is one headless Chromium shared by the tests; each test gets its
// own tab in its own browser context (cookies included).
var browser struct {
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
	profile string
	err     error
}

// closeBrowser stops the browser, if a test started it (TestMain).
func closeBrowser() {
	if browser.cancel != nil {
		browser.cancel()
		os.RemoveAll(browser.profile)
	}
}

// page is one browser tab on the dashboard.
type page struct {
	t   testing.TB
	ctx context.Context

	mu      sync.Mutex
	console []string // errors and exceptions the page reported
}

// openPage opens a tab of width×height pixels and collects what the page
// writes to the console at error level, its uncaught exceptions and the
// browser's errors about it (failed loads, refused content).
func openPage(t testing.TB, width, height int64) *page {
	t.Helper()
	exe := chromiumPath(t)
	browser.once.Do(func() {
		browser.profile, browser.err = os.MkdirTemp("", "scribe-chromium-")
		if browser.err != nil {
			return
		}
		actx, acancel := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(exe),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true), // containers with a small /dev/shm
			chromedp.UserDataDir(browser.profile),
			chromedp.WindowSize(1280, 800),
		)
		bctx, bcancel := chromedp.NewContext(actx)
		browser.ctx = bctx
		browser.cancel = func() { bcancel(); acancel() }
		browser.err = chromedp.Do(bctx) // starts the browser
	})
	if browser.err != nil {
		t.Fatalf("start %s: %v", exe, browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	p := &page{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				p.mu.Lock()
				p.console = append(p.console, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				p.mu.Unlock()
			}
		}
	})
	t.Cleanup(func() {
		cancel() // closes the tab, which ends the console's iteration
		wg.Wait()
	})
	p.do(chromedp.EmulateViewport(width, height))
	return p
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

// eval returns the value of a JavaScript expression.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// wait polls a JavaScript expression in the page until it is true.
func (p *page) wait(within time.Duration, what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, within+time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(within)))
	if err != nil {
		p.t.Fatalf("waiting %v for %s (%s): %v\nnotice: %s\npage: %s", within, what, expr, err,
			eval[string](p, "(n => (n.hidden ? '(hidden) ' : '') + n.textContent)(document.getElementById('notice'))"),
			eval[string](p, "document.querySelector('main').innerText.slice(0, 3000)"))
	}
}

// click clicks the middle of the element a CSS selector names, as a mouse
// does. The page may move under the pointer between the look and the click:
// the live stream adds a row that shifts the lists below it, or a list is
// rendered again with new nodes. A guard in the page stops a click that would
// land on anything but the element the selector names at that moment, before
// a handler of the page sees it, and the click is tried again on a fresh look.
// A test's click thus never reaches another button, and a click that only
// moved with the page is not reported as the page failing to answer it.
func (p *page) click(sel string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for try := 1; ; try++ {
		at := eval[*struct{ X, Y float64 }](p, `(`+aimClick+`)(`+jsString(sel)+`)`)
		if at != nil {
			p.do(chromedp.MouseClickXY(at.X, at.Y))
			if eval[bool](p, `window.scribeTestClick.landed === true`) {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("click %s: %d tries, none landed on it (last: %s)", sel, try,
				eval[string](p, `(window.scribeTestClick && window.scribeTestClick.hit) || 'no such visible element'`))
		}
		time.Sleep(10 * time.Millisecond) // the page settles
	}
}

// aimClick scrolls the element a selector names into view and returns the
// middle of it, or null when the element is missing, hidden or covered there.
// It arms the guard click relies on: capture listeners on the window, which
// run before any of the page's, stop every event of the next click whose
// target is outside the element the selector names when the event comes,
// and record whether the click landed.
const aimClick = `(sel) => {
	const el = document.querySelector(sel);
	if (el === null) return null;
	el.scrollIntoView({block: 'center', inline: 'center'});
	const r = el.getBoundingClientRect();
	const x = r.left + r.width / 2, y = r.top + r.height / 2;
	const hit = document.elementFromPoint(x, y);
	if (r.width === 0 || r.height === 0 || hit === null || !el.contains(hit)) return null;
	const state = {landed: false, hit: ''};
	const types = ['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click'];
	const guard = (ev) => {
		const now = document.querySelector(sel);
		if (now !== null && now.contains(ev.target)) {
			if (ev.type === 'click') state.landed = true;
		} else {
			ev.preventDefault();
			ev.stopImmediatePropagation();
			state.hit = ev.target.outerHTML.slice(0, 200);
		}
		if (ev.type === 'click') types.forEach((t) => window.removeEventListener(t, guard, true));
	};
	if (window.scribeTestClick) window.scribeTestClick.disarm();
	state.disarm = () => types.forEach((t) => window.removeEventListener(t, guard, true));
	window.scribeTestClick = state;
	types.forEach((t) => window.addEventListener(t, guard, true));
	return {x, y};
}`

// noConsoleErrors fails the test if the page reported an error.
func (p *page) noConsoleErrors() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.console {
		p.t.Errorf("console: %s", m)
	}
}

// daemon is `scribe watch` run in-process, as a user runs it, on a vault of
// its own.
type daemon struct {
	t      testing.TB
	dir    string // holds scribe.yaml, vault/ and state/
	vault  string
	cfg    string
	base   string // http://127.0.0.1:PORT
	login  string // the login link `scribe watch` printed
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

// syncBuffer is a bytes.Buffer safe for the daemon to write while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// todoRule turns "TODO: x" lines into tasks.
const todoRule = `  - id: todo
    name: TODO lines become tasks
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
`

// startDaemon writes scribe.yaml with rules (items of rules:) and the
// vault's files, runs `scribe watch` and waits until it is ready.
func startDaemon(t testing.TB, rules, security string, files map[string]string) *daemon {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	d := &daemon{t: t, dir: dir, vault: filepath.Join(dir, "vault"), cfg: filepath.Join(dir, "scribe.yaml"), stderr: &syncBuffer{}, done: make(chan int, 1)}
	must(t, os.MkdirAll(d.vault, 0o755))
	for rel, content := range files {
		d.write(rel, content)
	}
	cfg := "version: 1\nroots: [vault]\nengine:\n  workers: 2\n  settle: 50ms\n  max_wait: 2s\n  state_dir: state\n" +
		"http:\n  listen: " + freePort(t) + "\n" + security + "rules:\n" + rules
	must(t, os.WriteFile(d.cfg, []byte(cfg), 0o644))
	d.run()
	return d
}

// startDaemonWith runs `scribe watch` with the configuration file cfg,
// whose root is vault.
func startDaemonWith(t testing.TB, cfg, vault string) *daemon {
	d := &daemon{t: t, dir: filepath.Dir(cfg), vault: vault, cfg: cfg, stderr: &syncBuffer{}, done: make(chan int, 1)}
	d.run()
	return d
}

// run runs `scribe watch` and waits until it is ready.
func (d *daemon) run() {
	t := d.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go func() {
		d.done <- cli.Main(ctx, []string{"watch", "-c", d.cfg}, strings.NewReader(""), io.Discard, d.stderr)
	}()
	t.Cleanup(d.stop)
	link := regexp.MustCompile(`dashboard at (http://127\.0\.0\.1:\d+)(/\?login=[0-9a-f]{64}) `)
	poll.Until(t, 30*time.Second, "the dashboard's login link on stderr", func() bool {
		m := link.FindStringSubmatch(d.stderr.String())
		if m != nil {
			d.base, d.login = m[1], m[1]+m[2]
		}
		return m != nil
	})
	poll.Until(t, 60*time.Second, "the daemon ready", func() bool {
		resp, err := http.Get(d.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// stop stops the daemon and checks it exited cleanly.
func (d *daemon) stop() {
	d.cancel()
	select {
	case code := <-d.done:
		if code != 0 {
			d.t.Errorf("scribe watch exited %d:\n%s", code, d.stderr.String())
		}
		d.done <- code // for a second stop
	case <-time.After(30 * time.Second):
		d.t.Error("scribe watch still running 30 s after its context ended")
	}
}

func (d *daemon) path(rel string) string { return filepath.Join(d.vault, filepath.FromSlash(rel)) }

func (d *daemon) write(rel, content string) {
	d.t.Helper()
	must(d.t, os.MkdirAll(filepath.Dir(d.path(rel)), 0o755))
	must(d.t, os.WriteFile(d.path(rel), []byte(content), 0o644))
}

func (d *daemon) read(rel string) string {
	d.t.Helper()
	b, err := os.ReadFile(d.path(rel))
	must(d.t, err)
	return string(b)
}

// status reads GET /api/v1/status.
func (d *daemon) status() map[string]any {
	d.t.Helper()
	resp, err := http.Get(d.base + "/api/v1/status")
	must(d.t, err)
	defer resp.Body.Close()
	var st map[string]any
	must(d.t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

// freePort returns a TCP address on 127.0.0.1 that was free a moment ago:
// the CLI (`scribe dashboard`) dials the http.listen of the configuration.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// eventRow is a selector for the live stream's row of a processed file.
func eventRow(path, result string) string {
	return `tr[data-type="processed"][data-path=` + jsString(path) + `][data-result="` + result + `"]`
}

// The dashboard loads without a login, shows the daemon's state and rules,
// offers no button that would be refused, and reports no console error.
func TestDashboardLoads(t *testing.T) {
	d := startDaemon(t, todoRule, "", map[string]string{"a.md": "TODO: first\n"})
	p := openPage(t, 1280, 800)
	p.do(chromedp.Navigate(d.base + "/"))
	p.wait(10*time.Second, "the state", `document.getElementById('state').textContent === 'Watching'`)
	p.wait(10*time.Second, "the rule listed with its count", `(() => {
		const r = document.querySelector('#rule-table tr[data-rule="todo"]');
		return r && r.cells[1].textContent === '1' && r.cells[3].textContent === 'closed';
	})()`)
	p.wait(10*time.Second, "the catch-up's write in the history", `document.querySelector('#writes li[data-path="a.md"]') !== null`)
	if !eval[bool](p, `!document.getElementById('readonly').hidden && document.getElementById('pause').disabled && document.querySelector('#writes button.undo').disabled`) {
		t.Error("without a login the page must say it is read-only and disable its buttons")
	}
	if got := eval[string](p, `document.title`); got != "Scribe" {
		t.Errorf("title %q", got)
	}
	p.noConsoleErrors()
}

// The one-time link logs the browser in and is spent; the buttons then work.
func TestLoginLink(t *testing.T) {
	d := startDaemon(t, todoRule, "", nil)
	p := openPage(t, 1280, 800)
	p.do(chromedp.Navigate(d.login))
	p.wait(10*time.Second, "logged in", `document.getElementById('readonly').hidden && !document.getElementById('pause').disabled`)
	if u := eval[string](p, `location.href`); u != d.base+"/" {
		t.Errorf("after login the page is at %s, want %s/ (the code out of the address bar)", u, d.base)
	}
	if c := eval[string](p, `document.cookie`); c != "" {
		t.Errorf("the page's script can read cookies %q; the session cookie must be HttpOnly", c)
	}
	p.noConsoleErrors()

	// A second use is refused; the session is unaffected.
	resp, err := http.Get(d.login)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "scribe dashboard") {
		t.Errorf("second use of the login link: %s %s; want 403 naming `scribe dashboard`", resp.Status, body)
	}

	// `scribe dashboard` prints a fresh link.
	var out, errOut bytes.Buffer
	if code := cli.Main(context.Background(), []string{"dashboard", "-c", d.cfg}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("scribe dashboard: exit %d: %s", code, errOut.String())
	}
	fresh := strings.TrimSpace(out.String())
	if !regexp.MustCompile(`^`+regexp.QuoteMeta(d.base)+`/\?login=[0-9a-f]{64}$`).MatchString(fresh) || fresh == d.login {
		t.Fatalf("scribe dashboard printed %q, want a new link to %s", fresh, d.base)
	}
	q := openPage(t, 1280, 800)
	q.do(chromedp.Navigate(fresh))
	q.wait(10*time.Second, "logged in with the new link", `document.getElementById('readonly').hidden && !document.getElementById('logout').hidden`)
	q.click("#logout")
	q.wait(10*time.Second, "logged out", `!document.getElementById('readonly').hidden && document.getElementById('pause').disabled`)
	q.noConsoleErrors()
}

// An edit on disk appears in the live stream within a second, with its
// rule, result and duration.
func TestLiveStream(t *testing.T) {
	d := startDaemon(t, todoRule, "", nil)
	p := openPage(t, 1280, 800)
	p.do(chromedp.Navigate(d.base + "/"))
	p.wait(10*time.Second, "the state", `document.getElementById('state').textContent === 'Watching'`)
	// The stream is open once the page has loaded its first state.
	p.wait(10*time.Second, "the event stream open", `document.getElementById('rule-table').tBodies[0].rows.length === 1`)

	wrote := time.Now()
	d.write("live.md", "TODO: watch me\n")
	row := eventRow("live.md", "written")
	p.wait(10*time.Second, "live.md in the live stream", `document.querySelector(`+jsString(row)+`) !== null`)
	arrived := eval[int64](p, `Number(document.querySelector(`+jsString(row)+`).dataset.arrived)`)
	latency := time.UnixMilli(arrived).Sub(wrote)
	t.Logf("edit on disk to its row in the live stream: %v", latency)
	if latency > time.Second {
		t.Errorf("the edit took %v to appear in the live stream, want under a second", latency)
	}
	cells := eval[[]string](p, `Array.from(document.querySelector(`+jsString(row)+`).cells, c => c.textContent)`)
	if len(cells) != 5 || cells[2] != "todo" || cells[3] != "written" || !regexp.MustCompile(`^[0-9.]+ ms$`).MatchString(cells[4]) {
		t.Errorf("row %q; want the file, the rule todo, written and a duration in ms", cells)
	}
	p.wait(10*time.Second, "the chart drawn", `document.querySelectorAll('#chart rect.bar').length > 0`)
	p.noConsoleErrors()
}

// The history shows the diff of a write (as text, whatever the note holds)
// and its undo button restores the file.
func TestUndoButton(t *testing.T) {
	d := startDaemon(t, todoRule, "", nil)
	p := openPage(t, 1280, 800)
	p.do(chromedp.Navigate(d.login))
	p.wait(10*time.Second, "logged in", `document.getElementById('readonly').hidden`)

	const before = "TODO: <img src=x onerror=\"document.title='pwned'\"> & <b>bold</b>\n"
	d.write("note.md", before)
	poll.Until(t, 10*time.Second, "note.md written by the rule", func() bool { return strings.HasPrefix(d.read("note.md"), "- [ ] ") })
	item := `#writes li[data-path="note.md"]`
	p.wait(10*time.Second, "the write in the history", `document.querySelector(`+jsString(item)+`) !== null`)

	p.click(item + " button.diff-toggle")
	pre := item + " pre.diff"
	p.wait(10*time.Second, "the diff shown", `document.querySelector(`+jsString(pre)+`) !== null`)
	diff := eval[string](p, `document.querySelector(`+jsString(pre)+`).textContent`)
	if !strings.Contains(diff, "-"+strings.TrimSuffix(before, "\n")) || !strings.Contains(diff, "+- [ ] <img src=x") {
		t.Errorf("diff shown:\n%s\nwant the TODO line removed and the task added, as text", diff)
	}
	if n := eval[int](p, `document.querySelectorAll('#writes img, #writes b').length`); n != 0 {
		t.Errorf("the note's markup became %d elements of the page; data must be shown as text", n)
	}
	if expanded := eval[string](p, `document.querySelector(`+jsString(item+" button.diff-toggle")+`).getAttribute('aria-expanded')`); expanded != "true" {
		t.Errorf("diff toggle aria-expanded = %q, want true", expanded)
	}

	p.click(item + " button.undo")
	// The page's answer first: done, refused ("Undo of #…") or failed
	// ("Undo: …"), which the failure shows; a timeout here prints the page
	// and the notice (a click that never reached the button shows none).
	p.wait(10*time.Second, "the undo's notice", `/^(Undid write|Undo of|Undo:)/.test(document.getElementById('notice').textContent)`)
	if n := eval[string](p, `document.getElementById('notice').textContent`); !strings.HasPrefix(n, "Undid write") {
		t.Fatalf("undo not done: %s", n)
	}
	for deadline := time.Now().Add(10 * time.Second); d.read("note.md") != before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("note.md not restored 10 s after the undo was confirmed; it holds %q", d.read("note.md"))
		}
	}
	p.wait(10*time.Second, "the undo in the history", `document.querySelector('#writes li[data-path="note.md"] .meta').textContent.includes('undo of #')`)
	if title := eval[string](p, `document.title`); title != "Scribe" {
		t.Errorf("title %q: the note's markup ran", title)
	}
	p.noConsoleErrors()
}

// The retry button puts a dead letter back on the queue.
func TestRetryButton(t *testing.T) {
	testBin, err := exec.LookPath("test")
	if err != nil {
		t.Skip("no test(1) program:", err)
	}
	testBin, err = filepath.EvalSymlinks(testBin)
	must(t, err)
	// The gate rule's command succeeds only once the flag file exists.
	flagFile := filepath.Join(t.TempDir(), "fixed")
	rules := `  - id: gate
    match: '(?m)^FAIL$'
    actions:
      - exec: { command: [test, "-e", "` + flagFile + `"], files: false }
      - replace: { with: "FIXED" }
    on_error: { retries: 0 }
`
	d := startDaemon(t, rules, "security:\n  commands:\n    - name: test\n      path: "+testBin+"\n", nil)
	p := openPage(t, 1280, 800)
	p.do(chromedp.Navigate(d.login))
	p.wait(10*time.Second, "logged in", `document.getElementById('readonly').hidden`)

	d.write("bad.md", "FAIL\n")
	row := `#dead-table tr[data-path="bad.md"]`
	p.wait(30*time.Second, "the dead letter listed", `document.querySelector(`+jsString(row)+`) !== null`)
	p.wait(10*time.Second, "the failure in the live stream and the rule counts", `document.querySelector(`+jsString(eventRow("bad.md", "failed"))+`) !== null &&
		document.querySelector('#rule-table tr[data-rule="gate"]').cells[2].textContent === '1'`)

	must(t, os.WriteFile(flagFile, nil, 0o644))
	p.click(row + " button.retry")
	poll.Until(t, 10*time.Second, "bad.md processed after the retry", func() bool { return d.read("bad.md") == "FIXED\n" })
	p.wait(10*time.Second, "the dead letter gone", `document.querySelector(`+jsString(row)+`) === null && !document.getElementById('dead-empty').hidden`)
	p.noConsoleErrors()
}

// Pause and resume, with the keyboard: the button is reached with Tab and
// pressed with Enter, and shows where the focus is.
func TestPauseResume(t *testing.T) {
	d := startDaemon(t, todoRule, "", nil)
	p := openPage(t, 1280, 800)
	p.do(chromedp.Navigate(d.login))
	p.wait(10*time.Second, "logged in", `document.getElementById('readonly').hidden && !document.getElementById('pause').disabled`)

	// Tab: the skip link, then the pause button.
	p.do(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	if id := eval[string](p, `document.activeElement.id`); id != "pause" {
		t.Fatalf("two Tabs focus %q, want the pause button", id)
	}
	if o := eval[string](p, `getComputedStyle(document.activeElement).outlineStyle`); o == "none" {
		t.Error("the focused button shows no outline")
	}
	p.do(chromedp.KeyEvent(kb.Enter))
	p.wait(10*time.Second, "paused", `document.getElementById('state').textContent.startsWith('Paused') && document.getElementById('pause').textContent === 'Resume'`)
	if st := d.status(); st["paused"] != true {
		t.Fatalf("status after Pause: paused = %v", st["paused"])
	}
	d.write("held.md", "TODO: later\n")
	p.wait(10*time.Second, "the change queued", `document.getElementById('f-pending').textContent === '1'`)
	if got := d.read("held.md"); got != "TODO: later\n" {
		t.Fatalf("held.md = %q while paused", got)
	}

	p.do(chromedp.Focus(chromedp.ID("pause")), chromedp.KeyEvent(kb.Enter))
	p.wait(10*time.Second, "resumed", `document.getElementById('state').textContent === 'Watching' && document.getElementById('pause').textContent === 'Pause'`)
	poll.Until(t, 10*time.Second, "held.md processed after the resume", func() bool { return d.read("held.md") == "- [ ] later\n" })
	p.wait(10*time.Second, "held.md in the live stream", `document.querySelector(`+jsString(eventRow("held.md", "written"))+`) !== null`)
	p.noConsoleErrors()
}

// On a phone's screen the page fits its width: nothing scrolls sideways but
// the tables inside their own boxes.
func TestPhoneWidth(t *testing.T) {
	d := startDaemon(t, todoRule, "", map[string]string{"a-rather-long-folder-name/with-a-long-note-name-that-goes-on-and-on.md": "TODO: x\n"})
	p := openPage(t, 390, 844)
	p.do(chromedp.Navigate(d.login))
	p.wait(10*time.Second, "the history filled", `document.querySelector('#writes li') !== null`)
	if w := eval[[]int](p, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("page is %d px wide in a %d px viewport", w[0], w[1])
	}
	if fs := eval[float64](p, `parseFloat(getComputedStyle(document.querySelector('td, li')).fontSize)`); fs < 12 {
		t.Errorf("text of %v px on a phone", fs)
	}
	// The explanation fits the screen too; its long lines scroll in its box.
	p.click(`#writes li button.file`)
	p.wait(10*time.Second, "the explanation", `document.getElementById('explain').open && !document.getElementById('explain-text').hasAttribute('aria-busy')`)
	if r := eval[[]float64](p, `(() => { const r = document.getElementById('explain').getBoundingClientRect(); return [r.left, r.right, window.innerWidth, document.documentElement.scrollWidth]; })()`); r[0] < 0 || r[1] > r[2] || r[3] > r[2] {
		t.Errorf("the explanation spans %v–%v px (page %v px) in a %v px viewport", r[0], r[1], r[3], r[2])
	}
	p.noConsoleErrors()
}

// A file's name opens its explanation, in the words of `scribe explain`:
// here a note whose write the user undid, in the second of two roots, so
// that the page names the root and the rule shows the diff it holds back.
// Escape closes the explanation and gives the focus back to the file. A
// page that is not logged in says that explaining needs a login, and asks
// the daemon nothing.
func TestExplainOnClick(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	cfg := filepath.Join(dir, "scribe.yaml")
	must(t, os.WriteFile(cfg, []byte("version: 1\nroots: [inbox, vault]\nengine:\n  workers: 2\n  settle: 50ms\n  max_wait: 2s\n  state_dir: state\n"+
		"http:\n  listen: "+freePort(t)+"\nrules:\n"+todoRule+`  - id: done
    files: "**/*.md"
    when: 'fm.status == "done"'
    actions:
      - frontmatter.set: { finished: "yes" }
`), 0o644))
	for _, root := range []string{"inbox", "vault"} {
		must(t, os.MkdirAll(filepath.Join(dir, root), 0o755))
	}
	d := startDaemonWith(t, cfg, filepath.Join(dir, "vault"))
	p := openPage(t, 1280, 800)
	p.do(chromedp.Navigate(d.login))
	p.wait(10*time.Second, "logged in", `document.getElementById('readonly').hidden`)

	const note = "---\nstatus: open\n---\nTODO: <b>call</b> the \"plumber\"\n"
	d.write("note.md", note)
	item := `#writes li[data-path="note.md"]`
	p.wait(10*time.Second, "the rule's write in the history", `document.querySelector(`+jsString(item)+`) !== null`)
	p.click(item + " button.undo")
	poll.Until(t, 10*time.Second, "note.md restored", func() bool { return d.read("note.md") == note })
	p.wait(10*time.Second, "the undo in the history", `document.querySelector(`+jsString(item+" .meta")+`).textContent.includes('undo of #')`)
	if label := eval[string](p, `document.querySelector(`+jsString(item+" button.file .root")+`).textContent`); label != "vault" {
		t.Errorf("the history names the root %q, want vault (the daemon has two)", label)
	}

	file := item + " button.file"
	key := eval[string](p, `document.querySelector(`+jsString(file)+`).dataset.key`)
	p.click(file)
	p.wait(10*time.Second, "the explanation", `document.getElementById('explain').open && !document.getElementById('explain-text').hasAttribute('aria-busy')`)
	got := eval[string](p, `document.getElementById('explain-text').textContent`)

	for _, line := range []string{"vault/note.md\n", "\nrule todo: runs as a check: it would change the file, but you undid its write", "\n+- [ ] <b>call</b> the \"plumber\"\n",
		"\nrule done: does not apply: its condition is false\n", "\n    fm.status = \"open\"\n", "an undo of write "} {
		if !strings.Contains(got, line) {
			t.Errorf("the explanation lacks %q:\n%s", line, got)
		}
	}
	// Every line shows, inside the box (no style of the page's own hides
	// one).
	if hidden := eval[[]string](p, `(() => {
		const box = document.getElementById('explain-text').getBoundingClientRect();
		return Array.from(document.querySelectorAll('#explain-text span'))
			.filter((s) => s.textContent.trim() !== '' && (s.getClientRects().length === 0 || s.getBoundingClientRect().left < box.left || getComputedStyle(s).visibility !== 'visible'))
			.map((s) => s.className + ': ' + s.textContent);
	})()`); len(hidden) != 0 {
		t.Errorf("lines of the explanation not shown: %q", hidden)
	}
	if n := eval[int](p, `document.querySelectorAll('#explain-text b, #explain-text span.add').length`); n != 1 {
		t.Errorf("%d bold elements and added diff lines in the explanation; want the one added line, the note's markup as text", n)
	}

	// Another origin: the rule sees Scribe's own work, which it leaves alone.
	p.do(chromedp.SetValue(chromedp.ID("explain-origin"), "scribe"), chromedp.Evaluate[chromedp.Void](`document.getElementById('explain-origin').dispatchEvent(new Event('change'))`))
	p.wait(10*time.Second, "explained again", `!document.getElementById('explain-text').hasAttribute('aria-busy') && document.getElementById('explain-text').textContent.includes('origin: scribe')`)

	p.do(chromedp.KeyEvent(kb.Escape))
	p.wait(5*time.Second, "the explanation closed", `!document.getElementById('explain').open`)
	if k := eval[string](p, `document.activeElement.dataset.key || document.activeElement.id`); k != key {
		t.Errorf("after Escape the focus is on %q, want the file %q", k, key)
	}

	// A file of the other root, from the live stream.
	d.write("../inbox/idea.md", "TODO: try it\n")
	row := eventRow("idea.md", "written")
	p.wait(10*time.Second, "inbox/idea.md in the live stream", `document.querySelector(`+jsString(row)+`) !== null`)
	p.click(row + " button.file")
	p.wait(10*time.Second, "the explanation of inbox/idea.md", `!document.getElementById('explain-text').hasAttribute('aria-busy') && document.getElementById('explain-text').textContent.startsWith('inbox/idea.md\n')`)
	if title := eval[string](p, `document.getElementById('explain-title').textContent`); title != "Explain inboxidea.md" {
		t.Errorf("dialog title %q; want the root's label and the file", title)
	}
	p.do(chromedp.Click(chromedp.ID("explain-close")))
	p.noConsoleErrors()

	// Without a login.
	q := openPage(t, 1280, 800)
	q.do(chromedp.Navigate(d.base + "/"))
	q.wait(10*time.Second, "the history", `document.querySelector(`+jsString(file)+`) !== null`)
	q.click(file)
	q.wait(10*time.Second, "the explanation", `document.getElementById('explain').open && !document.getElementById('explain-text').hasAttribute('aria-busy')`)
	if text := eval[string](q, `document.getElementById('explain-text').textContent`); !strings.Contains(text, "needs a login") || !strings.Contains(text, "scribe dashboard") {
		t.Errorf("explanation without a login: %q; want it to say a login is needed and how to get one", text)
	}
	q.noConsoleErrors()

	// `scribe explain` says the same of note.md, in the same words. It runs
	// once the daemon has stopped, since it learns of undone writes from
	// the journal, which a running daemon holds.
	d.stop()
	var out, errOut bytes.Buffer
	if code := cli.Main(context.Background(), []string{"explain", "-c", cfg, d.path("note.md")}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("scribe explain: exit %d: %s", code, errOut.String())
	}
	// It names the file from the working directory; the page from the
	// folder of the configuration.
	want := strings.ReplaceAll(out.String(), dir+string(filepath.Separator), "")
	want = strings.Replace(want, "(assumed: --origin chooses)", "(assumed: the Origin menu chooses)", 1)
	if got != want {
		t.Errorf("the page explains note.md as\n%s\n`scribe explain` says\n%s", got, want)
	}
}

// The findings panel lists each finding with its file, rule and message,
// and drops it once the file is fixed.
func TestFindingsPanel(t *testing.T) {
	rules := `  - id: links
    actions:
      - links.check: {}
`
	d := startDaemon(t, rules, "", map[string]string{"a.md": "See [[missing note]] and [[b]].\n", "b.md": "Fine.\n"})
	p := openPage(t, 1280, 800)
	p.do(chromedp.Navigate(d.base + "/"))
	row := `#finding-table tr[data-path="a.md"][data-rule="links"]`
	p.wait(10*time.Second, "the broken link listed", `document.querySelector(`+jsString(row)+`) !== null`)
	cells := eval[[]string](p, `Array.from(document.querySelector(`+jsString(row)+`).cells, c => c.textContent)`)
	if len(cells) != 4 || !strings.HasPrefix(cells[0], "a.md:1:") || !strings.HasPrefix(cells[1], "links") || cells[2] == "" || !strings.Contains(cells[3], "missing note") {
		t.Errorf("finding row %q; want a.md:1:COL, the rule links, a severity and a message naming the link", cells)
	}
	if n := eval[int](p, `document.getElementById('finding-table').tBodies[0].rows.length`); n != 1 {
		t.Errorf("%d findings listed, want 1 (b.md resolves)", n)
	}
	if s := eval[string](p, `document.getElementById('findings-summary').textContent`); s != "1 finding in 1 file." {
		t.Errorf("summary %q", s)
	}

	d.write("a.md", "See [[b]].\n")
	p.wait(10*time.Second, "the finding gone once the link is fixed", `document.querySelector(`+jsString(row)+`) === null && !document.getElementById('findings-empty').hidden`)
	p.noConsoleErrors()
}
