package config

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a configuration file, with where it is and, when
// there is one, what to do about it.
type Error struct {
	// File is the configuration file's name as given to Load or LoadBytes.
	File string
	// Line and Column are 1-based; 0 means the position is unknown (a file
	// that cannot be read, say).
	Line, Column int
	// Path is the field path, e.g. "rules[0].actions[1].frontmatter.set";
	// "" for the file as a whole.
	Path string
	// Message says what is wrong, in plain words.
	Message string
	// Hint says what to do about it ("" when there is nothing to add).
	Hint string

	cause error
	// missing is, for a required field that is absent, its name: the
	// error is about that field, not the rest of the object (Config.Invalid).
	missing string
}

// Error formats e as "FILE:LINE:COL: PATH: MESSAGE", followed by
// "\n  hint: HINT" when there is a hint. Parts that are unknown are left out.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(":")
		b.WriteString(strconv.Itoa(max(e.Column, 1)))
		b.WriteString(":")
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Hint != "" {
		b.WriteString("\n  hint: ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error (an *fs.PathError, say), if any.
func (e *Error) Unwrap() error { return e.cause }

// Errors is every problem found in a configuration, sorted by position.
type Errors []*Error

// Error joins the errors with newlines.
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap lets errors.Is and errors.As look into every error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sorted returns es ordered by line, column, path and message, without exact
// duplicates (two schema branches can report the same problem).
func (es Errors) sorted() Errors {
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Message, b.Message),
		)
	})
	out = slices.CompactFunc(out, func(a, b *Error) bool {
		return a.Line == b.Line && a.Column == b.Column && a.Path == b.Path &&
			a.Message == b.Message && a.Hint == b.Hint
	})
	if len(out) > maxReported {
		// A broken or hostile file (forty thousand duplicate keys) must not
		// flood the terminal; the first problems are the ones to fix.
		rest := out[maxReported]
		out = append(out[:maxReported:maxReported], &Error{File: rest.File, Line: rest.Line, Column: rest.Column,
			Message: fmt.Sprintf("%d more problems not shown", len(out)-maxReported), Hint: "fix the ones above first"})
	}
	return out
}

// maxReported bounds the problems listed for one file.
const maxReported = 20

// DidYouMean returns a hint naming the candidate closest to word, or "" when
// none is close enough to be a likely typo.
func DidYouMean(word string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		if bestD < 0 || d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(1, min(len(word), len(best))/3) {
		return ""
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// DidYouMeanName returns DidYouMean's hint for the name that a condition's
// compile error says it does not know (expr's "unknown name X"), among
// names, or "".
func DidYouMeanName(err error, names ...string) string {
	if m := unknownName.FindStringSubmatch(err.Error()); m != nil {
		return DidYouMean(m[1], names)
	}
	return ""
}

// unknownName finds the name in expr's error for one it does not know.
var unknownName = regexp.MustCompile(`unknown name (\S+)`)

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and adjacent transpositions cost 1, so
// "settel" is one step from "settle".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		// Keys that long are not typos of ours; avoid quadratic work.
		return max(len(ra), len(rb))
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
