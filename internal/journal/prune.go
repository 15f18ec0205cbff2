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
	if err := j.exclusive(nil); err != nil {
		return 0, fmt.Errorf("prune journal: %w", err)
	}
	var cutoff int64
	if j.keep.MaxAge > 0 {
		cutoff = now.Add(-j.keep.MaxAge).UnixNano()
	}
	for {
		n := 0
		err := j.db.Update(func(tx *bolt.Tx) error {
			n = 0
			b, err := openBuckets(tx)
			if err != nil {
				return err
			}
			count, err := getUvarint(b.meta, keyEntries)
			if err != nil {
				return err
			}
			stored, err := getUvarint(b.meta, keyStored)
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
