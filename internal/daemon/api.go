package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/dashboard"
	"github.com/scribe-md/scribe/internal/findings"
	"github.com/scribe-md/scribe/internal/httpapi"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/remote"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/watch"

	"github.com/scribe-md/scribe/internal/escape"
)

// Event is one item of the /api/v1/events stream.
type Event struct {
	Type string    `json:"type"` // processed, removed, event, loop, breaker, reload, pause, resume, ready, dead-letter, dead-letter-cleared, memory
	Time time.Time `json:"time"`
	// Root is the absolute directory of Path's root (processed, removed,
	// loop, dead-letter, dead-letter-cleared), as in the history and the
	// findings.
	Root string `json:"root,omitempty"`
	Path string `json:"path,omitempty"`
	// PathBase64 holds Path's exact bytes when it is not valid UTF-8; Path
	// is then in the escaped form (see package escape).
	PathBase64 string   `json:"path_base64,omitempty"`
	Rule       string   `json:"rule,omitempty"`
	Rules      []string `json:"rules,omitempty"`
	Origin     string   `json:"origin,omitempty"` // processed: user, vcs, scribe or scan
	Written    bool     `json:"written,omitempty"`
	// Result is what processing did (processed): written, unchanged,
	// failed or skipped; FailedRules the rules that failed, and
	// DurationMS how long the rules took, in milliseconds.
	Result      string   `json:"result,omitempty"`
	FailedRules []string `json:"failed_rules,omitempty"`
	DurationMS  float64  `json:"duration_ms,omitempty"`
	// LeftCommitted lists the rules whose changes were not written because
	// the content is its committed version (processed).
	LeftCommitted []string       `json:"left_committed,omitempty"`
	Findings      int            `json:"findings,omitempty"`
	Skipped       string         `json:"skipped,omitempty"`
	Error         string         `json:"error,omitempty"`
	Message       string         `json:"message,omitempty"`
	Data          map[string]any `json:"data,omitempty"`
	// TraceID is the OpenTelemetry trace of the change (processed,
	// dead-letter), when tracing is on.
	TraceID string `json:"trace_id,omitempty"`
}

// hub fans events out to subscribers. A slow subscriber loses events rather
// than slowing the engine down; tap, set once before the daemon runs, sees
// every event, synchronously (it must not block).
type hub struct {
	mu     sync.Mutex
	subs   map[chan []byte]struct{}
	closed bool
	tap    func(Event)
}

func newHub() *hub { return &hub{subs: map[chan []byte]struct{}{}} }

func (h *hub) publish(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	// The tap (the dashboard's activity) sees every event, listened to or
	// not.
	if h.tap != nil {
		h.tap(ev)
	}
	h.mu.Lock()
	n := len(h.subs)
	h.mu.Unlock()
	if n == 0 {
		return // nobody listens: no encoding per processed file
	}
	if ev.PathBase64 = escape.Base64(ev.Path); ev.PathBase64 != "" {
		ev.Path = escape.Name(ev.Path)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- b:
		default: // subscriber too slow: drop
		}
	}
}

func (h *hub) subscribe() (<-chan []byte, func()) {
	ch := make(chan []byte, 256)
	h.mu.Lock()
	if h.closed {
		close(ch)
		h.mu.Unlock()
		return ch, func() {}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			if _, ok := h.subs[ch]; ok {
				delete(h.subs, ch)
				close(ch)
			}
			h.mu.Unlock()
		})
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

func (d *Daemon) handler(g *httpapi.Guard) http.Handler {
	api := httpapi.New(backend{d}, promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{}))
	return dashboard.Handler(dashboard.Options{API: api, Activity: d.activity, Writes: writes{d}, Guard: g})
}

// Status is the JSON document of GET /api/v1/status and `scribe status`.
type Status struct {
	Ready    bool     `json:"ready"`
	Paused   bool     `json:"paused"`
	PausedBy []string `json:"paused_by,omitempty"`
	// Git says why writes are held for a git operation ("" when they are not).
	Git    string       `json:"git,omitempty"`
	Uptime string       `json:"uptime"`
	Roots  []RootStatus `json:"roots"`
	Rules  []RuleStatus `json:"rules"`
	Queue  QueueStatus  `json:"queue"`
	// DeadLetters are the newest dead letters (at most 100, oldest
	// first); DeadLetterCount counts them all and DeadLetterGroups groups
	// them by rule and error.
	DeadLetters      []bus.DeadLetter  `json:"dead_letters"`
	DeadLetterCount  int               `json:"dead_letter_count"`
	DeadLetterGroups []DeadLetterGroup `json:"dead_letter_groups"`
	// Findings sums up the current findings (GET /api/v1/findings lists
	// them).
	Findings    FindingsSummary   `json:"findings"`
	Quarantined []string          `json:"quarantined"`
	Plugins     []plugin.Status   `json:"plugins"`
	Counters    map[string]int64  `json:"counters"`
	Memory      MemoryStatus      `json:"memory"`
	Errors      map[string]string `json:"errors,omitempty"`
	// Remote is the scale-out state (engine.remote), absent otherwise.
	Remote *RemoteStatus `json:"remote,omitempty"`
}

// RemoteStatus is the owner's view of scale-out: its workers (those whose
// heartbeat has not expired, the owner's own runner included) and its jobs.
type RemoteStatus struct {
	// Revision is the configuration revision jobs are made under (short).
	Revision string `json:"revision"`
	// Jobs waiting in the jobs stream or running; Waiting the files the
	// owner has out as jobs now; Sent, Direct (those of them a worker
	// took directly, without the stream), Dropped (results of
	// redelivered jobs, never applied) and Untaken (jobs taken back
	// because no worker could run them for engine.remote_wait) since it
	// started.
	Jobs    int                 `json:"jobs"`
	Waiting int64               `json:"waiting"`
	Sent    int64               `json:"sent"`
	Direct  int64               `json:"direct"`
	Dropped int64               `json:"dropped"`
	Untaken int64               `json:"untaken"`
	Workers []remote.WorkerInfo `json:"workers"`
}

// FindingsSummary counts the current findings.
type FindingsSummary struct {
	Total  int              `json:"total"`
	Files  int              `json:"files"`
	Counts []findings.Count `json:"counts"`
}

// RootStatus describes one watched root.
// Serves reports whether the daemon watches one of cfg's roots, a folder
// inside one, or one holding one: whether it is the daemon of cfg, rather
// than another configuration's on the same address. A status without roots
// serves any.
func (s Status) Serves(cfg *config.Config) bool {
	if len(s.Roots) == 0 {
		return true
	}
	for _, d := range s.RootDirs() {
		for _, r := range cfg.Roots {
			if config.OverlapOf(config.RootDir("", d), config.RootDir(cfg.Dir, r)) != config.Apart {
				return true
			}
		}
	}
	return false
}

// RootDirs returns the folders of the daemon's roots.
func (s Status) RootDirs() []string {
	dirs := make([]string, len(s.Roots))
	for i, r := range s.Roots {
		dirs[i] = r.Dir
	}
	return dirs
}

type RootStatus struct {
	// Name is the root as the configuration writes it; Dir its absolute
	// directory.
	Name      string `json:"name"`
	Dir       string `json:"dir"`
	Documents int    `json:"documents"`
	Watches   int    `json:"watches"`
	Degraded  string `json:"degraded,omitempty"`
	Overflows uint64 `json:"overflows"`
	Rescans   uint64 `json:"rescans"`
}

// RuleStatus describes one rule.
type RuleStatus struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Breaker string `json:"breaker,omitempty"`
	// Applied counts the files the rule applied to since the daemon
	// started, Failed those it failed on (the dashboard's counts).
	Applied int64 `json:"applied"`
	Failed  int64 `json:"failed"`
}

// QueueStatus describes the work queue.
type QueueStatus struct {
	// Pending counts the events waiting or in progress, and the files the
	// start's catch-up has yet to queue (CatchUp).
	Pending int `json:"pending"`
	CatchUp int `json:"catch_up"`
}

func (d *Daemon) status(ctx context.Context) Status {
	p, why := d.paused()
	_, git := d.gitBusy()
	st := Status{
		Ready: d.ready.Load(), Paused: p, PausedBy: why, Git: git,
		Uptime: time.Since(d.started).Round(time.Second).String(),
		// Lists are [] in JSON, never null (TestJSONHasNoNullLists).
		Roots: []RootStatus{}, Rules: []RuleStatus{},
		DeadLetters: []bus.DeadLetter{}, DeadLetterGroups: []DeadLetterGroup{}, Quarantined: d.loops.list(),
		Errors: map[string]string{},
		Memory: d.checkMemory(false),
	}
	if st.Quarantined == nil {
		st.Quarantined = []string{}
	}
	for i, q := range st.Quarantined {
		st.Quarantined[i] = escape.JSON(strings.Replace(q, "\x00", ": ", 1))
	}
	slices.Sort(st.Quarantined)
	st.Plugins = d.currentPlugins().Status()
	for _, rs := range d.roots {
		ws := rs.watcher.Stats()
		st.Roots = append(st.Roots, RootStatus{Name: rs.name, Dir: rs.root.Dir, Documents: rs.watcher.Documents(), Watches: ws.Watches,
			Degraded: ws.Degraded, Overflows: ws.Overflows, Rescans: ws.Rescans})
	}
	states, applied := d.breakerStates(), d.activity.Rules()
	for _, r := range d.currentRules().Rules {
		c := applied[r.ID]
		st.Rules = append(st.Rules, RuleStatus{ID: r.ID, Name: r.Name, Breaker: states[r.ID], Applied: c.Applied, Failed: c.Failed})
	}
	// The bus (and, in scale-out, the owner's side) is set once it is
	// open; a status asked for before then says so.
	started := d.liveBus.Load() != nil
	if !started {
		st.Errors["bus"] = "not connected yet"
	} else {
		if n, c, err := d.queued(ctx); err == nil {
			st.Queue.Pending, st.Queue.CatchUp = n, c
		} else {
			st.Errors["queue"] = err.Error()
		}
		if dl, err := d.listDeadLetters(ctx, "", true, statusDeadLetters); err == nil {
			st.DeadLetters, st.DeadLetterCount, st.DeadLetterGroups = dl.DeadLetters, dl.Count, dl.Groups
		} else {
			st.Errors["dead_letters"] = err.Error()
		}
	}
	counts, files := d.findings.Counts()
	st.Findings = FindingsSummary{Files: files, Counts: counts}
	for _, c := range counts {
		st.Findings.Total += c.N
	}
	// The counters last: a failure is counted before its event becomes a
	// dead letter, so the dead letters listed are counted too.
	if started && d.owner != nil {
		st.Remote = d.remoteStatus(ctx, st.Errors)
	}
	st.Counters = map[string]int64{"processed": d.processed.Load(), "written": d.written.Load(), "failed": d.failed.Load()}
	return st
}

func (d *Daemon) pending(ctx context.Context) (int, error) {
	if d.bus == nil {
		return 0, errors.New("bus not started")
	}
	n, _, err := d.queued(ctx)
	return n, err
}

// queued returns the work pending, and of it the files the catch-up has yet
// to queue. No catch-up publish lands between the two readings (feeding),
// so no file is missed or counted twice.
func (d *Daemon) queued(ctx context.Context) (pending, catchUp int, err error) {
	d.feeding.Lock()
	defer d.feeding.Unlock()
	catchUp = d.catchingUp()
	n, err := d.bus.Pending(ctx)
	return n + catchUp, catchUp, err
}

// catchingUp returns how many files the start's catch-up has yet to queue.
func (d *Daemon) catchingUp() int {
	n := 0
	for _, rs := range d.roots {
		n += int(rs.catchup.Load())
	}
	return n
}

func (d *Daemon) deadLetters(ctx context.Context) ([]bus.DeadLetter, error) {
	if d.bus == nil {
		return nil, errors.New("bus not started")
	}
	return d.bus.DeadLetters(ctx)
}

func (d *Daemon) breakerStates() map[string]string {
	d.mu.RLock()
	brk := d.brk
	d.mu.RUnlock()
	if brk == nil {
		return nil
	}
	return brk.states()
}

func (d *Daemon) watchStats() watch.Stats {
	var s watch.Stats
	for _, rs := range d.roots {
		ws := rs.watcher.Stats()
		s.Overflows += ws.Overflows
		s.Rescans += ws.Rescans
	}
	return s
}

// backend adapts the daemon to httpapi.Backend.
type backend struct{ d *Daemon }

func (b backend) Ready() bool                        { return b.d.ready.Load() }
func (b backend) Alive(ctx context.Context) error    { return b.d.Alive(ctx) }
func (b backend) Status(ctx context.Context) any     { return b.d.status(ctx) }
func (b backend) Subscribe() (<-chan []byte, func()) { return b.d.hub.subscribe() }

func (b backend) Pause() {
	b.d.setAPIPause(true)
	b.d.hub.publish(Event{Type: "pause"})
}

func (b backend) Resume() {
	b.d.setAPIPause(false)
	b.d.hub.publish(Event{Type: "resume"})
}

func (b backend) History(_ context.Context, path, run string, limit int) (any, error) {
	if limit <= 0 {
		limit = 100
	}
	root := ""
	if path != "" {
		root, path = b.d.locate(path)
	}
	var (
		es  []journal.Entry
		err error
	)
	if run != "" {
		// A run is undone whole: every entry, whatever the limit.
		es, err = b.d.journal.ListRun(run)
	} else {
		es, err = b.d.journal.List(root, path, limit)
	}
	if es == nil {
		es = []journal.Entry{}
	}
	return es, err
}

func (b backend) Undo(_ context.Context, id uint64, force bool) (any, error) {
	e, before, err := b.d.journal.Get(id)
	if errors.Is(err, journal.ErrNotFound) {
		return nil, fmt.Errorf("%w: no write %d in the journal", httpapi.ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	var rs *rootState
	for _, r := range b.d.roots {
		if r.root.Dir == e.Root {
			rs = r
		}
	}
	if rs == nil {
		return nil, fmt.Errorf("write %d was in root %s, which this daemon does not watch", id, e.Root)
	}
	unlock, err := b.d.locks.lock(b.d.drainCtx, rs.name+"\x00"+e.Path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// The restored content is the engine's own write, not a user's change;
	// the journal's mark keeps the undone rules from redoing it, and the
	// file is processed once more (below) so that the other rules, and the
	// indexes and catalogs that list it, see the restored version.
	rs.watcher.Suppress(e.Path, sha256.Sum256(before))
	ne, err := b.d.journal.Undo(rs.root.FS, id, force)
	if errors.Is(err, journal.ErrChanged) || errors.Is(err, journal.ErrAlreadyUndone) {
		return nil, fmt.Errorf("%w: %v", httpapi.ErrConflict, err)
	}
	if err != nil {
		return nil, err
	}
	if fi, serr := rs.root.FS.Lstat(e.Path); serr == nil {
		if qerr := b.d.enqueue(b.d.drainCtx, rs, e.Path, bus.ReasonRequeue, action.OriginScribe, safefile.VersionOf(fi), 0, time.Time{}); qerr != nil {
			b.d.log.Warn("queue the undone file; indexes catch up at its next change", "path", e.Path, "err", qerr)
		}
	} else {
		b.d.removed(rs, e.Path)
	}
	b.d.markDirty()
	return ne, nil
}

func (b backend) Findings(_ context.Context, q httpapi.FindingsQuery) (any, error) {
	return b.d.findingsPage(findings.Query{Rule: q.Rule, Severity: q.Severity, Path: q.Path, Root: q.Root, Limit: q.Limit, Offset: q.Offset}), nil
}

func (b backend) DeadLetters(ctx context.Context, rule string, anyRule bool, limit int) (any, error) {
	if limit <= 0 {
		limit = statusDeadLetters
	}
	return b.d.listDeadLetters(ctx, rule, anyRule, limit)
}

func (b backend) RetryDeadLetters(ctx context.Context, rule string, all bool) (int, error) {
	return b.d.retryDeadLetters(ctx, rule, all)
}

func (b backend) RetryDeadLetter(ctx context.Context, id uint64) error {
	err := b.d.bus.RetryDeadLetter(ctx, id)
	if errors.Is(err, bus.ErrNotFound) {
		return fmt.Errorf("%w: no dead letter %d", httpapi.ErrNotFound, id)
	}
	return err
}

// locate maps a path given by a user (absolute, or relative to the current
// directory of the daemon) to a root and a root-relative path.
func (d *Daemon) locate(p string) (string, string) {
	for _, rs := range d.roots {
		if rel := relInside(rs.root.Dir, p); rel != "" {
			return rs.root.Dir, rel
		}
	}
	return "", p
}
