package wasm

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Rewriting a module's data section.
//
// Go's linker (cmd/link, wasm) splits the data of a program at every run of
// more than 8 zero bytes, which gives a small plugin ≈40,000 active data
// segments. wazero applies them one by one at every instantiation (a
// constant expression evaluated, a slice allocated, a small copy each):
// more than half of a Go plugin's instantiation. mergeData joins the
// segments whose gaps are small into a few large ones, writing the gaps'
// zeros explicitly, so that instantiation is a few large copies.
//
// The rewrite keeps the meaning of the module exactly. Segments that do
// not overlap write disjoint bytes, so the order they are applied in does
// not matter and they may be sorted by offset (Go's linker emits each of
// its data sections in order, but not the sections). A fresh memory is all
// zeros, so writing zeros into a gap that no segment touches changes
// nothing. A merged segment ends where its last original ended, so a
// segment that does not fit the memory still fails instantiation (and a
// failed instantiation leaves no memory behind to differ). The rewrite
// applies only where this argument holds: every segment active in memory 0
// at an i32.const offset, no two overlapping, and no data count section
// (whose presence means the code may name segments by index, in
// memory.init or data.drop). Anything else leaves the module as it is
// (errNotMergeable).

// maxGap is the largest run of zeros written explicitly to join two
// segments. A segment costs wazero ≈125 ns to apply, about the time to
// copy 1 KiB, so joining across gaps a few times that is a gain.
const maxGap = 4 << 10

const (
	sectionData      = 11
	sectionDataCount = 12
)

var (
	wasmHeader      = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	errNotMergeable = errors.New("the data section is not a plain list of ordered constant-offset segments")
)

// segment is one active data segment of memory 0 at a constant offset.
type segment struct {
	head   []byte // flags and offset expression, as in the module
	offset uint32
	init   []byte
}

// mergeData returns module with its data segments joined where the gap
// between two is at most maxGap, and the number of segments before and
// after. A module it cannot read, or whose data section does not fit the
// rules above, is returned with an error (errNotMergeable for the latter):
// the caller compiles the original, and wazero reports what is wrong with
// it.
func mergeData(module []byte) (out []byte, before, after int, err error) {
	secs, err := sections(module)
	if err != nil {
		return nil, 0, 0, err
	}
	var data *section
	for i := range secs {
		switch secs[i].id {
		case sectionDataCount:
			return nil, 0, 0, errNotMergeable
		case sectionData:
			if data != nil {
				return nil, 0, 0, fmt.Errorf("a second data section at byte %d", secs[i].at)
			}
			data = &secs[i]
		}
	}
	if data == nil {
		return nil, 0, 0, errNotMergeable
	}
	segs, err := readSegments(data.payload)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("data section at byte %d: %w", data.at, err)
	}
	merged := joinSegments(segs)
	if len(merged) == len(segs) {
		return nil, len(segs), len(segs), errNotMergeable
	}

	var body []byte
	body = appendULEB(body, uint32(len(merged)))
	for _, s := range merged {
		body = append(body, s.head...)
		body = appendULEB(body, uint32(len(s.init)))
		body = append(body, s.init...)
	}
	out = make([]byte, 0, len(module)-len(data.raw)+len(body)+6)
	out = append(out, wasmHeader...)
	for _, s := range secs {
		if s.id != sectionData {
			out = append(out, s.raw...)
			continue
		}
		out = append(out, sectionData)
		out = appendULEB(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out, len(segs), len(merged), nil
}

// section is one section of a module: its id, where it starts, and its
// bytes (id and size included) and payload as slices of the module.
type section struct {
	id      byte
	at      int
	raw     []byte
	payload []byte
}

// sections splits a module into its sections.
func sections(module []byte) ([]section, error) {
	if !bytes.HasPrefix(module, wasmHeader) {
		return nil, errors.New("not a WebAssembly binary module (version 1)")
	}
	var out []section
	pos := len(wasmHeader)
	for pos < len(module) {
		start := pos
		id := module[pos]
		size, n, err := uleb32(module[pos+1:])
		if err != nil {
			return nil, fmt.Errorf("section at byte %d: %w", start, err)
		}
		pos += 1 + n
		if uint64(pos)+uint64(size) > uint64(len(module)) {
			return nil, fmt.Errorf("section %d at byte %d: %d bytes past the end of the module", id, start, uint64(pos)+uint64(size)-uint64(len(module)))
		}
		end := pos + int(size)
		out = append(out, section{id: id, at: start, raw: module[start:end], payload: module[pos:end]})
		pos = end
	}
	return out, nil
}

// readSegments parses a data section's payload and returns its segments
// sorted by offset, refusing (errNotMergeable) any segment that is not
// active in memory 0 at an i32.const offset, and segments that overlap.
func readSegments(data []byte) ([]segment, error) {
	count, n, err := uleb32(data)
	if err != nil {
		return nil, fmt.Errorf("segment count: %w", err)
	}
	pos := n
	// Each segment takes at least 4 bytes: never trust count for the
	// allocation alone.
	segs := make([]segment, 0, min(uint64(count), uint64(len(data)/4)))
	for i := range count {
		start := pos
		flags, n, err := uleb32(data[pos:])
		if err != nil {
			return nil, fmt.Errorf("segment %d: %w", i, err)
		}
		pos += n
		if flags != 0 { // 1: passive, 2: explicit memory index
			return nil, errNotMergeable
		}
		if pos >= len(data) || data[pos] != 0x41 { // i32.const
			return nil, errNotMergeable
		}
		v, n, err := sleb32(data[pos+1:])
		if err != nil {
			return nil, fmt.Errorf("segment %d offset: %w", i, err)
		}
		pos += 1 + n
		if pos >= len(data) || data[pos] != 0x0b { // end
			return nil, errNotMergeable
		}
		pos++
		head := data[start:pos]
		size, n, err := uleb32(data[pos:])
		if err != nil {
			return nil, fmt.Errorf("segment %d size: %w", i, err)
		}
		pos += n
		if uint64(pos)+uint64(size) > uint64(len(data)) {
			return nil, fmt.Errorf("segment %d: %d bytes past the end of the section", i, uint64(pos)+uint64(size)-uint64(len(data)))
		}
		// The offset is read as unsigned, as the specification says.
		segs = append(segs, segment{head: head, offset: uint32(v), init: data[pos : pos+int(size)]})
		pos += int(size)
	}
	if pos != len(data) {
		return nil, fmt.Errorf("%d bytes after the last segment", len(data)-pos)
	}
	slices.SortStableFunc(segs, func(a, b segment) int { return cmp.Compare(a.offset, b.offset) })
	var end uint64 // where the previous segment ends
	for _, s := range segs {
		if uint64(s.offset) < end {
			return nil, errNotMergeable
		}
		end = uint64(s.offset) + uint64(len(s.init))
	}
	return segs, nil
}

// joinSegments joins sorted, disjoint segments whose gap is at most
// maxGap; the joined segment keeps the first one's offset expression.
func joinSegments(segs []segment) []segment {
	var out []segment
	for i := 0; i < len(segs); {
		j := i + 1
		end := uint64(segs[i].offset) + uint64(len(segs[i].init))
		for j < len(segs) && uint64(segs[j].offset)-end <= maxGap {
			end = uint64(segs[j].offset) + uint64(len(segs[j].init))
			j++
		}
		if j == i+1 {
			out = append(out, segs[i])
			i = j
			continue
		}
		base := segs[i].offset
		init := make([]byte, end-uint64(base))
		for _, s := range segs[i:j] {
			copy(init[s.offset-base:], s.init)
		}
		out = append(out, segment{head: segs[i].head, offset: base, init: init})
		i = j
	}
	return out
}

var errLEB = errors.New("malformed LEB128 number")

// uleb32 decodes an unsigned LEB128 number of at most 32 bits.
func uleb32(b []byte) (uint32, int, error) {
	var v uint64
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, errLEB
		}
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if v > 1<<32-1 {
				return 0, 0, errLEB
			}
			return uint32(v), i + 1, nil
		}
	}
	return 0, 0, errLEB
}

// sleb32 decodes a signed LEB128 number of at most 32 bits.
func sleb32(b []byte) (int32, int, error) {
	var v int64
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, errLEB
		}
		v |= int64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if shift := 7 * (i + 1); shift < 64 && b[i]&0x40 != 0 {
				v |= -1 << shift
			}
			if v < -1<<31 || v > 1<<31-1 {
				return 0, 0, errLEB
			}
			return int32(v), i + 1, nil
		}
	}
	return 0, 0, errLEB
}

func appendULEB(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
