package remote_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus/bustest"
)

// The end-to-end tests run the real binary, built once per test run.
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// scribeBinary builds cmd/scribe into a temporary directory (once).
func scribeBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "scribe-e2e-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "scribe")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/scribe").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cleanupBinary removes the scribe binary built for the end-to-end tests.
func cleanupBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// proc is a scribe process started by a test.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// start runs the scribe binary with args in dir; it is stopped (SIGTERM,
// then SIGKILL) when the test ends, and its output logged if the test
// failed.
func start(t testing.TB, name, dir string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, out: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	p.cmd = exec.Command(scribeBinary(t), args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = lockedWriter{p.mu, p.out}
	p.cmd.Stderr = lockedWriter{p.mu, p.out}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("SCRIBE_E2E_STACKS") != "" {
			// Where it was stuck: the Go runtime prints every goroutine.
			p.cmd.Process.Signal(syscall.SIGQUIT)
		}
		p.stop(t)
		if t.Failed() {
			t.Logf("--- output of %s:\n%s", name, p.output())
		}
	})
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// stop sends SIGTERM and waits (SIGKILL after 20 s); safe to repeat.
func (p *proc) stop(t testing.TB) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Errorf("%s did not stop after SIGTERM; killed", p.name)
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kill sends SIGKILL and waits.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// runScribe runs the binary to completion and returns its stdout.
func runScribe(t testing.TB, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(scribeBinary(t), args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scribe %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// status is the part of `scribe status --format json` the tests read.
type status struct {
	Ready    bool             `json:"ready"`
	Counters map[string]int64 `json:"counters"`
	// Queue tells a failure's events still waiting from events lost.
	Queue struct {
		Pending int `json:"pending"`
		CatchUp int `json:"catch_up"`
	} `json:"queue"`
	DeadLetters []struct {
		Event struct {
			Path string `json:"path"`
		} `json:"event"`
		Error string `json:"error"`
	} `json:"dead_letters"`
	Remote *struct {
		Workers []struct {
			ID       string `json:"id"`
			Local    bool   `json:"local"`
			Capacity int    `json:"capacity"`
			InFlight int    `json:"in_flight"`
			Done     int64  `json:"done"`
			Direct   int64  `json:"direct"`
		} `json:"workers"`
		Dropped int64 `json:"dropped"`
		Untaken int64 `json:"untaken"`
		Jobs    int   `json:"jobs"`
		Waiting int64 `json:"waiting"`
	} `json:"remote"`
}

func ownerStatus(dir string) (*status, error) {
	cmd := exec.Command(binPath, "status", "--format", "json")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("scribe status: %v", err)
	}
	var st status
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// ownerConfig is what an owner's configuration holds beyond ownerProject's
// base.
type ownerConfig struct {
	// remote sends jobs to remote workers only (engine.workers: 0); without
	// it the owner runs the rules itself (engine.workers: 4), on the same
	// cluster, so that the two differ only by the jobs' round trip.
	remote bool
	// engine holds more lines of the engine section, top more top-level
	// keys (plugins), commands more entries of security.commands (which
	// lists sh), each line indented as in the file.
	engine, top, commands string
	// actions are the rule's actions, each line indented six spaces.
	actions string
}

// ownerProject writes an owner's configuration on cluster c, in a fresh
// directory with the root notes/ and streams of 3 replicas. It returns the
// directory and the owner's HTTP port.
func ownerProject(t testing.TB, c *bustest.Cluster, o ownerConfig) (string, int) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	workers := 4
	if o.remote {
		workers = 0
	}
	port := bustest.FreePorts(t, 1)[0]
	cfg := fmt.Sprintf(`roots: [notes]
engine:
  remote: %t
  workers: %d
  settle: 10ms
  state_dir: state
  vcs: "off"
%sbus:
  url: %q
  replicas: 3
http:
  listen: 127.0.0.1:%d
%ssecurity:
  commands:
    - {name: sh, path: /bin/sh}
%srules:
  - id: stamp
    actions:
%s`, o.remote, workers, o.engine, c.URL(), port, o.top, o.commands, o.actions)
	if err := os.WriteFile(filepath.Join(dir, "scribe.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, port
}

// pythonPlugin is a process plugin in Python (protocol 1) with one action
// of its own name, for the tests and benchmarks that run plugins on
// workers.
type pythonPlugin struct {
	name        string
	permissions string // the action's, as listed in the manifest
	instances   int
	// run is Python that sets result from p, the request's params; json,
	// os, sys and time are imported. Each line is indented eight spaces.
	run string
}

// pluginLoop is a pythonPlugin's program: the protocol's loop around run.
const pluginLoop = `import json, os, sys, time
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("method") == "shutdown":
        break
    if msg.get("method") == "initialize":
        result = {"protocol": 1, "actions": [%q]}
    else:
        p = msg["params"]
%s
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}) + "\n")
    sys.stdout.flush()
`

// config returns the owner configuration that loads the plugin from
// plugins/NAME with the rule's actions; it skips where python3 is missing.
func (pp pythonPlugin) config(t testing.TB, actions string) ownerConfig {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	return ownerConfig{
		remote:   true,
		top:      fmt.Sprintf("plugins: [plugins/%s]\n", pp.name),
		commands: fmt.Sprintf("    - {name: python3, path: %q}\n", python),
		actions:  actions,
	}
}

// install writes the plugin into the project directory dir, where the
// workers, on this machine, find it too.
func (pp pythonPlugin) install(t testing.TB, dir string) {
	t.Helper()
	plug := filepath.Join(dir, "plugins", pp.name)
	if err := os.MkdirAll(plug, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := fmt.Sprintf("name: %s\nversion: 1.0.0\nprotocol: 1\nruntime: process\ncommand: [python3, main.py]\ninstances: %d\n"+
		"actions:\n  - name: %s\n    permissions: [%s]\n    timeout: 10s\n", pp.name, max(pp.instances, 1), pp.name, pp.permissions)
	for name, body := range map[string]string{"scribe-plugin.yaml": manifest, "main.py": fmt.Sprintf(pluginLoop, pp.name, pp.run)} {
		if err := os.WriteFile(filepath.Join(plug, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
