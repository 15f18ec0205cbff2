package regex

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"slices"
	"unicode/utf8"
)

// Regexp is a compiled regular expression with regexp's results and the
// shortcuts of the package comment.
type Regexp struct {
	*regexp.Regexp
	// must is a literal every match contains, nil when there is none worth
	// looking for.
	must []byte
	// lead is the literal every match begins with, at the start of a line
	// (the pattern begins `(?m)^LIT`), nil for any other pattern.
	lead []byte
}

// Compile parses a regular expression as regexp.Compile does.
func Compile(expr string) (*Regexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	r := &Regexp{Regexp: re}
	if t, err := syntax.Parse(expr, syntax.Perl); err == nil {
		t = t.Simplify()
		if l := longest(t); l != "" {
			r.must = []byte(l)
		}
		if l := lineLead(t); l != "" {
			r.lead = []byte(l)
		}
	}
	return r, nil
}

// MustCompile is Compile that panics on a bad pattern, for patterns in code.
func MustCompile(expr string) *Regexp {
	r, err := Compile(expr)
	if err != nil {
		panic("regex: Compile(" + expr + "): " + err.Error())
	}
	return r
}

// Match reports whether b contains a match.
func (re *Regexp) Match(b []byte) bool {
	if re.must != nil && !bytes.Contains(b, re.must) {
		return false
	}
	if re.lead != nil {
		p := re.start(b, 0)
		return p >= 0 && re.Regexp.Match(b[p:])
	}
	return re.Regexp.Match(b)
}

// FindSubmatchIndex returns the leftmost match in b and its groups' offsets,
// as regexp's FindSubmatchIndex does.
func (re *Regexp) FindSubmatchIndex(b []byte) []int {
	if re.must != nil && !bytes.Contains(b, re.must) {
		return nil
	}
	if re.lead == nil {
		return re.Regexp.FindSubmatchIndex(b)
	}
	p := re.start(b, 0)
	if p < 0 {
		return nil
	}
	return shift(re.Regexp.FindSubmatchIndex(b[p:]), p)
}

// FindAllSubmatchIndex returns up to n successive matches in b (all of them
// when n < 0), as regexp's FindAllSubmatchIndex does.
func (re *Regexp) FindAllSubmatchIndex(b []byte, n int) [][]int {
	if re.must != nil && !bytes.Contains(b, re.must) {
		return nil
	}
	if re.lead == nil {
		return re.Regexp.FindAllSubmatchIndex(b, n)
	}
	var out [][]int
	for pos := 0; n < 0 || len(out) < n; {
		p := re.start(b, pos)
		if p < 0 {
			break
		}
		loc := shift(re.Regexp.FindSubmatchIndex(b[p:]), p)
		if loc == nil {
			break
		}
		out = append(out, loc)
		// A match holds the lead, so it is never empty and the next one
		// starts at its end at the earliest, as regexp's does.
		pos = loc[1]
	}
	return out
}

// start returns the first offset at or after pos where a match may begin:
// a line start followed by the lead; -1 when there is none.
func (re *Regexp) start(b []byte, pos int) int {
	for pos <= len(b) {
		i := bytes.Index(b[pos:], re.lead)
		if i < 0 {
			return -1
		}
		p := pos + i
		if p == 0 || b[p-1] == '\n' {
			return p
		}
		pos = p + 1
	}
	return -1
}

// shift moves the offsets of loc, found in b[p:], to b's.
func shift(loc []int, p int) []int {
	for i, v := range loc {
		if v >= 0 {
			loc[i] = v + p
		}
	}
	return loc
}

// longest returns the longest literal every match of t contains.
func longest(t *syntax.Regexp) string {
	switch t.Op {
	case syntax.OpLiteral:
		return literal(t)
	case syntax.OpCapture, syntax.OpPlus:
		return longest(t.Sub[0]) // a Plus repeats at least once
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return longest(t.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, s := range t.Sub {
			if l := longest(s); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}

// lineLead returns LIT when t is `(?m)^` followed by something every match
// of which begins with LIT, and "" otherwise.
func lineLead(t *syntax.Regexp) string {
	for t.Op == syntax.OpCapture {
		t = t.Sub[0]
	}
	if t.Op != syntax.OpConcat || len(t.Sub) < 2 || t.Sub[0].Op != syntax.OpBeginLine {
		return ""
	}
	return prefix(t.Sub[1])
}

// prefix returns a literal every match of t begins with, "" when there is
// none.
func prefix(t *syntax.Regexp) string {
	switch t.Op {
	case syntax.OpLiteral:
		return literal(t)
	case syntax.OpCapture, syntax.OpPlus:
		return prefix(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return prefix(t.Sub[0])
		}
	case syntax.OpConcat:
		return prefix(t.Sub[0])
	}
	return ""
}

// literal returns the bytes a literal node matches, "" when a byte search
// would not find every text it matches: with case folded, or with U+FFFD,
// which regexp also matches where the text is not valid UTF-8.
func literal(t *syntax.Regexp) string {
	if t.Flags&syntax.FoldCase != 0 || slices.Contains(t.Rune, utf8.RuneError) {
		return ""
	}
	return string(t.Rune)
}
