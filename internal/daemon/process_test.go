package daemon_test

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// child is `scribe watch` running as a real process: the test binary
// re-executed with childEnv set (see TestMain).
type child struct {
	t      testing.TB
	api    api
	cmd    *exec.Cmd
	logf   string // its stderr
	done   chan struct{}
	exit   error // cmd.Wait's result, once done is closed
	exited time.Time
}

// spawn starts `scribe watch -c scribe.yaml` with extra arguments. The
// configuration's http.listen must be a fixed address (see freePort).
func (e *env) spawn(listen string, args ...string) *child {
	e.t.Helper()
	logf, err := os.CreateTemp(e.dir, "child-*.log")
	must(e.t, err)
	defer logf.Close()
	cmd := exec.Command(os.Args[0], append([]string{"watch", "-c", e.cfgPath}, args...)...)
	// No sleep at exit under the race detector: shutdown times are measured.
	cmd.Env = append(os.Environ(), childEnv+"=1", "GORACE=atexit_sleep_ms=0 "+os.Getenv("GORACE"))
	cmd.Dir = e.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	must(e.t, cmd.Start())
	c := &child{t: e.t, api: readAPI(e.t, "http://"+listen), cmd: cmd, logf: logf.Name(), done: make(chan struct{})}
	go func() {
		c.exit = cmd.Wait()
		c.exited = time.Now()
		close(c.done)
	}()
	e.t.Cleanup(func() {
		c.kill()
		if e.t.Failed() {
			c.dumpLog()
		}
	})
	return c
}

// waitReady waits until the child answers /readyz with 200.
func (c *child) waitReady() {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for c.api.getStatus("/readyz") != http.StatusOK {
		select {
		case <-c.done:
			c.dumpLog()
			c.t.Fatalf("daemon exited before it was ready: %v", c.exit)
		default:
		}
		if time.Now().After(deadline) {
			c.dumpLog()
			c.t.Fatal("daemon not ready after 60 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill SIGKILLs the child's process group and waits for it.
func (c *child) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
}

// wait waits for the child to exit and returns its exit code.
func (c *child) wait(timeout time.Duration) int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(timeout):
		c.dumpLog()
		c.t.Fatalf("daemon still running %v after it was told to stop", timeout)
	}
	var ee *exec.ExitError
	switch {
	case c.exit == nil:
		return 0
	case errors.As(c.exit, &ee):
		return ee.ExitCode()
	default:
		c.t.Fatalf("wait for the daemon: %v", c.exit)
		return -1
	}
}

func (c *child) log() string {
	b, _ := os.ReadFile(c.logf)
	return string(b)
}

func (c *child) dumpLog() {
	c.t.Logf("daemon log (%s):\n%s", filepath.Base(c.logf), strings.TrimSpace(c.log()))
}
