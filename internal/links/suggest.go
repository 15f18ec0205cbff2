package links

import "unicode/utf8"

// scratch holds the buffers of distance so that scanning thousands of
// candidate names allocates nothing per candidate.
type scratch struct {
	pattern string
	m       int
	ascii   [128]uint64
	other   map[rune]uint64
	prev    []int
	curr    []int
}

// distance returns the Levenshtein distance between a and b counted in code
// points, or limit+1 when it exceeds limit. Suggestions compare one name
// with every name of the vault, so the common case (a up to 64 code points)
// uses Myers' bit-parallel algorithm (Hyyrö's formulation), linear in b;
// longer names fall back to the classic dynamic programme.
func (s *scratch) distance(a, b string, limit int) int {
	if a == b {
		return 0
	}
	if s.pattern != a || s.m == 0 && a != "" {
		s.compile(a)
	}
	// Cheap bounds before any work: b has between len(b)/4 and len(b)
	// code points.
	if len(b) < s.m-limit || len(b)/utf8.UTFMax > s.m+limit {
		return limit + 1
	}
	if s.m > 64 {
		return min(s.dp(a, b, limit), limit+1)
	}
	if s.m == 0 {
		return min(utf8.RuneCountInString(b), limit+1)
	}
	pv, mv := ^uint64(0), uint64(0)
	score := s.m
	high := uint64(1) << (s.m - 1)
	n := 0
	for _, r := range b {
		n++
		var eq uint64
		if r < 128 {
			eq = s.ascii[r]
		} else {
			eq = s.other[r]
		}
		xv := eq | mv
		xh := (((eq & pv) + pv) ^ pv) | eq
		ph := mv | ^(xh | pv)
		mh := pv & xh
		if ph&high != 0 {
			score++
		} else if mh&high != 0 {
			score--
		}
		ph = ph<<1 | 1
		mh <<= 1
		pv = mh | ^(xv | ph)
		mv = ph & xv
	}
	if n-s.m > limit || s.m-n > limit {
		return limit + 1
	}
	return min(score, limit+1)
}

// compile prepares the pattern's match masks.
func (s *scratch) compile(a string) {
	s.pattern, s.m = a, 0
	clear(s.ascii[:])
	clear(s.other)
	for _, r := range a {
		if s.m < 64 {
			bit := uint64(1) << s.m
			if r < 128 {
				s.ascii[r] |= bit
			} else {
				if s.other == nil {
					s.other = map[rune]uint64{}
				}
				s.other[r] |= bit
			}
		}
		s.m++
	}
}

// dp is the classic two-row Levenshtein programme with an early exit once
// every cell of a row exceeds limit.
func (s *scratch) dp(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	la, lb := len(ra), len(rb)
	if la-lb > limit || lb-la > limit {
		return limit + 1
	}
	if cap(s.prev) < lb+1 {
		s.prev, s.curr = make([]int, lb+1), make([]int, lb+1)
	}
	prev, curr := s.prev[:lb+1], s.curr[:lb+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		curr[0] = i
		rowMin := curr[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			curr[j] = min(prev[j]+1, curr[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, curr[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, curr = curr, prev
	}
	return prev[lb]
}

// nameTrie holds every name key of a vault by code point, so that finding
// the closest names computes the edit distance rows of a shared prefix once
// and abandons a prefix as soon as every cell of its row is too far: with
// thousands of similar names ("meeting 2024-01-01", ...) that visits a few
// hundred nodes instead of scanning every name.
type nameTrie struct {
	nodes []trieNode
}

type trieNode struct {
	r        rune
	children []int32 // indexes into nodes
	path     string  // the path a suggestion names, at the end of a key
}

func buildTrie(names []nameEntry) *nameTrie {
	t := &nameTrie{nodes: []trieNode{{}}}
	for _, e := range names {
		n := int32(0)
		for _, r := range e.key {
			next := int32(-1)
			for _, c := range t.nodes[n].children {
				if t.nodes[c].r == r {
					next = c
					break
				}
			}
			if next < 0 {
				next = int32(len(t.nodes))
				t.nodes = append(t.nodes, trieNode{r: r})
				t.nodes[n].children = append(t.nodes[n].children, next)
			}
			n = next
		}
		if p := t.nodes[n].path; p == "" || pathLess(e.path, p) {
			t.nodes[n].path = e.path
		}
	}
	return t
}

// closest returns the path of the name nearest to want within limit edits
// (ties: the shorter path, then byte order), or "". It searches with one
// edit first, then more: most typos are one or two edits away, and a tight
// bound prunes the trie hardest.
func (t *nameTrie) closest(want string, limit int) string {
	for l := min(1, limit); l <= limit; l++ {
		if p := t.search(want, l); p != "" {
			return p
		}
	}
	return ""
}

func (t *nameTrie) search(want string, limit int) string {
	w := []rune(want)
	s := trieSearch{t: t, want: w, best: "", bestD: limit}
	row := make([]int, len(w)+1)
	for j := range row {
		row[j] = j
	}
	if p := t.nodes[0].path; p != "" && len(w) <= limit {
		s.best, s.bestD = p, len(w)
	}
	s.rows = [][]int{row}
	for _, c := range t.nodes[0].children {
		s.visit(c, 1)
	}
	return s.best
}

type trieSearch struct {
	t     *nameTrie
	want  []rune
	rows  [][]int // rows[d] is the distance row after d code points
	best  string
	bestD int // the best distance so far, or the limit: prune beyond it
}

func (s *trieSearch) visit(n int32, depth int) {
	node := &s.t.nodes[n]
	prev := s.rows[depth-1]
	if len(s.rows) <= depth {
		s.rows = append(s.rows, make([]int, len(s.want)+1))
	}
	cur := s.rows[depth]
	cur[0] = prev[0] + 1
	rowMin := cur[0]
	for j := 1; j <= len(s.want); j++ {
		cost := 1
		if s.want[j-1] == node.r {
			cost = 0
		}
		cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		rowMin = min(rowMin, cur[j])
	}
	if d := cur[len(s.want)]; node.path != "" && (d < s.bestD || d == s.bestD && (s.best == "" || pathLess(node.path, s.best))) {
		s.best, s.bestD = node.path, d
	}
	if rowMin > s.bestD {
		return // every extension of this prefix is farther than the best
	}
	for _, c := range node.children {
		s.visit(c, depth+1)
	}
}
