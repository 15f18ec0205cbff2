package links

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slug returns the GitHub-style anchor of a heading's plain text, as
// github-slugger makes it: lower-cased; letters, digits, marks, '-' and '_'
// kept (any script); every space turned into '-'; everything else dropped.
// Duplicates within a document get "-1", "-2", ... (see Document.Headings).
func Slug(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_':
			b.WriteRune(r)
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// slugger makes slugs unique within one document, like github-slugger.
type slugger struct{ seen map[string]int }

func (s *slugger) unique(slug string) string {
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	result := slug
	for {
		if _, dup := s.seen[result]; !dup {
			break
		}
		s.seen[slug]++
		result = slug + "-" + strconv.Itoa(s.seen[slug])
	}
	s.seen[result] = 0
	return result
}

// reserve records an explicit heading id (see headingAttributes): a later
// heading whose generated slug is the same is numbered on, as Hugo numbers
// it, and two explicit ids stay as written.
func (s *slugger) reserve(id string) {
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	if _, dup := s.seen[id]; !dup {
		s.seen[id] = 0
	}
}

// headingAttributes splits a heading's trailing attribute block from its
// text, as Hugo (goldmark), Docusaurus, MkDocs (attr_list), Jekyll
// (kramdown) and Pandoc read one: "Set up {#setup}" and
// "Set up {#setup .wide title=\"a b\"}" are the heading "Set up" with the
// anchor "setup"; a block without an id ("{.wide}") leaves the generated
// anchor of the text before it. Braces holding anything else ("{x}",
// "{{.Name}}", "{: #id}", which goldmark shows as text though MkDocs reads
// it: see colonAttributes) are the heading's text, and so is an escaped
// "\{#id\}". links.TestSiteAgreesWithHugo holds the reading to Hugo's.
// Docusaurus's comment forms, "Set up {/* #setup */}" (MDX's) and
// "Set up <!-- #setup -->", give the id too. GitHub and Obsidian show every
// such block as text, but a document that writes one is written for a
// generator that reads it.
func headingAttributes(raw string) (text, id string) {
	t := strings.TrimRight(raw, " \t")
	for _, c := range [][2]string{{"{/*", "*/}"}, {"<!--", "-->"}} {
		if k := strings.LastIndex(t, c[0]); k >= 0 && strings.HasSuffix(t, c[1]) && k+len(c[0]) <= len(t)-len(c[1]) {
			if f := strings.Fields(t[k+len(c[0]) : len(t)-len(c[1])]); len(f) > 0 && len(f[0]) > 1 && f[0][0] == '#' {
				return strings.TrimRight(t[:k], " \t"), f[0][1:]
			}
		}
	}
	if !strings.HasSuffix(t, "}") {
		return raw, ""
	}
	k := strings.LastIndexByte(t, '{')
	if k < 0 {
		return raw, ""
	}
	for rest := strings.TrimLeft(t[k+1:len(t)-1], " \t"); rest != ""; rest = strings.TrimLeft(rest, " \t") {
		var name string
		switch rest[0] {
		case '#', '.':
			n := 1
			for n < len(rest) && isAttrNameByte(rest[n]) {
				n++
			}
			if n == 1 || n < len(rest) && rest[n] != ' ' && rest[n] != '\t' {
				return raw, ""
			}
			name, rest = rest[:n], rest[n:]
			if name[0] == '#' {
				id = name[1:] // the last id wins
			}
			continue
		}
		n := 0
		for n < len(rest) && isAttrNameByte(rest[n]) {
			n++
		}
		if n == 0 || n == len(rest) || rest[n] != '=' {
			return raw, ""
		}
		rest = rest[n+1:]
		if rest != "" && rest[0] == '"' {
			q := strings.IndexByte(rest[1:], '"')
			if q < 0 {
				return raw, ""
			}
			rest = rest[q+2:]
		} else {
			n = 0
			for n < len(rest) && rest[n] != ' ' && rest[n] != '\t' && rest[n] != '"' && rest[n] != '\'' {
				n++
			}
			if n == 0 {
				return raw, ""
			}
			rest = rest[n:]
		}
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			return raw, ""
		}
	}
	_, text, _ = atxHeading("# " + t[:k]) // "Closing ## {#id}" closes before its block
	return text, id
}

// isAttrNameByte reports whether c may be part of an attribute's id, class
// or name; goldmark's set. (Non-ASCII letters are allowed, as in
// "{#café}".)
func isAttrNameByte(c byte) bool {
	return c >= 0x80 || c == '-' || c == '_' || c == ':' || c == '.' ||
		c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// HeadingKey is how a wiki link's heading fragment is compared with a
// heading: the slug of its plain text with runs of '-' collapsed, so that
// case, punctuation and spacing differences do not matter (Obsidian writes
// "[[Note#Q why]]" for the heading "Q: why?").
func HeadingKey(text string) string {
	s := Slug(plainText(text))
	var b strings.Builder
	b.Grow(len(s))
	dash := true // drop leading dashes
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			if !dash {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		dash = false
		b.WriteByte(s[i])
	}
	return strings.TrimRight(b.String(), "-")
}

// plainText approximates the rendered text of inline Markdown, which is
// what renderers slug: code spans keep their content, links keep their text
// (a wiki link its alias or target), HTML tags go, backslash escapes are
// resolved, and '_' emphasis delimiters are dropped while intraword
// underscores (snake_case) stay.
func plainText(s string) string {
	if strings.IndexAny(s, "\\`[<_") < 0 {
		return s
	}
	// Bracket matching below rescans; a heading is one line, so cap the work
	// on absurdly long ones by taking their brackets literally.
	links := len(s) <= maxHeadingLinks
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			b.WriteByte(s[i+1])
			i += 2
		case c == '`':
			n := runLen(s, i, len(s), '`')
			if k := indexRun(s, i+n, n); k >= 0 {
				inner := s[i+n : k]
				if len(inner) >= 2 && inner[0] == ' ' && inner[len(inner)-1] == ' ' && strings.Trim(inner, " ") != "" {
					inner = inner[1 : len(inner)-1]
				}
				b.WriteString(inner)
				i = k + n
			} else {
				b.WriteString(s[i : i+n])
				i += n
			}
		case c == '[' && links && strings.HasPrefix(s[i:], "[["):
			k := strings.Index(s[i+2:], "]]")
			if k < 0 {
				b.WriteByte(c)
				i++
				continue
			}
			inner := s[i+2 : i+2+k]
			if p := strings.IndexByte(inner, '|'); p >= 0 {
				inner = inner[p+1:]
			}
			b.WriteString(inner)
			i += 2 + k + 2
		case c == '[' && links:
			text, next, ok := inlineLinkText(s, i)
			if !ok {
				b.WriteByte(c)
				i++
				continue
			}
			b.WriteString(plainText(text))
			i = next
		case c == '<':
			k := strings.IndexByte(s[i:], '>')
			if k < 0 || i+1 >= len(s) || !(isASCIILetter(s[i+1]) || s[i+1] == '/' || s[i+1] == '!') {
				b.WriteByte(c)
				i++
				continue
			}
			inner := s[i+1 : i+k]
			if strings.Contains(inner, ":") && !strings.ContainsAny(inner, " \t") {
				b.WriteString(inner) // autolink: its text is the URL
			}
			i += k + 1
		case c == '_':
			n := runLen(s, i, len(s), '_')
			prev, _ := utf8.DecodeLastRuneInString(s[:i])
			next, _ := utf8.DecodeRuneInString(s[i+n:])
			if i == 0 {
				prev = ' '
			}
			if i+n == len(s) {
				next = ' '
			}
			if isWordRune(prev) && isWordRune(next) || unicode.IsSpace(prev) && unicode.IsSpace(next) {
				b.WriteString(s[i : i+n]) // intraword or free-standing: literal
			}
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// maxHeadingLinks is the longest heading text whose links plainText resolves.
const maxHeadingLinks = 4096

// inlineLinkText parses "[text](dest)" or "![text](dest)"'s bracket part at
// i (the '['), returning the text and the offset past the link.
func inlineLinkText(s string, i int) (string, int, bool) {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				if j+1 < len(s) && s[j+1] == '(' {
					if k := strings.IndexByte(s[j+1:], ')'); k >= 0 {
						return s[i+1 : j], j + 1 + k + 1, true
					}
				}
				return "", 0, false
			}
		}
	}
	return "", 0, false
}

// indexRun finds the next run of exactly n backticks at or after i.
func indexRun(s string, i, n int) int {
	for i < len(s) {
		k := strings.IndexByte(s[i:], '`')
		if k < 0 {
			return -1
		}
		i += k
		m := runLen(s, i, len(s), '`')
		if m == n {
			return i
		}
		i += m
	}
	return -1
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
