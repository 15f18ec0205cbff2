package safefile

import "golang.org/x/sys/unix"

// Every write makes two things durable: the temporary file's data before
// the exchange, and the directory entries after it. Each write fsyncs its
// own descriptors, concurrent writes at the same time: the file system's
// journal merges the fsyncs that arrive while a commit runs into its next
// commit, so a burst costs a few journal commits, not one per file.
//
// A merged syncfs(2) per round of concurrent requests was tried and
// dropped: syncfs flushes every dirty page of the file system, other
// programs' too, and a round that ran while another program had written a
// lot (a checkout, a copied tree, a freshly written corpus) waited for all
// of it, seconds at a time.

// fsync retries on EINTR, which a Go program's signals can cause.
func fsync(fd int) error {
	for {
		if err := unix.Fsync(fd); err != unix.EINTR {
			return err
		}
	}
}
