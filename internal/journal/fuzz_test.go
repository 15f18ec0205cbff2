package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"
)

// FuzzDecodeEntry feeds arbitrary bytes to the entry decoder: it must return
// an entry or an error wrapping errDamaged, never panic, and what it accepts
// must survive a re-encoding.
func FuzzDecodeEntry(f *testing.F) {
	for _, e := range []Entry{
		{Time: epoch, Root: "/r", Path: "a.md", Rule: "x", BeforeHash: Hash([]byte("a")), AfterHash: Hash([]byte("b")), Size: 1},
		{Time: epoch, Root: "/vault", Path: "n/ü.md", Rule: RuleUndo, AfterHash: Hash(nil), Undoes: 7},
		{Time: time.Unix(0, -1), Root: "/", Path: "x", Rule: "naming", BeforeHash: Hash(nil)},
		{Time: epoch, Root: "/r", Path: "index.md", Rule: "idx", Via: "index", Run: "20260101T000000.000000Z", AfterHash: Hash(nil)},
	} {
		f.Add(encodeEntry(&e))
	}
	// A format 1 entry, as journals written before Via and Run hold it:
	// format 2 without its two empty trailing strings.
	v1 := encodeEntry(&Entry{Time: epoch, Root: "/r", Path: "a.md", Rule: "x", AfterHash: Hash(nil)})
	v1[0] = entryFormat1
	f.Add(v1[:len(v1)-2])
	f.Add([]byte{})
	f.Add([]byte{entryFormat})
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{entryFormat, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(42, b)
		if err != nil {
			if !errors.Is(err, errDamaged) {
				t.Fatalf("error %v does not wrap errDamaged", err)
			}
			return
		}
		if e.ID != 42 || e.Size < 0 {
			t.Fatalf("decoded %+v", e)
		}
		e2, err := decodeEntry(42, encodeEntry(&e))
		if err != nil {
			t.Fatalf("re-encoding of %+v does not decode: %v", e, err)
		}
		if !e2.Time.Equal(e.Time) {
			t.Fatalf("time %v became %v", e.Time, e2.Time)
		}
		e2.Time = e.Time
		if e2 != e {
			t.Fatalf("round trip changed %+v into %+v", e, e2)
		}
	})
}

// FuzzEntryRoundTrip encodes entries built from arbitrary fields and checks
// that decoding gives them back.
func FuzzEntryRoundTrip(f *testing.F) {
	f.Add(int64(0), "/r", "a.md", "rule", []byte("before"), []byte("after"), false, int64(6), uint64(0), "", "")
	f.Add(int64(-1<<63), "/", "x/y/z.md", "", []byte{}, []byte{0}, true, int64(0), uint64(1<<63), "catalog", "20260101T000000.000000Z")
	f.Fuzz(func(t *testing.T, nanos int64, root, path, rule string, before, after []byte, created bool, size int64, undoes uint64, via, run string) {
		if size < 0 {
			size = -(size + 1)
		}
		e := Entry{ID: 9, Time: time.Unix(0, nanos), Root: root, Path: path, Rule: rule,
			AfterHash: hexSum(after), Size: size & (1<<62 - 1), Undoes: undoes, Via: via, Run: run}
		if !created {
			e.BeforeHash = hexSum(before)
		}
		got, err := decodeEntry(9, encodeEntry(&e))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Time.Equal(e.Time) {
			t.Fatalf("time %v became %v", e.Time, got.Time)
		}
		got.Time = e.Time
		if got != e {
			t.Fatalf("round trip changed %+v into %+v", e, got)
		}
	})
}

func hexSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// FuzzUnpackBlob feeds arbitrary stored values to the blob decoder: a damaged
// blob must give an error, never a panic or content that fails its hash.
func FuzzUnpackBlob(f *testing.F) {
	j := openTest(f, Retention{})
	for _, c := range [][]byte{[]byte("short"), []byte("a longer, repeated text; a longer, repeated text; a longer, repeated text"), {}} {
		f.Add(j.packBlob(c), uint64(len(c)), c)
	}
	f.Add([]byte{codecZstd, 0x28, 0xb5, 0x2f, 0xfd, 0, 0x58}, uint64(1<<40), []byte("x"))
	f.Add([]byte{codecS2, 0xff, 0xff, 0xff, 0xff, 0x0f}, uint64(maxContent), []byte("x"))
	f.Add([]byte{7}, uint64(0), []byte{})
	f.Fuzz(func(t *testing.T, v []byte, raw uint64, want []byte) {
		sum := sha256.Sum256(want)
		got, err := j.unpackBlob(v, raw, sum[:])
		if err == nil && (uint64(len(got)) != raw || sha256.Sum256(got) != sum) {
			t.Fatalf("accepted content that does not match: %q", got)
		}
	})
}

// FuzzDecodeRef feeds arbitrary bytes to the blob reference decoder, which
// reads format 1's two numbers and format 2's three: it must never panic,
// and what it accepts must survive a re-encoding.
func FuzzDecodeRef(f *testing.F) {
	for _, r := range []blobRef{{refs: 1, raw: 3000}, {refs: 2, raw: 0, num: 1}, {refs: 1 << 40, raw: 1 << 30, num: 1 << 50}} {
		f.Add(r.encode())
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{1, 2, 3, 4})
	f.Add([]byte{0xff})
	f.Add([]byte{1, 0x80, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRef(b)
		if err != nil {
			return
		}
		r2, err := decodeRef(r.encode())
		if err != nil || r2 != r {
			t.Fatalf("%+v re-encoded decodes as %+v, %v", r, r2, err)
		}
	})
}
