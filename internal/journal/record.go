package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Record stores e with before, the content the write replaced, and returns
// the entry's new ID. e.ID and e.Size are ignored (Size becomes
// len(before)); a zero e.Time becomes now. When e.BeforeHash is set it must
// be the sha256 of before; when it is "" (the write created the file) before
// must be empty.
//
// Record returns once the entry is durable: appended to the journal's log,
// whose write and fsync concurrent calls share without waiting for company
// (see log.go). The log is copied into the store in batches; content is
// compressed first and stored once however many entries refer to it.
func (j *Journal) Record(e Entry, before []byte) (uint64, error) {
	return j.record(e, before, nil)
}

// record is Record; also, when set, runs in the entry's transaction with the
// entry's ID (an undo sets its mark there).
func (j *Journal) record(e Entry, before []byte, also func(b *buckets, id uint64) error) (uint64, error) {
	if err := j.usable(true); err != nil {
		return 0, fmt.Errorf("record %s: %w", e.Path, err)
	}
	if err := e.validate(); err != nil {
		return 0, fmt.Errorf("record %s: %w", e.Path, err)
	}
	if len(before) > maxContent {
		return 0, fmt.Errorf("record %s: content of %d bytes is more than the %d a journal stores", e.Path, len(before), maxContent)
	}
	var hash []byte
	if e.BeforeHash != "" {
		h := sha256.Sum256(before)
		if hex.EncodeToString(h[:]) != e.BeforeHash {
			return 0, fmt.Errorf("record %s: before hash %s is not the sha256 of the content given (%x)", e.Path, e.BeforeHash, h)
		}
		hash = h[:]
	} else if len(before) > 0 {
		return 0, fmt.Errorf("record %s: content given for a write that created the file (before hash empty)", e.Path)
	}
	if e.Time.IsZero() {
		e.Time = j.now()
	}
	e.Time = e.Time.Round(0) // drop the monotonic reading: only wall time is stored
	e.Size = int64(len(before))

	r := &logRec{root: e.Root, path: e.Path, entry: encodeEntry(&e), hash: hash, raw: uint64(len(before))}
	if also == nil {
		// The usual write: durable through the log (see log.go). The
		// content is packed even when the store has it already (a file
		// rewritten back and forth): the store may drop its copy before
		// the entry is applied, and the log must not depend on it.
		if hash != nil {
			r.blob = j.packBlob(before)
		}
		id, err := j.appendRec(r)
		if err != nil {
			return 0, fmt.Errorf("record %s: %w", e.Path, err)
		}
		return id, nil
	}

	// An undo: its entry and its mark go into the store in one transaction,
	// with the log applied first and no other entry in between.
	err := j.exclusive(func(nextID func() uint64) error {
		return txError(j.db.Update(func(tx *bolt.Tx) error {
			b, err := openBuckets(tx)
			if err != nil {
				return err
			}
			if hash != nil && b.refs.Get(hash) == nil {
				r.blob = j.packBlob(before)
			}
			r.id = nextID()
			if err := b.store([]*logRec{r}); err != nil {
				return err
			}
			return also(b, r.id)
		}))
	})
	if err != nil {
		return 0, fmt.Errorf("record %s: %w", e.Path, err)
	}
	return r.id, nil
}

// addRef counts one more use of the blob hash, storing blob if it is new.
func (b *buckets) addRef(hash, blob []byte, raw uint64) error {
	r := blobRef{raw: raw}
	if v := b.refs.Get(hash); v != nil {
		var err error
		if r, err = decodeRef(v); err != nil {
			return err
		}
	} else {
		// A number that only grows: the blob goes at the end of the
		// tree, never in a page of its own amid the others (formatVersion).
		num, err := b.content.NextSequence()
		if err != nil {
			return err
		}
		if err := b.content.Put(idKey(num), blob); err != nil {
			return err
		}
		r.num = num
		if err := addCounter(b.meta, keyBlobs, 1); err != nil {
			return err
		}
		if err := addCounter(b.meta, keyStored, int64(len(blob))); err != nil {
			return err
		}
		if err := addCounter(b.meta, keyRaw, int64(raw)); err != nil {
			return err
		}
	}
	r.refs++
	return b.refs.Put(hash, r.encode())
}

// deleteEntry removes the entry e stored under key, its index key and its
// use of a blob, and the blob with its last use. It returns how many stored
// bytes that freed.
func (b *buckets) deleteEntry(key []byte, e *Entry) (freed int64, err error) {
	if err := b.entries.Delete(key); err != nil {
		return 0, err
	}
	if err := b.byPath.Delete(pathKey(e.Root, e.Path, e.ID)); err != nil {
		return 0, err
	}
	if err := addCounter(b.meta, keyEntries, -1); err != nil {
		return 0, err
	}
	hash, _ := decodeHash(e.BeforeHash)
	if hash == nil {
		return 0, nil
	}
	v := b.refs.Get(hash)
	if v == nil {
		return 0, nil // already gone: nothing to release
	}
	r, err := decodeRef(v)
	if err != nil {
		return 0, err
	}
	if r.refs > 1 {
		r.refs--
		return 0, b.refs.Put(hash, r.encode())
	}
	blobs, key := blobAt(b.refs.Tx(), r, hash)
	freed = int64(len(blobs.Get(key)))
	if err := b.refs.Delete(hash); err != nil {
		return 0, err
	}
	if err := blobs.Delete(key); err != nil {
		return 0, err
	}
	for _, c := range []struct {
		key   []byte
		delta int64
	}{{keyBlobs, -1}, {keyStored, -freed}, {keyRaw, -int64(r.raw)}} {
		if err := addCounter(b.meta, c.key, c.delta); err != nil {
			return 0, err
		}
	}
	return freed, nil
}
