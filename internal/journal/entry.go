package journal

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/safefile"
)

// RuleUndo is the Rule of an entry that Undo wrote.
const RuleUndo = "undo"

// Entry is one write of the engine.
type Entry struct {
	// ID identifies the entry; IDs only grow. Record assigns it.
	ID uint64 `json:"id"`
	// Time is when the write was recorded.
	Time time.Time `json:"time"`
	// Root is the absolute directory of the root the file is in.
	Root string `json:"root"`
	// Path is the file, relative to Root, slash-separated.
	Path string `json:"path"`
	// Rule is the ID of the rule that wrote the file (several, comma-
	// separated, when more than one rule changed it in one write), or
	// RuleUndo. Entries written before Via existed hold the action name
	// here for writes to other files.
	Rule string `json:"rule"`
	// Via is the action that wrote this file on behalf of another one
	// (index, catalog, naming), "" for a file's own rules.
	Via string `json:"via,omitempty"`
	// Run is the id of the `scribe run` that made the write ("" for the
	// daemon's writes and for undos).
	Run string `json:"run,omitempty"`
	// BeforeHash is the sha256 (lowercase hex) of the content the write
	// replaced, "" when the write created the file.
	BeforeHash string `json:"before_hash"`
	// AfterHash is the sha256 of the content the write left, "" when the
	// write removed the file.
	AfterHash string `json:"after_hash"`
	// Size is the length of the replaced content.
	Size int64 `json:"size"`
	// Undoes is, for an entry with Rule RuleUndo, the ID of the entry it
	// undid.
	Undoes uint64 `json:"undoes"`
}

// Hash returns the sha256 of content as Entry hashes are written.
func Hash(content []byte) string {
	h := sha256.Sum256(content)
	return hex.EncodeToString(h[:])
}

// validate checks what Record is given.
func (e *Entry) validate() error {
	if !filepath.IsAbs(e.Root) || filepath.Clean(e.Root) != e.Root || strings.IndexByte(e.Root, 0) >= 0 {
		return fmt.Errorf("root %q must be a clean absolute directory", e.Root)
	}
	if !safefile.ValidRel(e.Path) {
		return fmt.Errorf("path %q must be slash-separated and relative to the root, without . or ..", e.Path)
	}
	if e.Rule == "" {
		return errors.New("rule is empty")
	}
	if n := len(pathKey(e.Root, e.Path, 0)); n > bolt.MaxKeySize {
		// The store could never take it: refused here, not when the log
		// is copied into the store.
		return fmt.Errorf("root and path are %d bytes together, more than the %d a journal stores", n, bolt.MaxKeySize)
	}
	if e.BeforeHash == "" && e.AfterHash == "" {
		return errors.New("before and after hash are both empty: a write must leave or replace a file")
	}
	for _, h := range []string{e.BeforeHash, e.AfterHash} {
		if _, err := decodeHash(h); err != nil {
			return err
		}
	}
	return nil
}

// decodeHash turns a hex sha256 into bytes; "" gives nil.
func decodeHash(h string) ([]byte, error) {
	if h == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size || h != strings.ToLower(h) {
		return nil, fmt.Errorf("hash %q is not a lowercase hex sha256", h)
	}
	return b, nil
}

// Entry formats: the first byte of an encoded entry. Format 1 (before Via
// and Run) is still read.
const (
	entryFormat1 = 1
	entryFormat  = 2
)

// Flags of an encoded entry.
const (
	flagBefore = 1 << iota // a before hash follows
	flagAfter              // an after hash follows
	flagMask   = flagBefore | flagAfter
)

// encodeEntry encodes everything but the ID, which is the key. The hashes
// must be valid (see validate).
//
// Format: format byte, varint unix nanoseconds, uvarint-length-prefixed root,
// path and rule, flags byte, the 32-byte hashes the flags announce, uvarint
// size, uvarint undoes, then (format 2) uvarint-length-prefixed via and run.
// Nothing may follow.
func encodeEntry(e *Entry) []byte {
	b := make([]byte, 0, 40+len(e.Root)+len(e.Path)+len(e.Rule)+len(e.Via)+len(e.Run)+2*sha256.Size)
	b = append(b, entryFormat)
	b = binary.AppendVarint(b, e.Time.UnixNano())
	for _, s := range []string{e.Root, e.Path, e.Rule} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	var flags byte
	before, _ := decodeHash(e.BeforeHash)
	after, _ := decodeHash(e.AfterHash)
	if before != nil {
		flags |= flagBefore
	}
	if after != nil {
		flags |= flagAfter
	}
	b = append(b, flags)
	b = append(b, before...)
	b = append(b, after...)
	b = binary.AppendUvarint(b, uint64(e.Size))
	b = binary.AppendUvarint(b, e.Undoes)
	for _, s := range []string{e.Via, e.Run} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// errDamaged is wrapped by every decoding error.
var errDamaged = errors.New("damaged journal entry")

// decodeEntry decodes an entry stored under id. It never panics: any
// malformed input is an error wrapping errDamaged.
func decodeEntry(id uint64, b []byte) (Entry, error) {
	d := decoder{b: b}
	e := Entry{ID: id}
	f := d.byte()
	if f != entryFormat && f != entryFormat1 && d.err == nil {
		return Entry{}, fmt.Errorf("%w %d: format %d is unknown", errDamaged, id, f)
	}
	e.Time = time.Unix(0, d.varint())
	e.Root = d.string()
	e.Path = d.string()
	e.Rule = d.string()
	flags := d.byte()
	if flags&^flagMask != 0 {
		d.fail("unknown flags")
	}
	if flags&flagBefore != 0 {
		e.BeforeHash = hex.EncodeToString(d.bytes(sha256.Size))
	}
	if flags&flagAfter != 0 {
		e.AfterHash = hex.EncodeToString(d.bytes(sha256.Size))
	}
	size := d.uvarint()
	if size > 1<<62 {
		d.fail("size out of range")
	}
	e.Size = int64(size)
	e.Undoes = d.uvarint()
	if f == entryFormat {
		e.Via = d.string()
		e.Run = d.string()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return Entry{}, fmt.Errorf("%w %d: %s", errDamaged, id, d.err)
	}
	return e, nil
}

// decoder reads an encoded entry; after the first error every read returns
// a zero value, so callers check err once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || len(d.b) < n {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string longer than entry")
		return ""
	}
	return string(d.bytes(int(n)))
}

// entryJSON is Entry's JSON form (history over the daemon's API, --format
// json), in snake_case like every other JSON Scribe writes: path in the
// escaped form when it is not valid UTF-8, with its exact bytes in
// path_base64.
type entryJSON struct {
	plainEntry
	PathBase64 string `json:"path_base64,omitempty"`
}

type plainEntry Entry

// MarshalJSON keeps a path that is not UTF-8 intact (see entryJSON).
func (e Entry) MarshalJSON() ([]byte, error) {
	j := entryJSON{plainEntry: plainEntry(e), PathBase64: escape.Base64(e.Path)}
	j.Path = escape.JSON(e.Path)
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var j entryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	p, err := escape.FromBase64(j.Path, j.PathBase64)
	if err != nil {
		return err
	}
	*e = Entry(j.plainEntry)
	e.Path = p
	return nil
}
