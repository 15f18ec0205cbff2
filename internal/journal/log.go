package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The log in front of the store. A bbolt commit writes every page its
// change touched, the branch pages above them and a meta page, with an
// fdatasync before and after the meta page: for one entry about ten pages
// and two flushes of the disk's cache. Record instead appends the entry, its
// content included, to a log file next to the store, with one write and one
// fsync for every Record of the moment (group commit, no timer), and the
// log is copied into the store every applyEvery entries or applyBytes
// bytes, in the background. Until then the entries live in memory too
// (pending); every read of entries applies them first, so readers never see
// the difference.
//
// The log is a series of segment files, <journal>-log.<n>. Copying rotates
// to a new segment first, so Records go on while the old one is applied,
// and deletes the old one once its entries are committed. A frame is
// uvarint(len(payload)) payload crc32c(payload); an open reads every
// segment, stops at the first torn or damaged frame of each, and takes the
// entries whose ID is above the store's sequence (IDs are given in log
// order, and the store's sequence is the last ID applied) as pending, the
// segments as set aside: they are copied with the next copy. An entry is
// therefore durable once its frame is, and applied exactly once.
//
// A segment is written ahead with zeros (growAhead), and frames overwrite
// them in place: an append then changes neither the file's size nor its
// blocks, so an fdatasync flushes the frames' data alone. An append to the
// end of a file makes every flush write the file's inode too (its size
// changed), and on ext4 the block bitmaps and extents of the blocks it
// allocated. Only an append that reaches past the zeros writes more of them
// and takes an fsync. A replay stops at the zeros as at any torn frame
// (a zero length decodes as no entry).
//
// Close does not copy: what the log holds is durable, and the next open
// takes it up, so a one-shot run or a daemon's stop does not wait for a
// copy (the last 1,000 entries of a run of 2,000 writes took 8 bbolt
// commits after its last write). Only when more than maxLeftSegments
// segments are left (many short processes, each leaving a few entries), or
// a copy's worth of entries (a crash can leave up to two), does an open
// copy them at once, so that neither the files nor the memory they take
// pile up.

const (
	// logInfix names the segment files: journal.db-log.1, ...
	logInfix = "-log."
	// applyEvery and applyBytes are how many entries, and how many bytes
	// of them, the log gathers before they are copied into the store:
	// each copy is a burst of page writes and fsyncs that the saves of
	// the moment wait behind, so copies are rare.
	applyEvery = 1024
	applyBytes = 4 << 20
	// applyChunk bounds the entries of one transaction of a copy. A
	// transaction holds a node in memory for every page it touches, and
	// entries land all over the store's trees: in the million-file
	// scenario, 1,024 entries a transaction raised the daemon's peak RSS
	// from 229 to 273 MiB (doc/PERFORMANCE.md).
	applyChunk = 256
	// maxFramesBuf bounds the frame buffer a leader leaves to the next:
	// a batch's frames are the content of the writes of a moment, and one
	// burst's large batch should not stay in memory for good.
	maxFramesBuf = 1 << 20
	// maxLeftSegments is how many segments an open takes up as they are;
	// more are copied into the store at once.
	maxLeftSegments = 8
	// minFrame is less than the smallest frame: length, ID, an entry of
	// format, time, root, path and rule, flags and a hash, sizes, CRC.
	minFrame = 40
	// minAhead and maxAhead bound how many zeros an append that reaches
	// past a segment's zeros writes ahead: as many as the segment holds
	// already, so a one-shot run that writes one file writes 64 KiB, and
	// a daemon's segment grows 1 MiB at a time.
	minAhead = 64 << 10
	maxAhead = 1 << 20
)

// zeros is what a segment is written ahead with, minAhead at a time: the
// pages a write reads it from count in the process's resident memory (a
// 1 MiB array raised a daemon's by as much).
var zeros [minAhead]byte

// releaseEvery is how many applied entries the journal's mapping may
// gather pages for before they are released (ReleaseMemory): a madvise per
// 256 writes, a fraction of a millisecond. Each write into a big journal
// maps pages all over its trees (random keys); in a million-file first pass
// the daemon's peak RSS was 376 MiB with releases only once the backlog
// drained, 335–338 MiB with one per 2,048 entries, and 269 MiB with one
// per 256 (doc/PERFORMANCE.md).
const releaseEvery = 256

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// logRec is one entry in the log.
type logRec struct {
	id    uint64
	root  string
	path  string
	entry []byte // encodeEntry
	hash  []byte // sha256 of the content replaced; nil for a created file
	raw   uint64 // its size
	blob  []byte // its packed content (packBlob); nil when hash is, or when an undo finds the store holds it
}

// appendFrame appends r's frame to dst: its length, its fields and their
// CRC, written in place (no buffer of its own per frame).
func (r *logRec) appendFrame(dst []byte) []byte {
	n := uvarintLen(r.id) + uvarintLen(uint64(len(r.entry))) + len(r.entry) +
		1 + len(r.hash) + uvarintLen(r.raw) + uvarintLen(uint64(len(r.blob))) + len(r.blob)
	dst = binary.AppendUvarint(slices.Grow(dst, binary.MaxVarintLen64+n+4), uint64(n))
	start := len(dst)
	dst = binary.AppendUvarint(dst, r.id)
	dst = binary.AppendUvarint(dst, uint64(len(r.entry)))
	dst = append(dst, r.entry...)
	dst = append(dst, byte(len(r.hash)))
	dst = append(dst, r.hash...)
	dst = binary.AppendUvarint(dst, r.raw)
	dst = binary.AppendUvarint(dst, uint64(len(r.blob)))
	dst = append(dst, r.blob...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], crcTable))
}

// uvarintLen is the length of v as binary.AppendUvarint writes it.
func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// size is an estimate of the memory r holds.
func (r *logRec) size() int { return 64 + len(r.entry) + len(r.hash) + len(r.blob) }

// readFrames decodes the frames of a segment up to the first torn or damaged
// one, and returns how many bytes follow the last whole frame.
func readFrames(b []byte) ([]*logRec, int) {
	var out []*logRec
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) || uint64(len(b)-k)-n < 4 {
			break
		}
		p := b[k : k+int(n)]
		if binary.LittleEndian.Uint32(b[k+int(n):]) != crc32.Checksum(p, crcTable) {
			break
		}
		r, ok := decodeFrame(p)
		if !ok {
			break
		}
		out = append(out, r)
		b = b[k+int(n)+4:]
	}
	return out, len(b)
}

func decodeFrame(p []byte) (*logRec, bool) {
	d := decoder{b: p}
	r := &logRec{id: d.uvarint()}
	r.entry = d.bytes(int(min(d.uvarint(), uint64(len(p)))))
	r.hash = d.bytes(int(d.byte()))
	r.raw = d.uvarint()
	r.blob = d.bytes(int(min(d.uvarint(), uint64(len(p)))))
	created := len(r.hash) == 0
	if d.err != nil || len(d.b) != 0 || r.id == 0 || !created && len(r.hash) != 32 || created != (len(r.blob) == 0) {
		return nil, false
	}
	e, err := decodeEntry(r.id, r.entry)
	if err != nil {
		return nil, false
	}
	r.root, r.path = e.Root, e.Path
	if len(r.hash) == 0 {
		r.hash, r.blob = nil, nil
	}
	return r, true
}

// entryLog is the journal's log: its current segment, the entries waiting to
// be applied and the group commit of appends.
type entryLog struct {
	mu   sync.Mutex
	idle sync.Cond // signalled when running goes false

	f      *os.File
	seg    uint64 // number of the current segment
	size   int64  // bytes of whole frames in it
	ahead  int64  // its length on disk: size, then zeros written ahead
	nextID uint64
	noSync bool // tests that do not test durability
	// frames is the leader's buffer for the frames it appends (see
	// writeFrames), kept for the next leader up to maxFramesBuf.
	frames []byte

	// running: a leader is appending (or an exclusive operation runs);
	// the others queue. excl counts exclusive operations waiting, which
	// leaders let in before handing the lead on.
	running bool
	queue   []*logReq
	excl    int

	pending      []*logRec // durable in the log, not yet in the store, in ID order
	pendingBytes int
	applying     bool     // an apply runs (its entries are no longer in pending)
	old          []string // rotated segments whose entries are not all applied
	retryAt      int      // after a failed copy, the pending count to try again at
	broken       error    // set when the log can take no more frames
}

type logReq struct {
	rec  *logRec
	done chan error
	lead chan struct{}
}

// segmentName is the file of segment n.
func (j *Journal) segmentName(n uint64) string {
	return j.path + logInfix + strconv.FormatUint(n, 10)
}

// segments returns the numbers of the log's segment files, in order.
func (j *Journal) segments() ([]uint64, error) { return segmentsOf(j.path) }

// segmentsOf returns the numbers of the segment files of the journal at
// path, in order.
func segmentsOf(path string) ([]uint64, error) {
	dir, base := filepath.Split(path)
	ents, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), base+logInfix)
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(rest, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// openLog takes up what a previous process left in the log: its entries
// not yet in the store become pending, to be copied with the next copy, and
// a new segment is started. Past maxLeftSegments segments, or as many
// entries or bytes as a copy takes, it copies them now and deletes them.
func (j *Journal) openLog() error {
	segs, err := j.segments()
	if err != nil {
		return fmt.Errorf("open journal log: %w", err)
	}
	var seq uint64
	if err := j.db.View(func(tx *bolt.Tx) error {
		seq = tx.Bucket(bucketEntries).Sequence()
		return nil
	}); err != nil {
		return fmt.Errorf("open journal log: %w", err)
	}
	var recs []*logRec
	last, gap := seq, uint64(0)
	for _, n := range segs {
		b, err := os.ReadFile(j.segmentName(n))
		if err != nil {
			return fmt.Errorf("replay journal log: %w", err)
		}
		frames, rest := readFrames(b)
		for _, r := range frames {
			if r.id > last {
				recs = append(recs, r)
				last = r.id
			}
		}
		// Bytes after the last whole frame, but for the zeros written
		// ahead: a torn write, or damage that hides whole frames behind
		// it. Their IDs may have been handed out, so new ones start past
		// as many as those bytes could hold.
		torn := bytes.TrimRight(b[len(b)-rest:], "\x00")
		gap += uint64(len(torn) / minFrame)
	}
	l := &j.log
	bytes := 0
	for _, r := range recs {
		bytes += r.size()
	}
	if len(segs) > maxLeftSegments || len(recs) >= applyEvery || bytes >= applyBytes {
		if _, err := j.applyAll(recs); err != nil {
			return fmt.Errorf("replay journal log %s: %w (move the %s%s* files aside to open the journal without the entries they hold)",
				j.segmentName(segs[0]), err, filepath.Base(j.path), logInfix)
		}
		for _, n := range segs {
			if err := os.Remove(j.segmentName(n)); err != nil {
				return fmt.Errorf("replay journal log: %w", err)
			}
		}
	} else {
		l.pending, l.pendingBytes = recs, bytes
		for _, n := range segs {
			l.old = append(l.old, j.segmentName(n))
		}
	}
	l.nextID = last + 1 + gap
	if len(segs) > 0 {
		l.seg = segs[len(segs)-1]
	}
	return j.newSegment()
}

// newSegment creates the next segment and makes it the current one. Its
// name is made durable (a directory fsync) before any entry goes in. Called
// while holding the lead, or before the journal is in use.
func (j *Journal) newSegment() error {
	l := &j.log
	name := j.segmentName(l.seg + 1)
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("journal log: %w", err)
	}
	if !l.noSync {
		if err := syncPath(filepath.Dir(name)); err != nil {
			f.Close()
			os.Remove(name)
			return fmt.Errorf("journal log: %w", err)
		}
	}
	l.f, l.seg, l.size, l.ahead = f, l.seg+1, 0, 0
	return nil
}

func syncPath(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// appendRec makes r durable in the log, giving it its ID. Concurrent calls
// share one write and one fsync: the first to come leads, and those
// that arrive meanwhile queue for the next round, led by the first of them.
func (j *Journal) appendRec(r *logRec) (uint64, error) {
	l := &j.log
	req := &logReq{rec: r, done: make(chan error, 1), lead: make(chan struct{})}
	l.mu.Lock()
	l.queue = append(l.queue, req)
	if l.running || l.excl > 0 {
		// Queued: led by the request before, or after an exclusive
		// operation waiting now (which would otherwise wait as long as
		// new Records kept coming).
		l.mu.Unlock()
		select {
		case err := <-req.done:
			return r.id, err
		case <-req.lead:
		}
		l.mu.Lock()
	}
	l.running = true
	batch := l.queue
	l.queue = nil
	var err error
	switch {
	case l.f == nil:
		err = ErrClosed
	case l.broken != nil:
		err = l.broken
	default:
		for _, q := range batch {
			q.rec.id = l.nextID
			l.nextID++
		}
	}
	f, size, ahead := l.f, l.size, l.ahead
	l.mu.Unlock()

	var n int
	if err == nil {
		n, ahead, err = j.writeFrames(f, size, ahead, batch)
	}

	l.mu.Lock()
	var job *applyJob
	var torn *tornError
	if err == nil || !errors.As(err, &torn) {
		l.ahead = ahead // on failure the segment was cut back to size
	}
	if errors.As(err, &torn) {
		// No later frame goes behind the torn one: the next ones go to a
		// new segment, and this one is deleted once its whole frames are
		// in the store. If even that fails, appends fail from now on.
		if rerr := j.rotateLocked(); rerr != nil {
			l.broken = fmt.Errorf("%w; a new log segment failed too (%v): restart scribe", err, rerr)
		}
	}
	if err == nil {
		for _, q := range batch {
			l.pending = append(l.pending, q.rec)
			l.pendingBytes += q.rec.size()
		}
		l.size += int64(n)
		if !l.applying && len(l.pending) >= l.retryAt && (len(l.pending) >= applyEvery || l.pendingBytes >= applyBytes) {
			// Rotate while holding the lead: no append is in flight into
			// the segment that is set aside.
			if rerr := j.rotateLocked(); rerr == nil {
				job = j.takePendingLocked()
			}
		}
	}
	j.passLeadLocked()
	l.mu.Unlock()
	for _, q := range batch {
		q.done <- err
	}
	if job != nil {
		j.apply(job)
	}
	return r.id, <-req.done
}

// writeFrames writes the frames of batch into f after its size bytes of
// whole frames, over the zeros written ahead up to ahead, and syncs them. It
// returns how many bytes of frames it wrote and how far the zeros now go. On
// failure it cuts f back to size, so that no torn frame stops a replay
// before later ones.
func (j *Journal) writeFrames(f *os.File, size, ahead int64, batch []*logReq) (int, int64, error) {
	buf := j.log.frames[:0]
	for _, q := range batch {
		buf = q.rec.appendFrame(buf)
	}
	if cap(buf) <= maxFramesBuf {
		j.log.frames = buf
	}
	end := size + int64(len(buf))
	grow := end > ahead
	_, err := f.WriteAt(buf, size)
	if err == nil && grow {
		// The zeros only make later flushes cheaper: a disk with room for
		// the frames but not for them still takes the frames.
		if ahead, err = growAhead(f, end); err != nil {
			ahead, err = end, nil
		}
	}
	if err == nil && !j.log.noSync {
		if grow {
			// The file's size changed: fsync writes its inode too.
			err = f.Sync()
		} else {
			err = datasync(f)
		}
	}
	if err != nil {
		if terr := f.Truncate(size); terr != nil {
			return 0, size, &tornError{fmt.Errorf("write journal log: %w (and cutting it back: %v)", err, terr)}
		}
		return 0, size, fmt.Errorf("write journal log: %w", err)
	}
	return len(buf), ahead, nil
}

// growAhead writes zeros into f from end, which is past the zeros it held:
// as many as f holds, within minAhead and maxAhead. It returns f's new
// length.
func growAhead(f *os.File, end int64) (int64, error) {
	n := min(max(end, minAhead), maxAhead)
	n = (n + minAhead - 1) / minAhead * minAhead // whole copies of zeros
	for off := end; off < end+n; off += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros[:], off); err != nil {
			return 0, err
		}
	}
	return end + n, nil
}

// tornError is a failed append that could not be cut back: the segment may
// end in part of a frame, behind which a replay would not read.
type tornError struct{ error }

func (e *tornError) Unwrap() error { return e.error }

// passLeadLocked ends a leader's turn: an exclusive operation waiting goes
// first, else the first queued request leads the next round.
func (j *Journal) passLeadLocked() {
	l := &j.log
	switch {
	case l.excl > 0:
		l.running = false
		l.idle.Broadcast()
	case len(l.queue) > 0:
		close(l.queue[0].lead)
	default:
		l.running = false
		l.idle.Broadcast()
	}
}

// rotateLocked sets the current segment aside (it is deleted once its
// entries are applied) and starts a new one. The caller holds the lead.
func (j *Journal) rotateLocked() error {
	l := &j.log
	f, name := l.f, j.segmentName(l.seg)
	if err := j.newSegment(); err != nil {
		return err
	}
	f.Close()
	l.old = append(l.old, name)
	return nil
}

// applyJob is a set of entries to copy into the store and the segments to
// delete once they are.
type applyJob struct {
	recs []*logRec
	segs []string
}

// takePendingLocked takes every pending entry, and the segments set aside,
// for an apply.
func (j *Journal) takePendingLocked() *applyJob {
	l := &j.log
	job := &applyJob{recs: l.pending, segs: l.old}
	l.pending, l.pendingBytes, l.old = nil, 0, nil
	l.applying = true
	return job
}

// apply copies job's entries into the store (applyAll) and deletes its
// segments. Entries that could not be committed go back to pending (and the
// segments stay) for a later copy: they are durable in the log either way,
// and the next read, which copies them itself, reports the failure.
func (j *Journal) apply(job *applyJob) error {
	left, err := j.applyAll(job.recs)
	segs := job.segs
	if len(left) == 0 {
		// Every entry is in the store, or dropped for good.
		var kept []string
		for _, s := range segs {
			if rerr := os.Remove(s); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = errors.Join(err, fmt.Errorf("remove applied journal log: %w", rerr))
				kept = append(kept, s)
			}
		}
		segs = kept
	}
	l := &j.log
	l.mu.Lock()
	l.applying = false
	l.idle.Broadcast()
	l.old = append(segs, l.old...)
	if err != nil {
		err = fmt.Errorf("apply journal log: %w", txError(err))
	}
	if len(left) > 0 {
		l.pending = append(left, l.pending...)
		for _, r := range left {
			l.pendingBytes += r.size()
		}
		// Retried once as many entries again have come, not with every
		// append (a full disk would otherwise rotate at every one).
		l.retryAt = len(l.pending) + applyEvery
	} else {
		l.retryAt = 0
	}
	l.mu.Unlock()
	return err
}

// applyAll copies recs into the store, applyChunk to a transaction, and
// returns those it could not. A transaction that fails is retried an entry
// at a time: an entry that fails alone while others succeed can never be
// stored (damage in the store where it goes), so it is dropped, and the
// error names it; if none succeeds the store itself is failing (a full
// disk), and every entry is kept for later.
func (j *Journal) applyAll(recs []*logRec) (left []*logRec, err error) {
	commit := func(rs []*logRec) error {
		err := j.db.Update(func(tx *bolt.Tx) error { return applyRecs(tx, rs) })
		if err == nil && j.sinceRelease.Add(int64(len(rs))) >= releaseEvery {
			// Best effort: the pages are the file's cache either way,
			// and its only errors are a closed journal and a failed
			// madvise.
			_ = j.ReleaseMemory()
		}
		return err
	}
	var dropped []error
	for len(recs) > 0 {
		n := min(len(recs), applyChunk)
		if err := commit(recs[:n]); err == nil {
			recs = recs[n:]
			continue
		}
		var failed []*logRec
		var errs []error
		ok := 0
		for _, r := range recs[:n] {
			if err := commit([]*logRec{r}); err != nil {
				failed = append(failed, r)
				errs = append(errs, fmt.Errorf("entry %d (%s): %w", r.id, r.path, err))
			} else {
				ok++
			}
		}
		if ok == 0 {
			return recs, errors.Join(append(dropped, errs...)...)
		}
		dropped = append(dropped, errs...)
		recs = recs[n:]
	}
	if len(dropped) > 0 {
		return nil, fmt.Errorf("entries dropped, the store cannot take them: %w", errors.Join(dropped...))
	}
	return nil, nil
}

// applyRecs stores recs in the store (see store).
func applyRecs(tx *bolt.Tx, recs []*logRec) error {
	b, err := openBuckets(tx)
	if err != nil {
		return err
	}
	return b.store(recs)
}

// store stores recs, in ID order, and sets the entries' sequence to the
// last ID. A record whose content the store holds already may come without
// its blob.
func (b *buckets) store(recs []*logRec) error {
	for _, r := range recs {
		if r.hash != nil {
			if err := b.addRef(r.hash, r.blob, r.raw); err != nil {
				return err
			}
		}
		if err := b.entries.Put(idKey(r.id), r.entry); err != nil {
			return err
		}
		if err := b.byPath.Put(pathKey(r.root, r.path, r.id), nil); err != nil {
			return err
		}
	}
	if err := addCounter(b.meta, keyEntries, int64(len(recs))); err != nil {
		return err
	}
	return b.entries.SetSequence(max(b.entries.Sequence(), recs[len(recs)-1].id))
}

// exclusive applies every entry of the log to the store and runs fn with no
// append in flight and none starting until it returns; with fn nil it only
// applies. Reads of entries call it first, so they see every Record that
// returned; an undo and Prune write the store directly through it.
func (j *Journal) exclusive(fn func(nextID func() uint64) error) error {
	return j.hold(true, fn)
}

// hold runs fn with no append or copy in flight and none starting until it
// returns, after copying the log into the store if apply is set.
func (j *Journal) hold(apply bool, fn func(nextID func() uint64) error) error {
	if j.readOnly {
		if fn == nil {
			return nil
		}
		return fn(nil)
	}
	l := &j.log
	l.mu.Lock()
	l.excl++
	for l.running || l.applying {
		l.idle.Wait()
	}
	l.excl--
	l.running = true
	if l.f == nil {
		j.passLeadLocked()
		l.mu.Unlock()
		return ErrClosed
	}
	var job *applyJob
	if apply {
		job = j.takePendingLocked()
	}
	l.mu.Unlock()

	var err error
	if apply {
		err = j.apply(job)
		if err == nil && l.size > 0 {
			// Everything in the current segment is in the store now.
			if terr := l.f.Truncate(0); terr == nil {
				l.size, l.ahead = 0, 0
			}
		}
	}
	if err == nil && fn != nil {
		err = fn(func() uint64 {
			id := l.nextID
			l.nextID++
			return id
		})
	}
	l.mu.Lock()
	j.passLeadLocked()
	l.mu.Unlock()
	return err
}

// closeLog closes the current segment, once no append or copy is in
// flight, and deletes it if it holds no frame. What the log holds stays for
// the next open (see the top of this file).
func (j *Journal) closeLog() error {
	l := &j.log
	var ferr error
	err := j.hold(false, func(func() uint64) error {
		l.mu.Lock()
		f, name, size, empty := l.f, j.segmentName(l.seg), l.size, l.size == 0
		l.f = nil
		l.mu.Unlock()
		if !empty {
			// The zeros ahead are of no use to the next open. (Best
			// effort: a replay stops at them anyway.)
			_ = f.Truncate(size)
		}
		ferr = f.Close()
		if ferr == nil && empty {
			ferr = os.Remove(name)
		}
		return nil
	})
	if errors.Is(err, ErrClosed) {
		err = nil
	}
	return errors.Join(err, ferr)
}

// leftLog reports whether the journal at path has log segments.
func leftLog(path string) bool {
	segs, _ := segmentsOf(path)
	return len(segs) > 0
}
