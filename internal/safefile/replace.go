package safefile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// geteuid is the process's effective user ID, asked once: scribe never
// changes it, and every write checks the owner against it.
var geteuid = sync.OnceValue(os.Geteuid)

// errConflict is internal: the file on disk is not the caller's snapshot.
var errConflict = errors.New("conflict")

// Replace atomically replaces rel with content iff the file on disk is still
// exactly old (inode, size, mtime, ctime and sha256), and returns the version
// of the file it wrote.
//
// The protocol: a temp file in the same directory (O_EXCL, 0600, named
// TempPrefix+random) is written, given the old file's owner, group, mode, ACL
// and user.* attributes, fsynced and closed. Replace then takes a read lease
// on the target, which fails if any process holds it open for writing
// (ErrBusy) and is broken by any later open for writing, re-checks the
// target, and swaps the two names with renameat2(RENAME_EXCHANGE). It then
// inspects what was swapped out: if that is not exactly old, or the lease was
// broken, it swaps back at once and returns a *ConflictError holding the
// user's version. Otherwise it unlinks the old file and fsyncs the directory.
//
// Where RENAME_EXCHANGE is unsupported it re-checks and renames, which leaves
// a short window for a lost update, and counts the write in FallbackWrites.
//
// Replace refuses read-only targets (ErrReadOnly), hard-linked ones
// (ErrHardLinked), targets whose owner cannot be kept (ErrForeignOwner) and
// attributes that cannot be copied (ErrXattr). On every error the original is
// intact and the temp file is gone. Callers should not call Replace when
// content equals old.Content.
func Replace(root *os.Root, rel string, old *Snapshot, content []byte) (Version, error) {
	if old == nil {
		return Version{}, fmt.Errorf("replace %s: no snapshot: read the file before replacing it", rel)
	}
	d, base, err := openParent(root, rel)
	if err != nil {
		return Version{}, fmt.Errorf("replace %s: %w", rel, err)
	}
	defer d.close()
	err = d.replace(base, old, content)
	if errors.Is(err, errNoTmpfile) {
		err = d.replace(base, old, content) // with a named temp file
	}
	if errors.Is(err, errConflict) {
		// Read the user's version only now that the lease is released, so a
		// writer that was waiting on it has had its turn.
		cur, rerr := d.read(rel, base, conflictReadLimit, true)
		if rerr != nil {
			cur = nil
		}
		return Version{}, &ConflictError{Path: rel, Current: cur}
	}
	if err != nil {
		return Version{}, fmt.Errorf("replace %s: %w", rel, err)
	}
	// What is there now: ours, or a save that already followed (the
	// caller's watcher reports that one).
	st, err := d.lstat(base)
	if err != nil {
		return Version{}, nil
	}
	return versionOfStat(&st), nil
}

func (d *dir) replace(base string, old *Snapshot, content []byte) error {
	if old.Mode&0o200 == 0 {
		return ErrReadOnly
	}
	if old.Nlink > 1 {
		return ErrHardLinked
	}
	if euid := geteuid(); euid != 0 && old.Uid != uint32(euid) {
		return ErrForeignOwner
	}
	cur, curSt, err := d.openCurrent(base)
	if err != nil {
		return err
	}
	defer cur.Close() // releases the lease, after everything below
	if !old.matches(&curSt) {
		return errConflict
	}
	if curSt.Mode&0o200 == 0 {
		return ErrReadOnly
	}
	if curSt.Nlink > 1 {
		return ErrHardLinked
	}

	t, err := createTemp(d, newTag(base, old, content), curSt.Mode)
	if err != nil {
		return err
	}
	armed := true // the temp name holds our file and is ours to delete
	defer func() {
		if armed {
			t.remove()
		}
	}()
	if err := t.write(content); err != nil {
		return err
	}
	if err := t.copyMeta(cur.Fd(), &curSt); err != nil {
		return err
	}
	if err := t.finish(); err != nil {
		return err
	}

	leased, err := setLease(cur)
	if err != nil {
		return err
	}
	// Re-check under the lease: from here on no one can start writing the
	// old file without us noticing.
	if err := unix.Fstat(cur.Fd(), &curSt); err != nil {
		return fmt.Errorf("stat %s: %w", base, err)
	}
	if !old.matches(&curSt) || curSt.Nlink != 1 {
		return errConflict
	}
	// An unchanged stat of a settled snapshot proves unchanged content
	// (see Snapshot.Settled); a racy one is hashed again.
	if !old.Settled {
		if h, n, err := hashFile(cur, curSt.Size); err != nil {
			return err
		} else if h != old.Hash || n != old.Size {
			return errConflict
		}
	}

	failpoint("recheck")
	err = renameat2(d, t.name, d, base, unix.RENAME_EXCHANGE)
	if unsupported(err) {
		return d.replaceFallback(t, base, old, cur, leased, &armed)
	}
	if err == unix.ENOENT {
		return errConflict // the target was deleted or renamed away
	}
	if err != nil {
		return fmt.Errorf("exchange %s with %s: %w", t.name, base, err)
	}
	armed = false // t.name now holds whatever was at base
	failpoint("exchange")
	return d.settle(t, base, old, cur, leased, content)
}

// settle runs after the exchange. t.name holds what was at base; it is
// unlinked only once it is known to be the caller's old version, or our own
// unchanged file, or a user version that a later user save superseded.
// Anything else is swapped back or kept.
func (d *dir) settle(t *temp, base string, old *Snapshot, cur *rawFile, leased bool, content []byte) error {
	st1, err := d.lstat(t.name)
	if err != nil {
		return fmt.Errorf("inspect replaced file %s: %w", t.name, err)
	}
	if st1.Ino == old.Ino && uint64(st1.Dev) == old.Dev && d.stillOld(&st1, old, cur, leased) {
		failpoint("check")
		if err := d.unlink(t.name); err != nil {
			return fmt.Errorf("remove old version %s: %w", t.name, err)
		}
		failpoint("unlink-old")
		// A save whose open(2) looked the name up before the exchange
		// reaches the old file only now, unlinked as it is: it waits on
		// the lease, or it comes after. Keep the old file open past the
		// slow directory sync (its lease released, as closing it would)
		// and look at it again then.
		var gone unix.Stat_t
		seen := unix.Fstat(cur.Fd(), &gone) == nil
		waiting := leased && !leaseIntact(cur)
		releaseLease(cur, leased)
		if err := d.sync(); err != nil {
			return fmt.Errorf("sync directory: %w", err)
		}
		failpoint("dir-fsync")
		if waiting || seen && writtenSince(cur, &gone) {
			return d.late(base, cur, &gone, leased, content)
		}
		return nil
	}

	// The user changed the file after the check. Their version is at
	// t.name: swap it back to base. What comes back to t.name was at base
	// since the previous swap: if it is what that swap put there, the
	// version now at base is the newest (ours, or a save superseded by the
	// one at base, is dropped). If not, a later save landed at base
	// meanwhile (or the file was edited in place there): that one is the
	// newest, and goes back to base with one more swap.
	//
	// Before each swap the temp file is renamed with a swap tag naming
	// both versions, so that after a crash CleanTemps can tell which of
	// the two it finds is the newer, as the loop does here.
	// The stats of what base holds (what the last swap put there, which
	// the next one expects to find) and of what t.name holds.
	ours, at, held := true, t.st, st1
	for range swapRounds {
		name := swapTag{t.tag.target, statID(&at), statID(&held)}.name(t.name)
		if err := d.renameFresh(t.name, name); err != nil {
			return d.keep(t.name, base)
		}
		t.name = name
		failpoint("swap-tag")
		if err := d.swapBack(t.name, base); err != nil {
			return err
		}
		failpoint("swap-back")
		st, err := d.lstat(t.name)
		if err != nil {
			return fmt.Errorf("inspect swapped-back file %s: %w", t.name, err)
		}
		if st.Ino == at.Ino && st.Dev == at.Dev && (ours && d.stillOurs(t.name, &st, t, content) ||
			!ours && st.Size == at.Size && st.Mtim == at.Mtim) {
			return d.drop(t.name, errConflict)
		}
		ours, at, held = false, held, st
	}
	return d.keep(t.name, base)
}

// swapRounds bounds the swaps that settle makes to put the newest of a
// user's racing saves back in place: each round is a save that landed
// within microseconds of the last swap.
const swapRounds = 8

// stillOld reports whether the inode now at the temp name (opened as cur
// before the exchange) is unchanged since the check. The exchange itself
// updated its ctime, so size, mtime and, without a lease, the hash decide.
func (d *dir) stillOld(st *unix.Stat_t, old *Snapshot, cur *rawFile, leased bool) bool {
	if st.Size != old.Size || st.Mtim.Nano() != old.ModTime || st.Nlink != 1 {
		return false
	}
	if leased {
		// An intact lease proves no one opened the file for writing.
		return leaseIntact(cur)
	}
	h, n, err := hashFile(cur, st.Size)
	return err == nil && h == old.Hash && n == old.Size
}

// stillOurs reports whether the file at name is our temp file, unmodified.
func (d *dir) stillOurs(name string, st *unix.Stat_t, t *temp, content []byte) bool {
	if st.Size != int64(len(content)) || st.Mtim != t.st.Mtim {
		return false
	}
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	f := newRawFile(fd, name)
	defer f.Close()
	h, n, err := hashFile(f, st.Size)
	return err == nil && n == int64(len(content)) && h == sha256.Sum256(content)
}

// swapBack exchanges name and base again. If base has meanwhile vanished (the
// user deleted the file we had put there), the user's earlier version is
// renamed back rather than lost.
func (d *dir) swapBack(name, base string) error {
	err := renameat2(d, name, d, base, unix.RENAME_EXCHANGE)
	if err == unix.ENOENT {
		if err := renameat2(d, name, d, base, unix.RENAME_NOREPLACE); err == nil {
			return d.drop("", errConflict)
		}
	}
	if err != nil {
		return d.keep(name, base)
	}
	return nil
}

// drop unlinks name (if any), syncs the directory and returns result.
func (d *dir) drop(name string, result error) error {
	if name != "" {
		if err := d.unlink(name); err != nil && err != unix.ENOENT {
			return fmt.Errorf("remove %s: %w", name, err)
		}
	}
	if err := d.sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return result
}

// keep is the last resort when a user's version could not be put back in
// place because saves kept racing with us: it is renamed to a visible
// conflict copy, never deleted, and CleanTemps leaves it alone.
func (d *dir) keep(name, base string) error {
	keepName, err := d.keepAs(name, base)
	if err != nil {
		return fmt.Errorf("edits raced with the rewrite of %s; a version is kept as %s: %w", base, name, err)
	}
	return fmt.Errorf("edits raced with the rewrite of %s; another version is kept as %s: merge it by hand", base, keepName)
}

// keepAs renames the temp file name, which holds a user's version of base
// ("" if unknown), to a conflict copy, syncs the directory, and returns the
// copy's name: ".scribe-conflict-", the temp name's random part, and "-"
// and base.
func (d *dir) keepAs(name, base string) (string, error) {
	keepName := ".scribe-conflict-" + name[len(TempPrefix):min(len(name), tempRandLen)]
	if base != "" {
		keepName += "-" + base
	}
	if len(keepName) > 255 {
		// Cut at a character's start, so that a long name in UTF-8
		// stays valid (the copy is for the user to find).
		n := 255
		for n > 0 && !utf8.RuneStart(keepName[n]) {
			n--
		}
		keepName = keepName[:n]
	}
	if err := d.renameFresh(name, keepName); err != nil {
		return "", err
	}
	d.sync()
	return keepName, nil
}

// renameFresh renames from to a name of d that no one else uses (a random
// one), refusing an existing one where RENAME_NOREPLACE is supported;
// without it, only a program that guessed the name could have taken it.
func (d *dir) renameFresh(from, to string) error {
	err := renameat2(d, from, d, to, unix.RENAME_NOREPLACE)
	if unsupported(err) {
		l := d.entryLock()
		l.Lock()
		defer l.Unlock()
		err = unix.Renameat(d.fd, from, d.fd, to)
	}
	return err
}

// replaceFallback installs the temp file with a plain rename after a last
// re-check, for file systems without RENAME_EXCHANGE. A save landing between
// the re-check and the rename is lost; FallbackWrites counts these writes.
func (d *dir) replaceFallback(t *temp, base string, old *Snapshot, cur *rawFile, leased bool, armed *bool) error {
	st, err := d.lstat(base)
	if err != nil {
		return errConflict
	}
	if !old.matches(&st) {
		return errConflict
	}
	if leased && !leaseIntact(cur) {
		return errConflict
	}
	if err := unix.Renameat(d.fd, t.name, d.fd, base); err != nil {
		return fmt.Errorf("rename %s to %s: %w", t.name, base, err)
	}
	*armed = false
	fallbackWrites.Add(1)
	failpoint("exchange")
	cur.Close()
	if err := d.sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	failpoint("dir-fsync")
	return nil
}

// openCurrent opens the target as it is now, read-only and without following
// a symlink. Anything other than a regular file there is a conflict.
func (d *dir) openCurrent(base string) (*rawFile, unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := unix.Openat(d.fd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	switch err {
	case nil:
	case unix.ENOENT, unix.ELOOP, unix.ENXIO, unix.EISDIR:
		return nil, st, errConflict
	default:
		return nil, st, fmt.Errorf("open %s: %w", base, err)
	}
	f := newRawFile(fd, base)
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, st, fmt.Errorf("stat %s: %w", base, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		return nil, st, errConflict
	}
	return f, st, nil
}

// setLease takes a read lease on f. It fails with EAGAIN when anyone holds
// the file open for writing, which is reported as ErrBusy; where leases are
// unavailable (another owner without CAP_LEASE, some file systems) it returns
// false and the hash checks alone guard the write.
func setLease(f *rawFile) (bool, error) {
	if noLeases.Load() {
		return false, nil
	}
	_, err := unix.FcntlInt(uintptr(f.Fd()), unix.F_SETLEASE, unix.F_RDLCK)
	switch err {
	case nil:
		return true, nil
	case unix.EAGAIN:
		return false, ErrBusy
	default:
		return false, nil
	}
}

// releaseLease gives up the read lease setLease took on f, if it took one.
func releaseLease(f *rawFile, leased bool) {
	if leased {
		unix.FcntlInt(uintptr(f.Fd()), unix.F_SETLEASE, unix.F_UNLCK)
	}
}

// writtenSince reports whether the file f, whose stat was gone, has been
// written since.
func writtenSince(f *rawFile, gone *unix.Stat_t) bool {
	var st unix.Stat_t
	return unix.Fstat(f.Fd(), &st) == nil && changedStat(&st, gone)
}

func changedStat(st, was *unix.Stat_t) bool {
	return st.Size != was.Size || st.Mtim != was.Mtim || st.Ctim != was.Ctim
}

// openForWriting reports whether anyone holds f open for writing: a read
// lease is refused then.
func openForWriting(f *rawFile) bool {
	if _, err := unix.FcntlInt(uintptr(f.Fd()), unix.F_SETLEASE, unix.F_RDLCK); err != nil {
		return err == unix.EAGAIN
	}
	releaseLease(f, true)
	return false
}

// lateWait bounds how long late waits for a late save to finish writing.
const lateWait = 2 * time.Second

// late recovers a save that went into the old version of base after the
// exchange had swapped it out and settle had unlinked it (old is still open,
// gone its stat then): once the save is written, its content goes back to
// base in place of ours, if base still holds ours; a save made to base
// since stands. Either way the caller gets errConflict, and the rules are
// redone on the user's version. Should putting it back fail, the save is
// kept beside the file as a conflict copy, and the error says where.
func (d *dir) late(base string, old *rawFile, gone *unix.Stat_t, leased bool, ours []byte) error {
	// Wait for the writer: until the file has changed and no one holds it
	// open for writing, or lateWait.
	for deadline := time.Now().Add(lateWait); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		var st unix.Stat_t
		if unix.Fstat(old.Fd(), &st) != nil {
			break
		}
		if changedStat(&st, gone) && (!leased || !openForWriting(old)) {
			break
		}
	}
	user, err := io.ReadAll(io.NewSectionReader(old, 0, conflictReadLimit+1))
	if err == nil && len(user) > conflictReadLimit {
		err = fmt.Errorf("larger than %d MiB", conflictReadLimit>>20)
	}
	if err != nil {
		return fmt.Errorf("a save reached the replaced version of %s after the rewrite, and reading it failed: %w", base, err)
	}
	now, err := d.read(base, base, conflictReadLimit, true)
	if err != nil || !bytes.Equal(now.Content, ours) {
		return errConflict // a later save stands
	}
	err = d.replace(base, now, user)
	if err == nil || errors.Is(err, errConflict) {
		return errConflict
	}
	t, terr := createTemp(d, tag{}, 0o600)
	if terr == nil {
		if terr = t.write(user); terr == nil {
			terr = t.finish()
		}
		if terr == nil {
			return fmt.Errorf("a save reached the replaced version of %s after the rewrite, and putting it back failed (%v): %w", base, err, d.keep(t.name, base))
		}
		t.remove()
	}
	return fmt.Errorf("a save reached the replaced version of %s after the rewrite, and it could be neither put back (%v) nor kept (%v)", base, err, terr)
}

// leaseIntact reports whether our read lease on f has not been broken by
// another open for writing or a truncate.
func leaseIntact(f *rawFile) bool {
	typ, err := unix.FcntlInt(uintptr(f.Fd()), unix.F_GETLEASE, 0)
	return err == nil && typ == unix.F_RDLCK
}

// hashFile returns the SHA-256 of f's content and its length, from offset
// 0 without moving f's offset (hashFD). size is the length a stat of f gave.
func hashFile(f *rawFile, size int64) ([32]byte, int64, error) {
	h, n, err := hashFD(f.Fd(), size, math.MaxInt64)
	if err != nil {
		return [32]byte{}, 0, fmt.Errorf("hash %s: %w", f.Name(), &os.PathError{Op: "read", Path: f.Name(), Err: err})
	}
	return h, n, nil
}
