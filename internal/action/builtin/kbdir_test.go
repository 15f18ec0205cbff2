package builtin

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

// The golden files of the index and catalog tests are rewritten with
// `go test -run 'Index|Catalog' ./internal/action/builtin/ -update`. The flag
// is shared with the package's other golden tests, so it is declared only if
// nobody declared it first.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func kbUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// kbDir is a real Docs and Writer over a directory: the test stand-in for the
// engine's ports. It lists the files matching include, reads and stats them
// from disk, and writes atomically (temp file and rename) only when the bytes
// differ, counting every WriteFile call.
type kbDir struct {
	root    string
	include string

	mu     sync.Mutex
	calls  int      // WriteFile calls
	writes []string // paths actually written
}

var (
	_ action.Docs   = (*kbDir)(nil)
	_ action.Writer = (*kbDir)(nil)
)

func newKBDir(t *testing.T, fixture string) *kbDir {
	t.Helper()
	d := &kbDir{root: t.TempDir(), include: "**/*.md"}
	if fixture != "" {
		if err := os.CopyFS(d.root, os.DirFS(fixture)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (d *kbDir) abs(p string) string { return filepath.Join(d.root, filepath.FromSlash(p)) }

func (d *kbDir) List() []string {
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

func (d *kbDir) ReadFile(p string) ([]byte, error) { return os.ReadFile(d.abs(p)) }

func (d *kbDir) Stat(p string) (fs.FileInfo, error) { return os.Lstat(d.abs(p)) }

func (d *kbDir) WriteFile(ctx context.Context, p string, content []byte) error {
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

func (d *kbDir) Rename(ctx context.Context, from, to string) error {
	return os.Rename(d.abs(from), d.abs(to))
}

func (d *kbDir) counts() (calls, writes int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls, len(d.writes)
}

var kbClock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func (d *kbDir) host() action.Host {
	return action.Host{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:  func() time.Time { return kbClock },
		Docs:   d,
		Writer: d,
	}
}

func (d *kbDir) read(t *testing.T, p string) []byte {
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
func (d *kbDir) put(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(d.abs(p)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.abs(p), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	tick := kbEpoch.Add(time.Duration(kbTick.Add(1)) * time.Second)
	if err := os.Chtimes(d.abs(p), tick, tick); err != nil {
		t.Fatal(err)
	}
}

var (
	kbEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	kbTick  atomic.Int64
)

// run runs a on the file at p the way the engine does (content and front
// matter from disk) and writes new content back.
func (d *kbDir) run(t *testing.T, a action.Action, p string) action.Output {
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

func (d *kbDir) finish(t *testing.T, a action.Action) action.Output {
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

// kbNew builds a registered action the way the configuration loader does:
// schema first, then the constructor.
func kbNew(t testing.TB, name string, params any) action.Action {
	t.Helper()
	a, err := action.New(name, params, action.Build{Rule: "test"})
	if err != nil {
		t.Fatalf("action.New(%s, %v): %v", name, params, err)
	}
	return a
}

// kbGolden compares got with the golden file, or rewrites it with -update.
func kbGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if kbUpdate() {
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
