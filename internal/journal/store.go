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
	bucketBlobs   = []byte("blobs")   // format 1: sha256 (32 bytes) → codec byte + content
	bucketContent = []byte("content") // blob number (8 bytes, big-endian) → codec byte + content
	bucketRefs    = []byte("refs")    // sha256 → uvarint entries using it, uvarint raw size, uvarint blob number (none in format 1)
	bucketUndone  = []byte("undone")  // root NUL path NUL → encoded Undone mark
	bucketMeta    = []byte("meta")

	keyVersion = []byte("version") // uvarint format version
	keyEntries = []byte("entries") // uvarint number of entries
	keyBlobs   = []byte("blobs")   // uvarint number of blobs
	keyStored  = []byte("stored")  // uvarint bytes of blob values
	keyRaw     = []byte("raw")     // uvarint bytes of content before compression
)

// formatVersion is the on-disk format this package writes. Format 2 stores
// new content under a number that only grows ("content"), where format 1
// stored it under its hash ("blobs"): hashes are random, and each new blob
// landed in a page of its own somewhere in the tree, a page fault and a
// split for each write a copy of the log made (doc/PERFORMANCE.md, "A
// grown journal"). This package reads both; a writer's open turns a
// format-1 journal into a format-2 one whose old content stays where it
// is, and a build that knows only format 1 refuses it from then on.
const formatVersion = 2

// init creates the buckets and the format version of a new journal, checks
// the version of an existing one and brings a format-1 journal to format 2.
func (j *Journal) init() error {
	return j.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketEntries, bucketByPath, bucketBlobs, bucketContent, bucketRefs, bucketUndone, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("init journal %s: %w", j.path, err)
			}
		}
		m := tx.Bucket(bucketMeta)
		if m.Get(keyVersion) != nil {
			if err := j.checkVersion(tx); err != nil {
				return err
			}
		}
		return putUvarint(m, keyVersion, formatVersion)
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
	if v != 1 && v != formatVersion {
		return fmt.Errorf("journal %s has format %d, this scribe reads formats 1 and %d: use a matching scribe or move the file aside", j.path, v, formatVersion)
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
	entries, byPath, blobs, content, refs, undone, meta *bolt.Bucket
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
		content: tx.Bucket(bucketContent),
		refs:    tx.Bucket(bucketRefs),
		undone:  tx.Bucket(bucketUndone),
		meta:    tx.Bucket(bucketMeta),
	}
	if b.entries == nil || b.byPath == nil || b.blobs == nil || b.content == nil || b.refs == nil || b.undone == nil || b.meta == nil {
		return nil, fmt.Errorf("journal is missing a bucket: the file is damaged; move it aside to start a new history")
	}
	// Their keys only grow: full pages (bbolt splits at half a page by
	// default, for keys that land anywhere).
	b.entries.FillPercent, b.content.FillPercent = 1, 1
	return b, nil
}

// blobRef is the value of a refs key.
type blobRef struct {
	refs uint64 // entries using the blob
	raw  uint64 // content size before compression
	num  uint64 // the blob's key in "content"; 0: under its hash in "blobs" (format 1)
}

func decodeRef(v []byte) (blobRef, error) {
	var f [3]uint64
	i, n := 0, 0
	for ; i < len(f) && n < len(v); i++ {
		x, k := binary.Uvarint(v[n:])
		if k <= 0 {
			return blobRef{}, fmt.Errorf("damaged blob reference")
		}
		f[i], n = x, n+k
	}
	if i < 2 || n != len(v) {
		return blobRef{}, fmt.Errorf("damaged blob reference")
	}
	return blobRef{refs: f[0], raw: f[1], num: f[2]}, nil
}

func (r blobRef) encode() []byte {
	v := binary.AppendUvarint(binary.AppendUvarint(nil, r.refs), r.raw)
	if r.num != 0 {
		v = binary.AppendUvarint(v, r.num)
	}
	return v
}

// blobAt returns the bucket and key of the blob of hash that r refers to,
// in a transaction: in "content" under its number, or in "blobs" under
// hash, where format 1 stored it. The bucket is nil when the journal does
// not have it (a format-1 journal opened read-only has no "content").
func blobAt(tx *bolt.Tx, r blobRef, hash []byte) (*bolt.Bucket, []byte) {
	if r.num == 0 {
		return tx.Bucket(bucketBlobs), hash
	}
	return tx.Bucket(bucketContent), idKey(r.num)
}
