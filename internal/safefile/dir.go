package safefile

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Dir is one directory of a root, opened once to read many of its files:
// each read then costs the system calls on the file itself, not a walk from
// the root to its directory.
//
// A Dir keeps its directory open. Were the directory moved out of the root
// meanwhile, reads through the Dir would follow it there; that is harmless
// for reads whose results write nothing (a dry run) or are written through
// the root by Replace, which then finds another file than the snapshot at
// the path and reports a conflict; it is why writes never go through a Dir.
//
// A Dir is safe for concurrent use; Close it once every read is done.
type Dir struct {
	d   *dir
	rel string // relative to the root; "." for the root itself
}

// OpenDir opens the directory rel of root ("." for the root itself).
// Symlinks among its components are followed only while they stay inside
// the root, as for every path here.
func OpenDir(root *os.Root, rel string) (*Dir, error) {
	if rel != "." {
		if err := checkRel(rel); err != nil {
			return nil, err
		}
	}
	d, err := openDir(root, rel)
	if err != nil {
		return nil, fmt.Errorf("open directory %s: %w", rel, err)
	}
	if d.f == nil { // for List's ReadDir
		d.f = os.NewFile(uintptr(d.fd), rel)
	}
	return &Dir{d: d, rel: rel}, nil
}

// Close releases the directory's descriptor.
func (d *Dir) Close() error { return d.d.f.Close() }

// base returns the name of rel inside d, or an error if rel does not name
// something directly inside d. rel is relative to the root, as for Read,
// and errors name it.
func (d *Dir) base(rel string) (string, error) {
	if err := checkRel(rel); err != nil {
		return "", err
	}
	base := rel
	if d.rel != "." {
		if len(rel) <= len(d.rel)+1 || !strings.HasPrefix(rel, d.rel) || rel[len(d.rel)] != '/' {
			return "", fmt.Errorf("%w %q: not in directory %q", ErrInvalidPath, rel, d.rel)
		}
		base = rel[len(d.rel)+1:]
	}
	if strings.IndexByte(base, '/') >= 0 {
		return "", fmt.Errorf("%w %q: not directly in directory %q", ErrInvalidPath, rel, d.rel)
	}
	return base, nil
}

// Read is Read for rel, a file directly inside d, with every check Read
// makes, into a pooled buffer (see Snapshot.Release).
func (d *Dir) Read(rel string, maxSize int64) (*Snapshot, error) {
	base, err := d.base(rel)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	return d.d.readWith(rel, base, readSpec{maxSize: maxSize, text: true, pooled: true})
}

// ReadListed is Read for a file that the caller's directory listing showed
// as a regular file (the kernel's d_type, or an lstat where the file system
// gives no type: what scan.Entry.Type holds), for a dry run. It makes four
// system calls on the file (openat, fstat, read, close) where Dir.Read
// makes six (an fstatat before the open, an fstat after the read) and Read
// more (it opens the directory through the root each time), and reads into
// a pooled buffer (see Snapshot.Release). What each check it leaves out did,
// and why a dry run does not need it:
//
//   - The fstatat before the open kept FIFOs, sockets and devices from ever
//     being opened. The listing already classified the entry as a regular
//     file, exactly as that fstatat would have; both are checks before the
//     open, so neither closes the window in which the entry is swapped for
//     something else, ReadListed's window is only longer. What it opens is
//     still judged by fstat on the descriptor before a byte is read: a
//     FIFO opened with O_NONBLOCK does not block and is closed unread, a
//     socket fails to open (ENXIO), a symlink fails (O_NOFOLLOW), and
//     O_NOCTTY keeps a terminal from becoming ours. Such a swap is then
//     read again as Read would, from an lstat, and skipped with the same
//     finding. Putting a device node in the user's tree for us to open
//     takes CAP_MKNOD: a user who has it can do worse than that.
//   - The fstat after the read showed whether the file changed during it;
//     without it, a same-size rewrite in place during the read can give
//     content that mixes two versions (a change of size is still seen: the
//     length read must equal the size fstat gave, or the read is retried).
//     A dry run writes nothing and records nothing: at worst it reports a
//     diff of a file that was being saved while it was read, a report on a
//     tree in motion that is stale a moment later anyway. The snapshot's
//     identity is from before the read, so handed to Replace, a change
//     during the read is a conflict (see ReadListedToWrite, for runs that
//     write).
//
// Every other property of Read holds: symlinks are never followed, a FIFO
// never blocks, the size limit is enforced from the inode's size before
// reading, hard-linked files are skipped, and so is content that is not
// UTF-8 text.
//
// The snapshot's Hash is left zero: hashing every file costs as much as a
// system call, and a dry run needs the hash of few of them (those it would
// change, or that an undo mark names); the caller computes it where it
// needs it. A zero Hash is the hash of no content, so a snapshot from
// ReadListed given to Replace as it is could only ever conflict, never
// overwrite.
func (d *Dir) ReadListed(rel string, maxSize int64) (*Snapshot, error) {
	return d.readListed(rel, maxSize, false)
}

// ReadListedToWrite is ReadListed for a run that may write the file: the
// snapshot's Hash is set, so it can be given to Replace. Its stat is from
// before the read, so a save during the read does not show in it; but that
// save set the file's ctime after the stat was taken. When the file had
// last changed at least a timestamp tick (RacyWindow) before that stat,
// the snapshot is Settled: a save during or after the read shows as a
// stat that differs under Replace's lease, a conflict, never written over.
// A file changed more recently than that is racy, and Replace hashes it
// again under its lease before the exchange, as for any racy snapshot.
func (d *Dir) ReadListedToWrite(rel string, maxSize int64) (*Snapshot, error) {
	return d.readListed(rel, maxSize, true)
}

func (d *Dir) readListed(rel string, maxSize int64, hash bool) (*Snapshot, error) {
	base, err := d.base(rel)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	return d.d.readWith(rel, base, readSpec{maxSize: maxSize, text: true, listed: true, once: true, pooled: true, noHash: !hash})
}

// List returns the entries of the directory, as os.File.ReadDir does (the
// type of each from the directory itself, no stat).
func (d *Dir) List() ([]fs.DirEntry, error) {
	entries, err := d.d.f.ReadDir(-1)
	if err != nil {
		return entries, fmt.Errorf("read directory %s: %w", d.rel, err)
	}
	return entries, nil
}

// Lstat returns the type and the version of name, an entry of the directory
// (one path component), without following a symlink: one fstatat(2).
func (d *Dir) Lstat(name string) (fs.FileMode, Version, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return 0, Version{}, fmt.Errorf("%w %q: not a name in directory %q", ErrInvalidPath, name, d.rel)
	}
	st, err := d.d.lstat(name)
	if err != nil {
		return 0, Version{}, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	return fileMode(st.Mode), versionOfStat(&st), nil
}
