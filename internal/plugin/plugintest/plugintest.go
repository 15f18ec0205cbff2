// Package plugintest provides the misbehaving process plugins that the
// plugin runtime's tests run. Following hashicorp/go-plugin's habit, a test
// binary is its own plugin: TestMain calls Main, which, when the binary was
// started under the name HelperName, serves the protocol in the mode named
// by its first argument and exits. Helper copies the test binary to a
// private directory under that name, so it passes the command sandbox's
// checks like any allow-listed program.
package plugintest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	wire "github.com/scribe-md/scribe/plugin"
)

// HelperName is the name the test binary runs under as a plugin.
const HelperName = "scribe-plugin-helper"

// Modes, the first argument of the helper.
const (
	Good       = "good"        // serves echo, upper, gate, sleep, pid, findings, content
	CrashThird = "crash-third" // dies on its third run request
	Hang       = "hang"        // never answers run requests
	Garbage    = "garbage"     // answers run requests with a line that is not JSON
	Flood      = "flood"       // answers run requests with 1 GiB and no newline
	ExitAtOnce = "exit"        // exits before the handshake
	Protocol2  = "protocol2"   // answers initialize with protocol 2
	WrongID    = "wrong-id"    // answers run requests with an id never sent
	NoRead     = "no-read"     // stops reading its input after the handshake
)

// Main runs the helper and exits when the binary was started as one;
// otherwise it returns at once. Call it first in TestMain.
func Main() {
	if filepath.Base(os.Args[0]) != HelperName || len(os.Args) < 2 {
		return
	}
	// syscall.Exit: os.Exit in a -race binary waits a second for the race
	// detector's report.
	syscall.Exit(run(os.Args[1]))
}

var (
	mu         sync.Mutex
	helperPath string
)

// Helper returns the resolved path of a copy of the test binary named
// HelperName, made once per test binary. The caller removes nothing; call
// Cleanup from TestMain.
func Helper(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if helperPath != "" {
		return helperPath
	}
	dir, err := os.MkdirTemp("", "scribe-plugin-helper-")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, HelperName)
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, src); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(dst)
	if err != nil {
		t.Fatal(err)
	}
	helperPath = real
	return helperPath
}

// Cleanup removes the helper copy.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if helperPath != "" {
		os.RemoveAll(filepath.Dir(helperPath))
	}
}

// Actions are the actions every helper mode announces.
var Actions = []string{"content", "echo", "findings", "gate", "pid", "sleep", "upper"}

// GateParams make a gate request wait until Want requests are in flight in
// the same process (or a second passes), then report the peak.
type GateParams struct {
	Want int `json:"want"`
}

// Report is what gate, sleep and pid return, as the message of a finding:
// the process id and the most requests it had in flight at once.
type Report struct {
	Pid  int   `json:"pid"`
	Peak int64 `json:"peak"`
}

func run(mode string) int {
	if mode == ExitAtOnce {
		fmt.Fprintln(os.Stderr, "helper: cannot start: missing configuration")
		return 3
	}
	if mode == Good {
		return serveGood()
	}
	// The hostile modes speak the protocol by hand, to misbehave exactly.
	in := bufio.NewReader(os.Stdin)
	out := os.Stdout
	runs := 0
	for {
		line, err := in.ReadBytes('\n')
		if err != nil {
			return 0
		}
		var m wire.Message
		if json.Unmarshal(line, &m) != nil {
			continue
		}
		switch m.Method {
		case wire.MethodShutdown:
			return 0
		case wire.MethodInitialize:
			proto := wire.Protocol
			if mode == Protocol2 {
				proto = 2
			}
			res, _ := json.Marshal(wire.InitializeResult{Protocol: proto, Actions: Actions})
			writeMsg(out, wire.Message{JSONRPC: "2.0", ID: m.ID, Result: res})
			if mode == NoRead {
				time.Sleep(time.Hour)
			}
		case wire.MethodRun:
			runs++
			switch mode {
			case CrashThird:
				if runs == 3 {
					fmt.Fprintln(os.Stderr, "helper: panic: third request")
					return 2
				}
				res, _ := json.Marshal(wire.RunResult{})
				writeMsg(out, wire.Message{JSONRPC: "2.0", ID: m.ID, Result: res})
			case Hang:
			case Garbage:
				out.Write([]byte("this is not JSON {\n"))
			case Flood:
				buf := make([]byte, 1<<20)
				for i := range buf {
					buf[i] = 'x'
				}
				for range 1024 {
					if _, err := out.Write(buf); err != nil {
						return 1
					}
				}
			case WrongID:
				id := json.RawMessage("987654321")
				res, _ := json.Marshal(wire.RunResult{})
				writeMsg(out, wire.Message{JSONRPC: "2.0", ID: &id, Result: res})
			}
		}
	}
}

func writeMsg(w io.Writer, m wire.Message) {
	b, _ := json.Marshal(m)
	w.Write(append(b, '\n'))
}

func serveGood() int {
	var inflight, peak atomic.Int64
	enter := func() func() {
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		return func() { inflight.Add(-1) }
	}
	report := func() wire.RunResult {
		b, _ := json.Marshal(Report{Pid: os.Getpid(), Peak: peak.Load()})
		return wire.RunResult{Findings: []wire.Finding{{Severity: "info", Message: string(b)}}}
	}
	actions := wire.Actions{
		"echo": func(_ context.Context, req wire.Request) (wire.RunResult, error) {
			s, _ := req.Content()
			return wire.NewContent(s), nil
		},
		"upper": func(_ context.Context, req wire.Request) (wire.RunResult, error) {
			s, ok := req.Content()
			if !ok {
				return wire.RunResult{}, fmt.Errorf("no content sent")
			}
			b := []byte(s)
			for i, c := range b {
				if 'a' <= c && c <= 'z' {
					b[i] = c - 32
				}
			}
			return wire.NewContent(string(b)), nil
		},
		// content returns new content whatever its permissions say.
		"content": func(context.Context, wire.Request) (wire.RunResult, error) {
			return wire.NewContent("written by the plugin\n"), nil
		},
		"findings": func(_ context.Context, req wire.Request) (wire.RunResult, error) {
			var p struct {
				N        int    `json:"n"`
				Severity string `json:"severity"`
			}
			req.Decode(&p)
			var res wire.RunResult
			_, hasContent := req.Content()
			for i := range p.N {
				res.Findings = append(res.Findings, wire.Finding{Line: i + 1, Column: 1, Severity: p.Severity,
					Message: fmt.Sprintf("finding %d on %s (content sent: %v)", i+1, req.File.Path, hasContent)})
			}
			return res, nil
		},
		"gate": func(ctx context.Context, req wire.Request) (wire.RunResult, error) {
			defer enter()()
			var p GateParams
			req.Decode(&p)
			deadline := time.Now().Add(time.Second)
			for peak.Load() < int64(p.Want) && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			return report(), nil
		},
		"sleep": func(ctx context.Context, req wire.Request) (wire.RunResult, error) {
			defer enter()()
			var p struct {
				Ms int `json:"ms"`
			}
			req.Decode(&p)
			time.Sleep(time.Duration(p.Ms) * time.Millisecond)
			return report(), nil
		},
		"pid": func(context.Context, wire.Request) (wire.RunResult, error) { return report(), nil },
	}
	if err := wire.Serve(actions, wire.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// Processes returns the pids of running processes of this test binary's
// helper (a /proc scan). A process counts by the file it runs, this
// binary's copy: test binaries of other packages, run at the same time,
// have helpers of their own, with the same name.
func Processes() []int {
	mu.Lock()
	want := helperPath
	mu.Unlock()
	if want == "" {
		return nil // no helper was made, so none runs
	}
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == os.Getpid() {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil {
			continue
		}
		// Cleanup may have removed the copy already.
		if strings.TrimSuffix(exe, " (deleted)") == want {
			out = append(out, pid)
		}
	}
	return out
}
