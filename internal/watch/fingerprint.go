package watch

import (
	"io/fs"
	"time"

	"github.com/scribe-md/scribe/internal/safefile"
)

// racyWindow is safefile.RacyWindow: a rescan reports a file recorded within
// that window of its mtime even when its fingerprint looks unchanged.
var racyWindow = safefile.RacyWindow

// fingerprint is the state of a document as the last stat saw it. Two equal
// fingerprints mean "unchanged" for a rescan; kernel events are reported
// whatever the fingerprint says.
type fingerprint struct {
	ino   uint64
	size  int64
	mtime int64 // ns
	ctime int64 // ns; 0 where the platform does not expose it
	racy  bool
	link  bool // a symbolic link to a document: the target's state
}

// same reports whether f and g describe the same state, racy aside.
func (f fingerprint) same(g fingerprint) bool {
	return f.ino == g.ino && f.size == g.size && f.mtime == g.mtime && f.ctime == g.ctime && f.link == g.link
}

// fingerprintOf builds the fingerprint of fi, recorded at now.
func fingerprintOf(fi fs.FileInfo, now time.Time) fingerprint {
	f := fingerprint{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	f.ino, f.ctime = statExtra(fi)
	f.racy = racyAt(fi.ModTime(), now)
	return f
}

// fingerprintOfVersion builds the fingerprint of a file version, recorded
// at now.
func fingerprintOfVersion(v safefile.Version, now time.Time) fingerprint {
	return fingerprint{ino: v.Ino, size: v.Size, mtime: v.ModTime, ctime: v.ChangeTime, racy: racyAt(time.Unix(0, v.ModTime), now)}
}

// racyAt reports whether a file with this mtime, recorded at now, may still
// change within its timestamp tick. An mtime well in the future (a clock set
// back, touch -d) cannot hide a write: a real write stamps the current time,
// which differs.
func racyAt(mtime, now time.Time) bool {
	age, window := now.Sub(mtime), racyWindow(mtime)
	return age > -window && age < window
}
