package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/scribe-md/scribe/bench/bareloop"
	"github.com/scribe-md/scribe/internal/action"
	_ "github.com/scribe-md/scribe/internal/action/builtin" // the replace action
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/rule"
)

// target is what a scenario changes files under: the daemon or the bare loop.
type target interface {
	// written returns how many files the target has rewritten so far.
	written(ctx context.Context) (int64, error)
	// stop stops the target and waits until it has.
	stop() error
}

// configYAML is the benchmark's scribe.yaml: one idempotent regex rule, the
// state dir next to the tree (outside it), HTTP on a free port for status.
const configYAML = `version: 1
roots: [tree]
include: ["**/*.md"]
engine:
  workers: %d
  settle: %s
  max_wait: 2s
  state_dir: state
http:
  listen: "%s"
rules:
  - id: todo-to-task
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
`

// daemonTarget is the real daemon running in this process, or `scribe
// watch` in a child process (cmd set).
type daemonTarget struct {
	d      *daemon.Daemon
	cmd    *exec.Cmd
	cancel context.CancelFunc
	errc   chan error
	base   string // http://addr
	// ready is the time from Run to the Ready channel being closed.
	ready time.Duration
}

// readyLimit bounds a start; a cold start at 100,000 files takes minutes.
const readyLimit = 15 * time.Minute

var httpClient = &http.Client{Timeout: 10 * time.Second}

// startDaemon writes dir/scribe.yaml, compiles it as the CLI does and runs
// the daemon until ready.
func (b *bench) startDaemon(ctx context.Context, dir string) (*daemonTarget, error) {
	yaml := fmt.Sprintf(configYAML, b.f.workers, b.f.settle, "127.0.0.1:0")
	name := filepath.Join(dir, "scribe.yaml")
	if err := os.WriteFile(name, []byte(yaml), 0o644); err != nil {
		return nil, err
	}
	cfg, err := config.LoadBytes(name, []byte(yaml))
	if err != nil {
		return nil, fmt.Errorf("benchmark configuration: %w", err)
	}
	cmds := map[string]string{}
	rules, err := rule.Compile(cfg, action.Build{
		ConfigDir: cfg.Dir,
		Commands:  cmds,
		Timeout:   cfg.Engine.ActionTimeout.Std(),
	})
	if err != nil {
		return nil, fmt.Errorf("benchmark rules: %w", err)
	}
	ready := make(chan struct{})
	d, err := daemon.New(daemon.Options{Config: cfg, Rules: rules, Logger: b.log, Ready: ready})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	t := &daemonTarget{d: d, cancel: cancel, errc: make(chan error, 1)}
	start := time.Now()
	go func() { t.errc <- d.Run(rctx) }()
	select {
	case <-ready:
		t.ready = time.Since(start)
	case err := <-t.errc:
		cancel()
		return nil, fmt.Errorf("daemon stopped before ready: %w", err)
	case <-time.After(readyLimit):
		t.stop()
		return nil, fmt.Errorf("daemon not ready after %v", readyLimit)
	}
	t.base = "http://" + d.Addr()
	return t, nil
}

// status is the part of GET /api/v1/status the benchmark reads.
type status struct {
	Ready bool `json:"ready"`
	Queue struct {
		Pending int `json:"pending"`
	} `json:"queue"`
	Counters map[string]int64 `json:"counters"`
}

func (t *daemonTarget) status(ctx context.Context) (status, error) {
	var st status
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/api/v1/status", nil)
	if err != nil {
		return st, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET /api/v1/status: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

func (t *daemonTarget) written(ctx context.Context) (int64, error) {
	st, err := t.status(ctx)
	return st.Counters["written"], err
}

// drain waits until the daemon's file queue is empty (every event published
// so far processed and acknowledged), polling its status, and returns how long
// that took. It gives up after limit.
func (t *daemonTarget) drain(ctx context.Context, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := t.status(ctx)
		if err != nil {
			return 0, err
		}
		if st.Queue.Pending == 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return time.Since(start), fmt.Errorf("queue not drained after %v: %d events pending", limit, st.Queue.Pending)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
	}
}

func (t *daemonTarget) stop() error {
	if t.cmd != nil {
		return stopWatch(t.cmd, t.errc, time.Minute)
	}
	t.cancel()
	return <-t.errc
}

// pid is the process whose memory and CPU are the target's: 0 for this one.
func (t *daemonTarget) pid() int {
	if t.cmd == nil {
		return 0
	}
	return t.cmd.Process.Pid
}

// startProcess runs `scribe watch`, built from this checkout, in a child
// process on dir's corpus with the same configuration as startDaemon, until
// it reports ready (-target process): its memory and CPU are then its own,
// not shared with the benchmark's saver and observer.
func (b *bench) startProcess(ctx context.Context, dir string) (*daemonTarget, error) {
	bin, err := b.buildScribe(ctx)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	name := filepath.Join(dir, "scribe.yaml")
	if err := os.WriteFile(name, fmt.Appendf(nil, configYAML, b.f.workers, b.f.settle, addr), 0o644); err != nil {
		return nil, err
	}
	start := time.Now()
	w, err := spawnWatch(bin, name, dir)
	if err != nil {
		return nil, err
	}
	t := &daemonTarget{cmd: w.cmd, errc: w.exited, base: "http://" + addr}
	for {
		select {
		case err := <-t.errc:
			return nil, fmt.Errorf("scribe watch exited before ready: %v (see %s)", err, w.log)
		case <-ctx.Done():
			t.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if st, err := t.status(ctx); err == nil && st.Ready {
			t.ready = time.Since(start)
			return t, nil
		}
		if time.Since(start) > readyLimit {
			t.stop()
			return nil, fmt.Errorf("scribe watch not ready after %v", readyLimit)
		}
	}
}

// watchProcess is `scribe watch` started by spawnWatch.
type watchProcess struct {
	cmd    *exec.Cmd
	exited chan error // receives cmd.Wait's error once it exits
	log    string     // where its output goes
}

// spawnWatch starts bin watch -c cfg with its output in dir/daemon.log and
// env added to this process's environment.
func spawnWatch(bin, cfg, dir string, env ...string) (*watchProcess, error) {
	logf, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, "watch", "-c", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &watchProcess{cmd: cmd, exited: make(chan error, 1), log: logf.Name()}
	go func() { w.exited <- cmd.Wait() }()
	return w, nil
}

// stopWatch stops a scribe watch that spawnWatch started, with SIGINT as a
// user would, and kills it if it has not exited after limit.
func stopWatch(cmd *exec.Cmd, exited <-chan error, limit time.Duration) error {
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		return err
	case <-time.After(limit):
		cmd.Process.Kill()
		return <-exited
	}
}

// buildScribe builds cmd/scribe into the work directory, or returns the
// binary -scribe names.
func (b *bench) buildScribe(ctx context.Context) (string, error) {
	if b.f.scribe != "" {
		return filepath.Abs(b.f.scribe)
	}
	bin := filepath.Join(b.f.work, "scribe")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/scribe-md/scribe/cmd/scribe")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build cmd/scribe: %w", err)
	}
	return bin, nil
}

// bareTarget is bench/bareloop running in this process.
type bareTarget struct {
	n      atomic.Int64
	cancel context.CancelFunc
	errc   chan error
}

func (b *bench) startBare(ctx context.Context, tree string) (*bareTarget, error) {
	rctx, cancel := context.WithCancel(ctx)
	t := &bareTarget{cancel: cancel, errc: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		t.errc <- bareloop.Run(rctx, bareloop.Options{Dir: tree, Workers: b.f.workers, DirSync: b.f.dirSync, Settle: b.f.bareWait, Written: &t.n}, ready)
	}()
	select {
	case <-ready:
		return t, nil
	case err := <-t.errc:
		cancel()
		return nil, fmt.Errorf("bare loop: %w", err)
	}
}

func (t *bareTarget) written(context.Context) (int64, error) { return t.n.Load(), nil }

func (t *bareTarget) stop() error {
	t.cancel()
	return <-t.errc
}

// startTarget starts the target of -target on the corpus in dir, ready for
// measurements: the daemon has caught up and drained its queue (a first,
// cold start also turns the corpus's own TODO lines into tasks).
func (b *bench) startTarget(ctx context.Context, dir string) (target, string, error) {
	tree := filepath.Join(dir, "tree")
	if b.f.target == "bare" {
		setting := fmt.Sprintf("bare loop, settle %v, %d workers, dirsync %v", b.f.bareWait, b.f.workers, b.f.dirSync)
		if b.f.bareProc {
			t, err := b.startBareProcess(ctx, tree)
			return t, setting + ", a child process", err
		}
		t, err := b.startBare(ctx, tree)
		return t, setting, err
	}
	start, where := b.startDaemon, "daemon"
	if b.f.target == "process" {
		start, where = b.startProcess, "scribe watch (a child process)"
	}
	t, err := start(ctx, dir)
	if err != nil {
		return nil, "", err
	}
	d, err := t.drain(ctx, b.f.drainMax)
	if err != nil {
		t.stop()
		return nil, "", err
	}
	fmt.Fprintf(os.Stderr, "daemon ready after %s, queue drained %s later\n", ms(t.ready), ms(d))
	return t, fmt.Sprintf("%s, settle %s, %d workers", where, b.f.settle, b.f.workers), nil
}
