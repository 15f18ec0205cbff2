package vcs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options tune a Repo.
type Options struct {
	// Quiet is how long Busy stays true after the git directory last
	// changed, so that the gaps between the steps of one command (stash,
	// pull) do not count as the end of the operation. Default 300ms.
	Quiet time.Duration
	// Git is the git executable; default: "git" looked up on PATH. Without
	// one, Busy still works (it only reads files); Committed reports false
	// and the listing functions fail.
	Git string
}

// DefaultQuiet is the default of Options.Quiet.
const DefaultQuiet = 300 * time.Millisecond

// Repo is a git work tree.
type Repo struct {
	// Top is the absolute path of the work tree's top directory.
	Top string
	// GitDir is the git directory of this work tree (".git", or the
	// directory a ".git" file points to).
	GitDir string

	quiet time.Duration
	git   string

	mu        sync.Mutex
	monitored bool      // a Monitor keeps busy and last current
	op        string    // the operation in progress ("" when none)
	opStart   time.Time // when op was first seen
	spans     []span    // recent operations, oldest first (ActiveAt)
	last      time.Time // when the git directory last changed
	gen       uint64    // bumped on every change of the git directory
	closed    bool

	catMu  sync.Mutex // guards cat and catGen; held during a lookup
	cat    *catFile   // blob-id lookups; restarted when gen moves
	catGen uint64
}

// Open returns the git work tree containing dir, or nil (and no error) when
// dir is not inside one.
func Open(dir string, opts Options) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	top, gitDir, err := discover(abs)
	if err != nil || top == "" {
		return nil, err
	}
	if opts.Quiet <= 0 {
		opts.Quiet = DefaultQuiet
	}
	if opts.Git == "" {
		opts.Git = "git"
	}
	git, lerr := exec.LookPath(opts.Git)
	if lerr != nil {
		git = ""
	}
	r := &Repo{Top: top, GitDir: gitDir, quiet: opts.Quiet, git: git}
	r.op = r.scanMarkers()
	return r, nil
}

// discover walks up from dir to the directory holding ".git".
func discover(dir string) (top, gitDir string, err error) {
	for d := dir; ; {
		p := filepath.Join(d, ".git")
		fi, err := os.Lstat(p)
		switch {
		case err == nil && fi.IsDir():
			return d, p, nil
		case err == nil && fi.Mode().IsRegular():
			// A linked worktree or a submodule: "gitdir: PATH".
			b, err := os.ReadFile(p)
			if err != nil {
				return "", "", fmt.Errorf("read %s: %w", p, err)
			}
			line, _, _ := strings.Cut(string(b), "\n")
			target, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir:")
			if !ok {
				return "", "", fmt.Errorf("%s is not a gitdir file (it should say \"gitdir: PATH\")", p)
			}
			target = strings.TrimSpace(target)
			if !filepath.IsAbs(target) {
				target = filepath.Join(d, target)
			}
			return d, filepath.Clean(target), nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", "", err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", nil
		}
		d = parent
	}
}

// markers are the entries of the git directory that exist while an
// operation is in progress, with how to describe it.
var markers = []struct{ name, op string }{
	{"index.lock", "a git command is writing the index (index.lock)"},
	{"rebase-merge", "a rebase is in progress"},
	{"rebase-apply", "a rebase or am is in progress"},
	{"MERGE_HEAD", "a merge is in progress"},
	{"CHERRY_PICK_HEAD", "a cherry-pick is in progress"},
	{"REVERT_HEAD", "a revert is in progress"},
	{"sequencer", "a cherry-pick or revert sequence is in progress"},
	{"BISECT_LOG", "a bisect is in progress"},
}

// scanMarkers returns the operation in progress, "" when none.
func (r *Repo) scanMarkers() string {
	for _, m := range markers {
		if _, err := os.Lstat(filepath.Join(r.GitDir, m.name)); err == nil {
			return m.op
		}
	}
	return ""
}

// Busy reports whether a git operation is in progress, or ended less than
// the quiet time ago, and says which.
func (r *Repo) Busy() (bool, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.monitored {
		r.op = r.scanMarkers()
	}
	if r.op != "" {
		return true, r.op
	}
	if !r.last.IsZero() && time.Since(r.last) < r.quiet {
		return true, "a git operation just ended"
	}
	return false, ""
}

// span is a period during which an operation was in progress.
type span struct{ start, end time.Time }

// maxSpans bounds the history ActiveAt looks at; older operations no longer
// matter once their changes are processed.
const maxSpans = 256

// margin widens each span in ActiveAt: the work tree's events and the git
// directory's are read by different goroutines, so their times can be a
// little out of order.
const margin = 50 * time.Millisecond

// touched records a change of the git directory, and reports whether an
// operation started or ended.
func (r *Repo) touched(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = now
	r.gen++
	op := r.scanMarkers()
	switch {
	case r.op == "" && op != "":
		r.opStart = now
	case r.op != "" && op == "":
		r.spans = append(r.spans, span{r.opStart, now})
		if len(r.spans) > maxSpans {
			r.spans = r.spans[len(r.spans)-maxSpans:]
		}
	}
	was := r.op
	r.op = op
	return (was == "") != (op == "")
}

// ActiveAt reports whether a git operation was in progress at t (within a
// small margin): a change of a work-tree file first seen then was probably
// written by git. It needs a running Monitor; without one it reports whether
// an operation is in progress now.
func (r *Repo) ActiveAt(t time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.monitored {
		return r.scanMarkers() != ""
	}
	if r.op != "" && !t.Before(r.opStart.Add(-margin)) {
		return true
	}
	for i := len(r.spans) - 1; i >= 0; i-- {
		sp := r.spans[i]
		if !t.Before(sp.start.Add(-margin)) && !t.After(sp.end.Add(margin)) {
			return true
		}
	}
	return false
}

// Rel returns abs relative to the work tree's top, slash-separated, and
// whether it lies inside the work tree.
func (r *Repo) Rel(abs string) (string, bool) {
	rel, err := filepath.Rel(r.Top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// Close stops the helper process of Committed.
func (r *Repo) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.catMu.Lock()
	defer r.catMu.Unlock()
	if r.cat != nil {
		r.cat.close()
		r.cat = nil
	}
	return nil
}

// command runs git read-only in the work tree and returns its output.
func (r *Repo) command(ctx context.Context, args ...string) ([]byte, error) {
	if r.git == "" {
		return nil, errors.New("git is not installed (not found on PATH)")
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.git, args...)
	cmd.Dir = r.Top
	cmd.Env = gitEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out, nil
}

// commandTimeout bounds one git command; listing even a huge repository's
// changes takes far less.
const commandTimeout = 2 * time.Minute

// gitEnv is the environment of the git commands Scribe runs: never take
// optional locks (so a user's command never finds index.lock held by
// Scribe), no pager, no prompts, messages in English for error reports.
func gitEnv() []string {
	env := []string{"GIT_OPTIONAL_LOCKS=0", "GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat", "LC_ALL=C"}
	// Inside a git hook, git sets GIT_DIR and GIT_INDEX_FILE (a temporary
	// index for `git commit -a` or `git commit PATH`): what --staged must read.
	for _, k := range []string{"PATH", "HOME", "XDG_CONFIG_HOME", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
