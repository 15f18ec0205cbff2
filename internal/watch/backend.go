package watch

import (
	"github.com/fsnotify/fsnotify"
)

// eventBuffer is the capacity of fsnotify's event channel: it lets the kernel
// reader run ahead of the drain goroutine by this many events.
const eventBuffer = 1024

// backend is the kernel watcher: fsnotify, or a test double wrapping it to
// inject faults into Add.
type backend interface {
	// Add watches one directory (not recursively).
	Add(path string) error
	// Remove drops the watch of one directory.
	Remove(path string) error
	// Events delivers events; it is closed by Close.
	Events() <-chan fsnotify.Event
	// Errors delivers errors, fsnotify.ErrEventOverflow among them; it is
	// closed by Close.
	Errors() <-chan error
	// Close drops every watch and closes both channels.
	Close() error
}

// fsnotifyBackend adapts *fsnotify.Watcher to backend.
type fsnotifyBackend struct{ w *fsnotify.Watcher }

func newFsnotify() (backend, error) {
	w, err := fsnotify.NewBufferedWatcher(eventBuffer)
	if err != nil {
		return nil, err
	}
	return fsnotifyBackend{w}, nil
}

func (b fsnotifyBackend) Add(path string) error         { return b.w.Add(path) }
func (b fsnotifyBackend) Remove(path string) error      { return b.w.Remove(path) }
func (b fsnotifyBackend) Events() <-chan fsnotify.Event { return b.w.Events }
func (b fsnotifyBackend) Errors() <-chan error          { return b.w.Errors }
func (b fsnotifyBackend) Close() error                  { return b.w.Close() }

// kernel is one generation of the kernel watcher. A queue overflow replaces
// it with a new one, because events lost in the overflow may include
// directory renames that left watches registered under stale paths.
type kernel struct {
	be       backend
	gen      uint64
	overflow chan struct{} // signalled by the error forwarder
	errDone  chan struct{} // closed when the error forwarder returned
}
