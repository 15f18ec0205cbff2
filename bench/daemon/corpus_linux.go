package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// bench holds what every scenario shares.
type bench struct {
	f   *flags
	log *slog.Logger
}

// corpus returns a work directory holding a corpus of n notes in tree/,
// generating it with ./bench/corpus unless a previous run left it there.
// The daemon's configuration and state live next to tree/, outside it.
func (b *bench) corpus(ctx context.Context, n int) (string, error) {
	return b.corpusIn(ctx, "n"+strconv.Itoa(n), n)
}

// corpusIn is corpus in the work directory's subdirectory name.
func (b *bench) corpusIn(ctx context.Context, name string, n int) (string, error) {
	dir := filepath.Join(b.f.work, name)
	mark := filepath.Join(dir, "corpus.done")
	if _, err := os.Stat(mark); err == nil {
		return dir, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "writing a corpus of %d notes…\n", n)
	cmd := exec.CommandContext(ctx, "go", "run", "./bench/corpus", "-n", strconv.Itoa(n), "-out", filepath.Join(dir, "tree"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go run ./bench/corpus -n %d: %w", n, err)
	}
	return dir, os.WriteFile(mark, nil, 0o644)
}

// notes lists the Markdown files of tree, relative and sorted (WalkDir order).
func notes(tree string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(tree, p)
			out = append(out, rel)
		}
		return nil
	})
	return out, err
}
