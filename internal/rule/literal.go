package rule

import (
	"regexp/syntax"
)

// requiredLiteral returns a string that every match of the pattern must
// contain, or "" when there is none worth checking. The engine tests it with
// bytes.Contains before running the regex: most files of a tree do not match
// most rules, and a substring search is far cheaper than the regex engine (the
// same trick ripgrep uses).
func requiredLiteral(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	return longest(re.Simplify())
}

func longest(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return ""
		}
		return string(re.Rune)
	case syntax.OpCapture:
		return longest(re.Sub[0])
	case syntax.OpPlus:
		return longest(re.Sub[0]) // at least one repetition
	case syntax.OpConcat:
		best := ""
		for _, s := range re.Sub {
			if l := longest(s); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}
