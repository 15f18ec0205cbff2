package scan

// This file implements gitignore matching by translating each pattern to a
// doublestar pattern. go-git's plumbing/format/gitignore was considered and not
// used: its Pattern.Match needs the path split into a []string on every call
// (an allocation per file on the hot path), it matches with filepath.Match
// (separator rules of the host OS), it makes "dir/**" match the file "dir"
// itself (git does not), and it treats a `**` inside a segment as a mismatch
// where git treats it as `*`. Git's wildmatch with FNM_PATHNAME and doublestar
// agree on `*`, `?`, `[...]`, `\` escapes and whole-segment `**`, so a small
// translation is enough.

import (
	"bytes"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/scribe-md/scribe/internal/glob"
)

// IsIgnoreFile reports whether name (a base name) is one of the ignore files
// a Filter reads: .gitignore or .scribeignore. A daemon uses it to know when
// to build a new Filter.
func IsIgnoreFile(name string) bool {
	return name == gitignoreName || name == scribeignoreName
}

const (
	gitignoreName    = ".gitignore"
	scribeignoreName = ".scribeignore"
)

// ignorePattern is one parsed line of an ignore file.
type ignorePattern struct {
	// glob is the translated doublestar pattern. When basename is set it is
	// matched against the entry's name, else against the path relative to the
	// ignore file's directory.
	glob     string
	negate   bool
	dirOnly  bool
	basename bool
	m        glob.Glob // glob compiled, on the path relative to the ignore file
	// line is the pattern's 1-based line in its file and text the line as
	// written, for Filter.Explain.
	line int
	text string
}

// ignoreSet is the patterns of one ignore file.
type ignoreSet struct {
	// prefixLen is how many bytes to cut from a root-relative path to get the
	// path relative to the ignore file's directory ("a/b/" is 4).
	prefixLen int
	patterns  []ignorePattern
	// file is the ignore file, relative to the root (Filter.Explain).
	file string
}

// match reports the verdict of the last pattern of sets that matches rel (the
// root-relative path, name its last element): ignored, or decided false when
// nothing matches. Later sets (deeper directories, .scribeignore after
// .gitignore) and later lines win, as in git.
func match(sets []*ignoreSet, rel, name string, isDir bool) bool {
	_, p := decide(sets, rel, name, isDir)
	return p != nil && !p.negate
}

// decide returns the pattern that decides rel, and its file: the last one of
// sets that matches (see match), or nil when none does.
func decide(sets []*ignoreSet, rel, name string, isDir bool) (*ignoreSet, *ignorePattern) {
	for i := len(sets) - 1; i >= 0; i-- {
		s := sets[i]
		sub := rel[s.prefixLen:]
		for j := len(s.patterns) - 1; j >= 0; j-- {
			p := &s.patterns[j]
			if p.dirOnly && !isDir {
				continue
			}
			if p.m.Match(sub, name) {
				return s, p
			}
		}
	}
	return nil, nil
}

// parseIgnore parses the content of a .gitignore-syntax file. Lines that git
// would never match (a dangling `[`, a trailing backslash) are dropped, as
// git's wildmatch never matches them either.
func parseIgnore(data []byte) []ignorePattern {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out []ignorePattern
	for n := 1; len(data) > 0; n++ {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		text := string(bytes.TrimSuffix(line, []byte("\r")))
		if p, ok := parseIgnoreLine(text); ok {
			p.line, p.text = n, text
			out = append(out, p)
		}
	}
	return out
}

// parseIgnoreLine translates one gitignore line to a pattern; ok is false for
// blank lines, comments and patterns that can never match.
func parseIgnoreLine(line string) (p ignorePattern, ok bool) {
	if line == "" || line[0] == '#' {
		return p, false
	}
	// Trailing spaces are dropped unless escaped with a backslash.
	end := len(line)
	for end > 0 && line[end-1] == ' ' && !escaped(line, end-1) {
		end--
	}
	line = line[:end]
	if strings.HasPrefix(line, "!") {
		p.negate = true
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") && !escaped(line, len(line)-1) {
		p.dirOnly = true
		line = line[:len(line)-1]
	}
	if line == "" {
		return p, false
	}
	if strings.Contains(line, "/") {
		// A slash at the start or in the middle anchors the pattern to the
		// directory of the ignore file.
		line = strings.TrimPrefix(line, "/")
		if line == "" {
			return p, false
		}
		// Git's trailing "/**" matches everything inside, not the directory
		// itself; doublestar's would also match the directory.
		if line == "**" || strings.HasSuffix(line, "/**") {
			line += "/*"
		}
	} else {
		p.basename = true
	}
	p.glob = escapeBraces(line)
	if !doublestar.ValidatePattern(p.glob) {
		return p, false
	}
	if p.basename {
		p.m = glob.Compile("**/" + p.glob)
	} else {
		p.m = glob.Compile(p.glob)
	}
	return p, true
}

// escaped reports whether the byte at i is preceded by an odd number of
// backslashes.
func escaped(s string, i int) bool {
	n := 0
	for i > 0 && s[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}

// escapeBraces escapes `{` and `}` outside bracket expressions: they are
// alternation in doublestar but plain characters in git.
func escapeBraces(s string) string {
	if !strings.ContainsAny(s, "{}") {
		return s
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			b.WriteByte(c)
			i++
			b.WriteByte(s[i])
			continue
		case c == '[' && !inClass:
			inClass = true
		case c == ']' && inClass:
			inClass = false
		case (c == '{' || c == '}') && !inClass:
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}
