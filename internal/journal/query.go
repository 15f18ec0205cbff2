package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Get returns entry id and the content its write replaced (empty when the
// write created the file). The content is checked against BeforeHash. An
// unknown or pruned id gives ErrNotFound.
func (j *Journal) Get(id uint64) (Entry, []byte, error) {
	if err := j.usable(false); err != nil {
		return Entry{}, nil, fmt.Errorf("get entry %d: %w", id, err)
	}
	if err := j.exclusive(nil); err != nil {
		return Entry{}, nil, fmt.Errorf("get entry %d: %w", id, err)
	}
	var (
		e       Entry
		content []byte
	)
	err := j.db.View(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketEntries)
		if entries == nil {
			return ErrNotFound
		}
		v := entries.Get(idKey(id))
		if v == nil {
			return ErrNotFound
		}
		var err error
		if e, err = decodeEntry(id, v); err != nil {
			return err
		}
		hash, err := decodeHash(e.BeforeHash)
		if err != nil || hash == nil {
			return err
		}
		ref := tx.Bucket(bucketRefs).Get(hash)
		if ref == nil {
			return fmt.Errorf("the content it replaced is missing from the journal")
		}
		r, err := decodeRef(ref)
		if err != nil {
			return err
		}
		var blob []byte
		if blobs, key := blobAt(tx, r, hash); blobs != nil {
			blob = blobs.Get(key)
		}
		if blob == nil {
			return fmt.Errorf("the content it replaced is missing from the journal")
		}
		if content, err = j.unpackBlob(blob, r.raw, hash); err != nil {
			return fmt.Errorf("the content it replaced is damaged: %w", err)
		}
		return nil
	})
	if err != nil {
		return Entry{}, nil, fmt.Errorf("get entry %d: %w", id, txError(err))
	}
	if content == nil {
		content = []byte{}
	}
	return e, content, nil
}

// List returns entries newest first, at most limit of them (limit <= 0: all).
// A non-empty root keeps the entries of that root, a non-empty path those of
// that file (relative to the root, exact match).
func (j *Journal) List(root, path string, limit int) ([]Entry, error) {
	if err := j.usable(false); err != nil {
		return nil, fmt.Errorf("list journal: %w", err)
	}
	if err := j.exclusive(nil); err != nil {
		return nil, fmt.Errorf("list journal: %w", err)
	}
	var out []Entry
	full := func() bool { return limit > 0 && len(out) >= limit }
	err := j.db.View(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketEntries)
		if entries == nil {
			return nil
		}
		if root != "" && path != "" {
			// One file: walk its index keys backwards, from just past
			// the prefix.
			byPath := tx.Bucket(bucketByPath)
			prefix := pathPrefix(root, path)
			c := byPath.Cursor()
			k, _ := c.Seek(binary.BigEndian.AppendUint64(bytes.Clone(prefix), ^uint64(0)))
			if k == nil {
				k, _ = c.Last()
			} else if !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
				k, _ = c.Prev()
			}
			for ; k != nil && bytes.HasPrefix(k, prefix) && !full(); k, _ = c.Prev() {
				if len(k) != len(prefix)+8 {
					continue
				}
				id := binary.BigEndian.Uint64(k[len(prefix):])
				v := entries.Get(idKey(id))
				if v == nil {
					continue
				}
				e, err := decodeEntry(id, v)
				if err != nil {
					return err
				}
				out = append(out, e)
			}
			return nil
		}
		c := entries.Cursor()
		for k, v := c.Last(); k != nil && !full(); k, v = c.Prev() {
			if len(k) != 8 {
				return fmt.Errorf("%w: bad key %x", errDamaged, k)
			}
			e, err := decodeEntry(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			if (root == "" || e.Root == root) && (path == "" || e.Path == path) {
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list journal: %w", txError(err))
	}
	return out, nil
}

// Stats describes what a journal holds.
type Stats struct {
	Entries     int   // entries kept
	Blobs       int   // distinct contents kept
	StoredBytes int64 // bytes of stored (compressed) content; what Retention.MaxBytes bounds
	RawBytes    int64 // bytes of those contents uncompressed
	FileBytes   int64 // size of the journal file
}

// Stats returns the journal's totals.
func (j *Journal) Stats() (Stats, error) {
	if err := j.usable(false); err != nil {
		return Stats{}, fmt.Errorf("journal stats: %w", err)
	}
	if err := j.exclusive(nil); err != nil {
		return Stats{}, fmt.Errorf("journal stats: %w", err)
	}
	var s Stats
	err := j.db.View(func(tx *bolt.Tx) error {
		s.FileBytes = tx.Size()
		m := tx.Bucket(bucketMeta)
		if m == nil {
			return nil
		}
		var errs []error
		get := func(key []byte) uint64 {
			n, err := getUvarint(m, key)
			errs = append(errs, err)
			return n
		}
		s.Entries = int(get(keyEntries))
		s.Blobs = int(get(keyBlobs))
		s.StoredBytes = int64(get(keyStored))
		s.RawBytes = int64(get(keyRaw))
		return errors.Join(errs...)
	})
	if err != nil {
		return Stats{}, fmt.Errorf("journal stats: %w", txError(err))
	}
	return s, nil
}

// ListRun returns the entries of one `scribe run` (Entry.Run), newest first:
// the order in which an undo of the run restores them.
func (j *Journal) ListRun(run string) ([]Entry, error) {
	if err := j.usable(false); err != nil {
		return nil, fmt.Errorf("list run %s: %w", run, err)
	}
	if run == "" {
		return nil, fmt.Errorf("list run: the run id is empty")
	}
	if err := j.exclusive(nil); err != nil {
		return nil, fmt.Errorf("list run %s: %w", run, err)
	}
	var out []Entry
	err := j.db.View(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketEntries)
		if entries == nil {
			return nil
		}
		c := entries.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if len(k) != 8 {
				return fmt.Errorf("%w: bad key %x", errDamaged, k)
			}
			e, err := decodeEntry(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			if e.Run == run {
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list run %s: %w", run, txError(err))
	}
	return out, nil
}
