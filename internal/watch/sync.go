package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// errStopped is returned by Sync when Run has returned.
var errStopped = errors.New("watch: the watcher stopped")

// Sync returns once every file system change made before the call has been
// seen: kernel events are drained, the directories they created are crawled,
// and the paths they touched are queued (they are delivered after their
// settle time; Stats().Pending counts those not delivered yet). It waits for
// Run's first crawl too.
//
// It works like Watchman's cookies: it creates a file named
// .scribe-cookie-PID-N in the root, waits until its creation event comes
// through the kernel queue (which is ordered), then removes it. If the queue
// overflows meanwhile, the rescan that follows stands in for the cookie; if
// the root itself could not be watched (watch limit), a crawl verifying the
// whole tree does. The root must be writable.
func (w *Watcher) Sync(ctx context.Context) error {
	select {
	case <-w.ready:
	case <-w.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	name := fmt.Sprintf("%s%d-%d", cookiePrefix, os.Getpid(), w.cookieN.Add(1))
	seen := make(chan struct{})
	w.mu.Lock()
	if _, ok := w.watched[""]; !ok {
		// The root itself is polled (watch limit): no cookie event can
		// come. A crawl that verifies the whole tree stands in for it.
		s := &session{reason: ReasonPoll, verify: true, full: true, release: []chan struct{}{seen}}
		w.pushLocked(s, "")
		w.mu.Unlock()
		return w.waitSync(ctx, seen)
	}
	w.cookies[name] = seen
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.cookies, name)
		w.mu.Unlock()
	}()

	fh, err := w.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("watch sync: create cookie in %s (the root must be writable): %w", w.rootDir, err)
	}
	fh.Close()
	defer w.root.Remove(name)

	return w.waitSync(ctx, seen)
}

// waitSync waits until seen is closed and then until the crawler is idle.
func (w *Watcher) waitSync(ctx context.Context, seen <-chan struct{}) error {
	select {
	case <-seen:
	case <-w.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w.whenIdle():
		return nil
	case <-w.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cookieSeen releases the Sync call waiting for cookie name.
func (w *Watcher) cookieSeen(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.cookies[name]; ok {
		close(ch)
		delete(w.cookies, name)
	}
}

// whenIdle returns a channel closed when the crawler has no job left.
func (w *Watcher) whenIdle() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	if !w.busy && len(w.jobs) == 0 {
		close(ch)
		return ch
	}
	w.idle = append(w.idle, ch)
	return ch
}
