package journal

import (
	"bytes"
	"crypto/sha256"
	"fmt"
)

// Codecs: the first byte of a blob value.
const (
	codecRaw  = 0
	codecZstd = 1
)

// packBlob returns the blob value for content: zstd-compressed when that is
// smaller, else stored as is (already compressed data, tiny files).
func (j *Journal) packBlob(content []byte) []byte {
	z := j.enc.EncodeAll(content, []byte{codecZstd})
	if len(z) < 1+len(content) {
		return z
	}
	return append([]byte{codecRaw}, content...)
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
	case codecZstd:
		var err error
		// Size the buffer from the recorded size, but only up to a point: a
		// damaged size must not make a small blob allocate a gigabyte.
		content, err = j.dec.DecodeAll(v[1:], make([]byte, 0, min(raw, 16<<20)))
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
