package watch

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// maxWarned bounds the set of paths already warned about, so that a tree of
// unreadable directories cannot grow it without limit.
const maxWarned = 4096

// The inotify limits, as files under /proc.
const (
	procMaxWatches   = "/proc/sys/fs/inotify/max_user_watches"
	procMaxInstances = "/proc/sys/fs/inotify/max_user_instances"
	procMaxQueued    = "/proc/sys/fs/inotify/max_queued_events"
)

// readProcInt reads one integer from a /proc file, 0 when it cannot.
func readProcInt(name string) int {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return n
}

// roundUp rounds n up to a multiple of 1024.
func roundUp(n int) int { return (n + 1023) / 1024 * 1024 }

// watchLimitHint says how many directories are polled and which sysctl
// setting fixes it. limit is the current max_user_watches (0 if unknown).
// The limit is per user and shared with every other program, so the
// suggestion adds twice the shortfall to it rather than guessing the total.
func watchLimitHint(limit, watched, polled int, poll string) string {
	suggest := roundUp(limit + 2*polled + 1024)
	if limit <= 0 {
		suggest = roundUp(max(8192, 2*(watched+polled)+1024))
	}
	return fmt.Sprintf("inotify watch limit reached: %d of %d directories are polled every %s instead of watched, so changes there are seen late; "+
		"raise the limit with `sudo sysctl fs.inotify.max_user_watches=%d` (and add it to /etc/sysctl.d/ to keep it)",
		polled, watched+polled, poll, suggest)
}

// instanceError explains a failure to create an inotify instance.
func instanceError(err error) error {
	if errors.Is(err, syscall.EMFILE) {
		cur := readProcInt(procMaxInstances)
		return fmt.Errorf("watch: cannot create an inotify instance: the per-user limit (%d) is reached; "+
			"raise it with `sudo sysctl fs.inotify.max_user_instances=%d`: %w", cur, max(256, 2*cur), err)
	}
	return fmt.Errorf("watch: cannot create an inotify instance: %w", err)
}

// queueHint says how to make overflows rarer.
func queueHint() string {
	cur := readProcInt(procMaxQueued)
	if cur <= 0 {
		return "raise fs.inotify.max_queued_events with sysctl"
	}
	return fmt.Sprintf("if this repeats, raise the queue with `sudo sysctl fs.inotify.max_queued_events=%d`", 4*cur)
}

// updateDegradedLocked recomputes the degraded message after the set of
// polled directories changed, and logs transitions.
func (w *Watcher) updateDegradedLocked() {
	if len(w.unwatched) == 0 {
		if w.degraded != "" {
			w.log.Info("every directory is watched again")
		}
		w.degraded = ""
		return
	}
	was := w.degraded
	w.degraded = watchLimitHint(readProcInt(procMaxWatches), len(w.watched), len(w.unwatched), w.opts.Poll.String())
	if was == "" {
		w.log.Warn(w.degraded)
	}
}

// warnOnce logs a problem with rel the first time it is seen.
func (w *Watcher) warnOnce(rel, msg string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warnOnceLocked(rel, msg, err)
}

func (w *Watcher) warnOnceLocked(rel, msg string, err error) {
	if _, ok := w.warned[rel]; ok || len(w.warned) >= maxWarned {
		return
	}
	w.warned[rel] = struct{}{}
	w.log.Warn(msg, "path", rel, "err", err)
}
