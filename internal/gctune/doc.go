// Package gctune paces the garbage collector: for a short command few
// collections while the heap is small, for the daemon a heap that stays
// near what is live, and for both never a collector that runs without pause.
//
// A one-shot `scribe run` or `scribe check` allocates a lot and keeps
// little, so a high GOGC saves collections; but at GOGC=400 alone the heap
// grows to five times what is live. A fixed soft memory limit caps that, and
// costs nothing while the live heap is well below it; once the live heap
// nears or passes the limit, the collector runs back to back (the runtime
// only caps it at half the CPU), which is what the daemon did at 20,000
// notes with a 64 MiB limit. So the limit here moves: after each collection
// it is raised to Ratio times the live heap (plus what the runtime holds
// beside it that no collection returns: stacks, metadata, and the unused
// room of the heap's spans in use) when that is above Floor, and falls back
// as the heap shrinks. Small runs keep their small footprint; large ones
// collect once per (Ratio-1) live heaps of allocation, a fixed trade (Ratio
// 1.5 is GOGC=50's), instead of spinning.
//
// The daemon (policy Daemon) lives long and its live heap is mostly the
// paths it holds: at the runtime's default GOGC=100 its heap grows to twice
// that between collections, and the runtime keeps what it grew to. The same
// moving limit, over a floor, keeps it at 1.5 times. Its catch-up, a
// backlog nobody waits on, runs in a Lean span: a lower floor (32 MiB for
// 64), more collections, a smaller peak.
//
// # Usage
//
//	defer gctune.Apply(gctune.OneShot)() // scribe run, scribe check
//	defer gctune.Apply(gctune.Daemon)()  // scribe watch, scribe worker
//	defer gctune.Lean()()                // the daemon's catch-up
//
// GOGC and GOMEMLIMIT in the environment win: Apply leaves alone what the
// user set (and sets no limit under GOGC=off, which asks for no collection).
//
// # Concurrency
//
// The limit is moved by a finalizer that re-arms itself at every
// collection, on the runtime's finalizer goroutine; Apply, Lean and the
// functions they return are safe to call from any goroutine. The settings are
// process-wide: nested or concurrent Apply calls share the first one's
// settings, and the last stop restores what was there before.
package gctune
