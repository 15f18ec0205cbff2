package journal

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// pruneBatch is how many entries one Prune transaction removes at most, so
// that Record calls waiting for the write lock are not held up for long. A
// variable so that tests can cross batch boundaries cheaply.
var pruneBatch = 512

// Prune applies the retention given to Open, as of now: it removes the
// oldest entries while the oldest is older than MaxAge, there are more than
// MaxEntries, or the stored content exceeds MaxBytes, and drops content no
// entry uses any more. Entries are considered in ID order, which is the order
// they were recorded. It returns how many entries it removed.
//
// Prune works in small transactions; it is safe to run alongside Record.
// The journal file does not shrink (bbolt reuses the freed pages).
func (j *Journal) Prune(now time.Time) (removed int, err error) {
	if err := j.usable(true); err != nil {
		return 0, fmt.Errorf("prune journal: %w", err)
	}
	var cutoff int64
	if j.keep.MaxAge > 0 {
		cutoff = now.Add(-j.keep.MaxAge).UnixNano()
	}
	if !j.pruneDue(cutoff) {
		// Nothing to remove: the log need not be copied for it, nor a
		// transaction committed (a one-shot run prunes as it ends).
		return 0, nil
	}
	if err := j.exclusive(nil); err != nil {
		return 0, fmt.Errorf("prune journal: %w", err)
	}
	for {
		n := 0
		err := j.db.Update(func(tx *bolt.Tx) error {
			n = 0
			b, err := openBuckets(tx)
			if err != nil {
				return err
			}
			count, stored, err := b.sizes()
			if err != nil {
				return err
			}
			c := b.entries.Cursor()
			for n < pruneBatch {
				k, v := c.First()
				if k == nil {
					return nil
				}
				if len(k) != 8 {
					return fmt.Errorf("%w: bad key %x", errDamaged, k)
				}
				e, err := decodeEntry(binary.BigEndian.Uint64(k), v)
				if err != nil {
					return err
				}
				old := j.keep.MaxAge > 0 && e.Time.UnixNano() < cutoff
				tooMany := j.keep.MaxEntries > 0 && count > uint64(j.keep.MaxEntries)
				tooBig := j.keep.MaxBytes > 0 && stored > uint64(j.keep.MaxBytes)
				if !old && !tooMany && !tooBig {
					return nil
				}
				freed, err := b.deleteEntry(k, &e)
				if err != nil {
					return err
				}
				count--
				stored -= min(stored, uint64(freed))
				n++
			}
			return nil
		})
		removed += n
		if err != nil {
			return removed - n, fmt.Errorf("prune journal: %w", txError(err))
		}
		if n < pruneBatch {
			return removed, nil
		}
	}
}

// pruneDue reports whether Prune could remove anything: whether the oldest
// entry, stored or in the log, is older than cutoff, or the entries or
// their content, stored and in the log, exceed the retention's bounds. The
// log's content is counted as if none of it were stored yet, so that an
// answer errs towards a Prune; so does a copy in flight or an error.
// Records still being appended are not counted: the next Prune sees them.
func (j *Journal) pruneDue(cutoff int64) bool {
	l := &j.log
	l.mu.Lock()
	if l.applying {
		l.mu.Unlock()
		return true
	}
	count, stored := uint64(len(l.pending)), uint64(0)
	for _, r := range l.pending {
		stored += uint64(len(r.blob))
	}
	var first *logRec
	if len(l.pending) > 0 {
		first = l.pending[0]
	}
	l.mu.Unlock()

	var oldest int64
	err := j.db.View(func(tx *bolt.Tx) error {
		b, err := openBuckets(tx)
		if err != nil {
			return err
		}
		n, bytes, err := b.sizes()
		if err != nil {
			return err
		}
		count, stored = count+n, stored+bytes
		id, v := b.entries.Cursor().First()
		if id == nil && first != nil {
			id, v = idKey(first.id), first.entry
		}
		if id == nil {
			return nil
		}
		if len(id) != 8 {
			return fmt.Errorf("%w: bad key %x", errDamaged, id)
		}
		e, err := decodeEntry(binary.BigEndian.Uint64(id), v)
		oldest = e.Time.UnixNano()
		return err
	})
	return err != nil ||
		(j.keep.MaxAge > 0 && count > 0 && oldest < cutoff) ||
		(j.keep.MaxEntries > 0 && count > uint64(j.keep.MaxEntries)) ||
		(j.keep.MaxBytes > 0 && stored > uint64(j.keep.MaxBytes))
}
