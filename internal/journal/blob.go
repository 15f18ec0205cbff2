package journal

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Codecs: the first byte of a blob value. New blobs are S2 or raw; zstd
// blobs, which journals written before S2 hold, are still read.
const (
	codecRaw  = 0
	codecZstd = 1
	codecS2   = 2
)

// packScratch holds the buffers S2 encodes into, sized for the worst case,
// so that the blob kept until its entry is applied is only as long as it
// needs to be.
var packScratch sync.Pool

// packBlob returns the blob value for content: S2-compressed when that is
// smaller, else stored as is (already compressed data, tiny files).
//
// S2 rather than zstd: a write's content is compressed on the write's own
// path, cold in the caches each time, where zstd's fastest level took
// about 80 µs a note and 8 % of the daemon's CPU in a burst of saves; S2
// takes a few microseconds and stores notes about a third larger
// (doc/PERFORMANCE.md, "The journal's content in S2").
func (j *Journal) packBlob(content []byte) []byte {
	n := s2.MaxEncodedLen(len(content))
	if n < 0 { // too large for S2's format; a journal stores less anyway
		return append([]byte{codecRaw}, content...)
	}
	bp, _ := packScratch.Get().(*[]byte)
	if bp == nil || cap(*bp) < n {
		b := make([]byte, n)
		bp = &b
	}
	z := s2.Encode((*bp)[:n], content)
	var out []byte
	if len(z) < len(content) {
		out = append(append(make([]byte, 0, 1+len(z)), codecS2), z...)
	} else {
		out = append([]byte{codecRaw}, content...)
	}
	if cap(*bp) <= 1<<20 { // keep the usual notes' buffers, not a rare huge one
		packScratch.Put(bp)
	}
	return out
}

// unpackBlob returns the content of a blob value (which may live in bbolt's
// memory map: the result never aliases it), checked against its size and hash.
func (j *Journal) unpackBlob(v []byte, raw uint64, hash []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("empty blob")
	}
	if raw > maxContent {
		return nil, fmt.Errorf("blob claims %d bytes, more than the %d a journal stores", raw, maxContent)
	}
	var content []byte
	switch v[0] {
	case codecRaw:
		content = bytes.Clone(v[1:])
		if content == nil {
			content = []byte{}
		}
	case codecS2:
		// The size S2 records must be the entry's before anything is
		// allocated: a damaged blob must not make a gigabyte of buffer.
		n, err := s2.DecodedLen(v[1:])
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		if uint64(n) != raw {
			return nil, fmt.Errorf("content has %d bytes, expected %d", n, raw)
		}
		content, err = s2.Decode(make([]byte, n), v[1:])
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
	case codecZstd:
		dec, err := j.zstdDecoder()
		if err != nil {
			return nil, err
		}
		// Size the buffer from the recorded size, but only up to a point: a
		// damaged size must not make a small blob allocate a gigabyte.
		content, err = dec.DecodeAll(v[1:], make([]byte, 0, min(raw, 16<<20)))
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown codec %d", v[0])
	}
	if uint64(len(content)) != raw {
		return nil, fmt.Errorf("content has %d bytes, expected %d", len(content), raw)
	}
	if h := sha256.Sum256(content); !bytes.Equal(h[:], hash) {
		return nil, fmt.Errorf("content does not match its sha256")
	}
	return content, nil
}

// zstdDecoder returns the journal's zstd decoder, made at the first zstd
// blob read: only journals written before S2 hold any.
func (j *Journal) zstdDecoder() (*zstd.Decoder, error) {
	j.zstd.once.Do(func() {
		j.zstd.dec, j.zstd.err = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxContent), zstd.WithDecoderConcurrency(2))
		if j.zstd.err != nil {
			j.zstd.err = fmt.Errorf("zstd decoder: %w", j.zstd.err)
		}
	})
	return j.zstd.dec, j.zstd.err
}
