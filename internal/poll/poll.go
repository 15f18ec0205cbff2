package poll

import (
	"testing"
	"time"
)

// maxPause is the longest pause between two polls: a long wait on a
// daemon's status API does not load the daemon it waits for.
const maxPause = 100 * time.Millisecond

// Until calls cond until it returns true, and fails t if it has not within
// d; what says what was awaited.
func Until(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !wait(d, cond) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// NoError calls f until it returns nil, and fails t with f's last error if
// it has not within d.
func NoError(t testing.TB, d time.Duration, f func() error) {
	t.Helper()
	var err error
	if !wait(d, func() bool { err = f(); return err == nil }) {
		t.Fatalf("timed out after %v: %v", d, err)
	}
}

// wait polls cond until it holds (true) or d has passed since the call
// (false, after one more poll at the deadline).
func wait(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for pause := time.Millisecond; ; pause = min(2*pause, maxPause) {
		if cond() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		time.Sleep(min(pause, left))
	}
}
