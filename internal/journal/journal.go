package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Sentinel errors. Callers match them with errors.Is.
var (
	// ErrLocked means another process has the journal open for writing (or,
	// for Open, for reading): while the daemon runs, go through its HTTP API.
	ErrLocked = errors.New("journal is in use by another scribe process (is `scribe watch` running? then use its HTTP API)")
	// ErrNotFound means no entry has the requested ID; it may have been pruned.
	ErrNotFound = errors.New("no such journal entry (it may have been pruned by retention)")
	// ErrChanged means the file no longer has the content the write left, so
	// undoing it would lose a later change. See ChangedError.
	ErrChanged = errors.New("file changed since the write")
	// ErrAlreadyUndone means the file already has the content from before the
	// write: there is nothing to undo.
	ErrAlreadyUndone = errors.New("file already has the content from before the write")
	// ErrReadOnly means the journal was opened with OpenReadOnly.
	ErrReadOnly = errors.New("journal is open read-only")
	// ErrClosed means the journal was closed.
	ErrClosed = errors.New("journal is closed")
)

// Retention bounds what the journal keeps. Prune removes the oldest entries
// until every bound holds. A zero field takes the default from
// DefaultRetention; a negative one means no bound.
type Retention struct {
	// MaxAge drops entries older than this.
	MaxAge time.Duration
	// MaxEntries keeps at most this many entries.
	MaxEntries int
	// MaxBytes bounds the stored (compressed) content; entries are dropped
	// oldest first until the content still referenced fits, even the newest
	// one if its content alone is larger.
	MaxBytes int64
}

// DefaultRetention is what a zero Retention field means.
var DefaultRetention = Retention{
	MaxAge:     30 * 24 * time.Hour,
	MaxEntries: 100_000,
	MaxBytes:   256 << 20,
}

// normalize fills zero fields with defaults and turns negative ones into 0,
// which from then on means "no bound".
func (r Retention) normalize() Retention {
	if r.MaxAge == 0 {
		r.MaxAge = DefaultRetention.MaxAge
	}
	if r.MaxEntries == 0 {
		r.MaxEntries = DefaultRetention.MaxEntries
	}
	if r.MaxBytes == 0 {
		r.MaxBytes = DefaultRetention.MaxBytes
	}
	r.MaxAge = max(r.MaxAge, 0)
	r.MaxEntries = max(r.MaxEntries, 0)
	r.MaxBytes = max(r.MaxBytes, 0)
	return r
}

const (
	// lockTimeout is how long Open waits for another process to let go.
	lockTimeout = time.Second
	// readOnlyLockTimeout is shorter: the CLI falls back to the daemon's API.
	readOnlyLockTimeout = 200 * time.Millisecond
	// maxContent caps one stored content; it bounds what a damaged blob can
	// make Get allocate.
	maxContent = 1 << 30
)

// Journal is an open journal file. Its methods are safe for concurrent use.
type Journal struct {
	db       *bolt.DB
	path     string
	keep     Retention
	readOnly bool
	closed   atomic.Bool
	log      entryLog // Record's way in (see log.go); unused when read-only
	// marks is false while the store holds no undo mark, which spares
	// UndoneRules, asked about every file the rules see, a transaction.
	marks atomic.Bool
	// sinceRelease counts the entries committed since the mapped pages
	// were last released (see releaseEvery).
	sinceRelease atomic.Int64
	// zstd decodes the blobs of journals written before S2 (see
	// zstdDecoder).
	zstd struct {
		once sync.Once
		dec  *zstd.Decoder
		err  error
	}
	now func() time.Time // clock for new entries; replaced in tests
}

// initialMmapSize is the address space the journal maps when it opens. bbolt
// maps its file and, as the file grows, maps it again at twice the size;
// each time it first copies every node the write in progress holds out of
// the old mapping (8.5 MB of allocations in a burst of 2,000 writes on a new
// journal, which grew to 4 MB through seven such remaps). Mapping 32 MiB
// from the start costs address space only: pages count in the resident set
// once read. With a mapping past 16 MiB bbolt grows the file 16 MiB at a
// time (a truncate and an fsync each) instead of to each doubled mapping,
// so a new journal's file is 16 MiB long from its first write; it is
// sparse, and holds on disk only the pages written (2.6 MiB after those
// 2,000 writes).
const initialMmapSize = 32 << 20

// Open opens (creating it and its directory if needed) the journal at path
// for reading and writing, with retention r for Prune. If another process has
// it open, Open gives up after a second with ErrLocked.
func Open(path string, r Retention) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open journal: create state directory: %w", err)
	}
	// The list of free pages is not written at each commit
	// (NoFreelistSync) but rebuilt from the tree when the first write
	// needs it, unless Close wrote it (see there): a journal at its
	// retention limit has many free pages (22,308 in a 168 MB journal of
	// the benchmarks), and writing their list made each commit 0.8 ms of
	// CPU and 44 more pages to flush; without it a commit took 30–47 µs.
	// Close writes the list once for the next open.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, FreelistType: bolt.FreelistMapType, NoFreelistSync: true, InitialMmapSize: initialMmapSize})
	if err != nil {
		return nil, openError(path, err)
	}
	j, err := newJournal(db, path, r, false)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := j.init(); err != nil {
		j.Close()
		return nil, err
	}
	if err := j.openLog(); err != nil {
		j.Close()
		return nil, err
	}
	if err := j.loadMarks(); err != nil {
		j.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	return j, nil
}

// OpenReadOnly opens an existing journal for reading only, sharing it with
// other readers. It fails quickly with ErrLocked while a writer (the daemon)
// has it open, and with an error wrapping fs.ErrNotExist if there is no
// journal yet (nothing has been written).
func OpenReadOnly(path string) (*Journal, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: readOnlyLockTimeout, ReadOnly: true})
	if err != nil {
		return nil, openError(path, err)
	}
	if leftLog(path) {
		// No writer holds the journal, yet there is a log: the last
		// writer's last entries, which it left for the next open (or
		// could not copy: it crashed), are not in the store. Opening for
		// writing once copies them (best effort: without the right to
		// write, they wait for the next writer).
		db.Close()
		if w, err := Open(path, Retention{}); err == nil {
			w.exclusive(nil)
			w.Close()
		}
		if db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: readOnlyLockTimeout, ReadOnly: true}); err != nil {
			return nil, openError(path, err)
		}
	}
	j, err := newJournal(db, path, Retention{}, true)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := j.db.View(j.checkVersion); err != nil {
		j.Close()
		return nil, err
	}
	if err := j.loadMarks(); err != nil {
		j.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	return j, nil
}

func openError(path string, err error) error {
	if errors.Is(err, bolterrors.ErrTimeout) {
		return fmt.Errorf("open journal %s: %w", path, ErrLocked)
	}
	if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
		return fmt.Errorf("open journal %s: %w: the file is damaged or not a journal; move it aside to start a new history", path, err)
	}
	return fmt.Errorf("open journal %s: %w", path, err)
}

func newJournal(db *bolt.DB, path string, r Retention, readOnly bool) (*Journal, error) {
	j := &Journal{db: db, path: path, keep: r.normalize(), readOnly: readOnly, now: time.Now}
	j.log.idle.L = &j.log.mu
	return j, nil
}

// Path returns the file the journal lives in.
func (j *Journal) Path() string { return j.path }

// Close closes the journal, waiting for running transactions. It is safe to
// call more than once; later calls return nil.
func (j *Journal) Close() error {
	if j.closed.Swap(true) {
		return nil
	}
	var err error
	if !j.readOnly {
		err = j.closeLog()
		// Write the list of free pages once, so that the next open reads
		// it rather than rebuilding it from the whole file (see Open):
		// 2.7 s for a 168 MB journal not in the page cache, 9 ms with the
		// list. Only an open after a crash rebuilds it. The commit reads
		// the flag under bbolt's writer lock, which the other commits
		// take too.
		_ = j.db.Update(func(tx *bolt.Tx) error {
			tx.DB().NoFreelistSync = false
			return nil
		})
	}
	err = errors.Join(err, j.db.Close())
	if j.zstd.dec != nil {
		j.zstd.dec.Close()
	}
	if err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}

// usable returns ErrClosed after Close and, when write is set, ErrReadOnly on
// a read-only journal.
func (j *Journal) usable(write bool) error {
	if j.closed.Load() {
		return ErrClosed
	}
	if write && j.readOnly {
		return ErrReadOnly
	}
	return nil
}

// txError maps bbolt's error after a concurrent Close to ErrClosed.
func txError(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
