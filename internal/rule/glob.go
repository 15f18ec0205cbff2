package rule

import (
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
)

// glob is one compiled file glob. Every file of a run is matched against
// every rule's globs, and nearly all of them have the shape `**/*.ext`
// (the default include is `**/*.md`), which selects exactly the paths
// ending in `.ext`: that shape is a suffix test; any other goes to
// doublestar. TestGlobFast and FuzzGlobFast hold the two equal.
type glob struct {
	pattern string
	// suffix is set for `**/*SUFFIX` where SUFFIX is UTF-8 with no glob
	// syntax and no slash.
	suffix string
	fast   bool
}

func compileGlob(pattern string) glob {
	g := glob{pattern: pattern}
	// A configuration's globs are UTF-8 (YAML is); doublestar reads any
	// other byte as a wildcard-like U+FFFD, which a suffix test would not.
	if rest, ok := strings.CutPrefix(pattern, "**/*"); ok && !strings.ContainsAny(rest, `*?[]{}\/`) && utf8.ValidString(rest) {
		g.suffix, g.fast = rest, true
	}
	return g
}

func compileGlobs(patterns []string) []glob {
	out := make([]glob, len(patterns))
	for i, p := range patterns {
		out[i] = compileGlob(p)
	}
	return out
}

// match reports whether rel (a clean, slash-separated path relative to the
// root) matches the glob.
func (g glob) match(rel string) bool {
	if g.fast {
		return rel != "" && strings.HasSuffix(rel, g.suffix)
	}
	ok, _ := doublestar.Match(g.pattern, rel)
	return ok
}
