package watch

import (
	"io/fs"
	"time"
)

// racyWindow: a file whose mtime is this close to the moment its state was
// recorded may change again within the same timestamp tick without changing
// size, mtime or ctime (git's "racy git" problem), so a rescan reports it
// even when its fingerprint looks unchanged.
const racyWindow = time.Second

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
	f.racy = now.Sub(fi.ModTime()) < racyWindow
	return f
}
