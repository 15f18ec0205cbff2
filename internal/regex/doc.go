// Package regex runs a rule's regular expression (Go's regexp, RE2 syntax)
// with regexp's exact results, faster on the shapes Markdown rules use most.
//
// Go's regexp skips ahead with a substring search only when a pattern starts
// with a literal. A rule's pattern nearly always starts with `(?m)^`: a
// `TODO:` line, a front-matter key, a callout. regexp then tries the pattern
// at every byte of the file, about 30 ns a byte on the machine of
// doc/PERFORMANCE.md, which made it a tenth of the daemon's CPU in a burst
// of saves. Two shortcuts avoid that work and give the same answer:
//
//   - A literal that every match contains (`TODO: ` in `(?m)^TODO: (.+)$`)
//     is looked for first with bytes.Index; without it there is no match.
//   - When every match begins a line with a literal (`(?m)^LIT…`), the only
//     places a match can start are the line starts followed by LIT. The
//     search finds the first such place with bytes.Index and runs regexp on
//     the text from there. That text gives the same matches as the whole:
//     the pattern's only look at the text before its start is `^`, which
//     holds at both, and every later position sees the same bytes around it.
//
// Any other pattern runs as regexp runs it. FuzzSameAsRegexp holds every
// result to regexp's on the same pattern and text.
//
// # Usage
//
//	re, err := regex.Compile(`(?m)^TODO: (.+)$`)
//	loc := re.FindSubmatchIndex(content)
//	all := re.FindAllSubmatchIndex(content, -1)
//
// A Regexp embeds its *regexp.Regexp: the methods it does not define (Expand,
// SubexpNames, String, …) are regexp's own. Like a regexp.Regexp, it is safe
// for concurrent use.
package regex
