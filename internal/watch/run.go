package watch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/fsnotify/fsnotify"
)

// Run watches the root until ctx is done, then stops every goroutine it
// started, closes the Changes channel and returns nil. It returns an error
// when watching cannot start (no inotify instance, the root cannot be
// watched) or cannot go on (the root was removed or moved away). Run may be
// called once.
//
// Run first crawls the root: it watches each directory and then lists it,
// so that nothing created meanwhile is missed, and reports every document
// with ReasonInitial (see Options.SkipInitial); Ready is closed when that
// crawl is done.
func (w *Watcher) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return errors.New("watch: Run called twice; create a new Watcher")
	}
	defer close(w.done)
	defer close(w.out)

	be, err := w.newBackend()
	if err != nil {
		return instanceError(err)
	}
	if err := be.Add(w.rootDir); err != nil && !errors.Is(err, syscall.ENOSPC) {
		be.Close()
		return fmt.Errorf("watch root %s: %w", w.rootDir, err)
	} else if err == nil {
		w.mu.Lock()
		w.watched[""] = struct{}{}
		w.mu.Unlock()
	}
	k := w.startKernel(be, 1)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.mu.Lock()
	w.bk = k
	w.pushLocked(&session{reason: ReasonInitial, full: true, newGen: true, initial: true, quiet: w.opts.SkipInitial}, "")
	w.mu.Unlock()

	var (
		wg      sync.WaitGroup
		fatalMu sync.Mutex
		fatal   error
	)
	fail := func(err error) {
		if err == nil {
			return
		}
		fatalMu.Lock()
		if fatal == nil {
			fatal = err
		}
		fatalMu.Unlock()
		cancel()
	}
	wg.Go(func() { fail(w.drain(ctx)) })
	wg.Go(func() { fail(w.crawler(ctx)) })
	wg.Go(func() { w.emitter(ctx) })
	wg.Wait()

	w.mu.Lock()
	k, w.bk = w.bk, nil
	w.mu.Unlock()
	k.be.Close()
	<-k.errDone
	if fatal != nil {
		w.log.Error("watching stopped", "err", fatal)
	}
	return fatal
}

// startKernel starts the goroutine that forwards be's errors. It never
// blocks and takes no lock, so fsnotify's reader (which sends errors while it
// holds its own lock) can never wait on the watcher.
func (w *Watcher) startKernel(be backend, gen uint64) *kernel {
	k := &kernel{be: be, gen: gen, overflow: make(chan struct{}, 1), errDone: make(chan struct{})}
	go func() {
		defer close(k.errDone)
		for err := range be.Errors() {
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				kick(k.overflow)
				continue
			}
			w.log.Warn("kernel watcher error", "err", err)
		}
	}()
	return k
}

// restart replaces the kernel watcher after a queue overflow and queues a
// full rescan. The new watcher starts empty; the rescan watches each
// directory again before listing it, so nothing that happens meanwhile is
// lost, and no watch survives under a stale path.
func (w *Watcher) restart(k *kernel) *kernel {
	w.overflows.Add(1)
	w.log.Warn("kernel event queue overflowed; rescanning the root", "hint", queueHint())
	s := &session{reason: ReasonOverflow, verify: true, full: true}
	be, err := w.newBackend()
	if err != nil {
		w.log.Error("cannot restart the kernel watcher; rescanning with the old one", "err", instanceError(err))
		w.mu.Lock()
		w.pushLocked(s, "")
		w.mu.Unlock()
		return k
	}
	nk := w.startKernel(be, k.gen+1)
	s.newGen = true
	w.mu.Lock()
	w.bk = nk
	clear(w.watched)
	w.pushLocked(s, "")
	w.mu.Unlock()
	k.be.Close()
	<-k.errDone
	return nk
}
