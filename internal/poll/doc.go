// Package poll waits, in tests, for a condition to hold: it polls the
// condition under a deadline instead of sleeping for a guessed time, and
// fails the test with what it waited for when the deadline passes. It is
// the one waiting helper of the project's tests.
//
// # Usage
//
//	poll.Until(t, 10*time.Second, "the rewrite", func() bool { return read(t, p) == want })
//	poll.NoError(t, 20*time.Second, func() error { return checkConsumer(js) })
//
// A condition is first polled at once, then after 1 ms, with the pause
// doubling up to 100 ms: a condition that holds soon is seen soon, and one
// that takes seconds costs few calls (a wait on a daemon's status API does
// not load the daemon it waits for).
//
// # Concurrency
//
// Until and NoError call the condition on the test's goroutine, one call
// at a time, and return or fail the test (t.Fatalf) on it; they are for a
// test's own goroutine, as t.Fatalf is.
package poll
