package scan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/scribe-md/scribe/internal/glob"
	"github.com/scribe-md/scribe/internal/safefile"
)

// maxIgnoreFileSize bounds how much of one ignore file is read. A larger file
// is an error (and its directory is skipped) rather than a memory hazard.
const maxIgnoreFileSize = 4 << 20

// Filter decides which paths of one root are documents.
//
// A Filter is a snapshot: the ignore files it has read are cached for its
// lifetime. Build a new Filter to see edited ignore files (IsIgnoreFile tells
// which names matter). A Filter is safe for concurrent use.
type Filter struct {
	rootDir  string
	include  []glob.Glob
	exclude  []glob.Glob
	stateDir string // slash-separated, relative to the root; "" for none

	// includeBases are the literal directory prefixes of the include globs,
	// used to skip directories no include glob can reach. nil when some glob
	// may match anywhere.
	includeBases []string

	mu    sync.RWMutex
	nodes map[string]*dirNode // by slash-separated dir, "" for the root
}

// dirNode is what the filter knows about one directory.
type dirNode struct {
	// excluded is set when the directory or one of its parents is excluded,
	// or its ignore files could not be read (fail closed).
	excluded bool
	// why says, for a directory excluded by what it is rather than by a
	// pattern (a symbolic link, an unreadable ignore file), what it is.
	why string
	// absent is set when the directory does not exist (or is not a
	// directory), so that its subdirectories need no I/O.
	absent bool
	// ignores are the ignore files in effect for entries of this directory,
	// from the root down.
	ignores []*ignoreSet
}

// NewFilter builds the filter for rootDir from the config's include and
// exclude doublestar globs, matched against the slash-separated path relative
// to the root. As in doublestar, `*` does not cross a slash: `*.md` matches
// only top-level files and users write `**/*.md` for every level. An empty
// include list includes every file. An exclude glob that matches a directory
// excludes everything below it (`archive/**` and `archive` both do).
//
// On top of the globs, .git (at any depth) is always excluded; .gitignore and
// .scribeignore files at any depth are honoured with git's semantics
// (.scribeignore wins over .gitignore in the same directory, deeper files win
// over shallower ones; ignore files above rootDir, .git/info/exclude and
// core.excludesFile are not read); and stateDir, relative to rootDir (may be
// ""), is always excluded.
func NewFilter(rootDir string, include, exclude []string, stateDir string) (*Filter, error) {
	f := &Filter{
		rootDir: rootDir,
		nodes:   make(map[string]*dirNode),
	}
	var errs []error
	for _, g := range include {
		if !doublestar.ValidatePattern(g) {
			errs = append(errs, fmt.Errorf("include glob %q is not a valid doublestar pattern", g))
		}
	}
	for _, g := range exclude {
		if !doublestar.ValidatePattern(g) {
			errs = append(errs, fmt.Errorf("exclude glob %q is not a valid doublestar pattern", g))
		}
	}
	sd, err := cleanStateDir(rootDir, stateDir)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, g := range include {
		f.include = append(f.include, glob.Compile(g))
	}
	for _, g := range exclude {
		f.exclude = append(f.exclude, glob.Compile(g))
	}
	f.stateDir = sd
	f.includeBases = includeBases(include)
	return f, nil
}

// cleanStateDir turns the configured state dir into a slash-separated path
// relative to the root, "" when it is empty or lies outside the root.
func cleanStateDir(rootDir, stateDir string) (string, error) {
	if stateDir == "" {
		return "", nil
	}
	if filepath.IsAbs(stateDir) {
		absRoot, err := filepath.Abs(rootDir)
		if err != nil {
			return "", fmt.Errorf("state dir %q: resolve root %q: %w", stateDir, rootDir, err)
		}
		rel, err := filepath.Rel(absRoot, stateDir)
		if err != nil {
			return "", nil // On another volume: nothing to exclude.
		}
		stateDir = rel
	}
	sd := path.Clean(filepath.ToSlash(stateDir))
	switch {
	case sd == ".":
		return "", fmt.Errorf("state dir %q is the root itself; use a subdirectory such as .scribe", stateDir)
	case sd == ".." || strings.HasPrefix(sd, "../"):
		return "", nil // Outside the root: nothing to exclude.
	}
	return sd, nil
}

// includeBases returns the literal directory prefix of every include glob, or
// nil when one of them can match at any depth.
func includeBases(include []string) []string {
	if len(include) == 0 {
		return nil
	}
	bases := make([]string, 0, len(include))
	for _, g := range include {
		base, _ := doublestar.SplitPattern(g)
		if base == "." || base == "/" || strings.Contains(base, `\`) {
			return nil
		}
		bases = append(bases, base)
	}
	return bases
}

// Included reports whether rel (slash-separated, relative to the root) is a
// document: a non-directory entry that the include globs select and nothing
// excludes. Ignore files are loaded lazily, through an os.Root so that a
// symbolic link never leads outside rootDir, and cached per directory. A
// malformed rel (absolute, "..", empty elements) is never included.
func (f *Filter) Included(rel string) bool {
	if !safefile.ValidRel(rel) || tooDeep(rel, maxDepth+1) {
		return false
	}
	dir, name := splitRel(rel)
	parent := f.node(dir)
	return !parent.excluded && f.fileIncluded(parent, rel, name)
}

// ExcludedDir reports whether the walk should not descend into the directory
// rel: it is excluded, lies under an excluded directory, no include glob can
// match below it, or it is a symbolic link (never followed). The root ("" or
// ".") is never excluded; a malformed rel always is.
func (f *Filter) ExcludedDir(rel string) bool {
	if rel == "" || rel == "." {
		return false
	}
	if !safefile.ValidRel(rel) || tooDeep(rel, maxDepth) {
		return true
	}
	return f.node(rel).excluded
}

// engineFilePrefix starts the names of the files the engine itself makes
// beside documents: temporary files of an atomic write (.scribe-tmp-*), the
// copies it keeps when a user's save raced a write (.scribe-conflict-*), undo
// set-asides and sync cookies. They are never documents.
const engineFilePrefix = ".scribe-"

// fileIncluded decides a non-directory entry of a directory that is not
// excluded.
func (f *Filter) fileIncluded(parent *dirNode, rel, name string) bool {
	return f.fileVerdict(parent, rel, name).reason == ""
}

// dirExcluded decides a subdirectory of a directory that is not excluded.
func (f *Filter) dirExcluded(parent *dirNode, rel, name string) bool {
	return f.dirVerdict(parent, rel, name).reason != ""
}

// verdict is why an entry is excluded: reason "" when it is not. It is
// what fileIncluded and dirExcluded decide, with what decided it, so that
// Explain can never disagree with the walk.
type verdict struct {
	reason string
	glob   *glob.Glob     // ExcludedByGlob
	set    *ignoreSet     // ExcludedByIgnoreFile
	pat    *ignorePattern // ExcludedByIgnoreFile
}

// fileVerdict decides a non-directory entry of a directory that is not
// excluded.
func (f *Filter) fileVerdict(parent *dirNode, rel, name string) verdict {
	switch {
	case name == ".git":
		return verdict{reason: ExcludedGit}
	case rel == f.stateDir:
		return verdict{reason: ExcludedStateDir}
	case strings.HasPrefix(name, engineFilePrefix):
		return verdict{reason: ExcludedEngineFile}
	}
	if len(f.include) > 0 {
		in := false
		for i := range f.include {
			if f.include[i].Match(rel, name) {
				in = true
				break
			}
		}
		if !in {
			return verdict{reason: ExcludedNotIncluded}
		}
	}
	for i := range f.exclude {
		if f.exclude[i].Match(rel, name) {
			return verdict{reason: ExcludedByGlob, glob: &f.exclude[i]}
		}
	}
	if s, p := decide(parent.ignores, rel, name, false); p != nil && !p.negate {
		return verdict{reason: ExcludedByIgnoreFile, set: s, pat: p}
	}
	return verdict{}
}

// dirVerdict decides a subdirectory of a directory that is not excluded.
func (f *Filter) dirVerdict(parent *dirNode, rel, name string) verdict {
	switch {
	case name == ".git":
		return verdict{reason: ExcludedGit}
	case rel == f.stateDir:
		return verdict{reason: ExcludedStateDir}
	case f.includeBases != nil && !f.reachable(rel):
		return verdict{reason: ExcludedNotIncluded}
	}
	for i := range f.exclude {
		if f.exclude[i].Match(rel, name) {
			return verdict{reason: ExcludedByGlob, glob: &f.exclude[i]}
		}
	}
	if s, p := decide(parent.ignores, rel, name, true); p != nil && !p.negate {
		return verdict{reason: ExcludedByIgnoreFile, set: s, pat: p}
	}
	return verdict{}
}

// reachable reports whether some include glob may match a path under dir.
func (f *Filter) reachable(dir string) bool {
	for _, b := range f.includeBases {
		if under(dir, b) || under(b, dir) {
			return true
		}
	}
	return false
}

// under reports whether p is dir or lies below it.
func under(p, dir string) bool {
	return p == dir || (len(p) > len(dir) && p[len(dir)] == '/' && p[:len(dir)] == dir)
}

// tooDeep reports whether rel has at least n slashes: deeper than Walk goes
// (see maxDepth), which also bounds the work a hostile path can cause.
func tooDeep(rel string, n int) bool {
	return strings.Count(rel, "/") >= n
}

// splitRel splits a valid rel into its directory ("" at the top) and name.
func splitRel(rel string) (dir, name string) {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return "", rel
	}
	return rel[:i], rel[i+1:]
}

// node returns the cached node of dir, building it (and its parents) on first
// use from the files under rootDir.
func (f *Filter) node(dir string) *dirNode {
	f.mu.RLock()
	n := f.nodes[dir]
	f.mu.RUnlock()
	if n != nil {
		return n
	}
	if dir == "" {
		n = f.lazyNode(nil, "")
	} else {
		pdir, name := splitRel(dir)
		parent := f.node(pdir)
		if parent.excluded || f.dirExcluded(parent, dir, name) {
			n = &dirNode{excluded: true}
		} else {
			n = f.lazyNode(parent, dir)
		}
	}
	if n.absent {
		// Not cached: the directory may be created later, with ignore files.
		return n
	}
	return f.store(dir, n)
}

// lazyNode builds the node of a directory that is not excluded from the
// files under rootDir, read through an os.Root so that no symbolic link leads
// outside it.
func (f *Filter) lazyNode(parent *dirNode, dir string) *dirNode {
	if parent != nil && parent.absent {
		return &dirNode{ignores: parent.ignores, absent: true}
	}
	absent := &dirNode{absent: true}
	if parent != nil {
		absent.ignores = parent.ignores
	}
	root, err := os.OpenRoot(f.rootDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return absent
		}
		return &dirNode{excluded: true, why: "skipped because the root cannot be opened: " + err.Error()}
	}
	defer root.Close()
	name := dir
	if name == "" {
		name = "."
	}
	fi, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return absent
	case err != nil:
		return &dirNode{excluded: true, why: "skipped because it cannot be read: " + err.Error()}
	case fi.Mode()&fs.ModeSymlink != 0:
		// Paths through a symbolic link are not part of the tree: the walk
		// never follows links.
		return &dirNode{excluded: true, why: "a symbolic link, never followed"}
	case !fi.IsDir():
		return absent
	}
	n, _ := f.buildNode(parent, dir, func(rel string) ([]byte, error) {
		fi, err := root.Lstat(rel)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, fmt.Errorf("stat ignore file: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, nil
		}
		return readIgnoreFile(root, rel)
	}, true, true)
	return n
}

// store caches n for dir unless another goroutine got there first, and
// returns the cached node.
func (f *Filter) store(dir string, n *dirNode) *dirNode {
	f.mu.Lock()
	defer f.mu.Unlock()
	if old := f.nodes[dir]; old != nil {
		return old
	}
	f.nodes[dir] = n
	return n
}

// loader reads one ignore file, returning (nil, nil) when it does not exist
// or is not a regular file.
type loader func(rel string) ([]byte, error)

// buildNode builds the node of a directory that is not excluded, reading the
// ignore files the caller says exist with load. A read error excludes the
// directory (fail closed: without its ignore file we cannot know what the user
// wanted skipped) and is returned.
func (f *Filter) buildNode(parent *dirNode, dir string, load loader, hasGit, hasScribe bool) (*dirNode, error) {
	n := &dirNode{}
	if parent != nil {
		n.ignores = parent.ignores
	}
	prefix := 0
	if dir != "" {
		prefix = len(dir) + 1
	}
	own := 0
	for _, c := range [...]struct {
		name string
		has  bool
	}{{gitignoreName, hasGit}, {scribeignoreName, hasScribe}} {
		if !c.has {
			continue
		}
		rel := c.name
		if dir != "" {
			rel = dir + "/" + c.name
		}
		data, err := load(rel)
		if err != nil {
			return &dirNode{excluded: true, why: "skipped because an ignore file in it cannot be read: " + err.Error()}, err
		}
		ps := parseIgnore(data)
		if len(ps) == 0 {
			continue
		}
		if own == 0 {
			// Copy so that siblings never share the appended tail.
			n.ignores = append(make([]*ignoreSet, 0, len(n.ignores)+2), n.ignores...)
		}
		own++
		n.ignores = append(n.ignores, &ignoreSet{prefixLen: prefix, patterns: ps, file: rel})
	}
	return n, nil
}

// readIgnoreFile reads a regular ignore file through root. O_NONBLOCK keeps a
// FIFO swapped in after the type check from blocking the open; the fstat then
// rejects it.
func readIgnoreFile(root *os.Root, rel string) ([]byte, error) {
	fh, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("open ignore file: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat ignore file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil
	}
	if fi.Size() > maxIgnoreFileSize {
		return nil, fmt.Errorf("ignore file %s is %d bytes, more than the %d allowed: shorten it", rel, fi.Size(), maxIgnoreFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxIgnoreFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read ignore file: %w", err)
	}
	if len(data) > maxIgnoreFileSize {
		return nil, fmt.Errorf("ignore file %s grew past the %d bytes allowed: shorten it", rel, maxIgnoreFileSize)
	}
	return data, nil
}
