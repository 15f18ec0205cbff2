package watch

import (
	"io/fs"
	"time"
)

// racyWindow returns how long after its mtime a file may still change within
// the same timestamp tick without its size, mtime or ctime showing it (git's
// "racy git" problem). A rescan reports a file recorded within that window
// even when its fingerprint looks unchanged. Linux's native file systems
// stamp in nanoseconds from a clock that ticks every few milliseconds; an
// mtime on a whole second hints at a file system that stamps in seconds (or
// two, as FAT does).
func racyWindow(mtime time.Time) time.Duration {
	if mtime.Nanosecond() == 0 {
		return 2 * time.Second
	}
	return 100 * time.Millisecond
}

// fingerprint is the state of a document as the last stat saw it. Two equal
// fingerprints mean "unchanged" for a rescan; kernel events are reported
// whatever the fingerprint says.
type fingerprint struct {
	ino   uint64
	size  int64
	mtime int64 // ns
	ctime int64 // ns; 0 where the platform does not expose it
	racy  bool
}

// same reports whether f and g describe the same state, racy aside.
func (f fingerprint) same(g fingerprint) bool {
	return f.ino == g.ino && f.size == g.size && f.mtime == g.mtime && f.ctime == g.ctime
}

// fingerprintOf builds the fingerprint of fi, recorded at now.
func fingerprintOf(fi fs.FileInfo, now time.Time) fingerprint {
	f := fingerprint{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	f.ino, f.ctime = statExtra(fi)
	// An mtime well in the future (a clock set back, touch -d) cannot hide
	// a write: a real write stamps the current time, which differs.
	age, window := now.Sub(fi.ModTime()), racyWindow(fi.ModTime())
	f.racy = age > -window && age < window
	return f
}
