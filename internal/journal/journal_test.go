package journal

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

func TestRecordListGet(t *testing.T) {
	j := openTest(t, Retention{})
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	a, b := "/vault/one", "/vault/two"
	v1, v2, v3 := []byte("# v1\n"), []byte("# v2\r\n"), []byte("# v3\n")

	id1 := rec(t, j, a, "notes/x.md", "touch-updated", v1, v2, t0)
	id2 := rec(t, j, a, "notes/y.md", "index", nil, v1, t0.Add(time.Second)) // created
	id3 := rec(t, j, b, "notes/x.md", "touch-updated", v2, v3, t0.Add(2*time.Second))
	id4 := rec(t, j, a, "notes/x.md", "touch-updated", v2, v3, t0.Add(3*time.Second))
	id5 := rec(t, j, a, "notes/x.md", "naming", []byte{}, nil, t0.Add(4*time.Second)) // removed an empty file
	if !(id1 < id2 && id2 < id3 && id3 < id4 && id4 < id5) {
		t.Fatalf("IDs do not grow: %d %d %d %d %d", id1, id2, id3, id4, id5)
	}

	for _, tc := range []struct {
		root, path string
		limit      int
		want       []uint64
	}{
		{"", "", 0, []uint64{id5, id4, id3, id2, id1}},
		{"", "", 2, []uint64{id5, id4}},
		{a, "", 0, []uint64{id5, id4, id2, id1}},
		{b, "", 0, []uint64{id3}},
		{a, "notes/x.md", 0, []uint64{id5, id4, id1}},
		{a, "notes/x.md", 2, []uint64{id5, id4}},
		{b, "notes/x.md", 0, []uint64{id3}},
		{"", "notes/x.md", 0, []uint64{id5, id4, id3, id1}},
		{a, "notes/x", 0, nil},
		{a, "notes/x.md.bak", 0, nil},
		{"/vault", "", 0, nil},
	} {
		got, err := j.List(tc.root, tc.path, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), tc.want) {
			t.Errorf("List(%q, %q, %d) = %v, want %v", tc.root, tc.path, tc.limit, ids(got), tc.want)
		}
	}

	e, content, err := j.Get(id1)
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{ID: id1, Time: t0, Root: a, Path: "notes/x.md", Rule: "touch-updated",
		BeforeHash: Hash(v1), AfterHash: Hash(v2), Size: int64(len(v1))}
	if !e.Time.Equal(want.Time) {
		t.Errorf("time = %v, want %v", e.Time, want.Time)
	}
	e.Time = want.Time
	if e != want {
		t.Errorf("Get = %+v\nwant  %+v", e, want)
	}
	if !bytes.Equal(content, v1) {
		t.Errorf("content = %q, want %q", content, v1)
	}
	if e, content, err := j.Get(id2); err != nil || e.BeforeHash != "" || len(content) != 0 || content == nil {
		t.Errorf("created entry: %+v %q %v; want no before hash and empty content", e, content, err)
	}
	if e, content, err := j.Get(id5); err != nil || e.AfterHash != "" || e.BeforeHash != Hash(nil) || len(content) != 0 {
		t.Errorf("removal of an empty file: %+v %q %v", e, content, err)
	}
	if _, _, err := j.Get(id5 + 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func TestRecordTimeDefaultsToNow(t *testing.T) {
	j := openTest(t, Retention{})
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	j.now = func() time.Time { return fixed }
	id := rec(t, j, "/r", "a.md", "r", []byte("a"), []byte("b"), time.Time{})
	e, _, err := j.Get(id)
	if err != nil || !e.Time.Equal(fixed) {
		t.Fatalf("time = %v, %v; want %v", e.Time, err, fixed)
	}
}

func TestRecordRejectsBadInput(t *testing.T) {
	j := openTest(t, Retention{})
	good := Entry{Root: "/r", Path: "a.md", Rule: "x", BeforeHash: Hash([]byte("a")), AfterHash: Hash([]byte("b"))}
	for _, tc := range []struct {
		name    string
		edit    func(*Entry)
		content string
		want    string
	}{
		{"relative root", func(e *Entry) { e.Root = "r" }, "a", "clean absolute"},
		{"unclean root", func(e *Entry) { e.Root = "/r/../s" }, "a", "clean absolute"},
		{"dotdot path", func(e *Entry) { e.Path = "../a.md" }, "a", "relative to the root"},
		{"absolute path", func(e *Entry) { e.Path = "/a.md" }, "a", "relative to the root"},
		{"dot path", func(e *Entry) { e.Path = "." }, "a", "relative to the root"},
		{"NUL in path", func(e *Entry) { e.Path = "a\x00b" }, "a", "relative to the root"},
		{"empty rule", func(e *Entry) { e.Rule = "" }, "a", "rule is empty"},
		{"short hash", func(e *Entry) { e.AfterHash = "abc" }, "a", "not a lowercase hex sha256"},
		{"upper-case hash", func(e *Entry) { e.AfterHash = strings.ToUpper(e.AfterHash) }, "a", "not a lowercase hex sha256"},
		{"wrong before hash", func(*Entry) {}, "not a", "is not the sha256 of the content"},
		{"content for a created file", func(e *Entry) { e.BeforeHash = "" }, "a", "content given for a write that created"},
		{"no hashes", func(e *Entry) { e.BeforeHash, e.AfterHash = "", "" }, "", "both empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := good
			tc.edit(&e)
			_, err := j.Record(e, []byte(tc.content))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Record = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if es, _ := j.List("", "", 0); len(es) != 0 {
		t.Fatalf("rejected entries were stored: %v", ids(es))
	}
}

func TestIdenticalContentStoredOnce(t *testing.T) {
	j := fast(openTest(t, Retention{}))
	doc := bytes.Repeat([]byte("---\ntitle: A note\n---\nSome text that repeats.\r\n"), 1500) // 66 KB, compressible
	for i := range 100 {
		rec(t, j, "/r", fmt.Sprintf("n/%d.md", i%7), "r", doc, []byte(fmt.Sprint(i)), time.Time{})
	}
	s, err := j.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Entries != 100 || s.Blobs != 1 || s.RawBytes != int64(len(doc)) {
		t.Fatalf("stats = %+v; want 100 entries sharing 1 blob of %d bytes", s, len(doc))
	}
	if s.StoredBytes >= int64(len(doc))/10 {
		t.Errorf("stored %d bytes for %d of repetitive text: not compressed", s.StoredBytes, len(doc))
	}
	t.Logf("100 entries of %d bytes: %d stored bytes, file %d bytes", len(doc), s.StoredBytes, s.FileBytes)

	// Incompressible content is stored as is (plus the codec byte).
	noise := make([]byte, 4096)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	id := rec(t, j, "/r", "bin.dat", "r", noise, []byte("x"), time.Time{})
	s2, _ := j.Stats()
	if s2.Blobs != 2 || s2.StoredBytes-s.StoredBytes != int64(len(noise))+1 {
		t.Errorf("noise: stats %+v after %+v; want one more blob of %d bytes", s2, s, len(noise)+1)
	}
	if _, got, err := j.Get(id); err != nil || !bytes.Equal(got, noise) {
		t.Errorf("Get(noise) = %v; content equal: %v", err, bytes.Equal(got, noise))
	}
}

func TestReopenKeepsEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("before\r\n\xef\xbb\xbf")
	id1 := rec(t, j, "/r", "a.md", "r", content, []byte("after"), time.Time{})
	id2 := rec(t, j, "/r", "b.md", "r", nil, []byte("new"), time.Time{})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	if _, err := j.List("", "", 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("List after Close = %v, want ErrClosed", err)
	}

	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	es, err := ro.List("", "", 0)
	if err != nil || !slices.Equal(ids(es), []uint64{id2, id1}) {
		t.Fatalf("read-only List = %v, %v", ids(es), err)
	}
	if _, got, err := ro.Get(id1); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read-only Get = %q, %v", got, err)
	}
	if _, err := ro.Record(Entry{Root: "/r", Path: "c.md", Rule: "r", AfterHash: Hash(nil)}, nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Record on read-only = %v, want ErrReadOnly", err)
	}
	if _, err := ro.Prune(time.Now()); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Prune on read-only = %v, want ErrReadOnly", err)
	}
	ro.Close()

	j, err = Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	id3 := rec(t, j, "/r", "a.md", "r", []byte("after"), []byte("later"), time.Time{})
	if id3 <= id2 {
		t.Fatalf("ID after reopen = %d, want > %d", id3, id2)
	}
	if es, _ := j.List("/r", "a.md", 0); !slices.Equal(ids(es), []uint64{id3, id1}) {
		t.Fatalf("List after reopen = %v", ids(es))
	}
}

func TestOpenReadOnlyMissing(t *testing.T) {
	_, err := OpenReadOnly(filepath.Join(t.TempDir(), "none.db"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenReadOnly(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestOpenRejectsDamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not a bolt file "), 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Retention{})
	if err == nil || !strings.Contains(err.Error(), "move it aside") {
		t.Fatalf("Open(damaged) = %v, want an error that says to move it aside", err)
	}
}

func TestLockedInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	w, err := Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	rec(t, w, "/r", "a.md", "r", []byte("a"), []byte("b"), time.Time{})

	start := time.Now()
	_, err = OpenReadOnly(path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("OpenReadOnly while a writer holds it = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("OpenReadOnly took %v to give up; want well under a second", d)
	}
	start = time.Now()
	if _, err := Open(path, Retention{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open took %v to give up; want about a second", d)
	}
	w.Close()

	// Readers share; a writer waits for them.
	r1, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := OpenReadOnly(path)
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	defer r2.Close()
	if _, err := Open(path, Retention{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while readers hold it = %v, want ErrLocked", err)
	}
}

func TestLockedByOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line := make([]byte, 6)
	if _, err := out.Read(line); err != nil || string(line) != "ready\n" {
		t.Fatalf("child: %q, %v", line, err)
	}

	start := time.Now()
	_, err = OpenReadOnly(path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("OpenReadOnly while the child holds it = %v, want ErrLocked", err)
	}
	t.Logf("ErrLocked after %v", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(err.Error(), "HTTP API") {
		t.Errorf("error %q does not tell the user what to do", err)
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatalf("after the child exited: %v", err)
	}
	ro.Close()
}

func TestConcurrentRecord(t *testing.T) {
	j := openTest(t, Retention{})
	const workers, each = 8, 40
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		got = map[uint64][]byte{}
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				// Half the writes share content across workers.
				content := fmt.Appendf(nil, "shared %d\n", i%5)
				if i%2 == 1 {
					content = fmt.Appendf(nil, "worker %d write %d\n", w, i)
				}
				id, err := j.Record(Entry{Root: "/r", Path: fmt.Sprintf("w%d.md", w), Rule: "r",
					BeforeHash: Hash(content), AfterHash: Hash([]byte("x"))}, content)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[id] = content
				mu.Unlock()
			}
		})
	}
	// Readers run alongside the writers.
	wg.Go(func() {
		for range 20 {
			if _, err := j.List("/r", "w0.md", 10); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if len(got) != workers*each {
		t.Fatalf("%d distinct IDs, want %d", len(got), workers*each)
	}
	for id, want := range got {
		if _, c, err := j.Get(id); err != nil || !bytes.Equal(c, want) {
			t.Fatalf("Get(%d) = %q, %v; want %q", id, c, err, want)
		}
	}
	s, err := j.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if wantBlobs := 5 + workers*each/2; s.Entries != workers*each || s.Blobs != wantBlobs {
		t.Fatalf("stats = %+v; want %d entries, %d blobs", s, workers*each, wantBlobs)
	}
	for w := range workers {
		if es, _ := j.List("/r", fmt.Sprintf("w%d.md", w), 0); len(es) != each {
			t.Errorf("worker %d: %d entries listed, want %d", w, len(es), each)
		}
	}
}

func TestGetReportsDamagedContent(t *testing.T) {
	j := openTest(t, Retention{})
	content := bytes.Repeat([]byte("compressible "), 100)
	id := rec(t, j, "/r", "a.md", "r", content, []byte("b"), time.Time{})
	h, _ := decodeHash(Hash(content))
	if err := j.exclusive(nil); err != nil { // the entry reaches the store
		t.Fatal(err)
	}
	err := j.db.Update(func(tx *bolt.Tx) error {
		b, key := storedBlob(t, tx, h)
		v := bytes.Clone(b.Get(key))
		v[len(v)/2] ^= 0xFF
		return b.Put(key, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := j.Get(id); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("Get(damaged) = %v, want a damaged-content error", err)
	}
}

func TestOpenRefusesNewerFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	err = j.db.Update(func(tx *bolt.Tx) error { return putUvarint(tx.Bucket(bucketMeta), keyVersion, formatVersion+1) })
	j.Close()
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() (*Journal, error){
		"Open":         func() (*Journal, error) { return Open(path, Retention{}) },
		"OpenReadOnly": func() (*Journal, error) { return OpenReadOnly(path) },
	} {
		if _, err := open(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("has format %d", formatVersion+1)) {
			t.Errorf("%s(newer format) = %v, want a format error", name, err)
		}
	}
}

// A path that is not UTF-8 is recorded and found under its exact bytes.
func TestNonUTF8Path(t *testing.T) {
	j, err := Open(filepath.Join(t.TempDir(), "journal.db"), Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	rel := "notes/caf\xe9.md"
	id := rec(t, j, "/r", rel, "r", []byte("before"), []byte("after"), time.Time{})
	es, err := j.List("/r", rel, 0)
	if err != nil || len(es) != 1 || es[0].ID != id || es[0].Path != rel {
		t.Fatalf("List = %+v, %v", es, err)
	}
	if e, got, err := j.Get(id); err != nil || e.Path != rel || string(got) != "before" {
		t.Fatalf("Get = %+v %q %v", e, got, err)
	}
	// JSON (history through the daemon's API) keeps the bytes too.
	b, err := json.Marshal(es)
	if err != nil || !utf8.Valid(b) || !strings.Contains(string(b), `"path":"notes/caf\\xe9.md"`) || !strings.Contains(string(b), `"path_base64":"`) {
		t.Fatalf("JSON = %s, %v", b, err)
	}
	var back []Entry
	if err := json.Unmarshal(b, &back); err != nil || len(back) != 1 || back[0].Path != rel || back[0].ID != id || !back[0].Time.Equal(es[0].Time) {
		t.Fatalf("JSON round trip = %+v, %v", back, err)
	}
}

// TestEntryJSONKeys: history's JSON uses snake_case keys, like every other
// JSON document Scribe writes.
func TestEntryJSONKeys(t *testing.T) {
	b, err := json.Marshal(Entry{ID: 1, Root: "/r", Path: "a.md", Rule: "r", Via: "index", Run: "x", AfterHash: Hash(nil)})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := []string{"id", "time", "root", "path", "rule", "via", "run", "before_hash", "after_hash", "size", "undoes"}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing from %s", k, b)
		}
	}
	if len(m) != len(want) {
		t.Errorf("keys of %s, want exactly %v", b, want)
	}
}

// TestFreelistWrittenOnlyAtClose: commits leave the list of free pages out
// (the newest meta page says "no free list"), and Close writes it, so that
// the next open reads it instead of scanning the whole file.
func TestFreelistWrittenOnlyAtClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	rec(t, j, "/r", "a.md", "r", []byte("a\n"), []byte("b\n"), time.Now())
	if freelistSynced(t, path) {
		t.Error("a commit wrote the free list")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if !freelistSynced(t, path) {
		t.Error("Close did not write the free list")
	}
	j, err = Open(path, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if es, err := j.List("/r", "a.md", 10); err != nil || len(es) != 1 {
		t.Errorf("after reopening: %d entries, %v", len(es), err)
	}
}

// freelistSynced reads bbolt's newest meta page (of the two at the start of
// the file) and reports whether it points to a free-list page.
func freelistSynced(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A page starts with a 16-byte header; a meta page then holds magic,
	// version, page size, flags (4 bytes each), the root bucket (16), the
	// free list's page id (8), the high-water page id (8) and the txid.
	le := binary.LittleEndian
	pageSize := int(le.Uint32(b[16+8:]))
	var freelist, txid uint64
	for _, off := range []int{0, pageSize} {
		m := b[off+16:]
		if tx := le.Uint64(m[48:]); tx >= txid {
			txid, freelist = tx, le.Uint64(m[32:])
		}
	}
	return freelist != ^uint64(0)
}
