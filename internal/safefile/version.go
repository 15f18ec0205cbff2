package safefile

import (
	"io/fs"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Version identifies a version of a file by its metadata: what a stat tells
// without reading the content. Two versions with the same fields are the
// same content unless a write landed within one timestamp tick of the last
// (git's "racy" case), which only a hash can tell.
type Version struct {
	Size       int64  `json:"size"`
	ModTime    int64  `json:"mtime"` // unix nanoseconds
	ChangeTime int64  `json:"ctime"` // unix nanoseconds
	Ino        uint64 `json:"ino"`
}

// VersionOf returns the version of a file from its lstat (or stat) info.
func VersionOf(fi fs.FileInfo) Version {
	v := Version{Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		v.ChangeTime = st.Ctim.Sec*1e9 + st.Ctim.Nsec
		v.Ino = st.Ino
	}
	return v
}

func versionOfStat(st *unix.Stat_t) Version {
	return Version{Size: st.Size, ModTime: st.Mtim.Nano(), ChangeTime: st.Ctim.Nano(), Ino: st.Ino}
}

// Version returns the version of the file the snapshot was read from.
func (s *Snapshot) Version() Version {
	return Version{Size: s.Size, ModTime: s.ModTime, ChangeTime: s.ChangeTime, Ino: s.Ino}
}

// RacyWindow returns how long after its mtime a file may still change within
// the same timestamp tick without its size, mtime or ctime showing it (git's
// "racy git" problem). Linux's native file systems stamp in nanoseconds from
// a clock that ticks every few milliseconds; an mtime on a whole second hints
// at a file system that stamps in seconds (or two, as FAT does).
func RacyWindow(mtime time.Time) time.Duration {
	if mtime.Nanosecond() == 0 {
		return 2 * time.Second
	}
	return 100 * time.Millisecond
}

// settled reports whether a file whose mtime and ctime are those (unix
// nanoseconds) changed at least RacyWindow before now.
func settled(mtime, ctime int64, now time.Time) bool {
	age := now.Sub(time.Unix(0, ctime))
	return age >= RacyWindow(time.Unix(0, mtime))
}

// Stamp is a digest of a Version in 62 bits (the top two are zero, for
// callers to keep flags in): what the daemon's file index and its watcher
// hold per file, a quarter of a Version. Two versions with the same stamp
// are taken as the same; different versions share a stamp with a chance of
// one in 2^62.
type Stamp uint64

// StampBits masks the bits of a Stamp.
const StampBits = 1<<62 - 1

// Stamp returns the stamp of v. It is stable across processes and releases
// (the daemon persists it), so the function must never change.
func (v Version) Stamp() Stamp {
	h := mix64(uint64(v.Size) ^ 0x9e3779b97f4a7c15)
	h = mix64(h ^ uint64(v.ModTime))
	h = mix64(h ^ uint64(v.ChangeTime))
	h = mix64(h ^ v.Ino)
	return Stamp(h & StampBits)
}

// mix64 is the finalizer of SplitMix64: a bijection of 64-bit words that
// spreads every input bit over the output.
func mix64(x uint64) uint64 {
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
