package bus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scribe-md/scribe/internal/bus"
	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/safefile"
)

var subjectRE = regexp.MustCompile(`^[a-z]+\.(files|bulk)\.[0-9a-f]+$`)

var hostileNames = []string{
	"plain.md", "a b.md", "a.b.c.md", "*", ">", "a.*.>", "nul\x00byte.md", "bad\xff\xfeutf8.md",
	"new\nline.md", "cr\r\n.md", "$JS.API.>", "..", "über/naïve.md", "\t", strings.Repeat("x", 4096),
}

// N8: file names never reach a subject, and arrive intact.
func TestHostileNamesRoundTrip(t *testing.T) {
	o := bustest.New(t)
	o.SyncInterval = time.Minute
	b := bustest.Open(t, o)
	ctx := t.Context()
	var rec recorder
	consume(t, b, 4, func(_ context.Context, ev bus.FileEvent, _ func()) error {
		rec.add(ev)
		return nil
	})
	for _, name := range hostileNames {
		for _, bulk := range []bool{false, true} {
			if s := b.FileSubject(bus.FileEvent{Root: "/r\x00oot", Path: name, Bulk: bulk}); !subjectRE.MatchString(s) {
				t.Errorf("subject for %q = %q", name, s)
			}
		}
		publish(t, b, "/r\x00oot", name, name)
	}
	poll.NoError(t, 20*time.Second, pendingIs(ctx, b, 0))
	var got []string
	for _, ev := range rec.all() {
		if ev.Root != "/r\x00oot" {
			t.Errorf("root = %q", ev.Root)
		}
		got = append(got, ev.Path)
	}
	want := slices.Clone(hostileNames)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("paths after the round trip:\n got %q\nwant %q", got, want)
	}
}

func TestDecodeEventRejects(t *testing.T) {
	for _, in := range []string{
		``, `null`, `{}`, `[]`, `{"v":2,"path":"a","reason":"event"}`,
		`{"v":1,"reason":"event"}`,
		`{"v":1,"path":"","reason":"event"}`,
		`{"v":1,"path":"a","reason":"nope"}`,
		`{"v":1,"path":"a","path_raw":"YQ==","reason":"event"}`,
		`{"v":1,"path_raw":"YQ==","reason":"event"}`, // valid UTF-8 in raw form
		`{"v":1,"path":"a","reason":"event","extra":1}`,
		`{"v":1,"path":"a","reason":"event"} {}`,
		`{"v":1,"path":"a","reason":"event","time":"yesterday"}`,
	} {
		if ev, err := bus.DecodeEvent([]byte(in)); err == nil {
			t.Errorf("DecodeEvent(%s) = %+v, want an error", in, ev)
		}
	}
}

func FuzzEventRoundTrip(f *testing.F) {
	for _, n := range hostileNames {
		f.Add("/vault", n, "event", int64(0), uint64(0))
	}
	f.Add("", "a", "rescan", int64(1700000000000000000), uint64(1))
	f.Add("\xff", "\x00", "catchup", int64(-1), uint64(safefile.StampBits))
	f.Fuzz(func(t *testing.T, root, path, reason string, nanos int64, stamp uint64) {
		ev := bus.FileEvent{Root: root, Path: path, Reason: reason, Stamp: safefile.Stamp(stamp), Time: time.Unix(0, nanos).UTC()}
		data, err := bus.EncodeEvent(ev)
		if err != nil {
			return // empty path, unknown reason, oversized: refused, not mangled
		}
		got, err := bus.DecodeEvent(data)
		if err != nil {
			t.Fatalf("decode(encode(%+v)): %v\n%s", ev, err, data)
		}
		if ev.Reason == "" {
			ev.Reason = bus.ReasonEvent
		}
		if got.Root != ev.Root || got.Path != ev.Path || got.Reason != ev.Reason || got.Stamp != ev.Stamp || !got.Time.Equal(ev.Time) {
			t.Fatalf("round trip changed the event:\n got %+v\nwant %+v", got, ev)
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	for _, n := range hostileNames {
		data, err := bus.EncodeEvent(bus.FileEvent{Root: "/r", Path: n, Time: time.Unix(1, 0)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"v":1,"path_raw":"/w==","reason":"event","time":"2024-01-01T00:00:00+02:00"}`))
	f.Add([]byte(`{"v":1,"root":null,"path":"a","reason":"catchup"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := bus.DecodeEvent(data)
		if err != nil {
			return
		}
		again, err := bus.EncodeEvent(ev)
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode it: %v", ev, err)
		}
		ev2, err := bus.DecodeEvent(again)
		if err != nil || ev2.Root != ev.Root || ev2.Path != ev.Path || ev2.Reason != ev.Reason || !ev2.Time.Equal(ev.Time) {
			t.Fatalf("re-encoding changed the event: %+v -> %+v (%v)", ev, ev2, err)
		}
	})
}

// FuzzSubject (N8) publishes file events with fuzzed roots and paths to a real
// embedded server: none may fail, and every subject is a plain hash shard.
func FuzzSubject(f *testing.F) {
	for _, n := range hostileNames {
		f.Add("/vault", n)
	}
	f.Add("root with space", "a\x00b")
	f.Add("*", ">")
	o := bustest.New(f)
	o.SyncInterval = time.Minute
	o.Logger = nil // thousands of publishes; nothing to say
	b := bustest.Open(f, o)
	f.Fuzz(func(t *testing.T, root, path string) {
		if s := b.FileSubject(bus.FileEvent{Root: root, Path: path}); !subjectRE.MatchString(s) {
			t.Fatalf("subject for (%q, %q) = %q", root, path, s)
		}
		_, err := b.PublishFile(t.Context(), bus.FileEvent{Root: root, Path: path}, root+"\x00"+path)
		if path == "" {
			if err == nil {
				t.Fatal("an empty path was published")
			}
			return
		}
		if len(root)+len(path) > 16<<10 {
			return // past the event size bound: refused with an error, fine
		}
		if err != nil {
			t.Fatalf("publish (%q, %q): %v", root, path, err)
		}
	})
}

// A status document carries a path that is not UTF-8 escaped, with its
// bytes in path_base64, and reads back exactly.
func TestFileEventJSONNonUTF8(t *testing.T) {
	for _, p := range []string{"notes/caf\xe9.md", "notes/a\x1b]0;x\x07.md", "plain.md"} {
		ev := bus.FileEvent{Root: "r", Path: p, Reason: bus.ReasonEvent, Seq: 7}
		b, err := json.Marshal(ev)
		if err != nil || !utf8.Valid(b) || bytes.ContainsRune(b, utf8.RuneError) {
			t.Fatalf("Marshal(%q) = %s, %v", p, b, err)
		}
		var back bus.FileEvent
		if err := json.Unmarshal(b, &back); err != nil || back.Path != p || back.Seq != 7 {
			t.Fatalf("round trip of %q: %+v, %v (%s)", p, back, err, b)
		}
	}
}
