package links

import (
	"slices"
	"strings"
)

// RelPath returns the relative path from directory fromDir to the file to,
// both slash paths relative to the root ("." or "" is the root).
func RelPath(fromDir, to string) string {
	if fromDir == "." || fromDir == "" {
		return to
	}
	f := strings.Split(fromDir, "/")
	t := strings.Split(to, "/")
	i := 0
	for i < len(f) && i < len(t)-1 && f[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(f)-i+len(t)-i)
	for j := i; j < len(f); j++ {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	return strings.Join(parts, "/")
}

// InStyle writes the path p of a document (relative, or from the root) as
// the Markdown link target t was written: without ".md" when t had none,
// with ".html" in its place when t had that (a page's URL, as a VitePress
// site reads it), and with t's leading "./".
func InStyle(t, p string) string {
	switch {
	case strings.HasSuffix(t, ".html") && !hasMDExt(t):
		p = trimMDExt(p)
		if !strings.HasSuffix(p, ".html") {
			p += ".html"
		}
	case !hasMDExt(t):
		p = trimMDExt(p)
	}
	if strings.HasPrefix(t, "./") && !strings.HasPrefix(p, ".") {
		p = "./" + p
	}
	return p
}

// EncodeDest writes a path as a Markdown link destination: inside <...>
// (angle) only '<' and '>' need escaping; otherwise spaces, parentheses,
// '%', '#', '?' and control characters are percent-encoded. Other
// characters, non-ASCII letters included, are kept as they are.
func EncodeDest(p string, angle bool) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case angle && (c == '<' || c == '>'):
			b.WriteByte('\\')
			b.WriteByte(c)
		case !angle && (c <= ' ' || c == 0x7f || strings.IndexByte("()<>%#?\\", c) >= 0):
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Edit replaces content bytes [Start, End) with Text.
type Edit struct {
	Start, End int
	Text       string
}

// Apply returns content with the edits applied. Edits must not overlap;
// their order does not matter.
func Apply(content []byte, edits []Edit) []byte {
	if len(edits) == 0 {
		return content
	}
	es := slices.Clone(edits)
	slices.SortFunc(es, func(a, b Edit) int { return a.Start - b.Start })
	out := make([]byte, 0, len(content)+64)
	at := 0
	for _, e := range es {
		if e.Start < at || e.End < e.Start || e.End > len(content) {
			continue // overlapping or out of range: skip rather than corrupt
		}
		out = append(out, content[at:e.Start]...)
		out = append(out, e.Text...)
		at = e.End
	}
	return append(out, content[at:]...)
}
