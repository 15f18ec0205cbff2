package findings

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/scribe-md/scribe/internal/action"
)

// formatVersion changes when the saved form does; a file of another
// version is ignored (the files are processed again when they change).
const formatVersion = 1

type savedFile struct {
	Root, Path string
	Kept       []action.Finding
	N          int
	Counts     map[string]map[string]int // rule → severity → n
}

type fileFormat struct {
	Version int
	Files   []savedFile
}

// Save writes the store to path atomically (temp file, fsync, rename) if
// it changed since the last Save or Load.
func (s *Store) Save(path string) error {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	ff := fileFormat{Version: formatVersion, Files: make([]savedFile, 0, len(s.files))}
	for k, e := range s.files {
		sf := savedFile{Root: k.root, Path: k.path, Kept: e.kept, N: e.n, Counts: map[string]map[string]int{}}
		for rs, n := range e.counts {
			if sf.Counts[rs.rule] == nil {
				sf.Counts[rs.rule] = map[string]int{}
			}
			sf.Counts[rs.rule][rs.severity] = n
		}
		ff.Files = append(ff.Files, sf)
	}
	s.dirty = false
	s.mu.Unlock()
	if err := writeAtomic(path, ff); err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
		return fmt.Errorf("save findings: %w", err)
	}
	return nil
}

// Load replaces the store's content with what path holds. A missing file
// leaves it empty; an unreadable or corrupt one too, with an error the
// caller may log.
func (s *Store) Load(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load findings: %w", err)
	}
	defer f.Close()
	var ff fileFormat
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&ff); err != nil {
		return fmt.Errorf("findings file %s is corrupt; findings are known again as files change: %w", path, err)
	}
	if ff.Version != formatVersion {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files, s.kept, s.counts = map[key]*entry{}, 0, map[ruleSev]int{}
	for _, sf := range ff.Files {
		// Limits may be lower than when the file was saved.
		kept := sf.Kept[:min(len(sf.Kept), s.lim.PerFile, s.lim.Total-s.kept)]
		e := &entry{kept: kept, n: sf.N, counts: map[ruleSev]int{}}
		for rule, bySev := range sf.Counts {
			for sev, n := range bySev {
				e.counts[ruleSev{rule, sev}] = n
				s.counts[ruleSev{rule, sev}] += n
			}
		}
		s.kept += len(kept)
		s.files[key{sf.Root, sf.Path}] = e
	}
	s.dirty = false
	return nil
}

func writeAtomic(path string, v fileFormat) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".findings-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	bw := bufio.NewWriter(tmp)
	err = gob.NewEncoder(bw).Encode(v)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
