package daemon

import (
	"errors"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"

	"github.com/scribe-md/scribe/internal/imagepages"
	"github.com/scribe-md/scribe/internal/journal"
)

// memoryFloor is the smallest automatic memory budget.
const memoryFloor = 256 << 20

// memoryBudget is engine.memory_budget: memory the daemon may hold before it
// says so. It is reported, never enforced. A soft limit (GOMEMLIMIT) below
// what the daemon needs makes the garbage collector run without pause, idle
// or not (issue 8: 110 % of a core at 20,000 notes), so none is set.
type memoryBudget struct {
	mu   sync.Mutex
	auto uint64 // the automatic budget, set when the daemon first goes idle
	over bool
}

// MemoryStatus is the memory part of Status.
type MemoryStatus struct {
	// Held is what the Go runtime holds from the system (about the RSS).
	Held uint64 `json:"held_bytes"`
	// Budget is engine.memory_budget, or the automatic one; 0 until the
	// daemon first goes idle when it is automatic.
	Budget uint64 `json:"budget_bytes"`
	// Over says Held exceeds Budget.
	Over bool `json:"over_budget"`
}

// memoryHeld returns the memory the Go runtime has mapped and not returned to
// the system. Reading runtime metrics does not stop the world.
func memoryHeld() uint64 {
	s := []rtmetrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 || s[1].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// releaseMemory gives back what the daemon holds and does not need once a
// backlog is done: the runtime's free heap, the binary's pages that the
// start or the backlog touched, and the journal's pages that its lookups and
// commits mapped (the last two file cache, counted in the RSS while mapped).
func (d *Daemon) releaseMemory() {
	debug.FreeOSMemory()
	d.releaseImage()
	if d.journal == nil {
		return
	}
	if err := d.journal.ReleaseMemory(); err != nil && !errors.Is(err, journal.ErrClosed) {
		d.log.Warn("release the journal's mapped pages", "err", err)
	}
}

// releaseImage drops the binary's pages from the resident set (package
// imagepages). At ready it runs even with a backlog queued: most of what
// the start touched (every package's init) never runs again, and the code
// the backlog runs is mapped again as it runs. That first time it also
// evicts them from the page cache (imagepages.Evict): left there, the
// kernel would map them back around every page the daemon runs (22 MiB of
// the 36 MiB of code and tables by the end of a burst, where the daemon
// runs a few MiB of it). The code the daemon runs is then read back a page
// at a time, once; later releases leave the cache alone, so that a
// backlog's end costs no disk read.
func (d *Daemon) releaseImage() {
	release, what := imagepages.Release, "release"
	if !d.evicted.Swap(true) {
		release, what = imagepages.Evict, "evict"
	}
	if _, err := release(); err != nil {
		d.log.Warn(what+" the binary's pages", "err", err)
	}
}

// checkMemory compares the memory held with the budget and logs a crossing,
// either way, once. idle says the queue has just drained: the first time,
// an automatic budget is set to twice what is held then (at least
// memoryFloor). It runs after work, never on a timer: memory only grows
// when there is work.
func (d *Daemon) checkMemory(idle bool) MemoryStatus {
	d.mu.RLock()
	fixed := uint64(d.cfg.Engine.MemoryBudget)
	d.mu.RUnlock()
	held := memoryHeld()
	m := &d.memory
	m.mu.Lock()
	defer m.mu.Unlock()
	if idle && m.auto == 0 {
		m.auto = max(2*held, memoryFloor)
	}
	st := MemoryStatus{Held: held, Budget: m.auto}
	if fixed > 0 {
		st.Budget = fixed
	}
	st.Over = st.Budget > 0 && held > st.Budget
	switch {
	case st.Over && !m.over:
		d.log.Warn("the daemon holds more memory than its budget; it keeps running (the budget is not enforced)",
			"held_mib", held>>20, "budget_mib", st.Budget>>20,
			"hint", "raise engine.memory_budget if this vault needs it, or report the growth if it does not")
		d.hub.publish(Event{Type: "memory", Message: "over budget", Data: map[string]any{"held_bytes": held, "budget_bytes": st.Budget}})
	case !st.Over && m.over:
		d.log.Info("the daemon's memory is back under its budget", "held_mib", held>>20, "budget_mib", st.Budget>>20)
	}
	m.over = st.Over
	return st
}
