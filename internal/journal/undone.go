package journal

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Undone records that the user undid a write: the file was restored to the
// content with Hash, and the rules in Rules must not rewrite that content.
// The mark holds until the file has another content (an edit), and is
// removed by undoing the undo, which asks for the rules' write again.
type Undone struct {
	Root string
	Path string
	// Hash is the sha256 of the restored content, "" when the undo removed
	// the file (the write had created it).
	Hash string
	// Rules are the rule IDs whose writes were undone, sorted.
	Rules []string
	// Undo is the ID of the undo entry that set the mark.
	Undo uint64
}

// UndoneRules returns the rules that must not rewrite root/path while it has
// content hash ("" for a file that does not exist): those whose write to
// that content the user undid. A mark for another content is stale (the file
// was edited since) and is removed, unless the journal is read-only.
func (j *Journal) UndoneRules(root, path, hash string) ([]string, error) {
	if err := j.usable(false); err != nil {
		return nil, fmt.Errorf("undone rules of %s: %w", path, err)
	}
	if !j.marks.Load() {
		return nil, nil
	}
	var (
		m     Undone
		found bool
	)
	err := j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUndone)
		if b == nil {
			return nil
		}
		var err error
		m, found, err = getUndone(b, root, path)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("undone rules of %s: %w", path, txError(err))
	}
	switch {
	case !found:
		return nil, nil
	case m.Hash == hash:
		return m.Rules, nil
	case j.readOnly:
		return nil, nil
	}
	// The file changed since the undo: the user's decision is spent.
	err = j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUndone)
		cur, ok, err := getUndone(b, root, path)
		if err != nil || !ok || cur.Undo != m.Undo {
			return err // replaced meanwhile: leave the newer mark
		}
		return b.Delete(pathPrefix(root, path))
	})
	if err != nil {
		return nil, fmt.Errorf("drop the stale undo mark of %s: %w", path, txError(err))
	}
	return nil, nil
}

// ListUndone returns every mark, by root and path.
func (j *Journal) ListUndone() ([]Undone, error) {
	if err := j.usable(false); err != nil {
		return nil, fmt.Errorf("list undone writes: %w", err)
	}
	var out []Undone
	err := j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUndone)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			root, path, ok := splitPathPrefix(k)
			if !ok {
				return fmt.Errorf("%w: bad undo mark key %q", errDamaged, k)
			}
			m, err := decodeUndone(v)
			if err != nil {
				return err
			}
			m.Root, m.Path = root, path
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list undone writes: %w", txError(err))
	}
	return out, nil
}

// markFor returns the mark an undo of e sets, or nil when it removes the
// file's mark: undoing an undo asks for the rules' write again. prev is the
// file's current mark, if any; cur the hash the file has now. When the undo
// replaces content an earlier undo restored (undoing a run's writes to one
// file, newest first), the rules of both are held.
func markFor(e *Entry, u *Entry, prev *Undone, cur string) *Undone {
	if e.Rule == RuleUndo {
		return nil
	}
	m := &Undone{Root: e.Root, Path: e.Path, Hash: e.BeforeHash, Undo: u.ID}
	for r := range strings.SplitSeq(e.Rule, ",") {
		if r = strings.TrimSpace(r); r != "" {
			m.Rules = append(m.Rules, r)
		}
	}
	if prev != nil && prev.Hash == cur {
		m.Rules = append(m.Rules, prev.Rules...)
	}
	slices.Sort(m.Rules)
	m.Rules = slices.Compact(m.Rules)
	return m
}

// putUndone stores m as the mark of its file, or removes the file's mark
// when m has no rules.
func (j *Journal) putUndone(b *bolt.Bucket, root, path string, m *Undone) error {
	if m == nil || len(m.Rules) == 0 {
		return b.Delete(pathPrefix(root, path))
	}
	// Before the commit: UndoneRules may look for nothing, never miss one.
	j.marks.Store(true)
	return b.Put(pathPrefix(root, path), encodeUndone(m))
}

func getUndone(b *bolt.Bucket, root, path string) (Undone, bool, error) {
	v := b.Get(pathPrefix(root, path))
	if v == nil {
		return Undone{}, false, nil
	}
	m, err := decodeUndone(v)
	if err != nil {
		return Undone{}, false, err
	}
	m.Root, m.Path = root, path
	return m, true, nil
}

// splitPathPrefix undoes pathPrefix.
func splitPathPrefix(k []byte) (root, path string, ok bool) {
	s := string(k)
	if !strings.HasSuffix(s, "\x00") {
		return "", "", false
	}
	root, path, ok = strings.Cut(s[:len(s)-1], "\x00")
	return root, path, ok && !strings.Contains(path, "\x00")
}

// Format of a mark: flags byte (flagAfter: a hash follows), the 32-byte
// hash, uvarint undo ID, uvarint rule count, uvarint-length-prefixed rules.
func encodeUndone(m *Undone) []byte {
	var b []byte
	h, _ := decodeHash(m.Hash)
	if h != nil {
		b = append(b, flagAfter)
		b = append(b, h...)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, m.Undo)
	b = binary.AppendUvarint(b, uint64(len(m.Rules)))
	for _, r := range m.Rules {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

func decodeUndone(v []byte) (Undone, error) {
	d := decoder{b: v}
	var m Undone
	flags := d.byte()
	if flags&^flagAfter != 0 {
		d.fail("unknown flags")
	}
	if flags&flagAfter != 0 {
		m.Hash = hex.EncodeToString(d.bytes(32))
	}
	m.Undo = d.uvarint()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("more rules than bytes")
	}
	for range n {
		if d.err != nil {
			break
		}
		m.Rules = append(m.Rules, d.string())
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return Undone{}, fmt.Errorf("%w: undo mark: %s", errDamaged, d.err)
	}
	return m, nil
}

// loadMarks sets marks when the store holds an undo mark.
func (j *Journal) loadMarks() error {
	return j.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketUndone); b != nil {
			if k, _ := b.Cursor().First(); k != nil {
				j.marks.Store(true)
			}
		}
		return nil
	})
}
