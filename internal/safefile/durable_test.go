package safefile

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDirSyncsAreShared: writers that sync one directory at the same time
// share its fsyncs, and each returns only after an fsync that started after
// it called, with that fsync's error.
func TestDirSyncsAreShared(t *testing.T) {
	dir, _ := newRoot(t)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	type round struct{ start, end time.Time }
	var (
		mu     sync.Mutex
		rounds []round
		fail   atomic.Bool
	)
	errDisk := errors.New("disk gone")
	dirFsync = func(fd int) error {
		r := round{start: time.Now()}
		time.Sleep(2 * time.Millisecond)
		err := fsync(fd)
		if fail.Load() {
			err = errDisk
		}
		r.end = time.Now()
		mu.Lock()
		rounds = append(rounds, r)
		mu.Unlock()
		return err
	}
	t.Cleanup(func() { dirFsync = fsync })

	const writers, each = 16, 20
	key := dirKey{1, 1}
	type call struct{ from, to time.Time }
	calls := make([][]call, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range each {
				c := call{from: time.Now()}
				if err := syncDir(fd, key); err != nil {
					t.Error(err)
				}
				c.to = time.Now()
				calls[w] = append(calls[w], c)
			}
		})
	}
	wg.Wait()
	if len(rounds) >= writers*each {
		t.Errorf("%d fsyncs for %d calls: none shared", len(rounds), writers*each)
	}
	for _, cs := range calls {
		for _, c := range cs {
			covered := false
			for _, r := range rounds {
				if !r.start.Before(c.from) && !r.end.After(c.to) {
					covered = true
					break
				}
			}
			if !covered {
				t.Fatalf("a call returned without an fsync that started after it")
			}
		}
	}
	t.Logf("%d fsyncs for %d calls", len(rounds), writers*each)

	// A failed fsync fails the calls that waited for it.
	fail.Store(true)
	if err := syncDir(fd, key); !errors.Is(err, errDisk) {
		t.Errorf("syncDir with a failing fsync = %v", err)
	}
	fail.Store(false)
	if err := syncDir(fd, key); err != nil {
		t.Errorf("syncDir after the failure = %v", err)
	}
	dirSyncs.Lock()
	left := len(dirSyncs.m)
	dirSyncs.Unlock()
	if left != 0 {
		t.Errorf("%d directories still tracked with no one syncing", left)
	}
}
