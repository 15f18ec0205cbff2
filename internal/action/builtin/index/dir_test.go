package index

import (
	"bytes"
	"context"
	"flag"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
)

// update rewrites the golden files of the index and catalog tests:
// `go test ./internal/action/builtin/index/ -update`.
var update = flag.Bool("update", false, "rewrite golden files")

// docDir is a real Docs and Writer over a directory: the test stand-in for the
// engine's ports. It lists the files matching include, reads and stats them
// from disk, and writes atomically (temp file and rename) only when the bytes
// differ, counting every WriteFile call.
type docDir struct {
	root    string
	include string

	mu     sync.Mutex
	calls  int      // WriteFile calls
	writes []string // paths actually written
}

var (
	_ action.Docs   = (*docDir)(nil)
	_ action.Writer = (*docDir)(nil)
)

func newDocDir(t *testing.T, fixture string) *docDir {
	t.Helper()
	d := &docDir{root: t.TempDir(), include: "**/*.md"}
	if fixture != "" {
		if err := os.CopyFS(d.root, os.DirFS(fixture)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (d *docDir) abs(p string) string { return filepath.Join(d.root, filepath.FromSlash(p)) }

func (d *docDir) List() []string {
	var out []string
	_ = filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(d.root, p)
		rel = filepath.ToSlash(rel)
		if ok, _ := doublestar.Match(d.include, rel); ok {
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func (d *docDir) ReadFile(p string) ([]byte, error) { return os.ReadFile(d.abs(p)) }

func (d *docDir) Stat(p string) (fs.FileInfo, error) { return os.Lstat(d.abs(p)) }

func (d *docDir) WriteFile(ctx context.Context, p string, content []byte) error {
	d.mu.Lock()
	d.calls++
	d.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if old, err := os.ReadFile(d.abs(p)); err == nil && bytes.Equal(old, content) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(d.abs(p)), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(d.abs(p)), ".kbtmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), d.abs(p)); err != nil {
		os.Remove(f.Name())
		return err
	}
	d.mu.Lock()
	d.writes = append(d.writes, p)
	d.mu.Unlock()
	return nil
}

func (d *docDir) Rename(ctx context.Context, from, to string) error {
	return os.Rename(d.abs(from), d.abs(to))
}

func (d *docDir) counts() (calls, writes int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls, len(d.writes)
}

var clock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func (d *docDir) host() action.Host {
	return action.Host{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:  func() time.Time { return clock },
		Docs:   d,
		Writer: d,
	}
}

func (d *docDir) read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(d.abs(p))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// put writes a file and gives it a modification time distinct from every
// earlier one, so that caches keyed by size and time see the change even on
// file systems with coarse timestamps.
func (d *docDir) put(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(d.abs(p)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.abs(p), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	tick := epoch.Add(time.Duration(tick.Add(1)) * time.Second)
	if err := os.Chtimes(d.abs(p), tick, tick); err != nil {
		t.Fatal(err)
	}
}

var (
	epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tick  atomic.Int64
)

// run runs a on the file at p the way the engine does (content and front
// matter from disk) and writes new content back.
func (d *docDir) run(t *testing.T, a action.Action, p string) action.Output {
	t.Helper()
	content := d.read(t, p)
	fm, err := markdown.Parse(content)
	if err != nil || fm == nil {
		fm = map[string]any{}
	}
	out, err := a.Run(context.Background(), action.Input{Root: d.root, Path: p, Content: content, FrontMatter: fm, Rule: "test", Host: d.host()})
	if err != nil {
		t.Fatalf("Run(%s): %v", p, err)
	}
	if out.Content != nil {
		if err := os.WriteFile(d.abs(p), out.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (d *docDir) finish(t *testing.T, a action.Action) action.Output {
	t.Helper()
	f, ok := a.(action.Finisher)
	if !ok {
		t.Fatalf("%T is not a Finisher", a)
	}
	out, err := f.Finish(context.Background(), d.host())
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return out
}

// mustNew builds a registered action the way the configuration loader does:
// schema first, then the constructor.
func mustNew(t testing.TB, name string, params any) action.Action {
	t.Helper()
	a, err := action.New(name, params, action.Build{Rule: "test"})
	if err != nil {
		t.Fatalf("action.New(%s, %v): %v", name, params, err)
	}
	return a
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file\n--- got ---\n%s\n--- want ---\n%s", file, got, want)
	}
}
