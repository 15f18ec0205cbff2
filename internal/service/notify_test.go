package service_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/service"
)

// notifySocket listens on a real unixgram socket, as systemd does, and sets
// NOTIFY_SOCKET to it. Received datagrams arrive on the returned channel.
func notifySocket(t *testing.T) <-chan string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdn") // short: a socket path has ~108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: p, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFY_SOCKET", p)
	ch := make(chan string, 1024)
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	})
	t.Cleanup(func() { conn.Close(); wg.Wait() })
	return ch
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no sd_notify datagram within 20s")
		return ""
	}
}

func TestNotifierReadyStopping(t *testing.T) {
	ch := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "")
	n := service.NewNotifier(nil)
	if n.WatchdogInterval() != 0 {
		t.Fatalf("watchdog %v without WATCHDOG_USEC", n.WatchdogInterval())
	}
	n.Ready("watching 1 root")
	if m := next(t, ch); m != "READY=1\nSTATUS=watching 1 root" {
		t.Fatalf("ready: %q", m)
	}
	n.Status("two\nlines")
	if m := next(t, ch); m != "STATUS=two lines" {
		t.Fatalf("status: %q", m)
	}
	n.Stopping()
	if m := next(t, ch); !strings.HasPrefix(m, "STOPPING=1\n") {
		t.Fatalf("stopping: %q", m)
	}
	// Without a watchdog, Watchdog returns at once.
	n.Watchdog(t.Context(), func(context.Context) error { t.Fatal("liveness checked without a watchdog"); return nil })
}

// TestWatchdogPingsOnlyWhenAlive: every WATCHDOG=1 the manager receives
// follows a liveness check that passed; a failing or hanging check sends
// none; before Ready the start timeout is extended, after it not.
func TestWatchdogPingsOnlyWhenAlive(t *testing.T) {
	ch := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "40000") // 40ms: a ping every 20ms
	t.Setenv("WATCHDOG_PID", "")
	n := service.NewNotifier(nil)
	if n.WatchdogInterval() != 40*time.Millisecond {
		t.Fatalf("watchdog interval %v", n.WatchdogInterval())
	}
	var (
		checks, passed atomic.Int64
		mode           atomic.Int32 // 0 alive, 1 failing, 2 hanging
	)
	alive := func(ctx context.Context) error {
		checks.Add(1)
		switch mode.Load() {
		case 1:
			return errors.New("bus does not answer")
		case 2:
			<-ctx.Done() // a wedged daemon: the check never returns by itself
			return ctx.Err()
		}
		passed.Add(1)
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); n.Watchdog(ctx, alive) }()

	pings, extends := 0, 0
	var got []string
	read := func(until func() bool) {
		for !until() {
			m := next(t, ch)
			got = append(got, m)
			if strings.HasPrefix(m, "WATCHDOG=1") {
				pings++
				if strings.Contains(m, "EXTEND_TIMEOUT_USEC=40000") {
					extends++
				}
			}
		}
	}
	read(func() bool { return pings >= 3 })
	if extends != pings {
		t.Fatalf("before Ready every ping should extend the start timeout: %q", got)
	}
	n.Ready("ready")
	mode.Store(1)
	base := checks.Load()
	waitChecks(t, &checks, base+5)
	mode.Store(2)
	base = checks.Load()
	waitChecks(t, &checks, base+3)
	mode.Store(0)
	// The first ping after the failures puts the status back.
	read(func() bool {
		m := got[len(got)-1]
		return strings.HasPrefix(m, "WATCHDOG=1") && strings.Contains(m, "STATUS=ready")
	})
	// A check that passes as ctx ends sends no ping: wedge the checks, and
	// cancel only once one is wedged. The checks run one at a time, so
	// every check before it has sent its ping by then.
	mode.Store(2)
	waitChecks(t, &checks, checks.Load()+1)
	cancel()
	<-done
	// Watchdog has returned, so every datagram it sent is queued; a sentinel
	// sent now arrives after them all.
	c, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("SENTINEL"))
	c.Close()
	read(func() bool { return len(got) > 0 && got[len(got)-1] == "SENTINEL" })
	if int64(pings) != passed.Load() {
		t.Fatalf("%d pings for %d passed checks (of %d):\n%q", pings, passed.Load(), checks.Load(), got)
	}
	all := strings.Join(got, "|")
	if !strings.Contains(all, "STATUS=liveness check failed: bus does not answer") {
		t.Errorf("a failing check does not show in the status: %q", got)
	}
	if strings.Count(all, "EXTEND_TIMEOUT_USEC") != extends {
		t.Errorf("start timeout extended after Ready: %q", got)
	}
}

func waitChecks(t *testing.T, checks *atomic.Int64, n int64) {
	t.Helper()
	poll.NoError(t, 20*time.Second, func() error {
		if c := checks.Load(); c < n {
			return fmt.Errorf("%d liveness checks, waiting for %d", c, n)
		}
		return nil
	})
}
