// Package imagepages drops the pages of the program's own executable that
// its start touched from the process's resident set.
//
// A Go binary's code, read-only data and line tables are mapped from its
// file. Every package's init runs at start, and the kernel maps the 64 KiB
// around each page fault (fault-around), so a daemon at rest has most of its
// binary resident (29 of the 36 MiB of code and tables of `scribe watch`),
// though it runs a small part of it. Release unmaps those pages with
// madvise(MADV_DONTNEED): they stay in the kernel's page cache, and the code
// the process runs next maps its pages again (a minor fault each 64 KiB, no
// disk read while the cache holds them). Nothing is lost: only mappings that
// are not writable and that hold no page of their own (no copy-on-write
// page, as a relocated read-only segment has) are released, and those are
// exactly the file's contents.
//
// The pages stay in the page cache, though, and each later page fault maps
// the cached pages around it again: by the end of a burst of saves, 22 MiB
// of the binary are mapped back. Evict releases them and drops them from the
// cache too, and turns off read-ahead in those mappings, so that what the
// process runs afterwards is read back a page at a time, and only that is
// resident. The price is a disk read for each page of code run for the
// first time after it (a first save after start: 5 ms more, on the disk
// these figures come from).
//
// # Usage
//
//	n, err := imagepages.Evict()   // once, when the start is done
//	n, err = imagepages.Release()  // once idle again: after a backlog
//
// Outside Linux, and without /proc, Release and Evict do nothing.
//
// # Concurrency
//
// Release and Evict are safe to call from any goroutine while others run: a
// page they use is mapped (or read) again on their next access.
package imagepages
