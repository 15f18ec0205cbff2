package bareloop

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Event is one inotify event, stamped when read() returned it.
type Event struct {
	// Path is the absolute path of the file or directory concerned.
	Path string
	// Mask is the inotify mask (unix.IN_CLOSE_WRITE, unix.IN_MOVED_TO, ...).
	Mask uint32
	// At is when the event was read from the kernel.
	At time.Time
}

// ErrOverflow is returned by Notify.Err when the kernel queue overflowed and
// events were lost.
var ErrOverflow = errors.New("inotify queue overflow: events were lost")

// Notify reads inotify events of the directories of a tree. Events are
// delivered on C, in kernel order; C is closed when Close is called or reading
// fails (see Err).
type Notify struct {
	// C receives every event. It is buffered; a consumer that falls behind
	// makes the kernel queue fill, which Err reports as ErrOverflow.
	C <-chan Event

	f    *os.File
	mask uint32
	c    chan Event
	stop chan struct{} // closed by Close: a blocked send gives up
	done chan struct{} // closed when read returns
	once sync.Once

	mu  sync.Mutex
	wds map[int32]string
	err error
}

// NewNotify starts reading events of the given inotify mask for every
// directory under dir (dir included).
func NewNotify(dir string, mask uint32) (*Notify, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify init: %w", err)
	}
	c := make(chan Event, 1<<16)
	n := &Notify{C: c, c: c, f: os.NewFile(uintptr(fd), "inotify"), mask: mask, stop: make(chan struct{}), done: make(chan struct{}), wds: map[int32]string{}}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		wd, err := unix.InotifyAddWatch(fd, p, mask|unix.IN_ONLYDIR)
		if err != nil {
			return fmt.Errorf("inotify watch %s: %w", p, err)
		}
		n.wds[int32(wd)] = p
		return nil
	})
	if err != nil {
		n.f.Close()
		return nil, err
	}
	go n.read()
	return n, nil
}

// Watches returns how many directories are watched.
func (n *Notify) Watches() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.wds)
}

// Err returns why reading stopped early (ErrOverflow, or a read error), or nil.
func (n *Notify) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.err
}

// Close stops reading and waits until C is closed.
func (n *Notify) Close() error {
	var err error
	n.once.Do(func() {
		close(n.stop)
		err = n.f.Close()
	})
	<-n.done
	return err
}

func (n *Notify) read() {
	defer close(n.done)
	defer close(n.c)
	buf := make([]byte, 256<<10)
	for {
		k, err := n.f.Read(buf)
		at := time.Now()
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				n.fail(fmt.Errorf("read inotify: %w", err))
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= k; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				n.fail(ErrOverflow)
				continue
			}
			n.mu.Lock()
			dir, ok := n.wds[ev.Wd]
			n.mu.Unlock()
			if !ok {
				continue
			}
			for len(name) > 0 && name[len(name)-1] == 0 {
				name = name[:len(name)-1]
			}
			select {
			case n.c <- Event{Path: filepath.Join(dir, string(name)), Mask: ev.Mask, At: at}:
			case <-n.stop:
				return
			}
		}
	}
}

func (n *Notify) fail(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err == nil {
		n.err = err
	}
}
