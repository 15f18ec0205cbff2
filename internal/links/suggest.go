package links

import "unicode/utf8"

// scratch holds the buffers of distance so that scanning thousands of
// candidate names does not allocate for each.
type scratch struct {
	a, b       []rune
	prev, curr []int
}

// distance returns the Levenshtein distance between a and b counted in code
// points, or limit+1 as soon as it is certain to exceed limit. Candidates
// whose lengths differ by more than limit cost nothing.
func (s *scratch) distance(a, b string, limit int) int {
	if a == b {
		return 0
	}
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	if la-lb > limit || lb-la > limit {
		return limit + 1
	}
	s.a = append(s.a[:0], []rune(a)...)
	s.b = append(s.b[:0], []rune(b)...)
	ra, rb := s.a, s.b
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
	return min(prev[lb], limit+1)
}
