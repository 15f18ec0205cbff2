package findings

import (
	"cmp"
	"slices"
	"strings"
)

// Query selects findings. Empty fields match everything.
type Query struct {
	// Rule is a rule id.
	Rule string
	// Severity is error, warning or info.
	Severity string
	// Path is a file's path relative to its root, or a directory prefix
	// ending in "/".
	Path string
	// Root is a root's absolute directory.
	Root string
	// Limit bounds the findings listed (default 100, at most MaxLimit);
	// Offset skips that many first.
	Limit, Offset int
}

// MaxLimit is the most findings one Page lists.
const MaxLimit = 10_000

// Page is the answer to a Query.
type Page struct {
	// Total is how many findings match, listed or not; Files how many
	// files they are in.
	Total int `json:"total"`
	Files int `json:"files"`
	// Counts are the matching findings by rule and severity, most first.
	Counts []Count `json:"counts"`
	// Findings are the matching findings kept, ordered by root, path, line
	// and column, from Offset, at most Limit.
	Findings []Item `json:"findings"`
	// Next is the Offset of the next page, 0 when this is the last.
	Next int `json:"next,omitempty"`
	// Omitted is how many matching findings are counted but not kept
	// (over Limits.PerFile or Limits.Total): no page lists them.
	Omitted int `json:"omitted,omitempty"`
	// Capped is set when Limits.Total kept some file's findings from being
	// stored.
	Capped bool `json:"capped,omitempty"`
}

// Query returns the findings q selects.
func (s *Store) Query(q Query) Page {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, MaxLimit)
	q.Offset = max(q.Offset, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := Page{Counts: []Count{}, Findings: []Item{}}
	counts := map[ruleSev]int{}
	var items []Item
	for k, e := range s.files {
		if q.Root != "" && k.root != q.Root || !pathMatches(q.Path, k.path) {
			continue
		}
		n := 0
		for rs, c := range e.counts {
			if (q.Rule == "" || rs.rule == q.Rule) && (q.Severity == "" || rs.severity == q.Severity) {
				counts[rs] += c
				n += c
			}
		}
		if n == 0 {
			continue
		}
		p.Files++
		p.Total += n
		listed := 0
		for _, f := range e.kept {
			if (q.Rule == "" || f.Rule == q.Rule) && (q.Severity == "" || string(f.Severity) == q.Severity) {
				items = append(items, Item{Root: k.root, Finding: f})
				listed++
			}
		}
		p.Omitted += n - listed
		if len(e.kept) < min(e.n, s.lim.PerFile) {
			p.Capped = true
		}
	}
	for rs, n := range counts {
		p.Counts = append(p.Counts, Count{Rule: rs.rule, Severity: rs.severity, N: n})
	}
	sortCounts(p.Counts)
	slices.SortFunc(items, func(a, b Item) int {
		return cmp.Or(strings.Compare(a.Root, b.Root), strings.Compare(a.Path, b.Path),
			cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), strings.Compare(a.Rule, b.Rule), strings.Compare(a.Message, b.Message))
	})
	if q.Offset < len(items) {
		end := min(q.Offset+q.Limit, len(items))
		p.Findings = append(p.Findings, items[q.Offset:end]...)
		if end < len(items) {
			p.Next = end
		}
	}
	return p
}

func pathMatches(want, path string) bool {
	switch {
	case want == "":
		return true
	case strings.HasSuffix(want, "/"):
		return strings.HasPrefix(path, want)
	default:
		return path == want
	}
}
