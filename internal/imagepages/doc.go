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
// # Usage
//
//	n, err := imagepages.Release() // once idle: after start-up, after a backlog
//
// Outside Linux, and without /proc, Release does nothing.
//
// # Concurrency
//
// Release is safe to call from any goroutine while others run: a page they
// use is mapped again on their next access.
package imagepages
