//go:build failpoints

package bus_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
)

// The crash tests re-execute the test binary as a daemon that dies (exit 137,
// as if SIGKILLed) at one bus step, then check what a restarted bus does.
// Run them with: go test -tags failpoints -run Crash ./internal/bus/

func init() {
	childModes["publish"] = func() int {
		return child(func(ctx context.Context, b *bus.Bus) error {
			_, err := b.PublishFile(ctx, bus.FileEvent{Root: "/r", Path: "a.md"}, "a")
			return err
		})
	}
	childModes["consume"] = func() int {
		return child(func(ctx context.Context, b *bus.Bus) error {
			return b.Consume(ctx, 1, func(_ context.Context, ev bus.FileEvent, _ func()) error {
				return effect(os.Getenv("BUS_EFFECT"), ev.Path)
			})
		})
	}
	childModes["dead-letter"] = func() int {
		return child(func(ctx context.Context, b *bus.Bus) error {
			return b.Consume(ctx, 1, func(context.Context, bus.FileEvent, func()) error {
				return bus.Permanent(errors.New("cannot parse"))
			})
		})
	}
}

// child opens the bus in $BUS_STORE and runs f; the failpoint should end the
// process before f returns.
func child(f func(context.Context, *bus.Bus) error) int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, crashOptions(os.Getenv("BUS_STORE")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer b.Close(ctx)
	if err := f(ctx, b); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 4
	}
	return 0 // the failpoint did not fire
}

func crashOptions(store string) bus.Options {
	return bus.Options{StoreDir: store, AckWait: 500 * time.Millisecond, MaxDeliver: 5,
		BackOff: []time.Duration{10 * time.Millisecond}}
}

// effect applies an idempotent side effect: one line per path in file,
// written once (the engine's compare-and-swap plays this role).
func effect(file, path string) error {
	b, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if strings.Contains(string(b), path+"\n") {
		return nil
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(path + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// crashChild runs the test binary in mode until the failpoint kills it.
func crashChild(t *testing.T, mode, failpoint, store, effectFile string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BUS_TEST_CHILD="+mode, "SCRIBE_FAILPOINT="+failpoint,
		"BUS_STORE="+store, "BUS_EFFECT="+effectFile)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 137 {
		t.Fatalf("child %s did not die at %s: %v\n%s", mode, failpoint, err, out)
	}
}

// A publish the server stored survives a crash before PublishFile returned.
func TestCrashAfterPublish(t *testing.T) {
	store := t.TempDir()
	crashChild(t, "publish", "bus-publish", store, "")
	b := bustest.Open(t, crashOptions(store))
	poll.NoError(t, 20*time.Second, pendingIs(t.Context(), b, 1))
}

// N2: a crash after the effect and before the ack redelivers the event; the
// idempotent effect keeps the count at one, and the event is then acked.
func TestCrashBetweenEffectAndAck(t *testing.T) {
	store, eff := t.TempDir(), filepath.Join(t.TempDir(), "effects")
	b := bustest.Open(t, crashOptions(store))
	publish(t, b, "/r", "a.md", "a")
	if err := b.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	crashChild(t, "consume", "bus-ack", store, eff)

	b2 := bustest.Open(t, crashOptions(store))
	var redelivered atomic.Int32
	consume(t, b2, 1, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		redelivered.Add(1)
		return effect(eff, ev.Path)
	})
	poll.NoError(t, 20*time.Second, pendingIs(t.Context(), b2, 0))
	if redelivered.Load() == 0 {
		t.Error("the unacknowledged event was not redelivered after the crash")
	}
	data, err := os.ReadFile(eff)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "a.md\n"); n != 1 {
		t.Errorf("effect applied %d times, want 1", n)
	}
}

// A crash between storing a dead letter and removing the original leaves one
// dead letter, not two, once the restarted bus finishes the move.
func TestCrashAfterDeadLetter(t *testing.T) {
	store := t.TempDir()
	b := bustest.Open(t, crashOptions(store))
	publish(t, b, "/r", "a.md", "a")
	if err := b.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	crashChild(t, "dead-letter", "bus-dead-letter", store, "")

	b2 := bustest.Open(t, crashOptions(store))
	consume(t, b2, 1, func(context.Context, bus.FileEvent, func()) error {
		return bus.Permanent(errors.New("cannot parse"))
	})
	poll.NoError(t, 20*time.Second, pendingIs(t.Context(), b2, 0))
	poll.NoError(t, 20*time.Second, deadLettersAre(t.Context(), b2, 1))
}
