package rule

import (
	"slices"

	"github.com/scribe-md/scribe/internal/action"
)

// What a rule is made of, for `scribe explain`: the engine decides with
// MatchPath (ExplainPath), MatchContent and Eval; these say what those
// looked at.

// Files returns the rule's file globs: its own, or the configuration's
// include when it names none (FilesFromInclude).
func (r *Rule) Files() []string { return slices.Clone(r.files) }

// FilesFromInclude reports whether Files are the configuration's include
// globs because the rule names none.
func (r *Rule) FilesFromInclude() bool { return r.include }

// Exclude returns the rule's own exclude globs.
func (r *Rule) Exclude() []string { return slices.Clone(r.exclude) }

// Pattern returns the rule's content regex as written ("" for none).
func (r *Rule) Pattern() string {
	if r.re == nil {
		return ""
	}
	return r.re.String()
}

// Condition returns the rule's `when` condition as written ("" for none).
func (r *Rule) Condition() string { return r.whenSrc }

// Input is one value a condition reads.
type Input struct {
	// Name is how the condition names it: fm.status, fm["a key"], origin,
	// path, match.1, match.name, or fm / match as a whole.
	Name string `json:"name"`
	// Value is what it held for the file: nil for a missing field.
	Value any `json:"value"`
}

// Inputs returns the values the rule's condition reads, in the order it
// first reads them, as Eval would see them for these arguments. With no
// condition it returns nil.
func (r *Rule) Inputs(fm map[string]any, path string, m *action.Match, origin action.Origin) []Input {
	if len(r.reads) == 0 {
		return nil
	}
	if fm == nil {
		fm = noFrontMatter
	}
	env := map[string]any{"fm": fm, "path": path, "match": matchVars(m), "origin": string(origin)}
	out := make([]Input, 0, len(r.reads))
	for _, rd := range r.reads {
		out = append(out, Input{Name: rd.Name(), Value: rd.Value(env)})
	}
	return out
}
