package bus

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/safefile"
)

// wireNames are file names of the shapes vaults hold, and of those JSON
// must escape.
var wireNames = []string{
	"plain.md", "Daily Notes/2026-12-05.md", "über/naïve 📝.md", "Q&A.md", "<draft.md", "a>b.md", `quote".md`, `back\slash.md`,
	"tab\t.md", "nul\x00.md", "bad\xff\xfeutf8.md", "line\u2028sep.md", "para\u2029sep.md", "del\x7f.md", "",
}

// wireOf builds an event's wire form as encodeEvent does.
func wireOf(root, path, reason, origin string, v safefile.Version, stamp uint64, bulk bool, t time.Time) wireEvent {
	return toWire(FileEvent{Root: root, Path: path, Reason: reason, Origin: origin, Version: v, Stamp: safefile.Stamp(stamp), Bulk: bulk, Time: t})
}

// checkWire holds appendWire to json.Marshal (the same bytes, or a refusal)
// and parseWire to encoding/json's strict decoding (the same event from
// what appendWire wrote).
func checkWire(t *testing.T, w wireEvent) {
	t.Helper()
	want, err := json.Marshal(w)
	if err != nil {
		if _, ok := appendWire(nil, &w); ok {
			t.Fatalf("appendWire encoded %+v, which json.Marshal refuses (%v)", w, err)
		}
		return
	}
	got, ok := appendWire(nil, &w)
	if !ok {
		return // escaping needed: encodeEvent marshals it
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendWire wrote\n%s\njson.Marshal writes\n%s", got, want)
	}
	parsed, ok := parseWire(got)
	if !ok {
		t.Fatalf("parseWire refused what appendWire wrote:\n%s", got)
	}
	var ref wireEvent
	if err := json.Unmarshal(got, &ref); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(parsed, ref) || parsed.Time.Location().String() != ref.Time.Location().String() {
		t.Fatalf("parseWire read %+v from\n%s\nencoding/json reads %+v", parsed, got, ref)
	}
}

func TestWireMatchesJSON(t *testing.T) {
	now := time.Date(2026, 12, 5, 23, 30, 1, 123456789, time.FixedZone("CET", 3600))
	versions := []safefile.Version{{}, {Size: 3012, ModTime: now.UnixNano(), ChangeTime: now.UnixNano() + 7, Ino: 1<<64 - 1}, {Size: -1, ModTime: -5}}
	times := []time.Time{now, now.Truncate(time.Second), time.Unix(0, 0), {}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, name := range wireNames {
		for _, origin := range []string{"", "user", "scribe"} {
			for i, v := range versions {
				w := wireOf("/home/user/vault", name, ReasonEvent, origin, v, uint64(i)*1e15, i == 1, times[i%len(times)])
				checkWire(t, w)
			}
		}
		for _, tm := range times {
			checkWire(t, wireOf(name, "a.md", ReasonCatchup, "scan", safefile.Version{}, 0, true, tm))
		}
	}
}

// FuzzWire feeds events to both encoders and both decoders.
func FuzzWire(f *testing.F) {
	for _, n := range wireNames {
		f.Add("/vault", n, uint8(0), uint8(1), int64(3012), int64(1764977401123456789), uint64(42), uint64(7), true, int64(1764977401123456789))
	}
	f.Fuzz(func(t *testing.T, root, path string, reason, origin uint8, size, mtime int64, ino, stamp uint64, bulk bool, nanos int64) {
		rs := []string{ReasonEvent, ReasonRescan, ReasonCatchup, ReasonRetry, ReasonRequeue}
		os := []string{"", "user", "vcs", "scribe", "scan"}
		v := safefile.Version{Size: size, ModTime: mtime, ChangeTime: mtime ^ int64(ino), Ino: ino}
		checkWire(t, wireOf(root, path, rs[int(reason)%len(rs)], os[int(origin)%len(os)], v, stamp, bulk, time.Unix(0, nanos)))
	})
}

// FuzzParseWire: whatever parseWire accepts, encoding/json's strict decoder
// (unknown fields refused, nothing after the object) reads the same way.
func FuzzParseWire(f *testing.F) {
	for _, n := range wireNames {
		w := wireOf("/r", n, ReasonEvent, "user", safefile.Version{Size: 1, Ino: 2}, 3, false, time.Unix(1764977401, 5))
		if b, ok := appendWire(nil, &w); ok {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"v":1,"path":"a","reason":"event","time":"2026-12-05T23:30:01+01:00"}`))
	f.Add([]byte(`{"v":1,"path":"a","path":"b","reason":"event","time":"2026-12-05T23:30:01Z"}`))
	f.Add([]byte(`{"v":01,"path":"a","reason":"event","time":"2026-12-05T23:30:01Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := parseWire(data)
		if !ok {
			return
		}
		var ref wireEvent
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ref); err != nil || dec.More() {
			t.Fatalf("parseWire accepted what encoding/json refuses (%v):\n%q", err, data)
		}
		if !reflect.DeepEqual(got, ref) || got.Time.Location().String() != ref.Time.Location().String() {
			t.Fatalf("parseWire read %+v from %q; encoding/json reads %+v", got, data, ref)
		}
	})
}

// BenchmarkEventCodec encodes and decodes a live event of a note, through
// encodeEvent and decodeEvent (the direct form) and through encoding/json
// alone (what they did before).
func BenchmarkEventCodec(b *testing.B) {
	now := time.Now()
	ev := FileEvent{Root: "/home/user/vault", Path: "Projects/2026/Meeting notes.md", Reason: ReasonEvent, Origin: "user",
		Version: safefile.Version{Size: 3012, ModTime: now.UnixNano(), ChangeTime: now.UnixNano(), Ino: 123456789}, Time: now}
	data, err := encodeEvent(ev)
	if err != nil {
		b.Fatal(err)
	}
	w := wireOf(ev.Root, ev.Path, ev.Reason, ev.Origin, ev.Version, 0, false, ev.Time)
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			encodeEvent(ev)
		}
	})
	b.Run("encode-json", func(b *testing.B) {
		for b.Loop() {
			json.Marshal(w)
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			decodeEvent(data)
		}
	})
	b.Run("decode-json", func(b *testing.B) {
		for b.Loop() {
			var w wireEvent
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			dec.Decode(&w)
		}
	})
}

// TestParseWireRefuses: bodies one step from appendWire's form are left to
// encoding/json (which refuses or reads most of them), never read here.
func TestParseWireRefuses(t *testing.T) {
	const ok = `{"v":1,"path":"a.md","reason":"event","version":{"size":1,"mtime":2,"ctime":3,"ino":4},"time":"2026-12-05T23:30:01Z"}`
	if _, good := parseWire([]byte(ok)); !good {
		t.Fatalf("parseWire refused its own form: %s", ok)
	}
	for _, in := range []string{
		`{"v":1,"path":"a.md","reason":"event","version":{"size":1,"mtime":2,"ctime":3,"ino":4},"time":"2026-12-05T23:30:01Z"`, // no closing brace
		`{"v":1,"path":"a.md""event","version":{"size":1,"mtime":2,"ctime":3,"ino":4},"time":"2026-12-05T23:30:01Z"}`,          // no reason key
		`{"v":1,"path":"a.md","reason":"event","version":{"size":1,"mtime":2,"ctime":3},"time":"2026-12-05T23:30:01Z"}`,        // no ino
		`{"v":1,"path":"a.md","reason":"event","version":{"size":1,"mtime":2,"ctime":3,"ino":4,"time":"2026-12-05T23:30:01Z"}`, // version not closed
		`{"path":"a.md","v":1,"reason":"event","time":"2026-12-05T23:30:01Z"}`,                                                 // another order
		`{"v":01,"path":"a.md","reason":"event","time":"2026-12-05T23:30:01Z"}`,                                                // leading zero
		`{"v":1,"path":"a.md","path":"b.md","reason":"event","time":"2026-12-05T23:30:01Z"}`,                                   // duplicate
		`{"v":1,"path":"a\u002emd","reason":"event","time":"2026-12-05T23:30:01Z"}`,                                            // an escape
		`{"v":1,"path":"a.md","reason":"event","bulk":false,"time":"2026-12-05T23:30:01Z"}`,                                    // bulk written false
		`{"v":1,"path":"a.md","reason":"event","time":"2026-12-05T23:30:01.100Z"}`,                                             // time not as written
		`{"v":1,"path":"a.md","reason":"event","time":"2026-12-05T23:30:01Z"} {}`,                                              // trailing data
		`{"v":1,"path_raw":"","reason":"event","time":"2026-12-05T23:30:01Z"}`,                                                 // empty raw form
	} {
		if w, good := parseWire([]byte(in)); good {
			t.Errorf("parseWire read %+v from %s", w, in)
		}
	}
}
