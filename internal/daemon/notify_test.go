package daemon_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Liveness: a running daemon is live; one whose state lock stays held is
// not, within the check's deadline, and /healthz says so; released, it is
// live again.
func TestAliveAndHealthz(t *testing.T) {
	e := newEnv(t, conf{Rules: "  - id: noop\n    actions: [ { log: { message: x } } ]\n"}, nil)
	r := e.start()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := r.d.Alive(ctx); err != nil {
		t.Fatalf("Alive on a ready daemon: %v", err)
	}
	if code := r.getStatus("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	release := r.d.HoldStateLock()
	wctx, wcancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	err := r.d.Alive(wctx)
	wcancel()
	if err == nil || !strings.Contains(err.Error(), "state lock") {
		t.Fatalf("Alive on a wedged daemon = %v, want the state lock named", err)
	}
	if code := r.getStatus("/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/healthz on a wedged daemon = %d, want 503", code)
	}
	release()
	if code := r.getStatus("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz after the release = %d", code)
	}
}

// The real binary under a service manager's protocol: READY=1 only once
// /readyz says ready, watchdog pings at half WATCHDOG_USEC, STOPPING=1 at
// SIGTERM, then exit 0. The manager's end is a real unixgram socket.
func TestSdNotifyFromTheBinary(t *testing.T) {
	dir, err := os.MkdirTemp("", "sdn") // short: a socket path has ~108 bytes
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	must(t, err)
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "400000")
	t.Setenv("WATCHDOG_PID", "")

	listen := freePort(t)
	e := newEnv(t, conf{Listen: listen, Rules: "  - id: noop\n    actions: [ { log: { message: x } } ]\n"}, map[string]string{"a.md": "a\n"})
	c := e.spawn(listen)
	recv := func(want string) []string {
		t.Helper()
		var got []string
		buf := make([]byte, 4096)
		must(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
		for {
			n, err := conn.Read(buf)
			if err != nil {
				c.dumpLog()
				t.Fatalf("no %q from the daemon: %v; got %q", want, err, got)
			}
			m := string(buf[:n])
			got = append(got, m)
			if strings.HasPrefix(m, want) {
				return got
			}
		}
	}
	got := recv("READY=1")
	if code := c.api.getStatus("/readyz"); code != http.StatusOK {
		t.Fatalf("READY=1 sent while /readyz = %d", code)
	}
	if !strings.Contains(got[len(got)-1], "STATUS=watching 1 root with 1 rule; http "+listen) {
		t.Errorf("READY without the status line: %q", got[len(got)-1])
	}
	recv("WATCHDOG=1")
	if m := recv("WATCHDOG=1"); strings.Contains(m[len(m)-1], "EXTEND_TIMEOUT") {
		t.Errorf("start timeout still extended after READY: %q", m)
	}
	must(t, c.cmd.Process.Signal(syscall.SIGTERM))
	recv("STOPPING=1")
	if code := c.wait(15 * time.Second); code != 0 {
		c.dumpLog()
		t.Fatalf("exit code after SIGTERM = %d", code)
	}
}
