package links

import (
	"encoding/binary"
	"iter"
)

// packed is a list of strings stored in one string, each preceded by its
// length as a uvarint. A Graph keeps a few short strings per document (the
// headings, block ids and link targets of 10,000 notes): packed, they cost
// one allocation and one string header per list instead of one per string,
// and they never share memory with the content they were parsed from (a
// substring would keep the whole note alive).
type packed string

// packer builds a packed list.
type packer struct{ b []byte }

func (p *packer) add(s string) {
	p.b = binary.AppendUvarint(p.b, uint64(len(s)))
	p.b = append(p.b, s...)
}

// addTagged adds tag followed by s as one string, without building it.
func (p *packer) addTagged(tag byte, s string) {
	p.b = binary.AppendUvarint(p.b, uint64(1+len(s)))
	p.b = append(p.b, tag)
	p.b = append(p.b, s...)
}

func (p *packer) done() packed {
	s := packed(p.b)
	p.b = p.b[:0]
	return s
}

// all yields the strings in order.
func (l packed) all() iter.Seq[string] {
	return func(yield func(string) bool) {
		for s := string(l); s != ""; {
			n, k := uvarint(s)
			if k == 0 || uint64(len(s)-k) < n {
				return // cannot happen: packer wrote it
			}
			s = s[k:]
			if !yield(s[:n]) {
				return
			}
			s = s[n:]
		}
	}
}

// uvarint decodes the length at the start of s (binary.Uvarint for a
// string, without converting it); k is 0 when s does not start with one.
func uvarint(s string) (n uint64, k int) {
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			return n | uint64(c)<<shift, i + 1
		}
		n |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// contains reports whether s is in the list.
func (l packed) contains(s string) bool {
	for x := range l.all() {
		if x == s {
			return true
		}
	}
	return false
}

// strings returns the list unpacked (for suggestions, which need a slice).
func (l packed) strings() []string {
	var out []string
	for s := range l.all() {
		out = append(out, s)
	}
	return out
}
