package findings

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/scribe-md/scribe/internal/action"
)

// Limits bound what a Store keeps. Zero values take the defaults.
type Limits struct {
	// PerFile is how many findings are kept per file (default 100).
	PerFile int
	// Total is how many findings are kept in all (default 50,000).
	Total int
}

// Defaults of Limits, and the longest message kept (longer ones are cut).
const (
	DefaultPerFile = 100
	DefaultTotal   = 50_000
	MaxMessage     = 1024
)

// Item is one finding of one file: the file's root (absolute directory) and
// the finding as its rule reported it.
type Item struct {
	Root string `json:"root"`
	action.Finding
}

// Count is how many findings of one rule and severity there are.
type Count struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	N        int    `json:"n"`
}

type key struct{ root, path string }

type ruleSev struct{ rule, severity string }

// entry is one file's findings: the first kept, all counted.
type entry struct {
	kept   []action.Finding
	n      int // how many the rules reported
	counts map[ruleSev]int
}

// Store holds the current findings of every file.
type Store struct {
	lim Limits

	mu     sync.Mutex
	files  map[key]*entry
	kept   int // findings kept, ≤ lim.Total
	counts map[ruleSev]int
	dirty  bool
}

// New returns an empty store.
func New(lim Limits) *Store {
	if lim.PerFile <= 0 {
		lim.PerFile = DefaultPerFile
	}
	if lim.Total <= 0 {
		lim.Total = DefaultTotal
	}
	return &Store{lim: lim, files: map[key]*entry{}, counts: map[ruleSev]int{}}
}

// identity is what makes two findings the same for Set's "new" test.
type identity struct {
	path, rule, action, severity, message string
	line, column                          int
}

func idOf(f action.Finding) identity {
	return identity{f.Path, f.Rule, f.Action, string(f.Severity), f.Message, f.Line, f.Column}
}

// Set makes fs the findings of path in root, replacing what it had. It
// returns the findings that were not among the previous ones (in the order
// given, at most Limits.PerFile) and how many of the previous ones are gone.
func (s *Store) Set(root, path string, fs []action.Finding) (added []action.Finding, gone int) {
	k := key{root, path}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.files[k]
	if old == nil && len(fs) == 0 {
		return nil, 0
	}
	prev := map[identity]int{}
	if old != nil {
		for _, f := range old.kept {
			prev[idOf(f)]++
		}
		s.drop(k, old)
	}
	if len(fs) == 0 {
		return nil, old.n
	}
	e := &entry{n: len(fs), counts: map[ruleSev]int{}}
	room := min(s.lim.PerFile, s.lim.Total-s.kept)
	for i, f := range fs {
		rs := ruleSev{f.Rule, string(f.Severity)}
		e.counts[rs]++
		s.counts[rs]++
		if i >= room {
			continue
		}
		f.Message = cut(f.Message)
		f.Suggestion = cut(f.Suggestion)
		e.kept = append(e.kept, f)
		if id := idOf(f); prev[id] > 0 {
			prev[id]--
		} else {
			added = append(added, f)
		}
	}
	for _, n := range prev {
		gone += n
	}
	if old != nil && old.n > len(old.kept) {
		// Findings past the cap were never compared: count what the
		// numbers say.
		gone = max(gone, old.n-e.n)
	}
	s.kept += len(e.kept)
	s.files[k] = e
	s.dirty = true
	return added, gone
}

// Remove forgets path's findings (the file is gone) and returns how many it
// had.
func (s *Store) Remove(root, path string) int {
	k := key{root, path}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.files[k]
	if e == nil {
		return 0
	}
	s.drop(k, e)
	return e.n
}

// drop removes e, the entry of k, and its counts. s.mu is held.
func (s *Store) drop(k key, e *entry) {
	for rs, n := range e.counts {
		if s.counts[rs] -= n; s.counts[rs] <= 0 {
			delete(s.counts, rs)
		}
	}
	s.kept -= len(e.kept)
	delete(s.files, k)
	s.dirty = true
}

// Paths returns the files of root that have findings.
func (s *Store) Paths(root string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.files {
		if k.root == root {
			out = append(out, k.path)
		}
	}
	return out
}

// Counts returns how many findings there are by rule and severity (all of
// them, kept or only counted), and how many files have any.
func (s *Store) Counts() ([]Count, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Count, 0, len(s.counts))
	for rs, n := range s.counts {
		out = append(out, Count{Rule: rs.rule, Severity: rs.severity, N: n})
	}
	sortCounts(out)
	return out, len(s.files)
}

func sortCounts(cs []Count) {
	slices.SortFunc(cs, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Severity, b.Severity))
	})
}

func cut(s string) string {
	if len(s) <= MaxMessage {
		return s
	}
	return strings.ToValidUTF8(s[:MaxMessage], "") + "…"
}
