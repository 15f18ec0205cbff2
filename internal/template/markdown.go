package template

import (
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"text/template/parse"
)

// Markdown templates (ParseMarkdown) render other files' data into Markdown,
// so each value is escaped for the place it lands in, as html/template does
// for HTML. The place (the context) is read from the template's own text
// before each action:
//
//	text          [t](u) **b** | cell      Markdown punctuation is backslash-escaped
//	                                       (\ ` * _ [ ] | ~), '<' and entity-like '&'
//	                                       become &lt; and &amp;, a line break becomes a
//	                                       space, leading white space is dropped, and a
//	                                       value that would start a block (# > - + = 1.)
//	                                       has that character escaped
//	link target   ](…)  ]: …  <…>          percent-encoded (%XX kept); at the start of
//	                                       the target a scheme other than http, https,
//	                                       mailto, ftp or obsidian is replaced by
//	                                       #unsafe-url (javascript:, data:, vbscript:)
//	link title    ](u "…")                 quotes, parentheses and backslashes escaped
//	code span     `…`                      a line break becomes a space; a backtick fails
//	wiki link     [[…]]  [[…|…]]           [ ] | # ^ and line breaks become spaces
//	HTML attribute <a href="…">            HTML-escaped; href and src as link targets
//
// A value wrapped in `raw` is written as it is: the template asks for it
// explicitly. An action inside an HTML tag but outside a quoted attribute,
// and branches ({{ if }}, {{ range }}) that end in different contexts, are
// refused when the template is parsed.

// Raw is text a Markdown template writes without escaping (the `raw`
// function's result).
type Raw string

// Escaping functions appended to the actions of a Markdown template.
const (
	mdTextFunc     = "_scribeMDText"
	mdURLFunc      = "_scribeMDURL"      // inside a link target
	mdURLStartFunc = "_scribeMDURLStart" // at the start of one: the scheme is checked
	mdTitleFunc    = "_scribeMDTitle"
	mdCodeFunc     = "_scribeMDCode"
	mdWikiFunc     = "_scribeMDWiki"
	mdAliasFunc    = "_scribeMDAlias"
	mdAttrFunc     = "_scribeMDAttr"
	mdAttrURLFunc  = "_scribeMDAttrURL"
)

// unsafeURL replaces a link target whose scheme could run code.
const unsafeURL = "#unsafe-url"

// safeSchemes are the URL schemes a link target may start with.
var safeSchemes = map[string]bool{"http": true, "https": true, "mailto": true, "ftp": true, "obsidian": true}

// ParseMarkdown is Parse for a template whose output is Markdown: every
// value it prints is escaped for its context (see the table above).
func ParseMarkdown(name, text string) (*Template, error) {
	t, err := Parse(name, text)
	if err != nil {
		return nil, err
	}
	if t.static {
		return t, nil
	}
	for _, tt := range t.base.Templates() {
		if tt.Tree == nil || tt.Tree.Root == nil {
			continue
		}
		e := &mdEscaper{tree: tt.Tree}
		end, err := e.list(tt.Tree.Root, mdState{})
		if err == nil && end.mode == mdTag {
			err = e.errorf(tt.Tree.Root, "the template ends inside an HTML tag")
		}
		if err != nil {
			return nil, &Error{Template: name, Line: e.line, Message: err.Error()}
		}
	}
	return t, nil
}

// mdMode is where in Markdown the output is.
type mdMode uint8

const (
	mdText       mdMode = iota
	mdDest              // a link target: ](here) or [label]: here
	mdDestAngle         // a link target in <>: ](<here>)
	mdAfterDest         // between a target and its title or ')'
	mdTitle             // a link title
	mdAutolink          // <here>
	mdCode              // a code span
	mdWikiTarget        // [[here
	mdWikiAlias         // [[target|here
	mdTag               // inside an HTML tag, outside attribute values
	mdAttr              // a quoted attribute value
)

// mdState is the context at one point of a template's output.
type mdState struct {
	mode  mdMode
	start bool // nothing written yet in a link target (the scheme comes next)
	ticks int  // mdCode: length of the opening backtick run
	quote byte // mdTitle, mdAttr: the closing quote
	depth int  // mdDest: open parentheses
	url   bool // mdAttr: an href or src value
}

type mdEscaper struct {
	tree *parse.Tree
	line int
}

func (e *mdEscaper) errorf(n parse.Node, format string, args ...any) error {
	e.line, _ = lineCol(e.tree, n)
	return fmt.Errorf(format, args...)
}

// lineCol locates n in the template text ("name:line:col" from
// ErrorContext).
func lineCol(t *parse.Tree, n parse.Node) (int, int) {
	loc, _ := t.ErrorContext(n)
	parts := strings.Split(loc, ":")
	if len(parts) < 3 {
		return 0, 0
	}
	var line, col int
	fmt.Sscan(parts[len(parts)-2], &line)
	fmt.Sscan(parts[len(parts)-1], &col)
	return line, col
}

// list walks the nodes of l from state st, appending the escaper of its
// context to every printing action, and returns the state after l.
func (e *mdEscaper) list(l *parse.ListNode, st mdState) (mdState, error) {
	if l == nil {
		return st, nil
	}
	var err error
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			st = st.after(string(n.Text))
		case *parse.ActionNode:
			if n.Pipe == nil || len(n.Pipe.Decl) > 0 {
				continue // {{ $x := … }} prints nothing
			}
			fn, err := st.escaper()
			if err != nil {
				return st, e.errorf(n, "%v", err)
			}
			n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
				NodeType: parse.NodeCommand, Pos: n.Pos, Args: []parse.Node{parse.NewIdentifier(fn).SetPos(n.Pos)},
			})
			st.start = false
		case *parse.IfNode:
			st, err = e.branch(&n.BranchNode, st, "if", false)
		case *parse.WithNode:
			st, err = e.branch(&n.BranchNode, st, "with", false)
		case *parse.RangeNode:
			st, err = e.branch(&n.BranchNode, st, "range", true)
		case *parse.TemplateNode:
			if st.mode != mdText {
				return st, e.errorf(n, "{{ template %q }} is called inside %s; call templates only in plain text", n.Name, st.mode)
			}
		case *parse.ListNode:
			st, err = e.list(n, st)
		}
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// branch walks both lists of an if, with or range from st. They must end in
// the same context, and a range body must end where it started (it runs
// again from there).
func (e *mdEscaper) branch(b *parse.BranchNode, st mdState, what string, loop bool) (mdState, error) {
	body, err := e.list(b.List, st)
	if err != nil {
		return st, err
	}
	if loop && !body.same(st) {
		return st, e.errorf(b, "the body of {{ range }} starts in %s but ends in %s; close what it opens inside it", st.mode, body.mode)
	}
	alt, err := e.list(b.ElseList, st)
	if err != nil {
		return st, err
	}
	if !body.same(alt) {
		return st, e.errorf(b, "the branches of {{ %s }} end in different contexts (%s and %s); close what each opens inside it", what, body.mode, alt.mode)
	}
	if !body.start || !alt.start {
		body.start = false
	}
	return body, nil
}

// same compares contexts, ignoring whether a link target is still empty.
func (st mdState) same(o mdState) bool {
	st.start, o.start = false, false
	return st == o
}

func (m mdMode) String() string {
	return [...]string{"text", "a link target", "a link target", "a link", "a link title", "an autolink",
		"a code span", "a wiki link", "a wiki link", "an HTML tag", "an HTML attribute"}[m]
}

// escaper names the function that escapes a value printed in st.
func (st mdState) escaper() (string, error) {
	switch st.mode {
	case mdText:
		return mdTextFunc, nil
	case mdDest, mdDestAngle, mdAutolink:
		if st.start {
			return mdURLStartFunc, nil
		}
		return mdURLFunc, nil
	case mdAfterDest:
		return "", errors.New("a value between a link target and its title is ambiguous; put it inside the target or the title")
	case mdTitle:
		return mdTitleFunc, nil
	case mdCode:
		return mdCodeFunc, nil
	case mdWikiTarget:
		return mdWikiFunc, nil
	case mdWikiAlias:
		return mdAliasFunc, nil
	case mdAttr:
		if st.url && st.start {
			return mdAttrURLFunc, nil
		}
		return mdAttrFunc, nil
	}
	return "", errors.New("a value inside an HTML tag must be in a quoted attribute value: <a href=\"{{ … }}\">")
}

// after returns the context after the template text s.
func (st mdState) after(s string) mdState {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch st.mode {
		case mdText:
			switch {
			case c == '\\':
				i++
			case c == '`':
				n := runLen(s, i, '`')
				st = mdState{mode: mdCode, ticks: n}
				i += n - 1
			case c == '[' && i+1 < len(s) && s[i+1] == '[':
				st = mdState{mode: mdWikiTarget}
				i++
			case c == ']' && i+1 < len(s) && s[i+1] == '(':
				i++
				if i+1 < len(s) && s[i+1] == '<' {
					i++
					st = mdState{mode: mdDestAngle, start: true}
				} else {
					st = mdState{mode: mdDest, start: true}
				}
			case c == ']' && i+1 < len(s) && s[i+1] == ':' && refLine(s[:i+1]):
				i++
				st = mdState{mode: mdDest, start: true}
				for i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t') {
					i++
				}
			case c == '<' && i+1 < len(s) && (isLetter(s[i+1]) || s[i+1] == '/' || s[i+1] == '!'):
				st = mdState{mode: mdTag}
			case c == '<' && i+1 == len(s):
				st = mdState{mode: mdAutolink, start: true}
			}
		case mdDest:
			st.start = false
			switch c {
			case '\\':
				i++
			case '(':
				st.depth++
			case ')':
				if st.depth == 0 {
					st = mdState{}
				} else {
					st.depth--
				}
			case ' ', '\t', '\n':
				st = mdState{mode: mdAfterDest}
			}
		case mdDestAngle:
			st.start = false
			if c == '>' {
				st = mdState{mode: mdAfterDest}
			}
		case mdAfterDest:
			switch c {
			case '"', '\'':
				st = mdState{mode: mdTitle, quote: c}
			case '(':
				st = mdState{mode: mdTitle, quote: ')'}
			case ')':
				st = mdState{}
			}
		case mdTitle:
			if c == '\\' {
				i++
			} else if c == st.quote {
				st = mdState{mode: mdAfterDest}
			}
		case mdAutolink:
			st.start = false
			if c == '>' {
				st = mdState{}
			}
		case mdCode:
			if c == '`' {
				n := runLen(s, i, '`')
				if n == st.ticks {
					st = mdState{}
				}
				i += n - 1
			}
		case mdWikiTarget, mdWikiAlias:
			switch {
			case c == '|':
				st.mode = mdWikiAlias
			case c == ']' && i+1 < len(s) && s[i+1] == ']':
				st = mdState{}
				i++
			case c == '\n':
				st = mdState{} // a wiki link stays on one line
			}
		case mdTag:
			switch c {
			case '>':
				st = mdState{}
			case '"', '\'':
				name := strings.ToLower(attrName(s[:i]))
				st = mdState{mode: mdAttr, quote: c, url: name == "href" || name == "src", start: true}
			}
		case mdAttr:
			st.start = false
			if c == st.quote {
				st = mdState{mode: mdTag}
			}
		}
	}
	return st
}

// refLine reports whether s ends the label of a link reference definition:
// the current line is "[label]" indented by at most three spaces.
func refLine(s string) bool {
	line := s[strings.LastIndexByte(s, '\n')+1:]
	t := strings.TrimLeft(line, " ")
	return len(line)-len(t) <= 3 && len(t) > 2 && t[0] == '[' && strings.IndexByte(t[1:len(t)-1], ']') < 0
}

// attrName returns the attribute name before "=" at the end of s.
func attrName(s string) string {
	s = strings.TrimRight(s, " \t\n")
	if !strings.HasSuffix(s, "=") {
		return ""
	}
	s = strings.TrimRight(s[:len(s)-1], " \t\n")
	i := len(s)
	for i > 0 && (isLetter(s[i-1]) || s[i-1] == '-' || s[i-1] >= '0' && s[i-1] <= '9') {
		i--
	}
	return s[i:]
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func runLen(s string, i int, c byte) int {
	j := i
	for j < len(s) && s[j] == c {
		j++
	}
	return j - i
}

// mdFuncs are the escapers; each passes a Raw value through unchanged.
func mdFuncs() map[string]any {
	wrap := func(f func(string) string) func(any) string {
		return func(v any) string {
			if r, ok := v.(Raw); ok {
				return string(r)
			}
			return f(text(v))
		}
	}
	return map[string]any{
		"raw":          func(v any) Raw { return Raw(text(v)) },
		mdTextFunc:     wrap(EscapeMarkdown),
		mdURLFunc:      wrap(func(s string) string { return escapeURL(s, false) }),
		mdURLStartFunc: wrap(func(s string) string { return escapeURL(s, true) }),
		mdTitleFunc:    wrap(escapeTitle),
		mdWikiFunc:     wrap(func(s string) string { return escapeWiki(s, "[]|#^\r\n") }),
		mdAliasFunc:    wrap(func(s string) string { return escapeWiki(s, "[]|\r\n") }),
		mdAttrFunc:     wrap(html.EscapeString),
		mdAttrURLFunc:  wrap(func(s string) string { return html.EscapeString(escapeURL(s, true)) }),
		mdCodeFunc: func(v any) (string, error) {
			if r, ok := v.(Raw); ok {
				return string(r), nil
			}
			s := text(v)
			if strings.IndexByte(s, '`') >= 0 {
				return "", fmt.Errorf("%q contains a backtick, which would end the code span around it", clip(s))
			}
			return lineBreaksToSpaces(s), nil
		},
	}
}

// entityRef matches what CommonMark reads as an entity or numeric
// character reference.
var entityRef = regexp.MustCompile(`^&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

// blockStart matches a value that would open a block at the start of a line:
// a heading, a quote, a list item, a setext underline, a thematic break.
var blockStart = regexp.MustCompile(`^(?:[#>+=-]|[0-9]{1,9}[.)])`)

// EscapeMarkdown escapes s so that it reads as plain text in Markdown
// (CommonMark, GFM tables and Obsidian): punctuation that starts inline
// markup is backslash-escaped, '<' and a '&' that would start an entity
// become references (which also hold inside HTML blocks), line breaks
// become spaces, leading white space is dropped, and what would start a
// block at the beginning of a line is escaped.
func EscapeMarkdown(s string) string {
	// Leading white space could make an indented code block.
	s = strings.TrimLeft(lineBreaksToSpaces(s), " \t")
	var b strings.Builder
	b.Grow(len(s) + 8)
	if m := blockStart.FindString(s); m != "" {
		b.WriteString(m[:len(m)-1])
		b.WriteByte('\\')
		b.WriteByte(m[len(m)-1])
		s = s[len(m):]
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '`', '*', '_', '[', ']', '|', '~':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '<':
			b.WriteString("&lt;")
		case '&':
			if entityRef.MatchString(s[i:]) {
				b.WriteString("&amp;")
			} else {
				b.WriteByte('&')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func lineBreaksToSpaces(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
	}
	return s
}

// escapeURL percent-encodes what may not appear in a link target (spaces,
// controls, brackets, parentheses, quotes, '<', '>', '\', '`', '{', '|', '}',
// '^', a '%' that starts no escape), keeping valid %XX escapes and other
// UTF-8 text. At the start of a target (start), a scheme other than the
// safe ones makes the whole target #unsafe-url.
func escapeURL(s string, start bool) string {
	if start {
		if scheme, ok := urlScheme(s); ok && !safeSchemes[strings.ToLower(scheme)] {
			return unsafeURL
		}
	}
	const special = " \"'()<>[\\]^`{|}"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f || c == '%' || strings.IndexByte(special, c) >= 0:
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// urlScheme returns the scheme s starts with, as a URL parser reads it
// (letters, digits, '+', '-', '.' before the first ':').
func urlScheme(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c):
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':' && i > 0:
			return s[:i], true
		default:
			return "", false
		}
	}
	return "", false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// escapeTitle escapes a link title: backslash before quotes, parentheses
// and backslashes; line breaks become spaces.
func escapeTitle(s string) string {
	s = lineBreaksToSpaces(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'', '(', ')', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '<':
			b.WriteString("&lt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// escapeWiki keeps a value inside a wiki link: the characters of bad that
// would end it, split it or start a fragment become spaces (Obsidian allows
// none of [ ] | # ^ in a note's name).
func escapeWiki(s, bad string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && strings.IndexByte(bad, byte(r)) >= 0 {
			return ' '
		}
		return r
	}, s)
}
