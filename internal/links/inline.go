package links

import (
	"net/url"
	"slices"
	"strings"
)

// inlineScratch is reused across paragraphs to keep Parse allocation-light.
type inlineScratch struct {
	runs   map[int][]int // backtick run length -> run starts, ascending
	cursor map[int]int   // next unused index into runs[length]
	spans  [][2]int      // code spans [start, end), ascending
	opens  []int         // offsets of the '[' brackets, ascending
	closes []int         // closes[k]: offset of the ']' matching opens[k], or -1
	stack  []int         // indexes into opens of the unmatched '['
	jumps  []jump
}

// release drops buffers a huge paragraph grew, so that the pool does not
// keep them alive.
func (in *inlineScratch) release() {
	const keep = 1 << 12
	if cap(in.opens) > keep || cap(in.stack) > keep || cap(in.spans) > keep {
		in.opens, in.closes, in.stack, in.spans = nil, nil, nil, nil
	}
	if len(in.runs) > keep {
		in.runs, in.cursor = nil, nil
	}
}

// matching returns the offset of the ']' matching the '[' at o.
func (in *inlineScratch) matching(o int) (int, bool) {
	k, found := slices.BinarySearch(in.opens, o)
	if !found || in.closes[k] < 0 {
		return 0, false
	}
	return in.closes[k], true
}

// maxBrackets bounds the '[' of one paragraph whose matching ']' is looked
// for (Markdown links need it). Past it, later inline links of the
// paragraph are not recognised and the document is marked MoreLinks.
const maxBrackets = 1 << 16

// jump says: when the scan reaches at (the ']' of a link whose text is being
// scanned), continue at to (just past the link's destination). link is the
// link's index in Document.Links.
type jump struct{ at, to, link int }

// maxParenDepth bounds nested parentheses in a destination (as cmark does),
// and maxTitle bounds a link title, so that hostile input stays linear.
const (
	maxParenDepth = 32
	maxTitle      = 1024
)

// prepassSpecial are the bytes prepass looks at.
var prepassSpecial = [256]bool{'\\': true, '`': true, '[': true, ']': true}

var inlineSpecial = [256]bool{'\\': true, '`': true, '[': true, '!': true, '<': true, '%': true, '(': true}

// inline scans the paragraph [a, b) for links.
func (s *scanner) inline(a, b int) {
	src := s.src
	if strings.IndexByte(src[a:b], '[') < 0 && !strings.Contains(src[a:b], "((") {
		return
	}
	s.prepass(a, b)
	in := s.in
	spanIdx := 0
	noWikiUntil := -1
	noHTMLClose, noPctClose := false, false
	in.jumps = in.jumps[:0]
	for i := a; i < b; {
		if s.stopped(i) || s.linksFull() {
			if s.err == nil && strings.IndexByte(src[i:b], '[') >= 0 {
				s.doc.MoreLinks = true
			}
			return
		}
		for n := len(in.jumps); n > 0 && i >= in.jumps[n-1].at; n = len(in.jumps) {
			j := in.jumps[n-1]
			in.jumps = in.jumps[:n-1]
			if s.containsLink(j.link) {
				// Links may not contain other links (CommonMark): this
				// one was only brackets and parentheses after all.
				s.doc.Links = slices.Delete(s.doc.Links, j.link, j.link+1)
				i = max(i, j.at+1)
				continue
			}
			i = max(i, j.to)
		}
		if i >= b {
			break
		}
		c := src[i]
		if !inlineSpecial[c] {
			i++
			continue
		}
		switch c {
		case '\\':
			if i+1 < b && isASCIIPunct(src[i+1]) {
				i += 2
			} else {
				i++
			}
		case '`':
			for spanIdx < len(in.spans) && in.spans[spanIdx][0] < i {
				spanIdx++
			}
			if spanIdx < len(in.spans) && in.spans[spanIdx][0] == i {
				i = in.spans[spanIdx][1]
				spanIdx++
			} else {
				i += runLen(src, i, b, '`')
			}
		case '<':
			if !noHTMLClose && strings.HasPrefix(src[i:b], "<!--") {
				if k := strings.Index(src[i+4:b], "-->"); k >= 0 {
					i += 4 + k + 3
				} else {
					noHTMLClose = true
					i += 4
				}
			} else {
				i++
			}
		case '%':
			if !noPctClose && i+1 < b && src[i+1] == '%' {
				if k := strings.Index(src[i+2:b], "%%"); k >= 0 {
					i += 2 + k + 2
				} else {
					noPctClose = true
					i += 2
				}
			} else {
				i++
			}
		case '(':
			if i+1 < b && src[i+1] == '(' && s.blockRef(i, b) {
				i += 2 + uuidLen + 2
			} else {
				i++
			}
		case '!', '[':
			o := i
			image := c == '!'
			if image {
				if i+1 >= b || src[i+1] != '[' {
					i++
					continue
				}
				o = i + 1
			}
			if o+1 < b && src[o+1] == '[' {
				if end, ok := s.wiki(o, b, image, &noWikiUntil); ok {
					i = end
					continue
				}
			}
			if s.mdLink(o, b, image) {
				i = o + 1 // scan the link text too: [![badge](img.png)](page.md)
				continue
			}
			i = o + 1
		}
	}
}

// prepass finds the code spans and the matching brackets of [a, b), honouring
// backslash escapes, in linear time.
func (s *scanner) prepass(a, b int) {
	src := s.src
	in := s.in
	if in.runs == nil {
		in.runs, in.cursor = map[int][]int{}, map[int]int{}
	}
	clear(in.runs)
	clear(in.cursor)
	in.spans, in.stack = in.spans[:0], in.stack[:0]
	in.opens, in.closes = in.opens[:0], in.closes[:0]
	// Brackets are matched only for inline links, which need "](".
	brackets := strings.Contains(src[a:b], "](")
	if strings.IndexByte(src[a:b], '`') >= 0 {
		for i := a; i < b; {
			if src[i] != '`' {
				i++
				continue
			}
			n := runLen(src, i, b, '`')
			in.runs[n] = append(in.runs[n], i)
			i += n
		}
	}
	for i := a; i < b; {
		if s.stopped(i) {
			return
		}
		c := src[i]
		if !prepassSpecial[c] {
			i++
			continue
		}
		switch c {
		case '\\':
			if i+1 < b && isASCIIPunct(src[i+1]) {
				i += 2
				continue
			}
		case '`':
			n := runLen(src, i, b, '`')
			if end, ok := s.closeSpan(i, n); ok {
				in.spans = append(in.spans, [2]int{i, end})
				i = end
			} else {
				i += n
			}
			continue
		case '[':
			if !brackets {
				break
			}
			if len(in.opens) >= maxBrackets {
				brackets = false
				s.doc.MoreLinks = true
				break
			}
			in.stack = append(in.stack, len(in.opens))
			in.opens = append(in.opens, i)
			in.closes = append(in.closes, -1)
		case ']':
			if k := len(in.stack); brackets && k > 0 {
				in.closes[in.stack[k-1]] = i
				in.stack = in.stack[:k-1]
			}
		}
		i++
	}
}

// closeSpan finds the end of a code span opened by a run of n backticks at
// i: the next run of exactly n backticks.
func (s *scanner) closeSpan(i, n int) (int, bool) {
	list := s.in.runs[n]
	k := s.in.cursor[n]
	for k < len(list) && list[k] <= i {
		k++
	}
	if k >= len(list) {
		s.in.cursor[n] = k
		return 0, false
	}
	s.in.cursor[n] = k + 1
	return list[k] + n, true
}

// wiki tries a wiki link whose "[[" is at o; on success it records the link
// and returns the offset past "]]". A wiki link stays on one line.
func (s *scanner) wiki(o, b int, embed bool, noUntil *int) (int, bool) {
	if o < *noUntil {
		return 0, false
	}
	src := s.src
	for q := o + 2; q < b; q++ {
		switch src[q] {
		case '\n':
			*noUntil = q
			return 0, false
		case ']':
			if q+1 < b && src[q+1] == ']' {
				return q + 2, s.addWiki(o, q, embed)
			}
		case '[':
			if q+1 < b && src[q+1] == '[' {
				return 0, false // a later "[[" opens the link, if any
			}
		}
	}
	*noUntil = b
	return 0, false
}

func (s *scanner) addWiki(o, q int, embed bool) bool {
	p0 := o + 2
	inner := s.src[p0:q]
	tEnd := len(inner)
	alias := ""
	if pipe := strings.IndexByte(inner, '|'); pipe >= 0 {
		tEnd = pipe
		if pipe > 0 && inner[pipe-1] == '\\' { // [[Note\|alias]] inside a table
			tEnd = pipe - 1
		}
		alias = strings.TrimSpace(inner[pipe+1:])
	}
	tpart := inner[:tEnd]
	frag, hasFrag := "", false
	fs, fe := tEnd, tEnd
	if h := strings.IndexByte(tpart, '#'); h >= 0 {
		fs, fe = h+1, len(tpart)
		for fs < fe && isSpaceByte(tpart[fs]) {
			fs++
		}
		for fe > fs && isSpaceByte(tpart[fe-1]) {
			fe--
		}
		frag, hasFrag = tpart[fs:fe], true
		tpart = tpart[:h]
	}
	ts, te := 0, len(tpart)
	for ts < te && isSpaceByte(tpart[ts]) {
		ts++
	}
	for te > ts && isSpaceByte(tpart[te-1]) {
		te--
	}
	if ts == te && !hasFrag || !s.roomForLink() {
		return false
	}
	start, kind := o, Wiki
	if embed {
		start, kind = o-1, Embed
	}
	l := Link{
		Kind: kind, Target: tpart[ts:te], Fragment: frag, HasFragment: hasFrag, Alias: alias,
		Raw: s.src[start : q+2], Start: start, End: q + 2,
		TargetStart: p0 + ts, TargetEnd: p0 + te,
		FragmentStart: p0 + fs, FragmentEnd: p0 + fe,
	}
	l.Line, l.Column = s.position(start)
	s.doc.Links = append(s.doc.Links, l)
	return true
}

// uuidLen is the length of a uuid as Logseq writes block ids:
// 64f1a2b3-0c4d-4e5f-8a9b-0c1d2e3f4a5b.
const uuidLen = 36

// blockRef records the Logseq block reference ((uuid)) at o, if one is
// there.
func (s *scanner) blockRef(o, b int) bool {
	end := o + 2 + uuidLen
	if end+2 > b || s.src[end:end+2] != "))" || !isUUID(s.src[o+2:end]) || !s.roomForLink() {
		return false
	}
	l := Link{Kind: BlockRef, Target: s.src[o+2 : end], Raw: s.src[o : end+2], Start: o, End: end + 2,
		TargetStart: o + 2, TargetEnd: end, FragmentStart: end, FragmentEnd: end}
	l.Line, l.Column = s.position(o)
	s.doc.Links = append(s.doc.Links, l)
	return true
}

// isUUID reports whether t is a uuid in its text form (8-4-4-4-12 hex
// digits).
func isUUID(t string) bool {
	if len(t) != uuidLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// mdLink tries an inline link whose '[' is at o and records it.
func (s *scanner) mdLink(o, b int, image bool) bool {
	src := s.src
	c, ok := s.in.matching(o)
	if !ok || c+1 >= b || src[c+1] != '(' {
		return false
	}
	d, ok := parseDest(src, c+2, b, true)
	if !ok {
		return false
	}
	start := o
	if image {
		start = o - 1
	}
	if !s.addMarkdown(Inline, image, start, d) {
		return true // "[text]()" is a link, with nothing to check
	}
	s.in.jumps = append(s.in.jumps, jump{at: c, to: d.end, link: len(s.doc.Links) - 1})
	return true
}

// containsLink reports whether a link that is not an image was recorded
// after link i (which must be an inline link): one inside its text.
func (s *scanner) containsLink(i int) bool {
	if s.doc.Links[i].Image {
		return false // an image's description may hold links
	}
	for _, l := range s.doc.Links[i+1:] {
		if !l.Image {
			return true
		}
	}
	return false
}

// definition tries a link reference definition "[label]: dest" starting at
// off on a line that opens a block; it reports whether the line was one.
func (s *scanner) definition(off, end int) bool {
	src := s.src
	j := off + 1
	for ; j < end; j++ {
		switch src[j] {
		case '\\':
			j++
			continue
		case '[':
			return false
		}
		if src[j] == ']' {
			break
		}
	}
	if j+1 >= end || src[j] != ']' || src[j+1] != ':' {
		return false
	}
	label := strings.TrimSpace(src[off+1 : j])
	if label == "" || label[0] == '^' { // footnotes are not links
		return false
	}
	d, ok := parseDest(src, j+2, end, false)
	if !ok || d.de == d.ds {
		return false
	}
	s.addMarkdown(Definition, false, off, d)
	return true
}

// titleEndsLine reports whether src[p:b] is a link title ("t", 't' or
// (t)) and then only spaces, or a title left open.
func titleEndsLine(src string, p, b int) bool {
	closer := byte(0)
	switch src[p] {
	case '"', '\'':
		closer = src[p]
	case '(':
		closer = ')'
	default:
		return false
	}
	for q := p + 1; q < b; q++ {
		switch c := src[q]; {
		case c == '\\':
			q++
		case c == closer:
			return skipSpace(src, q+1, b, false) == b
		case closer == ')' && c == '(':
			return false // an unescaped '(' inside a (title)
		}
	}
	return true
}

// dest is a parsed link destination: [ds, de) is its text (inside <> when
// angle), end is just past the whole link.
type dest struct {
	ds, de, end int
	angle       bool
}

// parseDest parses a destination and optional title starting at p, up to b.
// With paren (inline links) the link must close with ')'; otherwise
// (definitions) it ends at the line's end.
func parseDest(src string, p, b int, paren bool) (dest, bool) {
	var d dest
	p = skipSpace(src, p, b, paren)
	if p < b && src[p] == '<' {
		q := p + 1
		for q < b && src[q] != '>' {
			if src[q] == '\n' || src[q] == '<' {
				return d, false
			}
			if src[q] == '\\' && q+1 < b {
				q++
			}
			q++
		}
		if q >= b {
			return d, false
		}
		d.ds, d.de, d.angle = p+1, q, true
		p = q + 1
	} else {
		q, depth := p, 0
	loop:
		for q < b {
			switch c := src[q]; {
			case c == '\\' && q+1 < b && isASCIIPunct(src[q+1]):
				q += 2
				continue
			case c == '{' && q+1 < b && (src[q+1] == '%' || src[q+1] == '{'):
				// A Liquid tag or output ({% link a.md %}, {{ site.baseurl }}),
				// which Jekyll fills in before Markdown reads the link: its
				// spaces do not end the destination.
				if k := liquidEnd(src[q:b]); k > 0 {
					q += k
					continue
				}
			case c <= ' ':
				break loop
			case c == '(':
				depth++
				if depth > maxParenDepth {
					return d, false
				}
			case c == ')':
				if depth == 0 {
					break loop
				}
				depth--
			}
			q++
		}
		if depth != 0 {
			return d, false
		}
		d.ds, d.de = p, q
		p = q
	}
	if !paren {
		// A definition's destination ends its line, or a space and a
		// title follow it and end the line (CommonMark): "[a]: /url b"
		// and "[1]: [text](https://x)." are paragraphs, which GitHub
		// shows as text. A title still open at the line's end goes on to
		// the next line, which is not read here: the line is taken as the
		// definition.
		sp := skipSpace(src, p, b, false)
		if sp < b && (sp == p || !titleEndsLine(src, sp, b)) {
			return d, false
		}
		d.end = b
		return d, true
	}
	sp := skipSpace(src, p, b, true)
	if sp > p && sp < b && (src[sp] == '"' || src[sp] == '\'' || src[sp] == '(') {
		closer := src[sp]
		if closer == '(' {
			closer = ')'
		}
		q := sp + 1
		for ; q < b && q-sp < maxTitle; q++ {
			if src[q] == '\\' {
				q++
				continue
			}
			if src[q] == closer {
				break
			}
		}
		if q >= b || q-sp >= maxTitle || src[q] != closer {
			return d, false
		}
		sp = skipSpace(src, q+1, b, true)
	}
	if sp >= b || src[sp] != ')' {
		return d, false
	}
	d.end = sp + 1
	return d, true
}

// liquidEnd returns the length of the Liquid tag ("{% ... %}") or output
// ("{{ ... }}") s starts with, closed on the same line; 0 when it is not
// closed there.
func liquidEnd(s string) int {
	closer := "%}"
	if s[1] == '{' {
		closer = "}}"
	}
	line := s
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		line = s[:i]
	}
	if k := strings.Index(line[2:], closer); k >= 0 {
		return 2 + k + 2
	}
	return 0
}

// skipSpace skips spaces and tabs and, when newline is true, at most one
// line ending.
func skipSpace(src string, p, b int, newline bool) int {
	nl := false
	for p < b {
		switch src[p] {
		case ' ', '\t', '\r':
		case '\n':
			if !newline || nl {
				return p
			}
			nl = true
		default:
			return p
		}
		p++
	}
	return p
}

// addMarkdown records an inline link or definition; it returns false for an
// empty destination, which needs no check.
func (s *scanner) addMarkdown(kind Kind, image bool, start int, d dest) bool {
	raw := s.src[d.ds:d.de]
	if raw == "" || !s.roomForLink() {
		return false
	}
	// A fragment or query follows the templates a destination starts
	// with ({{< relref "install.md#usage" >}}, {% link about.md %}#team).
	off := 0
	for off < len(raw) && strings.HasPrefix(raw[off:], "{") {
		n := 0
		if strings.HasPrefix(raw[off:], "{{") || strings.HasPrefix(raw[off:], "{%") {
			n = liquidEnd(raw[off:])
		}
		if n == 0 {
			break
		}
		off += n
	}
	pathEnd := len(raw)
	if k := strings.IndexAny(raw[off:], "#?"); k >= 0 {
		pathEnd = off + k
	}
	l := Link{
		Kind: kind, Image: image, Angle: d.angle,
		Target:      decodeDest(raw[:pathEnd]),
		Raw:         s.src[start:d.end],
		Start:       start,
		End:         d.end,
		TargetStart: d.ds,
		TargetEnd:   d.ds + pathEnd,
	}
	l.FragmentStart, l.FragmentEnd = d.de, d.de
	if h := strings.IndexByte(raw[off:], '#'); h >= 0 {
		h += off
		l.Fragment, l.HasFragment = decodeDest(raw[h+1:]), true
		l.FragmentStart = d.ds + h + 1
	}
	l.Line, l.Column = s.position(start)
	s.doc.Links = append(s.doc.Links, l)
	return true
}

// DecodeDest decodes a Markdown link destination as written: backslash
// escapes and percent-encoding are resolved (invalid encoding is kept).
func DecodeDest(s string) string { return decodeDest(s) }

func decodeDest(s string) string {
	if strings.IndexByte(s, '\\') >= 0 {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]) {
				i++
			}
			b.WriteByte(s[i])
		}
		s = b.String()
	}
	if strings.IndexByte(s, '%') >= 0 {
		if u, err := url.PathUnescape(s); err == nil {
			return u
		}
	}
	return s
}

func runLen(src string, i, b int, c byte) int {
	j := i
	for j < b && src[j] == c {
		j++
	}
	return j - i
}

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' }
