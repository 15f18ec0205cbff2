package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/safefile"
)

// Writes collects what actions did (or, in a dry run, would do) to files other
// than the one they were given: generated indexes, catalogs, renames. It is the
// engine's implementation of the action.Writer port. Safe for concurrent use.
type Writes struct {
	mu      sync.Mutex
	results []*Result
	pending map[string]map[string][]byte // dry run: root dir → path → content
}

// Results returns the recorded writes in the order they happened.
func (w *Writes) Results() []*Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*Result(nil), w.results...)
}

// forRoot returns the Writer of one action of rule ruleID in root, run on
// the file input, whose content the engine read as read ("" for an action
// not run on one file). dry records the changes instead of making them (a
// check, or a rule held by Options.Undone).
func (w *Writes) forRoot(e *Engine, root *Root, ruleID, via, input string, read []byte, dry bool) action.Writer {
	if w == nil {
		return nil
	}
	return &rootWriter{w: w, e: e, root: root, rule: ruleID, dry: dry, via: via, input: input, read: read}
}

type rootWriter struct {
	w     *Writes
	e     *Engine
	root  *Root
	rule  string
	dry   bool
	via   string
	input string // the file the action runs on
	read  []byte // its content as the engine read it
}

var _ action.Writer = (*rootWriter)(nil)

func (rw *rootWriter) current(path string) (*safefile.Snapshot, error) {
	if rw.dry {
		rw.w.mu.Lock()
		c, ok := rw.w.pending[rw.root.Dir][path]
		rw.w.mu.Unlock()
		if ok {
			return &safefile.Snapshot{Content: c}, nil
		}
	}
	return safefile.Read(rw.root.FS, path, 0)
}

// WriteFile replaces or creates path, only if the bytes differ.
func (rw *rootWriter) WriteFile(ctx context.Context, path string, content []byte) error {
	return rw.write(ctx, path, nil, content, false)
}

// ReplaceFile replaces path with content only if it holds old
// (action.Replacer).
func (rw *rootWriter) ReplaceFile(ctx context.Context, path string, old, content []byte) error {
	return rw.write(ctx, path, old, content, !rw.dry)
}

var _ action.Replacer = (*rootWriter)(nil)

// write replaces or creates path; with cas, only if it exists and holds old.
func (rw *rootWriter) write(ctx context.Context, path string, old, content []byte, cas bool) error {
	if err := rw.root.checkWritable(path); err != nil {
		return fmt.Errorf("write %w", err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		snap, err := rw.current(path)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if cas && (!exists || !bytes.Equal(snap.Content, old)) {
			// Changed since the action read it (by a user, say): theirs stays.
			return &safefile.ConflictError{Path: path, Current: snap}
		}
		var before []byte
		if exists {
			if bytes.Equal(snap.Content, content) {
				return nil
			}
			before = snap.Content
		}
		sum := sha256.Sum256(content)
		res := &Result{Root: rw.root.Dir, Path: path, Via: rw.via, ChangedBy: []string{rw.rule}, Changed: true,
			Before: before, After: content, AfterHash: hex.EncodeToString(sum[:])}
		if exists {
			res.BeforeHash = snapHash(snap)
		}
		if rw.e.held(rw.root, path, res.BeforeHash, rw.rule) {
			// The user undid this rule's write to this very content.
			return nil
		}
		if rw.dry {
			rw.w.mu.Lock()
			if rw.w.pending == nil {
				rw.w.pending = map[string]map[string][]byte{}
			}
			if rw.w.pending[rw.root.Dir] == nil {
				rw.w.pending[rw.root.Dir] = map[string][]byte{}
			}
			rw.w.pending[rw.root.Dir][path] = content
			rw.w.results = append(rw.w.results, res)
			rw.w.mu.Unlock()
			return nil
		}
		if may := rw.e.opts.MayWrite; may != nil {
			if err := may(rw.root); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
		}
		if bw := rw.e.opts.BeforeWrite; bw != nil {
			bw(rw.root, path, content, sum)
		}
		if exists {
			_, err = safefile.Replace(rw.root.FS, path, snap, content)
		} else {
			err = safefile.Create(rw.root.FS, path, content, 0o644)
		}
		var conflict *safefile.ConflictError
		if errors.As(err, &conflict) || errors.Is(err, fs.ErrExist) {
			continue // someone else wrote it meanwhile; look again
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		res.Written = true
		if !exists {
			rw.root.Docs.Add(path)
		}
		return rw.record(res)
	}
	return fmt.Errorf("write %s: the file keeps changing; gave up after 5 attempts", path)
}

// Rename moves from to to inside the root.
func (rw *rootWriter) Rename(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, p := range []string{from, to} {
		if err := rw.root.checkWritable(p); err != nil {
			return fmt.Errorf("rename %s to %s: %w", from, to, err)
		}
	}
	res := &Result{Root: rw.root.Dir, Path: from, RenamedTo: to, Via: rw.via, ChangedBy: []string{rw.rule}, Changed: true}
	if !rw.dry && rw.input != "" && (from == rw.input || strings.HasPrefix(rw.input, from+"/")) {
		// The action takes the file it runs on elsewhere, with what it made
		// of the content read: if the file changed since (an edit, or
		// another file's rename rewriting its links), that would undo the
		// change. The engine redoes the file instead (process).
		if snap, err := safefile.Read(rw.root.FS, rw.input, 0); err == nil && !bytes.Equal(snap.Content, rw.read) {
			return &safefile.ConflictError{Path: rw.input, Current: snap}
		}
	}
	if rw.dry {
		rw.w.mu.Lock()
		rw.w.results = append(rw.w.results, res)
		rw.w.mu.Unlock()
		return nil
	}
	if may := rw.e.opts.MayWrite; may != nil {
		if err := may(rw.root); err != nil {
			return fmt.Errorf("rename %s to %s: %w", from, to, err)
		}
	}
	if err := safefile.Rename(rw.root.FS, from, to); err != nil {
		return fmt.Errorf("rename %s to %s: %w", from, to, err)
	}
	res.Written = true
	rw.root.Docs.Rename(from, to)
	return rw.record(res)
}

// record keeps a write that reached the disk and tells Options.Wrote; an
// error there (the journal) is the action's.
func (rw *rootWriter) record(res *Result) error {
	rw.w.mu.Lock()
	rw.w.results = append(rw.w.results, res)
	rw.w.mu.Unlock()
	if err := rw.e.wrote(rw.root, res); err != nil {
		res.Error = err.Error()
		return err
	}
	return nil
}
