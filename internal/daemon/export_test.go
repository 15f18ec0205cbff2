package daemon

// HoldStateLock takes the daemon's state lock until the returned function is
// called: a wedged daemon, for the liveness tests.
func (d *Daemon) HoldStateLock() (release func()) {
	d.mu.Lock()
	return d.mu.Unlock
}

// FilesPerWorker is how many files the daemon keeps in flight per worker.
const FilesPerWorker = filesPerWorker
