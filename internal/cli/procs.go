package cli

import (
	"log/slog"
	"os"
	"runtime"
	"sync"
)

// OwnProcess is set by the scribe command (cmd/scribe) when the command line
// runs as a process of its own: the commands that write may then tune the
// Go runtime for the whole process (raiseProcs). Tests that call Main leave
// the test binary's runtime alone.
var OwnProcess bool

// writesFiles, as a command annotation, marks the commands whose work is
// mostly writes (run, watch): they run with more Ps than CPUs (raiseProcs).
const writesFiles = "scribe/writes-files"

// procsPerCPU is how many Ps the commands that write run with per P the
// runtime chose (one per CPU available to the process).
//
// Each write spends most of its time in system calls that block: the fsyncs
// of the file and its folder, and on ext4 creating and freeing inodes. With
// one P per CPU the runtime's monitor takes the P of every call that blocks
// for more than 20 µs and hands it to another thread, because no P is idle;
// on return the thread finds no P, queues its goroutine and sleeps. Every
// write then costs several thread wake-ups and sleeps, and the monitor,
// woken every 20 µs while that goes on, took 10 % of the daemon's CPU in
// a burst. With idle Ps to spare, a P stays with its blocked call (the
// runtime leaves it there for up to 10 ms when another P is idle) and the
// thread goes on when the call returns. On 2 cores, twice as many Ps as
// CPUs made `scribe run` rewriting 2,000 of 20,000 notes take a fifth less
// time and a flood of new files into the daemon go 25–30 % faster; four
// times as many did no better (doc/PERFORMANCE.md, "Twice as many Ps as
// CPUs"). Commands that mostly compute (check, whose link checks and rules
// run on every core) keep one P per CPU: more made its link check slower.
const procsPerCPU = 2

var procsOnce sync.Once

// raiseProcs gives the process procsPerCPU Ps per CPU, once, unless the
// environment sets GOMAXPROCS: the user's setting wins. Setting GOMAXPROCS
// also stops the runtime from following later changes of the process's CPU
// limit (cgroups), which a command that runs for its job's length, or a
// daemon restarted with its service, does not need.
func raiseProcs(log *slog.Logger) {
	procsOnce.Do(func() {
		if os.Getenv("GOMAXPROCS") != "" {
			return
		}
		n := procsPerCPU * runtime.GOMAXPROCS(0)
		runtime.GOMAXPROCS(n)
		log.Debug("more Ps than CPUs, for the writes' blocking system calls", "GOMAXPROCS", n)
	})
}
