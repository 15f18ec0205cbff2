package wasm

import "golang.org/x/sys/unix"

// reserve maps size bytes of zeroed, private, anonymous memory. Nothing is
// resident until touched, and MAP_NORESERVE keeps a cap that is never used
// from counting against the system's commit limit.
//
// The mapping asks for transparent huge pages: the kernel then zeroes and
// maps 2 MiB at a time where the guest touches memory, instead of taking a
// fault per 4 KiB page. A Go plugin touches some megabytes while its
// runtime starts; 4 KiB faults cost it several milliseconds (measured in
// doc/PERFORMANCE.md), huge pages a few hundred microseconds. Where
// transparent huge pages are off, the advice is ignored and pages are 4 KiB.
func reserve(size uint64) ([]byte, error) {
	if size == 0 || size > 1<<32 {
		return nil, unix.EINVAL
	}
	b, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, err
	}
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE) // advice: failing it changes only the speed
	return b, nil
}

func unreserve(b []byte) { _ = unix.Munmap(b) }
