package journal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// storedBlob returns where the blob of hash is stored, in a test's
// transaction.
func storedBlob(t *testing.T, tx *bolt.Tx, hash []byte) (*bolt.Bucket, []byte) {
	t.Helper()
	r, err := decodeRef(tx.Bucket(bucketRefs).Get(hash))
	if err != nil {
		t.Fatal(err)
	}
	b, key := blobAt(tx, r, hash)
	if b == nil || b.Get(key) == nil {
		t.Fatalf("no blob stored for %x (ref %+v)", hash, r)
	}
	return b, key
}

// TestContentUnderGrowingNumbers: new content goes into "content" under
// 1, 2, 3…, in the order it was recorded, and content seen before is
// referenced, not stored again.
func TestContentUnderGrowingNumbers(t *testing.T) {
	j := openTest(t, Retention{})
	for i, c := range []string{"one", "two", "one", "three"} {
		rec(t, j, "/r", "n"+strconv.Itoa(i)+".md", "r", []byte(c), []byte("x"), time.Time{})
	}
	if err := j.exclusive(nil); err != nil {
		t.Fatal(err)
	}
	err := j.db.View(func(tx *bolt.Tx) error {
		var got []string
		err := tx.Bucket(bucketContent).ForEach(func(k, v []byte) error {
			got = append(got, strconv.FormatUint(binary.BigEndian.Uint64(k), 10)+"="+string(v[1:]))
			return nil
		})
		if want := "[1=one 2=two 3=three]"; err == nil && fmt.Sprint(got) != want {
			t.Errorf("content = %v, want %s", got, want)
		}
		if n := tx.Bucket(bucketBlobs).Stats().KeyN; n != 0 {
			t.Errorf("%d blobs under their hash, want none", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFormat1Journal opens a journal as format 1 left it (content under
// its hash in "blobs", references without a number, no "content" bucket):
// read-only, it is read as it is; opened for writing, it becomes format 2,
// its old content stays readable, and an entry recorded again with old
// content and Prune find that content where format 1 put it.
func TestFormat1Journal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	contents := [][]byte{[]byte("first version\n"), []byte("second version\n"), bytes.Repeat([]byte("compressible "), 200)}
	var ids []uint64
	for i, c := range contents {
		ids = append(ids, rec(t, j, "/r", "n"+strconv.Itoa(i)+".md", "r", c, []byte("after"), time.Time{}))
	}
	if err := j.exclusive(nil); err != nil {
		t.Fatal(err)
	}
	// Rewrite the store as format 1 wrote it.
	err = j.db.Update(func(tx *bolt.Tx) error {
		refs, blobs := tx.Bucket(bucketRefs), tx.Bucket(bucketBlobs)
		for _, c := range contents {
			h := sha256Sum(c)
			r, err := decodeRef(refs.Get(h))
			if err != nil {
				return err
			}
			if err := blobs.Put(h, bytes.Clone(tx.Bucket(bucketContent).Get(idKey(r.num)))); err != nil {
				return err
			}
			v := binary.AppendUvarint(binary.AppendUvarint(nil, r.refs), r.raw)
			if err := refs.Put(h, v); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bucketContent); err != nil {
			return err
		}
		return putUvarint(tx.Bucket(bucketMeta), keyVersion, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(j *Journal, id uint64, want []byte) {
		t.Helper()
		_, got, err := j.Get(id)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Get(%d) = %q, %v; want %q", id, got, err, want)
		}
	}
	version := func(j *Journal) uint64 {
		t.Helper()
		var v uint64
		err := j.db.View(func(tx *bolt.Tx) (err error) {
			v, err = getUvarint(tx.Bucket(bucketMeta), keyVersion)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		check(ro, id, contents[i])
	}
	if v := version(ro); v != 1 {
		t.Errorf("read-only open: format %d, want 1 (left as it is)", v)
	}
	ro.Close()

	j, err = Open(path, Retention{MaxEntries: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if v := version(j); v != formatVersion {
		t.Errorf("after a writer's open: format %d, want %d", v, formatVersion)
	}
	for i, id := range ids {
		check(j, id, contents[i])
	}
	// Old content again (its blob stays under its hash), and new content.
	again := rec(t, j, "/r", "n0.md", "r", contents[0], []byte("after"), time.Time{})
	fresh := []byte("new content, format 2\n")
	newID := rec(t, j, "/r", "n3.md", "r", fresh, []byte("after"), time.Time{})
	check(j, again, contents[0])
	check(j, newID, fresh)

	// Keep 3 of 5 entries: the first two go, and with them the blob of
	// contents[1], its only user; contents[0] is still used by again.
	if n, err := j.Prune(time.Now()); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2 entries removed", n, err)
	}
	check(j, again, contents[0])
	check(j, ids[2], contents[2])
	check(j, newID, fresh)
	err = j.db.View(func(tx *bolt.Tx) error {
		blobs := tx.Bucket(bucketBlobs)
		if blobs.Get(sha256Sum(contents[1])) != nil {
			t.Error("the format-1 blob of a pruned entry is still stored")
		}
		if blobs.Get(sha256Sum(contents[0])) == nil || blobs.Get(sha256Sum(contents[2])) == nil {
			t.Error("a format-1 blob still in use was removed")
		}
		if n := tx.Bucket(bucketContent).Stats().KeyN; n != 1 {
			t.Errorf("%d blobs in content, want 1 (the new one)", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
