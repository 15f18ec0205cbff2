// Package safefile reads and writes the user's files without ever losing or
// tearing them: safe reads, atomic compare-and-swap replacement, atomic
// creation and renames, all confined to an *os.Root.
//
// # Usage
//
//	s, err := safefile.Read(root, "notes/a.md", 8<<20)
//	if safefile.IsSkip(err) { /* report a finding */ }
//	...
//	err = safefile.Replace(root, "notes/a.md", s, newContent)
//	var ce *safefile.ConflictError
//	if errors.As(err, &ce) { /* redo the rule on ce.Current */ }
//
// A reader of many files opens their directory once (OpenDir) and reads
// through it: Dir.Read makes Read's checks on the file alone, and
// Dir.ReadListed, for a dry run whose own listing classified the file,
// makes four system calls (openat, fstat, read, close) into a pooled buffer
// (Snapshot.Release); its doc comment gives the safety argument for each
// check it leaves out.
//
// Paths are relative, slash-separated and clean ("a/b.md", never "./a" or
// "a/../b"). Every operation opens the parent directory through the root
// (in one openat2 call with RESOLVE_BENEATH where the kernel has it, which
// resolves the path as os.Root does) and then works on the last component
// with *at system calls, which never follow a symlink: a symlink is a file
// like any other (Read skips it; Resolve says where it leads inside the
// root).
//
// # Guarantees
//
// A crash at any point leaves every file whole, either the old or the new
// version; at worst an orphaned temp file (TempPrefix*) remains, which
// CleanTemps settles at the next start. Replace writes its temp file
// unnamed (O_TMPFILE) and names it only once it is whole, with a tag that
// tells what it was for; should the crash come while a user's save that
// raced with the exchange is swapped out, CleanTemps puts that save back
// (or keeps it as a conflict copy). Replace never overwrites a version it
// was not given: it checks the inode, size, mtime, ctime and sha256, swaps the
// new file in with renameat2(RENAME_EXCHANGE), inspects what it swapped out and
// swaps back if that was a user's edit. A read lease on the old file makes
// in-place writers visible: one that holds the file open makes Replace fail
// with ErrBusy, one that opens it during the swap breaks the lease and the swap
// is undone.
//
// A lease break is signalled to this process with SIGIO, which the Go runtime
// ignores unless the program asks for it with signal.Notify.
//
// A save that lands while the swap-back runs is newer still: Replace swaps
// again until the newest save is in place, and drops what only an older
// save of the user's held. Before each swap the temp file is renamed with
// a tag naming the two versions the swap exchanges, so that a crash
// between two swaps leaves CleanTemps what it needs to put the newer save
// in place. If saves keep racing with it past eight swaps
// (each within microseconds of the last), the version that cannot be put
// back is kept beside the file as ".scribe-conflict-<random>-<name>" and
// the error says so; it is never deleted, and CleanTemps leaves it alone.
//
// A writer that looked the file up before the swap but is preempted inside
// open(2) reaches the old inode only after the check, once it is unlinked.
// Replace keeps that inode open until the directory is synced and looks at
// it again then: a save found in it is put back in place of the rewrite
// (or, if that fails, kept as a conflict copy), and Replace returns a
// *ConflictError holding it.
//
// Residual risk, documented rather than hidden: such a writer preempted for
// longer than the directory's fsync writes into the unlinked inode unseen;
// and where RENAME_EXCHANGE is not supported (counted by FallbackWrites) a
// save between the last check and the rename is lost.
//
// Linux only (renameat2, leases, xattrs).
//
// # Concurrency
//
// All functions are safe for concurrent use. Concurrent Replace calls on one
// path are safe too: one wins, the others get a *ConflictError. Nothing here
// starts goroutines or holds locks across calls. Within a call, the system
// calls that change a directory's entries (create, rename within it,
// unlink) take a lock of that directory (striped by its identity), so that
// writers of one folder wait asleep rather than spinning on its inode lock,
// and concurrent writes to one directory share its fsyncs (durable.go).
//
// # Failpoints
//
// Built with -tags failpoints, the process exits with status 137 right after
// the protocol step named by the environment variable SCRIBE_FAILPOINT:
// create-temp, write-half, chmod, fsync, close, recheck (Replace's last
// check, before the exchange), exchange, check, unlink-old, dir-fsync, and
// swap-tag and swap-back (the renaming of the temp file before a
// swap-back, and the swap-back, reached only when a save raced with the
// exchange). Without
// the tag, a test of the package can hook the same steps.
package safefile
