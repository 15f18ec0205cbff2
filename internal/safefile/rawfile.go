package safefile

import (
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// rawFile is a descriptor of a regular file or a directory used directly,
// not through an *os.File. Wrapping costs a system call for every file
// (fcntl, to learn whether it is non-blocking), a failing epoll_ctl for one
// opened O_NONBLOCK (a regular file cannot be polled), and a finalizer, all
// for nothing: a regular file is always ready. A write makes three such
// descriptors (the directory, the file it replaces, the temporary file).
//
// A rawFile belongs to one goroutine. Close is safe to repeat: it closes
// the descriptor once, and the number, which the kernel may give to the
// next open, is never closed twice.
type rawFile struct {
	fd   int
	name string // for errors
}

func newRawFile(fd int, name string) *rawFile { return &rawFile{fd: fd, name: name} }

// Fd returns the descriptor, -1 once closed.
func (f *rawFile) Fd() int { return f.fd }

// Name returns the name given at open, for errors.
func (f *rawFile) Name() string { return f.name }

// Close closes the descriptor, the first time it is called.
func (f *rawFile) Close() error {
	if f.fd < 0 {
		return os.ErrClosed
	}
	fd := f.fd
	f.fd = -1
	return unix.Close(fd) // never retried: Linux frees the number even on EINTR
}

// ReadAt reads at offset off without moving the file's offset (pread),
// as io.ReaderAt asks.
func (f *rawFile) ReadAt(p []byte, off int64) (int, error) {
	read := 0
	for read < len(p) {
		n, err := unix.Pread(f.fd, p[read:], off+int64(read))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return read, &os.PathError{Op: "read", Path: f.name, Err: err}
		}
		if n == 0 {
			return read, io.EOF
		}
		read += n
	}
	return read, nil
}

// Write writes all of p (a regular file takes it in one call unless the
// disk fills or a signal interrupts).
func (f *rawFile) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := unix.Write(f.fd, p[written:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return written, &os.PathError{Op: "write", Path: f.name, Err: err}
		}
		if n == 0 {
			return written, &os.PathError{Op: "write", Path: f.name, Err: io.ErrShortWrite}
		}
		written += n
	}
	return written, nil
}

// Chmod sets the file's mode: its permission bits and the set-user-ID,
// set-group-ID and sticky bits, as os.File.Chmod does.
func (f *rawFile) Chmod(mode fs.FileMode) error {
	m := uint32(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		m |= unix.S_ISUID
	}
	if mode&fs.ModeSetgid != 0 {
		m |= unix.S_ISGID
	}
	if mode&fs.ModeSticky != 0 {
		m |= unix.S_ISVTX
	}
	if err := unix.Fchmod(f.fd, m); err != nil {
		return &os.PathError{Op: "chmod", Path: f.name, Err: err}
	}
	return nil
}
