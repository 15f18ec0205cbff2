package journal

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Bucket and key names. They are part of the on-disk format.
var (
	bucketEntries = []byte("entries") // ID (8 bytes, big-endian) → encoded Entry
	bucketByPath  = []byte("bypath")  // root NUL path NUL ID → empty
	bucketBlobs   = []byte("blobs")   // sha256 (32 bytes) → codec byte + content
	bucketRefs    = []byte("refs")    // sha256 → uvarint entries using it, uvarint raw size
	bucketUndone  = []byte("undone")  // root NUL path NUL → encoded Undone mark
	bucketMeta    = []byte("meta")

	keyVersion = []byte("version") // uvarint format version
	keyEntries = []byte("entries") // uvarint number of entries
	keyBlobs   = []byte("blobs")   // uvarint number of blobs
	keyStored  = []byte("stored")  // uvarint bytes of blob values
	keyRaw     = []byte("raw")     // uvarint bytes of content before compression
)

// formatVersion is the on-disk format this package writes and reads.
const formatVersion = 1

// init creates the buckets and the format version of a new journal and
// checks the version of an existing one.
func (j *Journal) init() error {
	return j.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketEntries, bucketByPath, bucketBlobs, bucketRefs, bucketUndone, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("init journal %s: %w", j.path, err)
			}
		}
		m := tx.Bucket(bucketMeta)
		if m.Get(keyVersion) == nil {
			return putUvarint(m, keyVersion, formatVersion)
		}
		return j.checkVersion(tx)
	})
}

// checkVersion refuses a journal written in a format this build does not know.
func (j *Journal) checkVersion(tx *bolt.Tx) error {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return nil // created but never initialised: empty
	}
	v, err := getUvarint(m, keyVersion)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if v != formatVersion {
		return fmt.Errorf("journal %s has format %d, this scribe reads format %d: use a matching scribe or move the file aside", j.path, v, formatVersion)
	}
	return nil
}

// idKey encodes an ID as an entries key; big-endian sorts by ID.
func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, id)
}

// pathPrefix is the bypath prefix of one file's entries.
func pathPrefix(root, path string) []byte {
	k := make([]byte, 0, len(root)+len(path)+2+8)
	k = append(k, root...)
	k = append(k, 0)
	k = append(k, path...)
	return append(k, 0)
}

// pathKey is the bypath key of one entry.
func pathKey(root, path string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(pathPrefix(root, path), id)
}

func getUvarint(b *bolt.Bucket, key []byte) (uint64, error) {
	v := b.Get(key)
	if v == nil {
		return 0, nil
	}
	n, k := binary.Uvarint(v)
	if k <= 0 || k != len(v) {
		return 0, fmt.Errorf("damaged counter %q", key)
	}
	return n, nil
}

func putUvarint(b *bolt.Bucket, key []byte, n uint64) error {
	return b.Put(key, binary.AppendUvarint(nil, n))
}

// addCounter adds delta to a meta counter, never going below zero.
func addCounter(m *bolt.Bucket, key []byte, delta int64) error {
	n, err := getUvarint(m, key)
	if err != nil {
		return err
	}
	if delta < 0 && uint64(-delta) > n {
		n = 0
	} else {
		n = uint64(int64(n) + delta)
	}
	return putUvarint(m, key, n)
}

// buckets are the buckets of one write transaction.
type buckets struct {
	entries, byPath, blobs, refs, undone, meta *bolt.Bucket
}

// sizes reads the store's counters of entries and of stored content bytes.
func (b *buckets) sizes() (entries, stored uint64, err error) {
	if entries, err = getUvarint(b.meta, keyEntries); err != nil {
		return 0, 0, err
	}
	stored, err = getUvarint(b.meta, keyStored)
	return entries, stored, err
}

func openBuckets(tx *bolt.Tx) (*buckets, error) {
	b := &buckets{
		entries: tx.Bucket(bucketEntries),
		byPath:  tx.Bucket(bucketByPath),
		blobs:   tx.Bucket(bucketBlobs),
		refs:    tx.Bucket(bucketRefs),
		undone:  tx.Bucket(bucketUndone),
		meta:    tx.Bucket(bucketMeta),
	}
	if b.entries == nil || b.byPath == nil || b.blobs == nil || b.refs == nil || b.undone == nil || b.meta == nil {
		return nil, fmt.Errorf("journal is missing a bucket: the file is damaged; move it aside to start a new history")
	}
	return b, nil
}

// blobRef is the value of a refs key.
type blobRef struct {
	refs uint64 // entries using the blob
	raw  uint64 // content size before compression
}

func decodeRef(v []byte) (blobRef, error) {
	refs, n := binary.Uvarint(v)
	if n <= 0 {
		return blobRef{}, fmt.Errorf("damaged blob reference")
	}
	raw, m := binary.Uvarint(v[n:])
	if m <= 0 || n+m != len(v) {
		return blobRef{}, fmt.Errorf("damaged blob reference")
	}
	return blobRef{refs: refs, raw: raw}, nil
}

func (r blobRef) encode() []byte {
	return binary.AppendUvarint(binary.AppendUvarint(nil, r.refs), r.raw)
}
