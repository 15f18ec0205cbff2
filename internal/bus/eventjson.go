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
	p := wireParser{b: data}
	if !p.lit(`{"v":`) {
		return w, false
	}
	v, ok := p.int()
	if !ok || int64(int(v)) != v {
		return w, false
	}
	w.V = int(v)
	if w.Root, w.RootRaw, ok = p.utf8Field(`,"root":`, `,"root_raw":`); !ok {
		return w, false
	}
	if w.Path, w.PathRaw, ok = p.utf8Field(`,"path":`, `,"path_raw":`); !ok {
		return w, false
	}
	if !p.lit(`,"reason":`) {
		return w, false
	}
	if w.Reason, ok = p.str(); !ok {
		return w, false
	}
	if p.lit(`,"origin":`) {
		if w.Origin, ok = p.str(); !ok {
			return w, false
		}
	}
	if p.lit(`,"version":{"size":`) {
		var ino uint64
		w.Version.Size, ok = p.int()
		ok = ok && p.lit(`,"mtime":`)
		if ok {
			w.Version.ModTime, ok = p.int()
		}
		ok = ok && p.lit(`,"ctime":`)
		if ok {
			w.Version.ChangeTime, ok = p.int()
		}
		ok = ok && p.lit(`,"ino":`)
		if ok {
			ino, ok = p.uint()
		}
		if !ok || !p.lit(`}`) {
			return w, false
		}
		w.Version.Ino = ino
	}
	if p.lit(`,"stamp":`) {
		s, ok := p.uint()
		if !ok {
			return w, false
		}
		w.Stamp = safefile.Stamp(s)
	}
	w.Bulk = p.lit(`,"bulk":true`)
	if !p.lit(`,"time":`) {
		return w, false
	}
	ts, ok := p.str()
	if !ok {
		return w, false
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	// Only the form appendWire writes: JSON's time decoder is stricter
	// than time.Parse in ways this need not repeat.
	if err != nil || string(t.AppendFormat(nil, time.RFC3339Nano)) != ts {
		return w, false
	}
	w.Time = t
	return w, p.lit(`}`) && len(p.b) == 0
}

// wireParser reads data from its start.
type wireParser struct{ b []byte }

// lit consumes s if the data continues with it.
func (p *wireParser) lit(s string) bool {
	if len(p.b) < len(s) || string(p.b[:len(s)]) != s {
		return false
	}
	p.b = p.b[len(s):]
	return true
}

// utf8Field reads the field that starts with plain (a string) or raw (its
// raw form), if one is next.
func (p *wireParser) utf8Field(plain, raw string) (*string, []byte, bool) {
	switch {
	case p.lit(plain):
		s, ok := p.str()
		return &s, nil, ok
	case p.lit(raw):
		s, ok := p.str()
		if !ok || s == "" {
			return nil, nil, false
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || base64.StdEncoding.EncodeToString(b) != s {
			return nil, nil, false
		}
		return nil, b, true
	}
	return nil, nil, true
}

// str reads a quoted string holding nothing JSON would decode differently
// from its bytes: no escape, no control character, valid UTF-8.
func (p *wireParser) str() (string, bool) {
	if len(p.b) == 0 || p.b[0] != '"' {
		return "", false
	}
	end := bytes.IndexByte(p.b[1:], '"')
	if end < 0 {
		return "", false
	}
	s := p.b[1 : 1+end]
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(s) {
		return "", false
	}
	p.b = p.b[2+end:]
	return string(s), true
}

// digits returns the run of digits (after an optional '-') the data starts
// with, if it is a number as strconv writes one (no leading zero).
func (p *wireParser) digits(signed bool) ([]byte, bool) {
	n := 0
	if signed && len(p.b) > 0 && p.b[0] == '-' {
		n = 1
	}
	start := n
	for n < len(p.b) && p.b[n] >= '0' && p.b[n] <= '9' {
		n++
	}
	d := p.b[:n]
	if n == start || p.b[start] == '0' && n > start+1 || d[0] == '-' && d[1] == '0' {
		return nil, false
	}
	p.b = p.b[n:]
	return d, true
}

func (p *wireParser) int() (int64, bool) {
	d, ok := p.digits(true)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(string(d), 10, 64)
	return v, err == nil
}

func (p *wireParser) uint() (uint64, bool) {
	d, ok := p.digits(false)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(string(d), 10, 64)
	return v, err == nil
}
