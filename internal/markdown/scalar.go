package markdown

import (
	"time"

	"github.com/scribe-md/scribe/internal/yamlnode"
)

// resolvePlain returns the value of an unquoted scalar as the YAML 1.2 core
// schema reads it (see yamlnode.Plain), with integers as int where they fit,
// plus one addition that Markdown tools expect: a date (2026-01-02) or an
// RFC 3339 timestamp (2026-01-02T15:04:05Z) is a time.Time, when TimeText
// writes it back exactly as it is written; any other spelling of a time
// (2026-01-02 15:04:05, a trailing zero in the fraction, +00:00) stays the
// string it is in YAML 1.2.
func resolvePlain(s string) any {
	if t, ok := plainTime(s); ok {
		return t
	}
	return normalizeInt(yamlnode.Plain(s))
}

// plainTime reads s as the time a plain scalar is (see resolvePlain): a
// timestamp that TimeText writes back exactly as s.
func plainTime(s string) (time.Time, bool) {
	if len(s) < len(time.DateOnly) || s[4] != '-' {
		return time.Time{}, false
	}
	t, ok := parseTimestamp(s)
	return t, ok && TimeText(t) == s
}

// utcStamp is the zone of a timestamp written with Z. It is UTC, but not
// time.UTC, which marks a date: so that 2026-01-02T00:00:00Z is told apart
// from 2026-01-02 and each is written back as it was (see TimeText).
var utcStamp = time.FixedZone("UTC", 0)

// parseTimestamp parses the YAML 1.1 timestamp forms: a date (2026-01-02),
// or a date and time with an optional fraction and zone, separated by T, t or
// blanks (2026-01-02T15:04:05Z, 2026-01-02 15:04:05.5 +02:00). A date is
// midnight in time.UTC; a time without a zone, or with Z, is in utcStamp.
// Impossible dates (2026-02-30) are not timestamps.
func parseTimestamp(s string) (time.Time, bool) {
	if len(s) < 8 || !isDigits(s[:4]) || s[4] != '-' {
		return time.Time{}, false
	}
	year := atoi(s[:4])
	p := &scan{s: s, i: 5}
	month, ok1 := p.digits(1, 2)
	ok2 := p.byte('-')
	day, ok3 := p.digits(1, 2)
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return time.Time{}, false
	}
	if p.done() {
		if len(s) != 10 { // a lone date needs two-digit month and day
			return time.Time{}, false
		}
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), true
	}
	if !p.byte('T') && !p.byte('t') && !p.blanks() {
		return time.Time{}, false
	}
	hour, ok1 := p.digits(1, 2)
	ok2 = p.byte(':')
	minute, ok3 := p.digits(2, 2)
	ok4 := p.byte(':')
	sec, ok5 := p.digits(2, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if p.byte('.') {
		for n, scale := 0, 100000000; p.i < len(s) && isDigit(s[p.i]); n++ {
			if n < 9 {
				nsec += int(s[p.i]-'0') * scale
				scale /= 10
			}
			p.i++
		}
	}
	p.blanks()
	loc := utcStamp
	switch {
	case p.done():
	case p.byte('Z'):
	case p.i < len(s) && (s[p.i] == '+' || s[p.i] == '-'):
		sign := 1
		if s[p.i] == '-' {
			sign = -1
		}
		p.i++
		zh, ok := p.digits(1, 2)
		zm := 0
		if ok && p.byte(':') {
			zm, ok = p.digits(2, 2)
		}
		if !ok || zh > 23 || zm > 59 {
			return time.Time{}, false
		}
		if off := sign * (zh*3600 + zm*60); off != 0 {
			loc = time.FixedZone("", off)
		}
	default:
		return time.Time{}, false
	}
	if !p.done() {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), true
}

// scan is a cursor over a timestamp.
type scan struct {
	s string
	i int
}

func (p *scan) done() bool { return p.i == len(p.s) }

func (p *scan) byte(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scan) blanks() bool {
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
	return p.i > start
}

// digits reads between lo and hi digits.
func (p *scan) digits(lo, hi int) (int, bool) {
	n, v := 0, 0
	for n < hi && p.i < len(p.s) && isDigit(p.s[p.i]) {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
		n++
	}
	return v, n >= lo
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
