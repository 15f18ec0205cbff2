package glob

import (
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
)

// Glob is a doublestar pattern prepared for the shapes users write most.
// The zero Glob matches nothing useful; build one with Compile.
type Glob struct {
	pattern string // the doublestar pattern, for kindPath
	kind    kind
	name    string // the pattern for a name (kindName, kindTopName)
	suffix  string // the literal for kindSuffix, kindTopSuffix
}

type kind uint8

const (
	kindPath      kind = iota // doublestar on the whole path
	kindName                  // `**/P`, P one segment: doublestar on the name
	kindSuffix                // `**/*LIT`: the name ends with LIT
	kindTopName               // `P`, one segment: a top-level entry whose name matches
	kindTopSuffix             // `*LIT`: a top-level entry whose name ends with LIT
)

// meta are the characters that make a doublestar pattern more than a
// literal.
const meta = `*?[]{}\`

// Valid reports whether p is a valid doublestar pattern.
func Valid(p string) bool { return doublestar.ValidatePattern(p) }

// Compile prepares p, a pattern Valid accepts (another one matches as
// doublestar.MatchUnvalidated would).
func Compile(p string) Glob {
	g := Glob{pattern: p, kind: kindPath}
	top := true
	seg := p
	if rest, ok := strings.CutPrefix(p, "**/"); ok {
		top, seg = false, rest
	}
	// A `{...}` alternative may hide a slash; `**` inside the segment would
	// still be one segment but is rare enough to leave to doublestar.
	if strings.Contains(seg, "/") || strings.Contains(seg, "**") || seg == "" {
		return g
	}
	// A literal that is not UTF-8 is left to doublestar, which reads each
	// bad byte as a U+FFFD that any other bad byte matches. (A
	// configuration's globs are UTF-8: YAML is.)
	if lit, ok := strings.CutPrefix(seg, "*"); ok && lit != "" && !strings.ContainsAny(lit, meta) && utf8.ValidString(lit) {
		g.suffix = lit
		g.kind = kindSuffix
		if top {
			g.kind = kindTopSuffix
		}
		return g
	}
	g.name = seg
	g.kind = kindName
	if top {
		g.kind = kindTopName
	}
	return g
}

// String returns the pattern.
func (g *Glob) String() string { return g.pattern }

// Match reports whether the glob matches p, a clean slash-separated path
// relative to the root whose last element is name.
func (g *Glob) Match(p, name string) bool {
	switch g.kind {
	case kindName:
		return doublestar.MatchUnvalidated(g.name, name)
	case kindSuffix:
		return strings.HasSuffix(name, g.suffix)
	case kindTopName:
		return len(p) == len(name) && doublestar.MatchUnvalidated(g.name, name)
	case kindTopSuffix:
		return len(p) == len(name) && strings.HasSuffix(name, g.suffix)
	}
	return doublestar.MatchUnvalidated(g.pattern, p)
}

// MatchPath is Match for a path alone: its last element is found in it.
func (g *Glob) MatchPath(p string) bool {
	return g.Match(p, p[strings.LastIndexByte(p, '/')+1:])
}
