package vcs

import (
	"context"
	"log/slog"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Run watches the git directory until ctx is done, keeping Busy and
// ActiveAt current without polling, and calls changed (when not nil) each
// time an operation starts or ends. Without it (or if the directory cannot
// be watched) Busy looks at the git directory on every call.
func (r *Repo) Run(ctx context.Context, log *slog.Logger, changed func()) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("git directory not watched; checking it on every decision instead", "dir", r.GitDir, "err", err)
		<-ctx.Done()
		return nil
	}
	defer w.Close()
	if err := w.Add(r.GitDir); err != nil {
		log.Warn("git directory not watched; checking it on every decision instead", "dir", r.GitDir, "err", err)
		<-ctx.Done()
		return nil
	}
	r.mu.Lock()
	r.monitored = true
	if r.op = r.scanMarkers(); r.op != "" {
		r.opStart = time.Now()
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.monitored = false
		r.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-w.Events:
			if !ok {
				return nil
			}
			if r.touched(time.Now()) && changed != nil {
				changed()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			// An overflow may have hidden a marker's creation or removal:
			// look again, and count it as activity.
			log.Debug("git directory watch", "err", err)
			if r.touched(time.Now()) && changed != nil {
				changed()
			}
		}
	}
}
