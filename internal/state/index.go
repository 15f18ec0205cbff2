package state

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/scribe-md/scribe/internal/safefile"
)

// Entry is what the index remembers of one file.
type Entry struct {
	Size    int64
	ModTime int64 // unix nanoseconds
	Ctime   int64 // unix nanoseconds: catches same-size edits with a restored mtime
	Ino     uint64
	Hash    [32]byte // content hash after the engine processed it (zero if unknown)
}

// Same reports whether e and o describe the same file version by metadata.
func (e Entry) Same(o Entry) bool {
	return e.Size == o.Size && e.ModTime == o.ModTime && e.Ctime == o.Ctime && e.Ino == o.Ino
}

// FromVersion builds an Entry (without hash) from a file's version.
func FromVersion(v safefile.Version) Entry {
	return Entry{Size: v.Size, ModTime: v.ModTime, Ctime: v.ChangeTime, Ino: v.Ino}
}

// FromInfo builds an Entry (without hash) from a file's info.
func FromInfo(fi fs.FileInfo) Entry {
	e := Entry{Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.Ctime = st.Ctim.Sec*1e9 + st.Ctim.Nsec
		e.Ino = st.Ino
	}
	return e
}

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
	return filepath.Join(stateDir, "index", hex.EncodeToString(sum[:8])+".gob")
}

// Index maps root-relative paths to entries.
type Index struct {
	path string

	mu    sync.Mutex
	m     map[string]Entry
	dirty bool
}

// formatVersion changes when Entry's encoding does; an index of another
// version is ignored (it is only a cache).
const formatVersion = 1

type fileFormat struct {
	Version int
	Entries map[string]Entry
}

// Load reads the index at path. A missing, unreadable or outdated index gives
// an empty one (and, for a corrupt file, an error the caller may log).
func Load(path string) (*Index, error) {
	ix := &Index{path: path, m: map[string]Entry{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ix, nil
	}
	if err != nil {
		return ix, fmt.Errorf("open file index %s: %w", path, err)
	}
	defer f.Close()
	var ff fileFormat
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&ff); err != nil {
		return ix, fmt.Errorf("file index %s is corrupt, starting afresh: %w", path, err)
	}
	if ff.Version == formatVersion && ff.Entries != nil {
		ix.m = ff.Entries
	}
	return ix, nil
}

// Get returns the entry of rel.
func (ix *Index) Get(rel string) (Entry, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	e, ok := ix.m[rel]
	return e, ok
}

// Set records rel's entry.
func (ix *Index) Set(rel string, e Entry) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.m[rel]; ok && old == e {
		return
	}
	ix.m[rel] = e
	ix.dirty = true
}

// Delete forgets rel.
func (ix *Index) Delete(rel string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.m[rel]; ok {
		delete(ix.m, rel)
		ix.dirty = true
	}
}

// Len returns the number of entries.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.m)
}

// Paths returns every path in the index (unsorted).
func (ix *Index) Paths() []string {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	out := make([]string, 0, len(ix.m))
	for p := range ix.m {
		out = append(out, p)
	}
	return out
}

// Save writes the index atomically if it changed since the last save.
func (ix *Index) Save() error {
	ix.mu.Lock()
	if !ix.dirty {
		ix.mu.Unlock()
		return nil
	}
	snapshot := make(map[string]Entry, len(ix.m))
	for k, v := range ix.m {
		snapshot[k] = v
	}
	ix.dirty = false
	ix.mu.Unlock()
	if err := writeAtomic(ix.path, fileFormat{Version: formatVersion, Entries: snapshot}); err != nil {
		ix.mu.Lock()
		ix.dirty = true
		ix.mu.Unlock()
		return err
	}
	return nil
}

func writeAtomic(path string, v fileFormat) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save file index: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".index-*")
	if err != nil {
		return fmt.Errorf("save file index: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	bw := bufio.NewWriter(tmp)
	if err := gob.NewEncoder(bw).Encode(v); err != nil {
		tmp.Close()
		return fmt.Errorf("save file index: %w", err)
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("save file index: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save file index: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save file index: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save file index: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("save file index: %w", err)
	}
	defer d.Close()
	return d.Sync()
}
