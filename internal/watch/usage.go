package watch

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/scan"
)

// Limits are the kernel's per-user inotify limits (0 where unknown: not
// Linux, or /proc unreadable).
type Limits struct {
	MaxWatches, MaxInstances, MaxQueued int
}

// KernelLimits reads the inotify limits from /proc/sys/fs/inotify.
func KernelLimits() Limits {
	return Limits{
		MaxWatches:   readProcInt(procMaxWatches),
		MaxInstances: readProcInt(procMaxInstances),
		MaxQueued:    readProcInt(procMaxQueued),
	}
}

// WatchesSysctl returns the commands that set max_user_watches to n now and
// at every boot.
func WatchesSysctl(n int) string {
	return "sudo sysctl fs.inotify.max_user_watches=" + strconv.Itoa(n) +
		" && echo fs.inotify.max_user_watches=" + strconv.Itoa(n) + " | sudo tee /etc/sysctl.d/60-scribe-inotify.conf"
}

// SuggestWatches is the max_user_watches to suggest for a tree of need
// directories when used watches are already taken: room for the tree to
// double, rounded up, and never below the current limit.
func SuggestWatches(limit, used, need int) int {
	return roundUp(max(limit, used+2*need+1024))
}

// CountDirs returns how many directories a Watcher on root with filter f
// would watch: the root and every directory below it that f does not
// exclude, never through a symbolic link. Unreadable directories are counted
// (the watcher watches them) but not entered.
func CountDirs(ctx context.Context, root *os.Root, f *scan.Filter) (int, error) {
	n := 0
	stack := []string{""}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		rel := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		entries, _ := safefile.ReadDir(root, dirName(rel))
		for _, e := range entries {
			if e.Type()&fs.ModeType != fs.ModeDir {
				continue
			}
			child := path.Join(rel, e.Name())
			if !f.ExcludedDir(child) {
				stack = append(stack, child)
			}
		}
	}
	return n, nil
}

// Usage is what the user's running processes hold of the inotify limits.
type Usage struct {
	// Watches and Instances count inotify watches and instances of
	// processes of this user (all processes, for root) that skip did not
	// set aside.
	Watches, Instances int
	// Skipped counts the watches of the processes skip set aside.
	Skipped int
}

// CurrentUsage counts the inotify watches and instances held by processes
// this user can inspect, from /proc/PID/fdinfo. skip (may be nil) sets aside
// the processes it returns true for, given their executable's path, such as
// a running scribe whose watches would be counted twice.
func CurrentUsage(skip func(exe string) bool) Usage {
	var u Usage
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return u
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid <= 0 {
			continue
		}
		dir := "/proc/" + p.Name()
		fds, err := os.ReadDir(dir + "/fd")
		if err != nil {
			continue // another user's process, or gone
		}
		var watches, instances int
		for _, fd := range fds {
			target, err := os.Readlink(dir + "/fd/" + fd.Name())
			if err != nil || target != "anon_inode:inotify" {
				continue
			}
			instances++
			b, err := os.ReadFile(dir + "/fdinfo/" + fd.Name())
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "inotify wd:") {
					watches++
				}
			}
		}
		if instances == 0 {
			continue
		}
		if exe, err := os.Readlink(dir + "/exe"); err == nil && skip != nil && skip(exe) {
			u.Skipped += watches
			continue
		}
		u.Watches += watches
		u.Instances += instances
	}
	return u
}
