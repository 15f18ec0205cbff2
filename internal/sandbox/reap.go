package sandbox

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Processes that leave a command's process group (setsid, a double fork
// into a new session) escape the group kill. To contain them, the process
// becomes a child subreaper (PR_SET_CHILD_SUBREAPER) the first time a command
// runs: an orphaned descendant of a command is then reparented to Scribe
// instead of init, where it can be found (its parent is us) and killed.
//
// When a command ends, sweep kills and reaps what it left: processes that
// are our children but were not started by us (reparented orphans) and that
// are either still in the command's process group or in another session and
// started after the command did. With several commands running at once, an
// escapee started after another running command began could be that one's,
// so it is left to that command's sweep; the last command to end takes the
// rest. Processes started by other parts of Scribe keep Scribe's session,
// and are never touched.

var (
	subreaperOnce sync.Once
	subreaperErr  error

	running struct {
		sync.Mutex
		starts map[*int]uint64 // start time (clock ticks since boot) of each command running
	}

	escaped atomic.Int64
)

// Escaped reports how many processes that left a command's process group
// were killed after the command ended, since the process started.
func Escaped() int64 { return escaped.Load() }

// becomeSubreaper makes this process the reaper of its orphaned descendants.
func becomeSubreaper() error {
	subreaperOnce.Do(func() {
		subreaperErr = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	})
	return subreaperErr
}

// register records a command that started at start (clock ticks since
// boot) and returns its handle; unregister removes it.
func register(start uint64) *int {
	k := new(int)
	running.Lock()
	if running.starts == nil {
		running.starts = map[*int]uint64{}
	}
	running.starts[k] = start
	running.Unlock()
	return k
}

func unregister(k *int) {
	running.Lock()
	delete(running.starts, k)
	running.Unlock()
}

// earliestOther returns the earliest start among running commands other
// than k.
func earliestOther(k *int) (uint64, bool) {
	running.Lock()
	defer running.Unlock()
	earliest, found := uint64(0), false
	for o, s := range running.starts {
		if o != k && (!found || s < earliest) {
			earliest, found = s, true
		}
	}
	return earliest, found
}

// procStat is what sweep needs of /proc/PID/stat.
type procStat struct {
	state           byte // 'Z' for a zombie
	ppid, pgid, sid int
	start           uint64 // clock ticks since boot
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name, in parentheses, may hold anything: fields start
	// after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errors.New("malformed stat")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state): ppid is field 4, pgrp 5, session 6,
	// starttime 22.
	if len(f) < 20 {
		return procStat{}, errors.New("malformed stat")
	}
	var st procStat
	st.state = f[0][0]
	st.ppid, _ = strconv.Atoi(string(f[1]))
	st.pgid, _ = strconv.Atoi(string(f[2]))
	st.sid, _ = strconv.Atoi(string(f[3]))
	st.start, _ = strconv.ParseUint(string(f[19]), 10, 64)
	return st, nil
}

// sweep kills and reaps the processes the command k, whose main process
// was pid (also its process group; it has exited, and its zombie keeps the
// group's id), left behind, as described above. It repeats while killing
// one reparents its children to us, and returns how many of the processes
// it killed had left the group and were still running.
//
// Only our own children can be what a command left (a subreaper gets every
// orphan of its descendants: the main process's at its exit, before sweep
// runs), so sweep reads those of each of our threads
// (/proc/self/task/*/children) rather than the stat of every process on
// the machine.
func sweep(k *int, pid int) int {
	running.Lock()
	start := running.starts[k]
	running.Unlock()
	self := os.Getpid()
	sid, _ := unix.Getsid(0)
	ours := func(st procStat) bool {
		if st.ppid != self {
			return false
		}
		if st.pgid == pid {
			return true // a leftover of the group, reparented to us
		}
		if st.sid == sid || st.start < start {
			return false // started by Scribe itself, or before the command
		}
		if other, ok := earliestOther(k); ok && st.start >= other {
			return false // it could be another running command's
		}
		return true
	}
	left := 0
	for {
		killed := 0
		for _, p := range children() {
			if p == pid {
				continue
			}
			st, err := readStat(p)
			if err != nil || !ours(st) {
				continue
			}
			if kill(p, st) {
				killed++
				if st.pgid != pid && st.state != 'Z' {
					left++ // a zombie (a child it left unreaped) ran already
				}
			}
		}
		// A process gives its children to its reaper when it exits, so
		// once the children killed here are reaped, what they had is ours
		// and the next round finds it. A round that kills nothing has
		// found all there is.
		if killed == 0 {
			return left
		}
	}
}

// children lists the children of every thread of this process. A child
// that goes while the files are read may still be listed (readStat then
// fails, or kill finds another process); one that arrives may be missed,
// and sweep reads the files again after every round that killed something,
// which is when what the command left arrives. Where the kernel has no
// children files (CONFIG_PROC_CHILDREN), it lists every process, and
// sweep's test of the parent does the rest.
func children() []int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil || noChildrenFiles {
		return allProcesses()
	}
	var pids []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if errors.Is(err, fs.ErrNotExist) && t.Name() == strconv.Itoa(os.Getpid()) {
			return allProcesses() // the main thread has no such file
		}
		for _, f := range bytes.Fields(b) {
			if p, err := strconv.Atoi(string(f)); err == nil {
				pids = append(pids, p)
			}
		}
	}
	return pids
}

// noChildrenFiles makes children list every process, as on a kernel
// without children files; tests set it.
var noChildrenFiles bool

// allProcesses lists every process of the machine.
func allProcesses() []int {
	ents, _ := os.ReadDir("/proc")
	pids := make([]int, 0, len(ents))
	for _, e := range ents {
		if p, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// kill sends SIGKILL to p, a child of ours, and reaps it. A pidfd pins the
// process, so that a pid reused meanwhile is not hit.
func kill(p int, st procStat) bool {
	fd, err := unix.PidfdOpen(p, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if now, err := readStat(p); err != nil || now.start != st.start {
		return false // not the process we looked at
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil {
		return false
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(p, &ws, 0, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	return true
}
