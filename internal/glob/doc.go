// Package glob matches slash-separated paths against doublestar patterns
// (`*` and `?` within a path element, `**` across elements, `[abc]`,
// `{a,b}`), fast for the shapes configurations use most.
//
// Every file of a walk and of a run is matched against every include,
// exclude and rule glob, and nearly all of them are `**/*.md` or alike:
// `**/*LIT` is a suffix test on the name, `**/P` a match on the name alone,
// and the top-level forms likewise; any other pattern goes to doublestar.
// FuzzGlob and FuzzSuffixAnyPath hold the shortcuts to doublestar.
//
// # Usage
//
//	if !glob.Valid(p) { ... }   // report the bad pattern
//	g := glob.Compile(p)
//	g.MatchPath("notes/a.md")
//
// A Glob is immutable and safe for concurrent use.
package glob
