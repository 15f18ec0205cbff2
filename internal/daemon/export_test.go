package daemon

import "github.com/scribe-md/scribe/internal/bus"

// HoldStateLock takes the daemon's state lock until the returned function is
// called: a wedged daemon, for the liveness tests.
func (d *Daemon) HoldStateLock() (release func()) {
	d.mu.Lock()
	return d.mu.Unlock
}

// FilesPerWorker is how many files the daemon keeps in flight per worker.
const FilesPerWorker = filesPerWorker

// Bus is the daemon's bus, for tests that make its file queue fail.
func (d *Daemon) Bus() *bus.Bus { return d.bus }

// AnswerWindow and AnswerLimit are the loop breaker's bounds on another
// program's answers to the engine's writes.
const (
	AnswerWindow = answerWindow
	AnswerLimit  = answerLimit
)
