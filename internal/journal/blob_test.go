package journal

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
)

// TestBlobCodecs packs real Markdown (the example vault's notes, the
// project's README) and random bytes: what S2 makes smaller is stored in
// S2, the rest raw (the vault's shortest notes, the noise), and everything
// comes back byte for byte.
func TestBlobCodecs(t *testing.T) {
	j := openTest(t, Retention{})
	paths, err := filepath.Glob(filepath.Join("..", "..", "examples", "vault", "*", "*.md"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("example notes: %v (%d found)", err, len(paths))
	}
	paths = append(paths, filepath.Join("..", "..", "README.md"))
	noise := make([]byte, 4096)
	rand.Read(noise)
	cases := map[string][]byte{"noise": noise, "empty": {}}
	for _, p := range paths {
		c, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cases[p] = c
	}
	for name, c := range cases {
		v := j.packBlob(c)
		want := byte(codecRaw)
		if len(s2.Encode(nil, c)) < len(c) {
			want = codecS2
		}
		if v[0] != want {
			t.Errorf("%s: codec %d, want %d", name, v[0], want)
		}
		got, err := j.unpackBlob(v, uint64(len(c)), sha256Sum(c))
		if err != nil || !bytes.Equal(got, c) {
			t.Errorf("%s: unpack = %d bytes, %v; want the %d bytes packed", name, len(got), err, len(c))
		}
	}
	if readme := cases[paths[len(paths)-1]]; len(j.packBlob(readme)) > len(readme)*7/10 {
		t.Errorf("README (%d bytes) packed into %d, more than 70 %%", len(readme), len(j.packBlob(readme)))
	}
	if v := j.packBlob(noise); v[0] != codecRaw {
		t.Errorf("random bytes stored with codec %d, want raw", v[0])
	}
}

// TestGetReadsZstdContent reads an entry whose content an earlier version
// stored in zstd, as journals written before S2 hold them.
func TestGetReadsZstdContent(t *testing.T) {
	j := openTest(t, Retention{})
	content := []byte(strings.Repeat("- [ ] a task that came from a TODO: line\n", 40))
	id := rec(t, j, "/r", "a.md", "r", content, []byte("b"), time.Time{})
	if err := j.exclusive(nil); err != nil { // the entry reaches the store
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	old := enc.EncodeAll(content, []byte{codecZstd})
	enc.Close()
	h := sha256Sum(content)
	err = j.db.Update(func(tx *bolt.Tx) error {
		b, key := storedBlob(t, tx, h)
		return b.Put(key, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := j.Get(id)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("Get = %q, %v; want the content stored in zstd", got, err)
	}
}

// TestUnpackRejectsS2SizeMismatch: an S2 blob whose own length differs from
// the entry's is refused before its buffer is made, so a damaged length can
// never make a small blob allocate a huge one.
func TestUnpackRejectsS2SizeMismatch(t *testing.T) {
	j := openTest(t, Retention{})
	content := bytes.Repeat([]byte("compressible "), 100)
	v := append([]byte{codecS2}, s2.Encode(nil, content)...)
	for _, raw := range []uint64{uint64(len(content)) - 1, uint64(len(content)) + 1, maxContent} {
		if _, err := j.unpackBlob(v, raw, sha256Sum(content)); err == nil || !strings.Contains(err.Error(), "expected") {
			t.Errorf("raw %d: err = %v, want a size mismatch", raw, err)
		}
	}
	huge := append([]byte{codecS2}, 0xff, 0xff, 0xff, 0xff, 0x0f) // claims 4 GiB
	if _, err := j.unpackBlob(huge, maxContent, sha256Sum(nil)); err == nil {
		t.Error("a blob claiming 4 GiB unpacked")
	}
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}
