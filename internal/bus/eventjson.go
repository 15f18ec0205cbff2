package bus

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/scribe-md/scribe/internal/safefile"
)

// A file event is encoded and decoded once per file on the bus's path, and
// encoding/json's reflection took about 5 % of the daemon's CPU in a burst
// of saves. appendWire and parseWire handle the common event directly: the
// encoding is byte for byte what json.Marshal writes, and the parse accepts
// only that form (the fields in order, strings without escapes). Anything
// else (a name to escape, a field order another encoder chose) goes through
// encoding/json as before, which stays the reference: the tests hold both
// to it.

// appendWire appends w as json.Marshal encodes it, and reports whether it
// could: false when a string needs escaping or the time is outside the
// years JSON's time format allows.
func appendWire(dst []byte, w *wireEvent) ([]byte, bool) {
	if y := w.Time.Year(); y < 0 || y > 9999 {
		return dst, false
	}
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, int64(w.V), 10)
	var ok bool
	if dst, ok = appendUTF8Field(dst, "root", w.Root, w.RootRaw); !ok {
		return dst, false
	}
	if dst, ok = appendUTF8Field(dst, "path", w.Path, w.PathRaw); !ok {
		return dst, false
	}
	if dst, ok = appendPlain(append(dst, `,"reason":`...), w.Reason); !ok {
		return dst, false
	}
	if w.Origin != "" {
		if dst, ok = appendPlain(append(dst, `,"origin":`...), w.Origin); !ok {
			return dst, false
		}
	}
	if v := w.Version; v != (safefile.Version{}) {
		dst = strconv.AppendInt(append(dst, `,"version":{"size":`...), v.Size, 10)
		dst = strconv.AppendInt(append(dst, `,"mtime":`...), v.ModTime, 10)
		dst = strconv.AppendInt(append(dst, `,"ctime":`...), v.ChangeTime, 10)
		dst = strconv.AppendUint(append(dst, `,"ino":`...), v.Ino, 10)
		dst = append(dst, '}')
	}
	if w.Stamp != 0 {
		dst = strconv.AppendUint(append(dst, `,"stamp":`...), uint64(w.Stamp), 10)
	}
	if w.Bulk {
		dst = append(dst, `,"bulk":true`...)
	}
	dst = append(dst, `,"time":"`...)
	dst = w.Time.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, `"}`...), true
}

// appendUTF8Field appends the field name (when s is set) or name_raw (when
// raw is), as encodeEvent splits a string; neither when both are empty, as
// omitempty does.
func appendUTF8Field(dst []byte, name string, s *string, raw []byte) ([]byte, bool) {
	switch {
	case s != nil:
		return appendPlain(append(append(append(dst, `,"`...), name...), `":`...), *s)
	case len(raw) > 0:
		dst = append(append(append(dst, `,"`...), name...), `_raw":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, raw)
		return append(dst, '"'), true
	}
	return dst, true
}

// appendPlain appends s quoted, if JSON needs nothing in it escaped; else
// it reports false. json.Marshal escapes control characters, '"', '\\',
// the HTML characters '<', '>' and '&', U+2028 and U+2029, and replaces
// invalid UTF-8.
func appendPlain(dst []byte, s string) ([]byte, bool) {
	if !plain(s) {
		return dst, false
	}
	return append(append(append(dst, '"'), s...), '"'), true
}

func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		case c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9):
			return false // U+2028, U+2029
		}
	}
	return utf8.ValidString(s)
}

// parseWire parses data as appendWire writes it, and reports whether it
// could; anything else is left to encoding/json.
func parseWire(data []byte) (w wireEvent, ok bool) {
	p := wireParser{b: data, ok: true}
	p.need(`{"v":`)
	v := p.int()
	if int64(int(v)) != v {
		p.ok = false
	}
	w.V = int(v)
	w.Root, w.RootRaw = p.utf8Field(`,"root":`, `,"root_raw":`)
	w.Path, w.PathRaw = p.utf8Field(`,"path":`, `,"path_raw":`)
	p.need(`,"reason":`)
	w.Reason = p.str()
	if p.lit(`,"origin":`) {
		w.Origin = p.str()
	}
	if p.lit(`,"version":{"size":`) {
		w.Version.Size = p.int()
		p.need(`,"mtime":`)
		w.Version.ModTime = p.int()
		p.need(`,"ctime":`)
		w.Version.ChangeTime = p.int()
		p.need(`,"ino":`)
		w.Version.Ino = p.uint()
		p.need(`}`)
	}
	if p.lit(`,"stamp":`) {
		w.Stamp = safefile.Stamp(p.uint())
	}
	w.Bulk = p.lit(`,"bulk":true`)
	p.need(`,"time":`)
	ts := p.str()
	p.need(`}`)
	if !p.ok || len(p.b) != 0 {
		return w, false
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	// Only the form appendWire writes: JSON's time decoder is stricter
	// than time.Parse in ways this need not repeat.
	if err != nil || string(t.AppendFormat(nil, time.RFC3339Nano)) != ts {
		return w, false
	}
	w.Time = t
	return w, true
}

// wireParser reads data from its start. Once the data leaves the form
// appendWire writes, ok is false and every read returns a zero value.
type wireParser struct {
	b  []byte
	ok bool
}

// lit consumes s if the data continues with it.
func (p *wireParser) lit(s string) bool {
	if !p.ok || len(p.b) < len(s) || string(p.b[:len(s)]) != s {
		return false
	}
	p.b = p.b[len(s):]
	return true
}

// need consumes s, which must come next.
func (p *wireParser) need(s string) {
	if !p.lit(s) {
		p.ok = false
	}
}

// utf8Field reads the field that starts with plain (a string) or raw (its
// raw form), if one is next.
func (p *wireParser) utf8Field(plain, raw string) (*string, []byte) {
	switch {
	case p.lit(plain):
		s := p.str()
		return &s, nil
	case p.lit(raw):
		s := p.str()
		b, err := base64.StdEncoding.DecodeString(s)
		if s == "" || err != nil || base64.StdEncoding.EncodeToString(b) != s {
			p.ok = false
			return nil, nil
		}
		return nil, b
	}
	return nil, nil
}

// str reads a quoted string holding nothing JSON would decode differently
// from its bytes: no escape, no control character, valid UTF-8.
func (p *wireParser) str() string {
	if !p.ok || len(p.b) == 0 || p.b[0] != '"' {
		p.ok = false
		return ""
	}
	end := bytes.IndexByte(p.b[1:], '"')
	if end < 0 {
		p.ok = false
		return ""
	}
	s := p.b[1 : 1+end]
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			p.ok = false
			return ""
		}
	}
	if !utf8.Valid(s) {
		p.ok = false
		return ""
	}
	p.b = p.b[2+end:]
	return string(s)
}

// digits returns the run of digits (after an optional '-') the data starts
// with, if it is a number as strconv writes one (no leading zero).
func (p *wireParser) digits(signed bool) []byte {
	n := 0
	if signed && len(p.b) > 0 && p.b[0] == '-' {
		n = 1
	}
	start := n
	for n < len(p.b) && p.b[n] >= '0' && p.b[n] <= '9' {
		n++
	}
	d := p.b[:n]
	if !p.ok || n == start || p.b[start] == '0' && n > start+1 || d[0] == '-' && d[1] == '0' {
		p.ok = false
		return nil
	}
	p.b = p.b[n:]
	return d
}

func (p *wireParser) int() int64 {
	v, err := strconv.ParseInt(string(p.digits(true)), 10, 64)
	if err != nil {
		p.ok = false
	}
	return v
}

func (p *wireParser) uint() uint64 {
	v, err := strconv.ParseUint(string(p.digits(false)), 10, 64)
	if err != nil {
		p.ok = false
	}
	return v
}
