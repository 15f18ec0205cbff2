package safefile

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Every write makes two things durable: the temporary file's data before
// the exchange, and the directory entries after it. Each write fsyncs its
// own temporary file, concurrent writes at the same time: the file system's
// journal merges the fsyncs that arrive while a commit runs into its next
// commit, so a burst costs a few journal commits, not one per file.
//
// A merged syncfs(2) per round of concurrent requests was tried and
// dropped: syncfs flushes every dirty page of the file system, other
// programs' too, and a round that ran while another program had written a
// lot (a checkout, a copied tree, a freshly written corpus) waited for all
// of it, seconds at a time.

// Directories are the exception: writes that land in one directory at the
// same time share its fsyncs. A write needs an fsync of its directory that
// started after its own change of the entries; while one runs, the writers
// that arrive wait for the next, which one of them then runs for all of
// them (an fsync acts on the inode, so any descriptor of the directory
// will do). A flood of new files into one folder thus costs a directory
// fsync per round of concurrent writers instead of one per file, and a
// lone write still runs its own at once.

// dirKey identifies a directory: device and inode.
type dirKey struct{ dev, ino uint64 }

// dirSyncs holds the state of the directories being synced, while anyone
// waits on them.
var dirSyncs struct {
	sync.Mutex
	m map[dirKey]*dirSync
}

// dirSync is one directory's fsync rounds, numbered from 1.
type dirSync struct {
	mu            sync.Mutex
	cond          sync.Cond
	running       bool
	started, done uint64 // the last round started, the last one finished
	failed        uint64 // the last round that failed, with err
	err           error
	users         int // under dirSyncs' lock
}

// syncDir makes the entries of the directory fd (identified by key)
// durable: it returns once an fsync that started after the call has
// finished, with that fsync's error or a later one's.
func syncDir(fd int, key dirKey) error {
	dirSyncs.Lock()
	s := dirSyncs.m[key]
	if s == nil {
		if dirSyncs.m == nil {
			dirSyncs.m = map[dirKey]*dirSync{}
		}
		s = &dirSync{}
		s.cond.L = &s.mu
		dirSyncs.m[key] = s
	}
	s.users++
	dirSyncs.Unlock()
	defer func() {
		dirSyncs.Lock()
		if s.users--; s.users == 0 {
			delete(dirSyncs.m, key)
		}
		dirSyncs.Unlock()
	}()

	s.mu.Lock()
	defer s.mu.Unlock()
	// A round running now may have started before our change: the one
	// after it is the first that surely covers it.
	want := s.started + 1
	for s.done < want {
		if s.running {
			s.cond.Wait()
			continue
		}
		s.running = true
		s.started++
		round := s.started
		s.mu.Unlock()
		err := dirFsync(fd)
		s.mu.Lock()
		s.running = false
		s.done = round
		if err != nil {
			s.failed, s.err = round, err
		}
		s.cond.Broadcast()
	}
	if s.failed >= want {
		return s.err
	}
	return nil
}

// dirFsync is fsync; tests watch it.
var dirFsync = fsync

// fsync retries on EINTR, which a Go program's signals can cause.
func fsync(fd int) error {
	for {
		if err := unix.Fsync(fd); err != unix.EINTR {
			return err
		}
	}
}
