package watch

import (
	"time"

	"github.com/scribe-md/scribe/internal/safefile"
)

// racyWindow is safefile.RacyWindow: a rescan reports a file recorded within
// that window of its mtime even when its fingerprint looks unchanged.
var racyWindow = safefile.RacyWindow

// fingerprint is the state of a document as the last stat saw it, in eight
// bytes (a watcher holds one per document of the tree): the stamp of its
// version (safefile.Stamp: inode, size, mtime, ctime) and two flags in the
// bits a stamp leaves free. Two equal fingerprints mean "unchanged" for a
// rescan; kernel events are reported whatever the fingerprint says.
type fingerprint uint64

const (
	fpLink fingerprint = 1 << 63 // a symbolic link to a document: the target's version
	fpRacy fingerprint = 1 << 62 // recorded within its mtime's timestamp tick
)

// fingerprintOf builds the fingerprint of version v, recorded at now.
func fingerprintOf(v safefile.Version, link bool, now time.Time) fingerprint {
	f := fingerprint(v.Stamp())
	if link {
		f |= fpLink
	}
	if racyAt(time.Unix(0, v.ModTime), now) {
		f |= fpRacy
	}
	return f
}

// same reports whether f and g describe the same state, racy aside.
func (f fingerprint) same(g fingerprint) bool { return f&^fpRacy == g&^fpRacy }

func (f fingerprint) racy() bool { return f&fpRacy != 0 }
func (f fingerprint) link() bool { return f&fpLink != 0 }

// stamp is the stamp of the version f was made from.
func (f fingerprint) stamp() safefile.Stamp { return safefile.Stamp(f) & safefile.StampBits }

// racyAt reports whether a file with this mtime, recorded at now, may still
// change within its timestamp tick. An mtime well in the future (a clock set
// back, touch -d) cannot hide a write: a real write stamps the current time,
// which differs.
func racyAt(mtime, now time.Time) bool {
	age, window := now.Sub(mtime), racyWindow(mtime)
	return age > -window && age < window
}
