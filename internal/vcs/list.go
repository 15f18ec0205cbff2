package vcs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// Changed lists the files that differ between HEAD and the work tree
// (staged or not) plus untracked files that are not ignored: what `git
// status` shows as changed or new. Paths are relative to Top; deleted files
// are left out.
func (r *Repo) Changed(ctx context.Context) ([]string, error) {
	var tracked []byte
	var err error
	if r.hasHead(ctx) {
		tracked, err = r.command(ctx, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", "HEAD", "--")
	} else {
		// No commit yet: everything staged is new.
		tracked, err = r.command(ctx, "ls-files", "-z", "--cached")
	}
	if err != nil {
		return nil, err
	}
	return r.withUntracked(ctx, tracked)
}

// Staged lists the files whose staged version differs from HEAD: what `git
// commit` would commit. Deleted files are left out.
func (r *Repo) Staged(ctx context.Context) ([]string, error) {
	out, err := r.command(ctx, "diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=d")
	if err != nil {
		return nil, err
	}
	return splitZ(out), nil
}

// Since lists the files changed since the point where the current branch
// left ref (their merge base), committed or not, plus untracked files: what a
// pull request from this branch into ref would change. Deleted files are
// left out.
func (r *Repo) Since(ctx context.Context, ref string) ([]string, error) {
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("--since %q: a revision cannot start with '-'", ref)
	}
	base, err := r.command(ctx, "merge-base", ref, "HEAD")
	if err != nil {
		return nil, fmt.Errorf("--since %s: %w", ref, err)
	}
	tracked, err := r.command(ctx, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", strings.TrimSpace(string(base)), "--")
	if err != nil {
		return nil, err
	}
	return r.withUntracked(ctx, tracked)
}

func (r *Repo) withUntracked(ctx context.Context, tracked []byte) ([]string, error) {
	untracked, err := r.command(ctx, "ls-files", "-z", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	out := append(splitZ(tracked), splitZ(untracked)...)
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (r *Repo) hasHead(ctx context.Context) bool {
	_, err := r.command(ctx, "rev-parse", "--verify", "--quiet", "HEAD")
	return err == nil
}

// splitZ splits NUL-terminated names.
func splitZ(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			i = len(b)
		}
		if i > 0 {
			out = append(out, string(b[:i]))
		}
		b = b[min(i+1, len(b)):]
	}
	return out
}

// StagedContents returns the staged content of each path (relative to
// Top), read with one `git cat-file --batch`. A path with no staged blob is
// absent from the result.
func (r *Repo) StagedContents(ctx context.Context, paths []string) (map[string][]byte, error) {
	if r.git == "" {
		return nil, fmt.Errorf("git is not installed (not found on PATH)")
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.git, "cat-file", "--batch", "-z")
	cmd.Dir = r.Top
	cmd.Env = gitEnv()
	var in bytes.Buffer
	var asked []string
	for _, p := range paths {
		if strings.ContainsAny(p, "\x00\n") {
			continue
		}
		in.WriteString(":" + p + "\x00")
		asked = append(asked, p)
	}
	cmd.Stdin = &in
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start git cat-file: %w", err)
	}
	out := make(map[string][]byte, len(asked))
	br := bufio.NewReader(stdout)
	var rerr error
	for _, p := range asked {
		header, err := br.ReadString('\n')
		if err != nil {
			rerr = fmt.Errorf("git cat-file: %w", err)
			break
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			continue // "<name> missing"
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			rerr = fmt.Errorf("git cat-file: bad header %q", header)
			break
		}
		body := make([]byte, n+1) // content and a newline
		if _, err := io.ReadFull(br, body); err != nil {
			rerr = fmt.Errorf("git cat-file: %w", err)
			break
		}
		if f[1] == "blob" {
			out[p] = body[:n]
		}
	}
	if rerr != nil {
		cancel()
	}
	werr := cmd.Wait()
	if rerr != nil {
		return nil, rerr
	}
	if werr != nil {
		return nil, fmt.Errorf("git cat-file: %w", werr)
	}
	return out, nil
}

// Add stages paths (relative to Top): `git add -- PATHS`, for `scribe run
// --staged --restage`. Unlike every other call here it writes the index, at
// the user's request.
func (r *Repo) Add(ctx context.Context, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	_, err := r.command(ctx, append([]string{"add", "--"}, paths...)...)
	return err
}
