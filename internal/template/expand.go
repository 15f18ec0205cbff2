package template

import (
	"strconv"
	"strings"
	"text/template/parse"
	"unicode"
	"unicode/utf8"
)

// expandFunc is the function that expands `$1` references in literal text.
const expandFunc = "_scribeExpand"

// ParseExpand is Parse for a regex replacement: `$1`, `${name}` and `$$` in
// the template's literal text expand from .Match exactly as regexp.Expand
// does. Text produced by actions ({{ .FM.x }}) is never expanded, so a `$` in
// a file's data stays a `$`.
func ParseExpand(name, text string) (*Template, error) {
	t, err := Parse(name, text)
	if err != nil {
		return nil, err
	}
	if t.static {
		if !strings.Contains(t.plain, "$") {
			return t, nil
		}
		// Plain text with references: execute it as a one-node template.
		t.static = false
		for _, tt := range t.base.Templates() {
			if tt.Tree != nil {
				rewrite(tt.Tree.Root)
			}
		}
	}
	for _, tt := range t.base.Templates() {
		if tt.Tree != nil {
			expandText(tt.Tree.Root)
		}
	}
	return t, nil
}

// expandText replaces every text node holding a `$` under l with
// `{{ _scribeExpand "text" $ }}`.
func expandText(l *parse.ListNode) {
	if l == nil {
		return
	}
	for i, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			if !strings.Contains(string(n.Text), "$") {
				continue
			}
			s := string(n.Text)
			l.Nodes[i] = &parse.ActionNode{
				NodeType: parse.NodeAction, Pos: n.Pos,
				Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Pos: n.Pos, Cmds: []*parse.CommandNode{{
					NodeType: parse.NodeCommand, Pos: n.Pos,
					Args: []parse.Node{
						parse.NewIdentifier(expandFunc).SetPos(n.Pos),
						&parse.StringNode{NodeType: parse.NodeString, Pos: n.Pos, Quoted: strconv.Quote(s), Text: s},
						&parse.VariableNode{NodeType: parse.NodeVariable, Pos: n.Pos, Ident: []string{"$"}},
					},
				}}},
			}
		case *parse.IfNode:
			expandText(n.List)
			expandText(n.ElseList)
		case *parse.RangeNode:
			expandText(n.List)
			expandText(n.ElseList)
		case *parse.WithNode:
			expandText(n.List)
			expandText(n.ElseList)
		case *parse.ListNode:
			expandText(n)
		}
	}
}

// expandData expands text with the .Match of root when root is the Data a
// template was executed with (a `{{ template }}` call may pass anything).
func expandData(text string, root any) string {
	var m map[string]string
	switch d := root.(type) {
	case Data:
		m = d.Match
	case *Data:
		if d != nil {
			m = d.Match
		}
	}
	return Expand(text, m)
}

// Expand replaces `$name`, `${name}` and `$$` in text as regexp.Expand does,
// taking groups from m (keys "0", "1", … and group names, as in Data.Match).
// An unknown or unmatched group expands to "".
func Expand(text string, m map[string]string) string {
	if !strings.Contains(text, "$") {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for {
		before, after, ok := strings.Cut(text, "$")
		if !ok {
			break
		}
		b.WriteString(before)
		text = after
		if text != "" && text[0] == '$' {
			b.WriteByte('$')
			text = text[1:]
			continue
		}
		name, num, rest, ok := extractRef(text)
		if !ok {
			b.WriteByte('$') // malformed: the $ is literal
			continue
		}
		text = rest
		if num >= 0 {
			b.WriteString(m[strconv.Itoa(num)])
		} else {
			b.WriteString(m[name]) // numbered keys never reach 1e8 or start with 0
		}
	}
	b.WriteString(text)
	return b.String()
}

// extractRef reads a reference name after a `$`, following regexp's rules:
// letters, digits and underscores, optionally in braces; a purely numeric
// name without a leading zero (and below 1e8) is a group number.
func extractRef(s string) (name string, num int, rest string, ok bool) {
	if s == "" {
		return "", 0, "", false
	}
	brace := s[0] == '{'
	if brace {
		s = s[1:]
	}
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			break
		}
		i += size
	}
	if i == 0 {
		return "", 0, "", false
	}
	name = s[:i]
	if brace {
		if i >= len(s) || s[i] != '}' {
			return "", 0, "", false
		}
		i++
	}
	num = 0
	for j := 0; j < len(name); j++ {
		if name[j] < '0' || name[j] > '9' || num >= 1e8 {
			num = -1
			break
		}
		num = num*10 + int(name[j]-'0')
	}
	if name[0] == '0' && len(name) > 1 {
		num = -1
	}
	return name, num, s[i:], true
}
