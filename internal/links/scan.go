package links

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/scribe-md/scribe/internal/markdown"
)

// Default limits of what Parse keeps of one document. A real note stays far
// below them (a large map of content has a few thousand links); a hostile
// one (1.3 million "[[x]]" in 7.8 MB) would otherwise cost gigabytes.
const (
	DefaultMaxLinks   = 20_000
	DefaultMaxAnchors = 20_000
)

// Limits bound what Parse keeps of one document. Zero fields take the
// defaults; a negative field means no limit.
type Limits struct {
	// Links caps Document.Links.
	Links int
	// Anchors caps Document.Headings and Document.Blocks, each.
	Anchors int
}

// MaxLinks returns the cap on links, defaults applied.
func (l Limits) MaxLinks() int { return limitOr(l.Links, DefaultMaxLinks) }

// MaxAnchors returns the cap on headings and on block ids, defaults applied.
func (l Limits) MaxAnchors() int { return limitOr(l.Anchors, DefaultMaxAnchors) }

func limitOr(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return int(^uint(0) >> 1)
	}
	return n
}

// Parse finds the links, headings and block identifiers of a Markdown
// document, within the default Limits. It skips the front matter, fenced and
// indented code blocks, math blocks, inline code spans, HTML comments and
// Obsidian %% comments. It never fails: text that is not a well-formed link
// is simply not a link. Time is linear in the size of content.
func Parse(content []byte) *Document {
	d, _ := ParseContext(context.Background(), content, Limits{})
	return d
}

// ParseContext is Parse within lim that stops early, with ctx's error, when
// ctx is done. It checks ctx every few hundred kilobytes of content, so an
// abandoned parse of a huge note ends within milliseconds of its deadline.
// Past a limit the document is marked (MoreLinks, MoreAnchors) and the rest
// is not recorded.
func ParseContext(ctx context.Context, content []byte, lim Limits) (*Document, error) {
	s := &scanner{src: string(content), paraStart: -1, posLine: -1, ctx: ctx,
		maxLinks: lim.MaxLinks(), maxAnchors: lim.MaxAnchors()}
	s.in = scratchPool.Get().(*inlineScratch)
	s.run()
	s.in.release()
	scratchPool.Put(s.in)
	s.in = nil
	if s.err != nil {
		return nil, s.err
	}
	return &s.doc, nil
}

// checkEvery is how many bytes of content the scanner reads between two
// looks at its context.
const checkEvery = 256 << 10

// scratchPool recycles the inline scanner's maps and slices across Parse
// calls: loading a vault parses thousands of notes.
var scratchPool = sync.Pool{New: func() any { return new(inlineScratch) }}

// blockMode is what the line scanner is inside of.
type blockMode uint8

const (
	modeNormal blockMode = iota
	modeFence
	modeIndented
	modeHTMLComment
	modePctComment
	modeMath
)

type scanner struct {
	src        string
	lineStarts []int
	doc        Document
	slugs      slugger

	mode       blockMode
	fenceCh    byte
	fenceLen   int
	fenceDepth int // blockquote depth the fence was opened at

	paraStart, paraEnd int // byte range of the open paragraph; paraStart < 0: none
	paraLine           int // 1-based line the paragraph starts on
	paraSetext         bool
	prevBlank          bool
	inList             bool
	listIndent         int // content column of the last list item

	posLine, posOff, posCol int // last answer of position

	in *inlineScratch

	ctx                  context.Context
	err                  error // ctx's error once it is done: the scan stops
	nextCheck            int   // offset at which to look at ctx again
	maxLinks, maxAnchors int
}

// stopped reports whether the scan must end, looking at ctx when the scan
// has passed offset nextCheck.
func (s *scanner) stopped(off int) bool {
	if off < s.nextCheck && s.err == nil {
		return false // the common case, inlined in the byte loops
	}
	return s.lookAtContext(off)
}

func (s *scanner) lookAtContext(off int) bool {
	if s.err != nil {
		return true
	}
	s.nextCheck = off + checkEvery
	s.err = s.ctx.Err()
	return s.err != nil
}

// linksFull reports whether no more links may be recorded.
func (s *scanner) linksFull() bool { return len(s.doc.Links) >= s.maxLinks }

// roomForLink reports whether one more link may be recorded, and marks the
// document when it may not.
func (s *scanner) roomForLink() bool {
	if s.linksFull() {
		s.doc.MoreLinks = true
		return false
	}
	return true
}

// anchorsFull reports whether no more headings and block ids may be recorded.
func (s *scanner) anchorsFull() bool { return s.doc.MoreAnchors }

func (s *scanner) run() {
	src := s.src
	s.lineStarts = make([]int, 0, strings.Count(src, "\n")+1)
	for off := 0; ; {
		s.lineStarts = append(s.lineStarts, off)
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	// Links are large structs: size the slice once rather than regrow it.
	// Every link holds one of these pairs, so their count bounds the links
	// (up to the cap). Regrowing is worse than slow: with a million links,
	// a parse that had seen no deadline yet spent 4.6 s more in its last
	// copies of the slice, the collector running beside it.
	if n := strings.Count(src, "[[") + strings.Count(src, "](") + strings.Count(src, "]:"); n > 0 {
		s.doc.Links = make([]Link, 0, min(n, s.maxLinks))
	}
	first, fence := s.skipFrontMatter()
	if first > 0 {
		fm := src[:s.lineStarts[first-1]]
		s.doc.Names = frontMatterAliases(fm, fence)
		if hasPageField(fm) {
			s.doc.permalinkFM, s.doc.permalinkFence = strings.Clone(fm), fence // not the whole document
		}
	}
	if first < len(s.lineStarts) && strings.Contains(s.lineText(first), ":: ") {
		s.doc.Names = append(s.doc.Names, s.pageProperties(first)...)
	}
	s.prevBlank = true
	for ln := first; ln < len(s.lineStarts); ln++ {
		start := s.lineStarts[ln]
		if s.stopped(start) || s.linksFull() && s.anchorsFull() {
			return
		}
		end := len(src)
		if ln+1 < len(s.lineStarts) {
			end = s.lineStarts[ln+1] - 1
		}
		s.line(ln+1, start, end)
	}
	s.flushPara()
}

// frontMatterAliases returns the aliases a front matter block (fm, the
// file up to its closing fence, YAML's "---" or TOML's "+++") gives its
// note: aliases: or alias:, a name or a list of names, as Obsidian (and
// Logseq) read them, or the URLs of a Hugo page's aliases. The shapes
// Obsidian writes are read line by line (aliasesFast); anything else goes
// through the parser.
func frontMatterAliases(fm, fence string) []string {
	if !strings.Contains(fm, "alias") {
		return nil
	}
	names, ok := []string(nil), false
	if fence == "---" {
		names, ok = aliasesFast(fm)
	}
	if !ok {
		m, err := markdown.ParseFields([]byte(fm+fence+"\n"), []string{"aliases", "alias"})
		if err != nil {
			return nil
		}
		names = aliasNames(m)
	}
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
	}
	return slices.DeleteFunc(names, func(s string) bool { return s == "" })
}

// pageFieldNames are the front matter fields that place a document among
// a site's URLs (see pageFields).
var pageFieldNames = []string{"slug", "id", "permalink", "date", "categories", "category", "published", "redirect_from", "url", "title", "draft"}

// hasPageField reports whether the front matter block fm has a line
// starting one of pageFieldNames, a YAML key ("slug:") or a TOML one
// ("slug =", "slug="), looking at each line once.
func hasPageField(fm string) bool {
	for i := strings.IndexByte(fm, '\n'); i >= 0; {
		line := fm[i+1:]
		if k := strings.IndexAny(line, ":= \n"); k > 0 && k <= len("redirect_from") && slices.Contains(pageFieldNames, line[:k]) {
			return true
		}
		j := strings.IndexByte(line, '\n')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// pageFields returns the fields of the document's front matter that place
// it among a site's URLs; each "" where it is absent or not a string, a
// number or a date (a date as written, categories one a line). The front matter is read here,
// not when the document is parsed: notes elsewhere often have an id (a
// Zettelkasten's) or a date, which nothing else reads.
func (d *Document) pageFields() pageFields {
	if d.permalinkFM == "" {
		return pageFields{}
	}
	m, err := markdown.ParseFields([]byte(d.permalinkFM+d.permalinkFence+"\n"), pageFieldNames)
	if err != nil {
		return pageFields{}
	}
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return strings.TrimSpace(v)
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04:05")
		case int, int64, uint64, float64:
			return fmt.Sprint(v)
		}
		return ""
	}
	f := pageFields{slug: str("slug"), id: str("id"), permalink: str("permalink"), date: str("date"), url: str("url"), title: str("title")}
	var cats []string
	for _, k := range []string{"categories", "category"} {
		switch v := m[k].(type) {
		case string: // Jekyll splits "categories: a b", not "category: a b"
			if k == "category" {
				cats = append(cats, v)
			} else {
				cats = append(cats, strings.Fields(v)...)
			}
		case []any:
			for _, c := range v {
				if c != nil {
					cats = append(cats, fmt.Sprint(c))
				}
			}
		}
	}
	f.categories = strings.Join(cats, "\n")
	f.unpublished = m["published"] == false
	f.draft = m["draft"] == true
	redirects := stringList(m["redirect_from"])
	for i, u := range redirects {
		redirects[i] = strings.TrimSpace(u)
	}
	redirects = slices.DeleteFunc(redirects, func(s string) bool { return s == "" || strings.Contains(s, "\n") })
	f.redirects = strings.Join(redirects, "\n")
	return f
}

// aliasNames returns the names of the aliases and alias fields of front
// matter m: a string, or the strings of a list.
func aliasNames(m map[string]any) []string {
	return append(stringList(m["aliases"]), stringList(m["alias"])...)
}

// stringList returns a front matter value that is a string, or a list of
// them, as a list (a list's other items left out).
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, item := range v {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// aliasesFast reads the aliases of front matter fm (ending in a newline)
// when they are written as Obsidian writes them: "aliases:" followed by
// "  - name" lines, or "aliases: [a, b]", or "alias: name", each name plain
// (no quotes, no YAML syntax), and the next line a key of its own. It
// reports false for anything else, which the YAML parser reads.
func aliasesFast(fm string) ([]string, bool) {
	lines := strings.Split(strings.TrimSuffix(fm, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	// goesOn reports whether line j may continue the value before it.
	goesOn := func(j int) bool {
		return j < len(lines) && (lines[j] == "" || lines[j][0] == ' ' || lines[j][0] == '\t' || lines[j][0] == '-')
	}
	var names []string
	seen := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		key, value, found := strings.Cut(lines[i], ":")
		if !found || key != "alias" && key != "aliases" || value != "" && value[0] != ' ' {
			if strings.Contains(lines[i], "alias") {
				return nil, false // a key indented, nested or spelled otherwise
			}
			continue
		}
		if seen[key] {
			return nil, false // a duplicate key: the parser's to refuse
		}
		seen[key] = true
		value = strings.TrimSpace(value)
		switch {
		case value == "":
			j, indent := i+1, ""
			for ; j < len(lines); j++ {
				t := strings.TrimLeft(lines[j], " ")
				item, ok := strings.CutPrefix(t, "- ")
				if !ok {
					break
				}
				if in := lines[j][:len(lines[j])-len(t)]; j == i+1 {
					indent = in
				} else if in != indent {
					return nil, false
				}
				if !plainName(item) {
					return nil, false
				}
				names = append(names, item)
			}
			if j == i+1 || goesOn(j) {
				return nil, false // no items (null), or something the items do not end
			}
			i = j - 1
			continue
		case strings.HasPrefix(value, "[") && strings.HasSuffix(value, "]"):
			for item := range strings.SplitSeq(value[1:len(value)-1], ",") {
				if item = strings.TrimSpace(item); !plainName(item) {
					return nil, false
				}
				names = append(names, item)
			}
		case plainName(value):
			names = append(names, value)
		default:
			return nil, false
		}
		if goesOn(i + 1) {
			return nil, false
		}
	}
	return names, true
}

// plainName reports whether s is a YAML plain scalar that is a string as
// written: no quotes, flow or comment syntax, nothing a YAML reader takes
// for another type.
func plainName(s string) bool {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\"'#{}[],&*!|>%@`\t") || strings.Contains(s, ": ") || strings.HasSuffix(s, ":") {
		return false
	}
	switch c := s[0]; {
	case c == '-' || c == '?' || c == ':' || c == '~' || c == '.' || c == '+' || c >= '0' && c <= '9':
		return false // a number, null or block syntax: the parser's to say
	}
	switch strings.ToLower(s) {
	case "null", "true", "false", "yes", "no", "on", "off":
		return false
	}
	return true
}

// skipFrontMatter returns the index of the first line after a front
// matter block, YAML ("---" on the first line, closed by "---" or "...")
// or TOML (between "+++" lines), and its opening fence; or 0.
func (s *scanner) skipFrontMatter() (int, string) {
	first := s.lineText(0)
	first = strings.TrimPrefix(first, "\uFEFF")
	fence := strings.TrimRight(first, " \t")
	if fence != "---" && fence != "+++" { // YAML, or TOML as Hugo writes it
		return 0, ""
	}
	for ln := 1; ln < len(s.lineStarts); ln++ {
		t := strings.TrimRight(s.lineText(ln), " \t")
		if t == fence || fence == "---" && t == "..." {
			return ln + 1, fence
		}
	}
	return 0, "" // not closed: not front matter
}

// lineText returns line ln (0-based) without its line ending.
func (s *scanner) lineText(ln int) string {
	start := s.lineStarts[ln]
	end := len(s.src)
	if ln+1 < len(s.lineStarts) {
		end = s.lineStarts[ln+1] - 1
	}
	return strings.TrimSuffix(s.src[start:end], "\r")
}

// line handles one line: lineNo is 1-based, [start,end) excludes the '\n'.
func (s *scanner) line(lineNo, start, end int) {
	text := strings.TrimSuffix(s.src[start:end], "\r")
	switch s.mode {
	case modeFence:
		rest, depth := stripQuotes(text, s.fenceDepth)
		if depth < s.fenceDepth {
			s.mode = modeNormal // the enclosing blockquote ended, and the fence with it
			break
		}
		if isFenceClose(rest, s.fenceCh, s.fenceLen) {
			s.mode = modeNormal
		}
		return
	case modeIndented:
		if isBlank(text) || indentWidth(text) >= 4 {
			return
		}
		s.mode = modeNormal
	case modeHTMLComment:
		if strings.Contains(text, "-->") {
			s.mode = modeNormal
		}
		return
	case modePctComment:
		if strings.Contains(text, "%%") {
			s.mode = modeNormal
		}
		return
	case modeMath:
		if strings.HasSuffix(strings.TrimRight(text, " \t"), "$$") {
			s.mode = modeNormal
		}
		return
	}

	rest, depth := stripQuotes(text, maxQuoteDepth)
	ind := indentWidth(rest)
	after := strings.TrimLeft(rest, " \t")
	if after == "" {
		s.flushPara()
		s.prevBlank = true
		return
	}
	// Indentation counts from the content column of the enclosing list item.
	base := 0
	if s.inList && ind >= s.listIndent {
		base = s.listIndent
	}
	rel := ind - base
	itemCol, item := listItem(after)
	item = item && rel <= 3
	if !item && ind == 0 && (s.prevBlank || s.paraStart < 0) {
		s.inList = false
	}
	s.prevBlank = false

	if rel >= 4 && s.paraStart < 0 {
		s.mode = modeIndented
		return
	}
	if rel <= 3 {
		if ch, n, ok := fenceOpen(after); ok {
			s.flushPara()
			s.mode, s.fenceCh, s.fenceLen, s.fenceDepth = modeFence, ch, n, depth
			return
		}
	}
	if rel <= 3 {
		if strings.HasPrefix(after, "<!--") {
			s.flushPara()
			if !strings.Contains(after[4:], "-->") {
				s.mode = modeHTMLComment
			}
			return
		}
		if strings.HasPrefix(after, "%%") && !strings.Contains(after[2:], "%%") {
			s.flushPara()
			s.mode = modePctComment
			return
		}
		if strings.TrimRight(after, " \t") == "$$" {
			s.flushPara()
			s.mode = modeMath
			return
		}
		if level, txt, ok := atxHeading(after); ok {
			s.flushPara()
			s.addHeading(level, txt, lineNo)
			s.inline(start, end)
			return
		}
		if s.paraStart >= 0 && s.paraSetext && isSetextUnderline(after) {
			level := 2
			if after[0] == '=' {
				level = 1
			}
			var b strings.Builder
			for _, l := range strings.Split(s.src[s.paraStart:s.paraEnd], "\n") {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				l, _ = stripQuotes(strings.TrimSuffix(l, "\r"), maxQuoteDepth)
				b.WriteString(strings.TrimSpace(l))
			}
			s.addHeading(level, b.String(), s.paraLine)
			s.flushPara()
			return
		}
		if isThematicBreak(after) {
			s.flushPara()
			return
		}
	}
	if item {
		s.inList, s.listIndent = true, ind+itemCol
	}
	if s.paraStart < 0 {
		if rel <= 3 && after[0] == '[' && s.definition(start+len(text)-len(after), end) {
			return
		}
		s.paraStart, s.paraLine = start, lineNo
		s.paraSetext = depth == 0 && !item && after[0] != '|'
	}
	s.paraEnd = end
	s.blockID(after, lineNo)
}

func (s *scanner) flushPara() {
	if s.paraStart < 0 {
		return
	}
	s.inline(s.paraStart, s.paraEnd)
	s.paraStart = -1
}

func (s *scanner) addHeading(level int, raw string, lineNo int) {
	if len(s.doc.Headings) >= s.maxAnchors {
		s.doc.MoreAnchors = true
		return
	}
	raw, id := headingAttributes(raw)
	text := plainText(raw)
	slug := id
	if id == "" {
		slug = s.slugs.unique(Slug(text))
	} else {
		s.slugs.reserve(id)
	}
	s.doc.Headings = append(s.doc.Headings, Heading{Level: level, Text: text, Slug: slug, Explicit: id != "", Line: lineNo})
}

// blockID records an Obsidian block identifier at the end of a prose line,
// or a Logseq block's "id:: uuid" property line.
func (s *scanner) blockID(text string, lineNo int) {
	t := strings.TrimRight(text, " \t\r")
	if id, ok := strings.CutPrefix(t, "id:: "); ok {
		if id = strings.TrimSpace(id); isUUID(id) {
			s.addBlock(strings.ToLower(id), lineNo)
		}
		return
	}
	caret := strings.LastIndexByte(t, '^')
	if caret < 0 || caret == len(t)-1 {
		return
	}
	if caret > 0 && t[caret-1] != ' ' && t[caret-1] != '\t' {
		return
	}
	id := t[caret+1:]
	for i := 0; i < len(id); i++ {
		if !isBlockIDByte(id[i]) {
			return
		}
	}
	s.addBlock(id, lineNo)
}

func (s *scanner) addBlock(id string, lineNo int) {
	if len(s.doc.Blocks) >= s.maxAnchors {
		s.doc.MoreAnchors = true
		return
	}
	s.doc.Blocks = append(s.doc.Blocks, Block{ID: id, Line: lineNo})
}

func isBlockIDByte(c byte) bool {
	return c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// position returns the 1-based line and column (in code points) of off.
// Links are found in increasing offset order, so it counts on from the last
// answer when it can: many links on one huge line stay linear.
func (s *scanner) position(off int) (int, int) {
	ln := sort.SearchInts(s.lineStarts, off+1) - 1
	if ln < 0 {
		ln = 0
	}
	from, col := s.lineStarts[ln], 1
	if s.posLine == ln && s.posOff <= off && s.posOff >= from {
		from, col = s.posOff, s.posCol
	}
	col += utf8.RuneCountInString(s.src[from:off])
	s.posLine, s.posOff, s.posCol = ln, off, col
	return ln + 1, col
}

const maxQuoteDepth = 1 << 20

// stripQuotes removes up to max blockquote markers ("> ", each after up to
// three spaces) and reports how many it removed.
func stripQuotes(line string, max int) (string, int) {
	depth := 0
	for depth < max {
		i := 0
		for i < len(line) && i < 3 && line[i] == ' ' {
			i++
		}
		if i >= len(line) || line[i] != '>' {
			break
		}
		i++
		if i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		line = line[i:]
		depth++
	}
	return line, depth
}

// indentWidth returns the leading whitespace width, tabs to the next
// multiple of four.
func indentWidth(line string) int {
	w := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ' ':
			w++
		case '\t':
			w += 4 - w%4
		default:
			return w
		}
	}
	return w
}

func isBlank(line string) bool { return strings.TrimLeft(line, " \t\r") == "" }

// listItem recognises a list marker at the start of line (without
// indentation): -, *, + or 1-9 digits and '.' or ')', then a space or the
// end. col is the item's content column relative to the marker.
func listItem(line string) (col int, ok bool) {
	i := 0
	switch {
	case line[0] == '-' || line[0] == '*' || line[0] == '+':
		i = 1
	default:
		for i < len(line) && i < 9 && line[i] >= '0' && line[i] <= '9' {
			i++
		}
		if i == 0 || i >= len(line) || (line[i] != '.' && line[i] != ')') {
			return 0, false
		}
		i++
	}
	if i < len(line) && line[i] != ' ' && line[i] != '\t' {
		return 0, false
	}
	n := 0
	for i+n < len(line) && line[i+n] == ' ' {
		n++
	}
	if n == 0 || n > 4 || i+n == len(line) {
		n = 1 // empty item, or content that is itself indented code
	}
	return i + n, true
}

// fenceOpen recognises an opening code fence: three or more backticks or
// tildes; a backtick fence's info string may not contain a backtick.
func fenceOpen(line string) (byte, int, bool) {
	if len(line) < 3 || (line[0] != '`' && line[0] != '~') {
		return 0, 0, false
	}
	ch := line[0]
	n := 0
	for n < len(line) && line[n] == ch {
		n++
	}
	if n < 3 {
		return 0, 0, false
	}
	if ch == '`' && strings.IndexByte(line[n:], '`') >= 0 {
		return 0, 0, false
	}
	return ch, n, true
}

// isFenceClose reports whether line closes a fence of n ch characters.
func isFenceClose(line string, ch byte, n int) bool {
	if indentWidth(line) > 3 {
		return false
	}
	t := strings.TrimLeft(line, " \t")
	m := 0
	for m < len(t) && t[m] == ch {
		m++
	}
	return m >= n && strings.TrimRight(t[m:], " \t") == ""
}

// atxHeading parses "## text ##" (line without indentation).
func atxHeading(line string) (int, string, bool) {
	n := 0
	for n < len(line) && n < 7 && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 {
		return 0, "", false
	}
	if n < len(line) && line[n] != ' ' && line[n] != '\t' {
		return 0, "", false
	}
	txt := strings.TrimSpace(line[n:])
	// A closing sequence of #s is dropped when a space precedes it.
	j := len(txt)
	for j > 0 && txt[j-1] == '#' {
		j--
	}
	if j == 0 {
		txt = ""
	} else if j < len(txt) && (txt[j-1] == ' ' || txt[j-1] == '\t') {
		txt = strings.TrimSpace(txt[:j])
	}
	return n, txt, true
}

func isSetextUnderline(line string) bool {
	t := strings.TrimRight(line, " \t")
	if t == "" || (t[0] != '=' && t[0] != '-') {
		return false
	}
	return strings.Trim(t, t[:1]) == ""
}

func isThematicBreak(line string) bool {
	c := line[0]
	if c != '-' && c != '*' && c != '_' {
		return false
	}
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case c:
			n++
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
	return n >= 3
}
