package safefile

import (
	"math/bits"
	"sync"
)

// The buffers of reads through a Dir are pooled by size class, powers of two
// from 1 KiB to 1 MiB, so that a run reading thousands of notes reuses a
// handful of buffers instead of allocating (and zeroing) one per file.
// Larger files get a buffer of their own. Read and ReadRaw allocate the
// content's own size, since their callers keep it.
const (
	minBufShift = 10 // 1 KiB
	maxBufShift = 20 // 1 MiB
)

var bufPools [maxBufShift - minBufShift + 1]sync.Pool

// getBuf returns a buffer of length 0 and a capacity of at least n: the
// smallest size class that holds n, from its pool when one is free.
func getBuf(n int64) *[]byte {
	shift := minBufShift
	if n > 1<<minBufShift {
		shift = bits.Len64(uint64(n - 1))
	}
	if shift > maxBufShift {
		b := make([]byte, 0, n)
		return &b
	}
	if p, ok := bufPools[shift-minBufShift].Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 0, 1<<shift)
	return &b
}

// putBuf gives p back to its pool (a read that outgrew it left p as it
// was, holding the whole buffer). A buffer of no size class is left to the
// collector.
func putBuf(p *[]byte) {
	if p == nil {
		return
	}
	c := cap(*p)
	shift := bits.Len(uint(c)) - 1
	if c != 1<<shift || shift < minBufShift || shift > maxBufShift {
		return
	}
	*p = (*p)[:0]
	bufPools[shift-minBufShift].Put(p)
}

// Release gives the buffer of s's content back for later reads through a
// Dir (a snapshot from Read has no pooled buffer: Release only drops it).
// Call it only once nothing refers to s.Content (nor to any part of it) any
// more: the next read may overwrite those bytes. s must not be used
// afterwards. Releasing is optional; a snapshot never released is collected
// as usual.
func (s *Snapshot) Release() {
	putBuf(s.buf)
	s.buf, s.Content = nil, nil
}
