package state

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/scribe-md/scribe/internal/pathmap"
	"github.com/scribe-md/scribe/internal/safefile"
)

// StampOf returns the stamp of the file fi describes.
func StampOf(fi fs.FileInfo) safefile.Stamp { return safefile.VersionOf(fi).Stamp() }

// PrepareDir creates the state directory dir if needed, with a .gitignore
// that ignores everything in it, so that Scribe's state never shows as a
// change in a git work tree (the way Python's virtual environments and
// pytest's cache do it).
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("state dir %s: %w", dir, err)
	}
	p := filepath.Join(dir, ".gitignore")
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	if err := os.WriteFile(p, []byte("# Scribe's state (journal, file index, bus store): never commit it.\n*\n"), 0o644); err != nil {
		return fmt.Errorf("state dir %s: %w", dir, err)
	}
	return nil
}

// PathFor returns where the index of the root at rootDir (absolute) lives in
// stateDir. The daemon and one-shot runs share it.
func PathFor(stateDir, rootDir string) string {
	sum := sha256.Sum256([]byte(rootDir))
	return filepath.Join(stateDir, "index", hex.EncodeToString(sum[:8])+".index")
}

// Index maps root-relative paths to the stamps of their versions, by
// directory (pathmap): a file's entry is its name and eight bytes.
type Index struct {
	path string

	saveMu sync.Mutex // one Save at a time: renames in order
	mu     sync.Mutex
	m      pathmap.Map[safefile.Stamp]
	dirty  bool
	size   atomic.Int64 // bytes of the file as last saved or loaded
}

// Load reads the index at path. A missing, unreadable or outdated index gives
// an empty one (and, for a corrupt file, an error the caller may log).
func Load(path string) (*Index, error) {
	ix := &Index{path: path}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ix, ix.loadLegacy()
	}
	if err != nil {
		return ix, fmt.Errorf("open file index %s: %w", path, err)
	}
	defer f.Close()
	if err := ix.decode(bufio.NewReaderSize(f, 64<<10)); err != nil {
		ix.m.Clear()
		return ix, fmt.Errorf("file index %s is corrupt, starting afresh: %w", path, err)
	}
	if fi, err := f.Stat(); err == nil {
		ix.size.Store(fi.Size())
	}
	return ix, nil
}

// Changed reports whether the index changed since it was last saved or
// loaded, that is whether Save would write it.
func (ix *Index) Changed() bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.dirty
}

// Size returns the bytes of the index's file as last saved or loaded (0
// before either): about what the next Save writes.
func (ix *Index) Size() int64 { return ix.size.Load() }

// Get returns the stamp of rel.
func (ix *Index) Get(rel string) (safefile.Stamp, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.m.Get(rel)
}

// Set records rel's stamp.
func (ix *Index) Set(rel string, s safefile.Stamp) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.m.Set(rel, s) {
		ix.dirty = true
	}
}

// Delete forgets rel.
func (ix *Index) Delete(rel string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.m.Delete(rel) {
		ix.dirty = true
	}
}

// Retain forgets every path for which keep, given its directory and name,
// returns false. keep must not call the Index.
func (ix *Index) Retain(keep func(dir, name string) bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.m.Range(func(d, n string, _ safefile.Stamp) bool {
		if !keep(d, n) && ix.m.DeleteIn(d, n) {
			ix.dirty = true
		}
		return true
	})
}

// Len returns the number of entries.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.m.Len()
}

// Save writes the index atomically if it changed since the last save. The
// index is locked while it is encoded into the temp file (the page cache:
// tens of milliseconds for a million files), not copied; the fsyncs come
// after.
func (ix *Index) Save() error {
	ix.saveMu.Lock()
	defer ix.saveMu.Unlock()
	ix.mu.Lock()
	if !ix.dirty {
		ix.mu.Unlock()
		return nil
	}
	ix.dirty = false
	tmp, err := createTemp(ix.path)
	var size int64
	if err == nil {
		if err = ix.encode(tmp); err == nil {
			size, err = tmp.Seek(0, io.SeekCurrent)
		}
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}
	ix.mu.Unlock()
	if err == nil {
		err = commit(tmp, ix.path)
	}
	if err != nil {
		ix.mu.Lock()
		ix.dirty = true
		ix.mu.Unlock()
		return fmt.Errorf("save file index: %w", err)
	}
	ix.size.Store(size)
	// The index this one replaces, in the format of earlier releases.
	os.Remove(legacyPath(ix.path))
	return nil
}

// The file format: magic, then per directory its name, its number of files
// and per file its name and stamp (little endian), then a CRC-32C of all that
// precedes it. Lengths and counts are uvarints.
const magic = "scribe file index 2\n"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encode writes the index to w; ix.mu is held.
func (ix *Index) encode(w io.Writer) error {
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 64<<10)
	var buf [binary.MaxVarintLen64]byte
	uvarint := func(x uint64) { bw.Write(binary.AppendUvarint(buf[:0], x)) }
	str := func(s string) { uvarint(uint64(len(s))); bw.WriteString(s) }
	bw.WriteString(magic)
	dirs := 0
	for range ix.m.Dirs() {
		dirs++
	}
	uvarint(uint64(dirs))
	for d := range ix.m.Dirs() {
		str(d)
		uvarint(uint64(ix.m.DirLen(d)))
		for n, s := range ix.m.InDir(d) {
			str(n)
			bw.Write(binary.LittleEndian.AppendUint64(buf[:0], uint64(s)))
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	return err
}

// maxName bounds a name or directory read back (PATH_MAX): a corrupt length
// must not allocate gigabytes.
const maxName = 4096

func (ix *Index) decode(r *bufio.Reader) error {
	cr := &crcReader{r: r}
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(cr, head); err != nil || string(head) != magic {
		return errors.New("not a file index of this release")
	}
	str := func() (string, error) {
		l, err := binary.ReadUvarint(cr)
		if err != nil {
			return "", err
		}
		if l > maxName {
			return "", fmt.Errorf("a name of %d bytes", l)
		}
		b := make([]byte, l)
		_, err = io.ReadFull(cr, b)
		return string(b), err
	}
	dirs, err := binary.ReadUvarint(cr)
	if err != nil {
		return err
	}
	var stamp [8]byte
	for range dirs {
		d, err := str()
		if err != nil {
			return err
		}
		count, err := binary.ReadUvarint(cr)
		if err != nil {
			return err
		}
		for range count {
			n, err := str()
			if err != nil {
				return err
			}
			if _, err := io.ReadFull(cr, stamp[:]); err != nil {
				return err
			}
			ix.m.Set(pathmap.Join(d, n), safefile.Stamp(binary.LittleEndian.Uint64(stamp[:])))
		}
	}
	var trailer [4]byte
	if _, err := io.ReadFull(r, trailer[:]); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(trailer[:]) != cr.crc {
		return errors.New("checksum mismatch")
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return errors.New("data after the checksum")
	}
	return nil
}

// crcReader reads through r and keeps the CRC-32C of what it returned.
type crcReader struct {
	r   *bufio.Reader
	crc uint32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	return n, err
}

func (c *crcReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.crc = crc32.Update(c.crc, castagnoli, []byte{b})
	}
	return b, err
}

// legacyPath is where releases before the stamps kept the index (gob).
func legacyPath(path string) string { return strings.TrimSuffix(path, ".index") + ".gob" }

// loadLegacy reads the index of an earlier release, if there is one, so that
// an upgrade keeps telling edits (origin user) from first sightings (scan).
func (ix *Index) loadLegacy() error {
	f, err := os.Open(legacyPath(ix.path))
	if err != nil {
		return nil
	}
	defer f.Close()
	var old struct {
		Version int
		Entries map[string]struct {
			Size, ModTime, Ctime int64
			Ino                  uint64
		}
	}
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&old); err != nil || old.Version != 1 {
		return nil // a cache: starting afresh is right
	}
	for rel, e := range old.Entries {
		ix.Set(rel, safefile.Version{Size: e.Size, ModTime: e.ModTime, ChangeTime: e.Ctime, Ino: e.Ino}.Stamp())
	}
	return nil
}

// createTemp creates the temp file that replaces path.
func createTemp(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.CreateTemp(filepath.Dir(path), ".index-*")
}

// commit makes tmp durable and renames it over path: fsync, rename, fsync of
// the directory.
func commit(tmp *os.File, path string) error {
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
