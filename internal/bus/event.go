package bus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/safefile"
)

// Reasons a FileEvent was published.
const (
	// ReasonEvent: the watcher saw a file system event for the path.
	ReasonEvent = "event"
	// ReasonRescan: a periodic or overflow rescan found the path changed.
	ReasonRescan = "rescan"
	// ReasonCatchup: the startup scan found the path changed while the daemon
	// was down.
	ReasonCatchup = "catchup"
	// ReasonRetry: an operator retried a dead letter.
	ReasonRetry = "retry"
	// ReasonRequeue: the engine asked for the path again (a user edit raced a
	// rewrite, or another file's change affects it).
	ReasonRequeue = "requeue"
)

var reasons = map[string]bool{
	ReasonEvent: true, ReasonRescan: true, ReasonCatchup: true, ReasonRetry: true, ReasonRequeue: true,
}

// origins are the values FileEvent.Origin may take.
var origins = map[string]bool{"": true, "user": true, "vcs": true, "scribe": true, "scan": true}

// FileEvent says "file Path of root Root may have changed". It is a hint: the
// worker reads the file from disk and decides what to do.
type FileEvent struct {
	// Root is the root the file belongs to, as configured.
	Root string `json:"root"`
	// Path is the file's path relative to Root. Any bytes are carried intact,
	// including invalid UTF-8; they never appear in a subject.
	Path string `json:"path"`
	// Reason is one of the Reason constants ("" is published as ReasonEvent).
	Reason string `json:"reason"`
	// Origin is where the change came from as far as the publisher knew:
	// "user", "scribe" or "scan" ("" when unknown: the worker takes "user").
	// The worker refines it (a change git wrote is "vcs").
	Origin string `json:"origin,omitempty"`
	// Version is the version of the file the publisher saw (zero when
	// unknown): a worker that finds another version knows the file changed
	// since the event was made.
	Version safefile.Version `json:"version,omitzero"`
	// Stamp is the stamp of the version the publisher saw, when it knew
	// only that (a catch-up compares the stamps its watcher holds); zero
	// when unknown or when Version is set. A worker compares it as it
	// would Version.
	Stamp safefile.Stamp `json:"stamp,omitzero"`
	// Bulk queues the event behind every live one: a catch-up, a rescan, the
	// changes of a git operation. Workers take live events first.
	Bulk bool `json:"bulk,omitempty"`
	// Seq is the event's stream sequence, set on delivery (ignored on publish).
	Seq uint64 `json:"seq,omitempty"`
	// Time is when the event was published; PublishFile sets it when zero.
	Time time.Time `json:"time"`
	// Deliveries is how many times this event has been delivered, counting
	// this one; set on delivery (ignored on publish).
	Deliveries int `json:"deliveries,omitempty"`
	// EarlierFailures is how many tries of this event failed before it was
	// stored (a handed-off try, with Options.HandOff); they are counted in
	// Deliveries. Set on delivery (ignored on publish).
	EarlierFailures int `json:"-"`
}

// wireVersion is the version of the encoded FileEvent. A decoder refuses other
// versions rather than guessing.
const wireVersion = 1

// wireEvent is the JSON form of a FileEvent. Strings that are not valid UTF-8
// travel base64-encoded in the *_raw fields, because encoding/json would
// replace their invalid bytes with U+FFFD and the worker would look up a file
// that does not exist.
type wireEvent struct {
	V       int              `json:"v"`
	Root    *string          `json:"root,omitempty"`
	RootRaw []byte           `json:"root_raw,omitempty"`
	Path    *string          `json:"path,omitempty"`
	PathRaw []byte           `json:"path_raw,omitempty"`
	Reason  string           `json:"reason"`
	Origin  string           `json:"origin,omitempty"`
	Version safefile.Version `json:"version,omitzero"`
	Stamp   safefile.Stamp   `json:"stamp,omitzero"`
	Bulk    bool             `json:"bulk,omitempty"`
	Time    time.Time        `json:"time"`
}

// maxEventSize bounds an encoded event; paths are far shorter in practice.
const maxEventSize = 64 << 10

// encodeEvent returns the wire form of ev.
func encodeEvent(ev FileEvent) ([]byte, error) {
	if ev.Path == "" {
		return nil, errors.New("file event has an empty path")
	}
	if ev.Reason == "" {
		ev.Reason = ReasonEvent
	}
	if !reasons[ev.Reason] {
		return nil, fmt.Errorf("file event reason %q is not one of event, rescan, catchup, retry, requeue", ev.Reason)
	}
	if !origins[ev.Origin] {
		return nil, fmt.Errorf("file event origin %q is not one of user, vcs, scribe, scan", ev.Origin)
	}
	w := toWire(ev)
	b, ok := appendWire(make([]byte, 0, 256), &w)
	if !ok {
		var err error
		if b, err = json.Marshal(w); err != nil {
			return nil, fmt.Errorf("encode file event: %w", err)
		}
	}
	if len(b) > maxEventSize {
		return nil, fmt.Errorf("file event for a %d-byte path is larger than %d bytes", len(ev.Path), maxEventSize)
	}
	return b, nil
}

// toWire returns the wire form of ev, its time in UTC.
func toWire(ev FileEvent) wireEvent {
	w := wireEvent{V: wireVersion, Reason: ev.Reason, Origin: ev.Origin, Version: ev.Version, Stamp: ev.Stamp, Bulk: ev.Bulk, Time: ev.Time.UTC()}
	w.Root, w.RootRaw = splitUTF8(ev.Root)
	w.Path, w.PathRaw = splitUTF8(ev.Path)
	return w
}

func splitUTF8(s string) (*string, []byte) {
	if utf8.ValidString(s) {
		return &s, nil
	}
	return nil, []byte(s)
}

// decodeEvent parses the wire form of a FileEvent. It never panics; anything
// that encodeEvent could not have produced is an error.
func decodeEvent(data []byte) (FileEvent, error) {
	if len(data) > maxEventSize {
		return FileEvent{}, fmt.Errorf("decode file event: %d bytes is larger than %d", len(data), maxEventSize)
	}
	w, ok := parseWire(data)
	if !ok {
		w = wireEvent{} // what the parse read before it gave up
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&w); err != nil {
			return FileEvent{}, fmt.Errorf("decode file event: %w", err)
		}
		if dec.More() {
			return FileEvent{}, errors.New("decode file event: trailing data")
		}
	}
	if w.V != wireVersion {
		return FileEvent{}, fmt.Errorf("decode file event: version %d, want %d", w.V, wireVersion)
	}
	root, err := joinUTF8("root", w.Root, w.RootRaw)
	if err != nil {
		return FileEvent{}, err
	}
	path, err := joinUTF8("path", w.Path, w.PathRaw)
	if err != nil {
		return FileEvent{}, err
	}
	if path == "" {
		return FileEvent{}, errors.New("decode file event: empty path")
	}
	if !reasons[w.Reason] {
		return FileEvent{}, fmt.Errorf("decode file event: unknown reason %q", w.Reason)
	}
	if !origins[w.Origin] {
		return FileEvent{}, fmt.Errorf("decode file event: unknown origin %q", w.Origin)
	}
	return FileEvent{Root: root, Path: path, Reason: w.Reason, Origin: w.Origin, Version: w.Version, Stamp: w.Stamp, Bulk: w.Bulk, Time: w.Time}, nil
}

func joinUTF8(field string, s *string, raw []byte) (string, error) {
	switch {
	case s != nil && raw != nil:
		return "", fmt.Errorf("decode file event: both %s and %s_raw are set", field, field)
	case s != nil:
		return *s, nil
	case raw != nil && utf8.Valid(raw):
		// encodeEvent only uses the raw form for invalid UTF-8; accepting
		// both forms for one string would make the encoding ambiguous.
		return "", fmt.Errorf("decode file event: %s_raw holds valid UTF-8", field)
	default:
		return string(raw), nil
	}
}

// shardBytes is how many bytes of the hash name a shard: 256 subjects are
// enough to split the work among filtered consumers later, and few enough for
// the server to track cheaply.
const shardBytes = 1

// shard returns the hex shard of a file: a hash, so that no byte of a file
// name (a '.', '*', '>', a space, a NUL) can ever reach a subject.
func shard(root, path string) string {
	h := sha256.New()
	h.Write([]byte(root))
	h.Write([]byte{0}) // a collision would only put two files on one shard
	h.Write([]byte(path))
	return hex.EncodeToString(h.Sum(nil)[:shardBytes])
}

// fileSubject returns the work-queue subject of a file event: live or bulk.
func fileSubject(n names, ev FileEvent) string {
	if ev.Bulk {
		return n.bulk + shard(ev.Root, ev.Path)
	}
	return n.files + shard(ev.Root, ev.Path)
}

// dedupHeader turns a caller's deduplication ID into a Nats-Msg-Id value. The
// ID is hashed because it holds file names, and header values must not carry
// CR, LF or arbitrary bytes.
func dedupHeader(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16])
}

// fileEventJSON is FileEvent's JSON form in status documents: Path in the
// escaped form when it is not valid UTF-8, with its exact bytes beside it.
type fileEventJSON struct {
	plainFileEvent
	PathBase64 string `json:"path_base64,omitempty"`
}

type plainFileEvent FileEvent

// MarshalJSON keeps a path that is not UTF-8 intact: JSON would turn its
// bytes into U+FFFD, so Path is escaped (escape.JSON) and the bytes go in
// path_base64.
func (e FileEvent) MarshalJSON() ([]byte, error) {
	j := fileEventJSON{plainFileEvent: plainFileEvent(e), PathBase64: escape.Base64(e.Path)}
	j.Path = escape.JSON(e.Path)
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (e *FileEvent) UnmarshalJSON(b []byte) error {
	var j fileEventJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	p, err := escape.FromBase64(j.Path, j.PathBase64)
	if err != nil {
		return err
	}
	*e = FileEvent(j.plainFileEvent)
	e.Path = p
	return nil
}
