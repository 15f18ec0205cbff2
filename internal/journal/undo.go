package journal

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/scribe-md/scribe/internal/safefile"
)

// ChangedError reports that a file no longer has the content a write left,
// so undoing the write would lose a later change. It matches ErrChanged.
type ChangedError struct {
	ID   uint64 // the entry to undo
	Path string
	Want string // the sha256 the write left ("" if it removed the file)
	Have string // the sha256 the file has now ("" if it does not exist)
}

// Error implements error.
func (e *ChangedError) Error() string {
	have := "it no longer exists"
	if e.Have != "" {
		have = "it now has sha256 " + short(e.Have)
	}
	want := "the write removed it"
	if e.Want != "" {
		want = "the write left " + short(e.Want)
	}
	return fmt.Sprintf("%s changed since write %d (%s, %s): undo the later writes first (see its history), or force the undo to replace the current version (which is journaled first)", e.Path, e.ID, have, want)
}

// Unwrap makes errors.Is(err, ErrChanged) hold.
func (e *ChangedError) Unwrap() error { return ErrChanged }

// short abbreviates a hash for messages, as git does.
func short(h string) string { return h[:min(len(h), 12)] }

// createMode is the mode of a file that Undo creates again: the journal does
// not keep modes, and this is what an editor would create.
const createMode fs.FileMode = 0o644

// Undo restores the file of entry id, in root, to what it was before that
// write, and returns the entry that records the undo (Rule RuleUndo, Undoes
// id), which can itself be undone.
//
// The file must still have the content the write left (AfterHash); if not,
// Undo returns a *ChangedError (matching ErrChanged) saying what it has now,
// unless force is set. If the file already has the content from before the
// write, it returns ErrAlreadyUndone. A write that created the file is undone
// by removing it; one that removed it, by creating it again (mode 0644).
//
// The current content is journaled before the file is touched, so even a
// forced undo loses nothing; if the write then fails, that entry is removed
// again. The write itself is a compare-and-swap through safefile: an edit
// that lands meanwhile makes Undo fail with ErrChanged and is kept. root
// must be the entry's root (compared by absolute name).
//
// An undo is a user's decision: it marks the file (see Undone) so that the
// rules whose write it undid do not redo it while the file keeps the
// restored content. Undoing an undo removes the mark.
func (j *Journal) Undo(root *os.Root, id uint64, force bool) (Entry, error) {
	if err := j.usable(true); err != nil {
		return Entry{}, fmt.Errorf("undo %d: %w", id, err)
	}
	e, before, err := j.Get(id)
	if err != nil {
		return Entry{}, fmt.Errorf("undo: %w", err)
	}
	if abs, err := filepath.Abs(root.Name()); err != nil || abs != e.Root {
		return Entry{}, fmt.Errorf("undo %d: the entry is in root %s, not %s: open that root to undo it", id, e.Root, root.Name())
	}
	cur, err := readCurrent(root, e.Path)
	if err != nil {
		return Entry{}, fmt.Errorf("undo %d: %w", id, err)
	}
	curHash := snapHash(cur)
	if curHash == e.BeforeHash {
		return Entry{}, fmt.Errorf("undo %d: %s: %w", id, e.Path, ErrAlreadyUndone)
	}
	if curHash != e.AfterHash && !force {
		return Entry{}, fmt.Errorf("undo %d: %w", id, &ChangedError{ID: id, Path: e.Path, Want: e.AfterHash, Have: curHash})
	}

	u := Entry{
		Time:       j.now().Round(0),
		Root:       e.Root,
		Path:       e.Path,
		Rule:       RuleUndo,
		BeforeHash: curHash,
		AfterHash:  e.BeforeHash,
		Undoes:     id,
	}
	var curContent []byte
	if cur != nil {
		curContent = cur.Content
	}
	// Journal first: with force, the current version may be a user's edit
	// that exists nowhere else. The mark that keeps the rules from redoing
	// the write goes in the same commit; it only holds while the file has
	// the restored content, so a crash before the write leaves it inert.
	var prev *Undone
	u.ID, err = j.record(u, curContent, func(b *buckets, uid uint64) error {
		m, ok, err := getUndone(b.undone, e.Root, e.Path)
		if err != nil {
			return err
		}
		prev = nil
		if ok {
			prev = &m
		}
		mu := u
		mu.ID = uid
		return j.putUndone(b.undone, e.Root, e.Path, markFor(&e, &mu, prev, curHash))
	})
	if err != nil {
		return Entry{}, fmt.Errorf("undo %d: %w", id, err)
	}
	u.Size = int64(len(curContent))
	if testHookBeforeWrite != nil {
		testHookBeforeWrite()
	}

	switch {
	case e.BeforeHash == "":
		err = removeCreated(root, e.Path, cur, u.ID)
	case cur == nil:
		err = safefile.Create(root, e.Path, before, createMode)
	default:
		_, err = safefile.Replace(root, e.Path, cur, before)
	}
	if err != nil {
		err = j.undoFailed(root, &e, err)
		if ferr := j.forget(u.ID, prev); ferr != nil {
			err = errors.Join(err, fmt.Errorf("remove the journal entry %d of the failed undo: %w", u.ID, ferr))
		}
		return Entry{}, fmt.Errorf("undo %d: %w", id, err)
	}
	return u, nil
}

// undoFailed turns a failed write into the error Undo returns: a file that
// changed under it is a *ChangedError.
func (j *Journal) undoFailed(root *os.Root, e *Entry, err error) error {
	var ce *safefile.ConflictError
	if errors.As(err, &ce) || errors.Is(err, fs.ErrExist) || errors.Is(err, errMoved) {
		have := "unknown"
		if now, rerr := readCurrent(root, e.Path); rerr == nil {
			have = snapHash(now)
		}
		return &ChangedError{ID: e.ID, Path: e.Path, Want: e.AfterHash, Have: have}
	}
	return err
}

// forget removes entry id (an undo whose write failed) and puts back prev,
// the file's undo mark before it.
func (j *Journal) forget(id uint64, prev *Undone) error {
	return j.exclusive(func(func() uint64) error { return j.forgetTx(id, prev) })
}

func (j *Journal) forgetTx(id uint64, prev *Undone) error {
	return txError(j.db.Update(func(tx *bolt.Tx) error {
		b, err := openBuckets(tx)
		if err != nil {
			return err
		}
		k := idKey(id)
		v := b.entries.Get(k)
		if v == nil {
			return nil
		}
		e, err := decodeEntry(id, v)
		if err != nil {
			return err
		}
		if _, err = b.deleteEntry(k, &e); err != nil {
			return err
		}
		m, ok, err := getUndone(b.undone, e.Root, e.Path)
		if err != nil || ok && m.Undo != id {
			return err // a later undo's mark: keep it
		}
		return j.putUndone(b.undone, e.Root, e.Path, prev)
	}))
}

func snapHash(s *safefile.Snapshot) string {
	if s == nil {
		return ""
	}
	return hex.EncodeToString(s.Hash[:])
}

// errMoved is internal: the file changed while removeCreated had it aside.
var errMoved = errors.New("changed while being removed")

// removeCreated removes rel, which must still be exactly cur. It renames the
// file aside first and checks what it moved before unlinking it, so an
// editor's save that lands meanwhile (a new file at rel, or a change to the
// old one made before the check) is never deleted. The aside name is not a
// safefile temp name, so a crash in between leaves it for the user to see
// rather than for CleanTemps to delete.
func removeCreated(root *os.Root, rel string, cur *safefile.Snapshot, id uint64) error {
	aside := asideName(rel, id)
	if err := safefile.Rename(root, rel, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errMoved
		}
		return err
	}
	if testHookAside != nil {
		testHookAside(aside)
	}
	moved, err := readCurrent(root, aside)
	if err != nil || moved == nil || moved.Ino != cur.Ino || moved.Dev != cur.Dev ||
		moved.Size != cur.Size || moved.ModTime != cur.ModTime || moved.Hash != cur.Hash {
		if rerr := safefile.Rename(root, aside, rel); rerr != nil {
			// %v, not %w: this is not the plain conflict that undoFailed
			// reports; the user must look at the kept file.
			return fmt.Errorf("%s changed during the undo and could not be put back; it is kept as %s: %v", rel, aside, rerr)
		}
		return errMoved
	}
	if err := root.Remove(aside); err != nil {
		return fmt.Errorf("remove %s: %w", rel, err)
	}
	return syncDir(root, path.Dir(rel))
}

// testHookBeforeWrite, set by tests, runs between the check and the write
// of an undo.
var testHookBeforeWrite func()

// testHookAside, set by tests, runs while removeCreated has the file aside.
var testHookAside func(aside string)

// asideName is where removeCreated moves rel before deleting it: beside it,
// named after the undo entry.
func asideName(rel string, id uint64) string {
	name := ".scribe-undo-" + strconv.FormatUint(id, 10) + "-" + path.Base(rel)
	if len(name) > 255 {
		name = name[:255]
	}
	return path.Join(path.Dir(rel), name)
}

// syncDir fsyncs a directory of the root so that a removal in it is durable.
func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
