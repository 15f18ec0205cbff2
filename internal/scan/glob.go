package scan

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// glob is a validated doublestar pattern prepared for the shapes users write
// most. `**/*.md` needs only the entry's name, and `*.md` on a name is a
// suffix test; matching every one of tens of thousands of paths through the
// general matcher showed up as the walk's main CPU cost.
type glob struct {
	pattern string // the doublestar pattern, for kindPath
	kind    globKind
	name    string // the pattern for a name (kindName, kindTopName)
	suffix  string // the literal for kindSuffix, kindTopSuffix
}

type globKind uint8

const (
	kindPath      globKind = iota // doublestar on the whole path
	kindName                      // `**/P`, P one segment: doublestar on the name
	kindSuffix                    // `**/*LIT`: the name ends with LIT
	kindTopName                   // `P`, one segment: a top-level entry whose name matches
	kindTopSuffix                 // `*LIT`: a top-level entry whose name ends with LIT
)

// globMeta are the characters that make a doublestar pattern more than a
// literal.
const globMeta = `*?[]{}\`

// compileGlob prepares a pattern that doublestar.ValidatePattern accepted.
func compileGlob(p string) glob {
	g := glob{pattern: p, kind: kindPath}
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
	if lit, ok := strings.CutPrefix(seg, "*"); ok && lit != "" && !strings.ContainsAny(lit, globMeta) {
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

// match reports whether the glob matches path p, whose last element is name.
func (g *glob) match(p, name string) bool {
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
