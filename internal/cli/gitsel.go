package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/vcs"
)

// gitSelection is what --changed, --staged or --since REF select for run and
// check: the files git sees as changed, instead of every document.
type gitSelection struct {
	changed bool
	staged  bool
	since   string
	restage bool // run --staged: stage the fixes written
}

func addGitFlags(cmd *cobra.Command, s *gitSelection, run bool) {
	cmd.Flags().BoolVar(&s.changed, "changed", false, "only the files git sees as changed against HEAD (staged or not) and new files")
	cmd.Flags().BoolVar(&s.staged, "staged", false, "only the staged files, as `git commit` would commit them (check reads their staged content)")
	cmd.Flags().StringVar(&s.since, "since", "", "only the files changed since the current branch left `REF` (their merge base), committed or not")
	if run {
		cmd.Flags().BoolVar(&s.restage, "restage", false, "with --staged: stage the fixes written (git add)")
	}
}

func (s gitSelection) active() bool { return s.changed || s.staged || s.since != "" }

// check refuses combinations that make no sense.
func (s gitSelection) check() error {
	n := 0
	for _, on := range []bool{s.changed, s.staged, s.since != ""} {
		if on {
			n++
		}
	}
	switch {
	case n > 1:
		return fail(ExitUsage, errors.New("--changed, --staged and --since select files in different ways; give one of them"))
	case s.restage && !s.staged:
		return fail(ExitUsage, errors.New("--restage stages the fixes of --staged; give --staged too"))
	}
	return nil
}

func (s gitSelection) flag() string {
	switch {
	case s.changed:
		return "--changed"
	case s.staged:
		return "--staged"
	}
	return "--since"
}

// selected is a git selection resolved against the project's roots.
type selected struct {
	repo    *vcs.Repo
	targets []engine.Target
	// staged holds the staged content of each selected file (--staged),
	// by root and root-relative path.
	staged map[*engine.Root]map[string][]byte
	// refused are the files run --staged does not fix (unstaged changes).
	refused []*engine.Result
}

func (sel *selected) close() {
	if sel != nil && sel.repo != nil {
		sel.repo.Close()
	}
}

// resolve lists the files git selects, keeps the documents inside targets,
// and (with --staged) reads their staged content.
func (s gitSelection) resolve(ctx context.Context, p *project, targets []engine.Target, dry bool) (*selected, error) {
	repo, err := vcs.Open(p.Config.Dir, vcs.Options{})
	if err != nil {
		return nil, fail(ExitFailure, fmt.Errorf("%s: %w", s.flag(), err))
	}
	if repo == nil {
		return nil, fail(ExitUsage, fmt.Errorf("%s needs a git work tree, and %s is not inside one", s.flag(), p.Config.Dir))
	}
	sel := &selected{repo: repo}
	var paths []string
	switch {
	case s.changed:
		paths, err = repo.Changed(ctx)
	case s.staged:
		paths, err = repo.Staged(ctx)
	default:
		paths, err = repo.Since(ctx, s.since)
	}
	if err != nil {
		sel.close()
		return nil, fail(ExitUsage, err)
	}
	var tops []string // top-relative paths of the selected documents
	for _, tp := range paths {
		abs := filepath.Join(repo.Top, filepath.FromSlash(tp))
		t, ok := covering(targets, abs)
		if !ok {
			continue
		}
		rel := relTo(t.Root.Dir, abs)
		if !t.Root.Filter.Included(rel) {
			continue
		}
		if fi, err := t.Root.FS.Lstat(rel); err != nil || !fi.Mode().IsRegular() {
			continue // deleted since, or not a document
		}
		sel.targets = append(sel.targets, engine.Target{Root: t.Root, Rel: rel, File: true})
		tops = append(tops, tp)
	}
	if !s.staged || len(tops) == 0 {
		return sel, nil
	}
	contents, err := repo.StagedContents(ctx, tops)
	if err != nil {
		sel.close()
		return nil, fail(ExitFailure, err)
	}
	sel.staged = map[*engine.Root]map[string][]byte{}
	kept := sel.targets[:0]
	for i, t := range sel.targets {
		c, ok := contents[tops[i]]
		if !ok {
			continue
		}
		if !dry {
			// A fix is written to the work tree: only where it holds
			// what is staged, or the unstaged changes would be mixed in.
			snap, err := safefile.Read(t.Root.FS, t.Rel, 0)
			if err != nil || !bytes.Equal(snap.Content, c) {
				sel.refused = append(sel.refused, &engine.Result{Root: t.Root.Dir, Path: t.Rel,
					Error: "has unstaged changes: not fixed; stage or stash them, or see the staged version with `scribe check --staged`"})
				continue
			}
		}
		if sel.staged[t.Root] == nil {
			sel.staged[t.Root] = map[string][]byte{}
		}
		sel.staged[t.Root][t.Rel] = c
		kept = append(kept, t)
	}
	sel.targets = kept
	return sel, nil
}

// content is engine.Options.Content for check --staged.
func (sel *selected) content(root *engine.Root, rel string) ([]byte, bool) {
	c, ok := sel.staged[root][rel]
	return c, ok
}

// restage stages the selected files that the run wrote.
func (sel *selected) restage(ctx context.Context, rep *engine.Report) error {
	var paths []string
	for _, r := range rep.Results {
		if !r.Written || r.Via != "" {
			continue
		}
		for root, files := range sel.staged {
			if root.Dir != r.Root {
				continue
			}
			if _, ok := files[r.Path]; ok {
				if tp, ok := sel.repo.Rel(filepath.Join(root.Dir, filepath.FromSlash(r.Path))); ok {
					paths = append(paths, tp)
				}
			}
		}
	}
	return sel.repo.Add(ctx, paths)
}

// covering returns the target that contains abs.
func covering(targets []engine.Target, abs string) (engine.Target, bool) {
	for _, t := range targets {
		dir := t.Root.Dir
		if t.Rel != "" && t.Rel != "." {
			dir = filepath.Join(dir, filepath.FromSlash(t.Rel))
		}
		if abs == dir && t.File || strings.HasPrefix(abs, dir+string(filepath.Separator)) && !t.File {
			return t, true
		}
	}
	return engine.Target{}, false
}

func relTo(dir, abs string) string {
	rel, _ := filepath.Rel(dir, abs)
	return filepath.ToSlash(rel)
}
