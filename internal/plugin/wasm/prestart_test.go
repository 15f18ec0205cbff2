package wasm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/plugin/wasm"
	"github.com/scribe-md/scribe/internal/poll"
)

// An instance is started ahead and waits for its request; a call takes
// it, and the next one starts at once.
func TestPrestartedInstanceServes(t *testing.T) { forms(t, readtimeForms, prestartedInstanceServes) }

func prestartedInstanceServes(t *testing.T, module []byte) {
	r := newRuntime(t, module, 0, 1)
	if err := r.Start(within(t, 120*time.Second)); err != nil {
		t.Fatal(err)
	}
	content := "# T\n<!-- readtime -->?<!-- /readtime -->\n" + strings.Repeat("word ", 450)
	for i := range 3 {
		poll.Until(t, 60*time.Second, "a pre-started instance", func() bool { return r.Waiting() == 1 })
		res, err := call(within(t, 10*time.Second), r, "stamp", map[string]int{"wpm": 200}, content)
		if err != nil || res.Content == nil || !strings.Contains(*res.Content, "<!-- readtime -->3 min read<!-- /readtime -->") {
			t.Fatalf("call %d: %+v, %v", i, res, err)
		}
	}
	if st, err := r.State(); st != "idle" || err != nil {
		t.Fatalf("state %q, %v; want idle (a waiting instance is not running)", st, err)
	}
}

// X1 with a pre-started instance: the call's deadline closes it, and a
// canceled call is reported as canceled.
func TestPrestartedInstanceDeadline(t *testing.T) {
	forms(t, hostileForms, prestartedInstanceDeadline)
}

func prestartedInstanceDeadline(t *testing.T, module []byte) {
	r := newRuntime(t, module, 0, 1)
	if err := r.Start(within(t, 120*time.Second)); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 60*time.Second, "a pre-started instance", func() bool { return r.Waiting() == 1 })
	const deadline = 300 * time.Millisecond
	start := time.Now()
	_, err := call(within(t, deadline), r, "spin", nil, "")
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > deadline+200*time.Millisecond {
		t.Fatalf("err = %v after %v; want a deadline error after %v", err, took, deadline)
	}

	poll.Until(t, 60*time.Second, "a pre-started instance", func() bool { return r.Waiting() == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := call(ctx, r, "spin", nil, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want canceled", err)
	}
	if _, err := call(within(t, 10*time.Second), r, "noop", nil, ""); err != nil {
		t.Fatalf("the next call: %v", err)
	}
}

// Close ends the instances waiting for a request (TestMain's leak check
// would see their goroutines otherwise), and calls after it fail.
func TestCloseEndsPrestarted(t *testing.T) { forms(t, hostileForms, closeEndsPrestarted) }

func closeEndsPrestarted(t *testing.T, module []byte) {
	r := newRuntimeWith(t, module, 0, 1, 3)
	if err := r.Start(within(t, 120*time.Second)); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 60*time.Second, "3 pre-started instances", func() bool { return r.Waiting() == 3 })
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := call(within(t, 10*time.Second), r, "noop", nil, ""); !errors.Is(err, wasm.ErrClosed) {
		t.Fatalf("call after Close: %v", err)
	}
}

// With pre-starting off, no instance waits, and calls work.
func TestNoPrestart(t *testing.T) { forms(t, hostileForms, noPrestart) }

func noPrestart(t *testing.T, module []byte) {
	r := newRuntimeWith(t, module, 0, 1, -1)
	for range 2 {
		if _, err := call(within(t, 120*time.Second), r, "noop", nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.Waiting(); n != 0 {
		t.Fatalf("%d instances waiting", n)
	}
}

// A plugin whose instance ends before it reads its request (here: one that
// answers the handshake blind) turns pre-starting off instead of starting
// an instance for nothing at every call.
func TestPrestartOffForPluginThatDoesNotRead(t *testing.T) {
	r := newRuntime(t, modules["noread"], 0, 1)
	if err := r.Start(within(t, 120*time.Second)); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 60*time.Second, "pre-starting turned off", func() bool { return !r.Prestarting() })
	for range 3 {
		if _, err := call(within(t, 10*time.Second), r, "noop", nil, ""); err == nil || !strings.Contains(err.Error(), "out-of-order reply") {
			t.Fatalf("err = %v; want the blind reply refused", err)
		}
	}
	if n := r.Waiting(); n != 0 || r.Prestarting() {
		t.Fatalf("%d instances waiting, prestarting %v", n, r.Prestarting())
	}
}
