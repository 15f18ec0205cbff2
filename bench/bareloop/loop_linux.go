package bareloop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Options configure Run.
type Options struct {
	// Dir is the tree to watch.
	Dir string
	// Workers is how many files are rewritten at once (default 4).
	Workers int
	// DirSync makes each rewrite fsync the directory after the rename, as
	// Scribe does, so that the rename itself is durable.
	DirSync bool
	// Settle, when positive, delays each rewrite by this long after its
	// event, with one timer per event and no coalescing: it shows what a
	// timer wake-up costs on the machine, next to Scribe's settle time.
	Settle time.Duration
	// Written, when set, is incremented after each rewrite.
	Written *atomic.Int64
}

// todo and task are the benchmark rule: match '(?m)^TODO: (.+)$', replace
// with "- [ ] $1".
var (
	todo = regexp.MustCompile(`(?m)^TODO: (.+)$`)
	task = []byte("- [ ] $1")
)

// tempPrefix marks the loop's own temporary files, which it ignores.
const tempPrefix = ".bareloop-"

// Run watches opts.Dir and rewrites files until ctx is done. It closes ready
// once every directory is watched.
func Run(ctx context.Context, opts Options, ready chan<- struct{}) error {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	n, err := NewNotify(opts.Dir, unix.IN_CLOSE_WRITE)
	if err != nil {
		return err
	}
	defer n.Close()
	if ready != nil {
		close(ready)
	}
	jobs := make(chan string, 1<<16)
	var wg sync.WaitGroup
	errc := make(chan error, opts.Workers)
	for range opts.Workers {
		wg.Go(func() {
			for p := range jobs {
				if err := rewrite(p, opts.DirSync); err != nil {
					select {
					case errc <- err:
					default:
					}
				} else if opts.Written != nil {
					opts.Written.Add(1)
				}
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	// due receives the paths whose settle timer fired. It is never closed,
	// so a timer firing after Run returned cannot panic; it drops its path
	// instead of blocking.
	due := make(chan string, 1<<16)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case p := <-due:
			select {
			case jobs <- p:
			case <-ctx.Done():
				return nil
			}
		case ev, ok := <-n.C:
			if !ok {
				return n.Err()
			}
			base := filepath.Base(ev.Path)
			if !strings.HasSuffix(base, ".md") || strings.HasPrefix(base, tempPrefix) {
				continue
			}
			if opts.Settle > 0 {
				time.AfterFunc(opts.Settle, func() {
					select {
					case due <- ev.Path:
					default:
					}
				})
				continue
			}
			select {
			case jobs <- ev.Path:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// rewrite applies the rule to path and replaces it when the bytes change.
func rewrite(path string, dirSync bool) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	out := todo.ReplaceAll(b, task)
	if bytes.Equal(out, b) {
		return nil
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	// Same mode as the file had in the corpus (CreateTemp makes 0600).
	werr := f.Chmod(0o644)
	if werr == nil {
		_, werr = f.Write(out)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("rewrite %s: %w", path, werr)
	}
	if !dirSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
