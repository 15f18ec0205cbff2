package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

const catalogVault = "testdata/catalog/vault"

// catalogTime is the modification time every fixture gets, with
// nanoseconds to show they are kept.
var catalogTime = time.Date(2024, 6, 1, 10, 0, 0, 123456789, time.UTC)

func newCatalogDir(t *testing.T) *docDir {
	t.Helper()
	d := newDocDir(t, catalogVault)
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		return os.Chtimes(p, catalogTime, catalogTime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// runAll passes every document through Run, as a one-shot run does, then
// calls Finish.
func (d *docDir) runAll(t *testing.T, a action.Action) action.Output {
	t.Helper()
	for _, p := range d.List() {
		d.run(t, a, p)
	}
	return d.finish(t, a)
}

type decodedCatalog struct {
	Version   int `json:"version"`
	Documents []struct {
		Path        string         `json:"path"`
		SHA256      string         `json:"sha256"`
		Size        int64          `json:"size"`
		Modified    string         `json:"modified"`
		FrontMatter map[string]any `json:"front_matter"`
		Error       string         `json:"front_matter_error"`
	} `json:"documents"`
}

func (d *docDir) catalog(t *testing.T, p string) (decodedCatalog, map[string]string) {
	t.Helper()
	var c decodedCatalog
	if err := json.Unmarshal(d.read(t, p), &c); err != nil {
		t.Fatalf("%s is not valid JSON: %v", p, err)
	}
	raw := map[string]string{}
	for _, doc := range c.Documents {
		b, _ := json.Marshal(doc)
		raw[doc.Path] = string(b)
	}
	return c, raw
}

func TestCatalogGolden(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		output string
	}{
		{"all", map[string]any{}, "catalog.json"},
		{"fields", map[string]any{"output": "meta/catalog.json", "fields": []any{"title", "tags", "missing"}, "files": []any{"*.md", "sub/**"}}, "meta/catalog.json"},
		{"no-front-matter", map[string]any{"output": "c.json", "fields": []any{}, "files": "sub/**"}, "c.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newCatalogDir(t)
			a := mustNew(t, "catalog", tt.params)
			out := d.runAll(t, a)
			if len(out.Findings) != 0 {
				t.Errorf("findings: %+v", out.Findings)
			}
			golden(t, filepath.Join("testdata/catalog", tt.name+".json"), d.read(t, tt.output))
		})
	}
}

// TestCatalogDeterministic checks that two independent runs produce the same
// bytes, and that nothing is written when nothing changed.
func TestCatalogDeterministic(t *testing.T) {
	d1, d2 := newCatalogDir(t), newCatalogDir(t)
	a1, a2 := mustNew(t, "catalog", nil), mustNew(t, "catalog", nil)
	d1.runAll(t, a1)
	d2.runAll(t, a2)
	b1, b2 := d1.read(t, "catalog.json"), d2.read(t, "catalog.json")
	if string(b1) != string(b2) {
		t.Fatalf("two runs differ:\n%s\n---\n%s", b1, b2)
	}
	if !strings.HasSuffix(string(b1), "}\n") || !strings.HasPrefix(string(b1), "{\n  \"version\": 1,\n  \"documents\": [\n    {\n      \"path\": ") {
		t.Errorf("unexpected layout:\n%.200s", b1)
	}

	calls, writes := d1.counts()
	d1.finish(t, a1)
	if c, w := d1.counts(); c != calls || w != writes {
		t.Errorf("unchanged: %d Writer calls, %d writes; want none", c-calls, w-writes)
	}
	// A new process knows nothing; the Writer sees equal bytes and keeps the file.
	d1.runAll(t, mustNew(t, "catalog", nil))
	if _, w := d1.counts(); w != writes {
		t.Errorf("a fresh instance rewrote an unchanged catalog")
	}
	// Run on unchanged files re-reads them but changes nothing.
	d1.runAll(t, a1)
	if _, w := d1.counts(); w != writes {
		t.Errorf("re-running unchanged files rewrote the catalog")
	}
}

func TestCatalogIncremental(t *testing.T) {
	d := newCatalogDir(t)
	a := mustNew(t, "catalog", nil)
	d.runAll(t, a)
	_, before := d.catalog(t, "catalog.json")

	// One file changes: only its entry changes.
	d.put(t, "sub/deep/x.md", "---\ntitle: Deeper\n---\nnew body\n")
	d.run(t, a, "sub/deep/x.md")
	d.finish(t, a)
	_, after := d.catalog(t, "catalog.json")
	for p, e := range before {
		if p == "sub/deep/x.md" {
			if after[p] == e || !strings.Contains(after[p], `"Deeper"`) {
				t.Errorf("changed entry not updated: %s", after[p])
			}
			continue
		}
		if after[p] != e {
			t.Errorf("entry %s changed although its file did not:\n%s\n%s", p, e, after[p])
		}
	}

	// A change seen only by the periodic Finish (no Run) is caught by size
	// and modification time.
	d.put(t, "no-fm.md", "---\ntitle: Now with front matter\n---\n")
	d.finish(t, a)
	_, after = d.catalog(t, "catalog.json")
	if !strings.Contains(after["no-fm.md"], "Now with front matter") {
		t.Errorf("stat-detected change missed: %s", after["no-fm.md"])
	}

	// Deleting a file drops it; adding one adds it.
	if err := os.Remove(d.abs("crlf.md")); err != nil {
		t.Fatal(err)
	}
	d.put(t, "new.md", "new\n")
	d.finish(t, a)
	c, after := d.catalog(t, "catalog.json")
	if _, ok := after["crlf.md"]; ok {
		t.Errorf("deleted file still listed")
	}
	if _, ok := after["new.md"]; !ok {
		t.Errorf("new file not listed")
	}
	for i := 1; i < len(c.Documents); i++ {
		if c.Documents[i-1].Path >= c.Documents[i].Path {
			t.Errorf("not sorted by path: %s before %s", c.Documents[i-1].Path, c.Documents[i].Path)
		}
	}
}

// TestCatalogRunForcesRehash covers an edit that keeps both the size and the
// modification time: the stat alone cannot see it, the Run that the engine
// makes for the changed file does.
func TestCatalogRunForcesRehash(t *testing.T) {
	d := newCatalogDir(t)
	a := mustNew(t, "catalog", nil)
	d.runAll(t, a)
	_, before := d.catalog(t, "catalog.json")
	if err := os.WriteFile(d.abs("crlf.md"), []byte("---\r\ntitle: crlf\r\n---\r\nBODY\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(d.abs("crlf.md"), catalogTime, catalogTime); err != nil {
		t.Fatal(err)
	}
	d.finish(t, a)
	if _, mid := d.catalog(t, "catalog.json"); mid["crlf.md"] != before["crlf.md"] {
		t.Logf("the stat caught a same-size, same-time edit (finer than expected)")
	}
	d.run(t, a, "crlf.md")
	d.finish(t, a)
	_, after := d.catalog(t, "catalog.json")
	if after["crlf.md"] == before["crlf.md"] || !strings.Contains(after["crlf.md"], `"crlf"`) {
		t.Errorf("Run did not force a re-read: %s", after["crlf.md"])
	}
}

func TestCatalogExcludesItself(t *testing.T) {
	d := newCatalogDir(t)
	d.include = "**"
	a := mustNew(t, "catalog", map[string]any{"output": "catalog.json"})
	d.runAll(t, a)
	d.runAll(t, a) // now catalog.json exists and is listed
	_, entries := d.catalog(t, "catalog.json")
	if _, ok := entries["catalog.json"]; ok {
		t.Errorf("the catalog lists itself")
	}
	if _, ok := entries["notes.txt"]; !ok {
		t.Errorf("with include **, notes.txt should be listed")
	}
}

// failingDocs fails to read one path, like a file that turned unreadable.
type failingDocs struct {
	*docDir
	bad string
}

func (f failingDocs) ReadFile(p string) ([]byte, error) {
	if p == f.bad {
		return nil, fmt.Errorf("read %s: %w", p, fs.ErrPermission)
	}
	return f.docDir.ReadFile(p)
}

func TestCatalogUnreadableFile(t *testing.T) {
	d := newCatalogDir(t)
	a := mustNew(t, "catalog", nil).(*catalogAction)
	h := d.host()
	h.Docs = &failingDocs{docDir: d, bad: "a.md"}
	out, err := a.Finish(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Findings) != 1 || out.Findings[0].Path != "a.md" || out.Findings[0].Severity != action.SeverityWarning {
		t.Errorf("findings = %+v", out.Findings)
	}
	if _, entries := d.catalog(t, "catalog.json"); len(entries) != len(d.List())-1 {
		t.Errorf("want every readable document listed, got %d", len(entries))
	}
}

func TestCatalogConstructorErrors(t *testing.T) {
	tests := []struct {
		params map[string]any
		says   string
	}{
		{map[string]any{"output": "../catalog.json"}, "relative to the root"},
		{map[string]any{"output": "dir/"}, "relative to the root"},
		{map[string]any{"output": ".svn/catalog.json"}, "inside .svn, a version control directory, which Scribe never writes"},
		{map[string]any{"files": "a/[b"}, `invalid glob "a/[b"`},
		{map[string]any{"fields": "title"}, "fields"},
		{map[string]any{"fields": []any{"a", "a"}}, "fields"},
		{map[string]any{"out": "x.json"}, "out"},
	}
	for _, tt := range tests {
		_, err := action.New("catalog", tt.params, action.Build{})
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("catalog %v: err = %v, want it to mention %q", tt.params, err, tt.says)
		}
	}
}

func TestCatalogNotPermitted(t *testing.T) {
	a := mustNew(t, "catalog", nil)
	if _, err := a.Run(context.Background(), action.Input{Path: "a.md"}); err != nil {
		t.Errorf("Run needs no ports: %v", err)
	}
	if _, err := a.(action.Finisher).Finish(context.Background(), action.Host{}); !errors.Is(err, action.ErrNotPermitted) {
		t.Errorf("Finish without ports: %v", err)
	}
}

func TestCatalogCancelledFinishKeepsWork(t *testing.T) {
	d := newCatalogDir(t)
	a := mustNew(t, "catalog", nil)
	for _, p := range d.List() {
		d.run(t, a, p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.(action.Finisher).Finish(ctx, d.host()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Finish: %v", err)
	}
	if _, err := os.Stat(d.abs("catalog.json")); err == nil {
		t.Fatal("written despite cancellation")
	}
	d.finish(t, a)
	if c, _ := d.catalog(t, "catalog.json"); len(c.Documents) != len(d.List()) {
		t.Errorf("after a cancelled Finish, %d of %d documents", len(c.Documents), len(d.List()))
	}
}

func TestCatalogConcurrent(t *testing.T) {
	d := newCatalogDir(t)
	a := mustNew(t, "catalog", nil)
	var wg sync.WaitGroup
	for range 4 {
		for _, p := range d.List() {
			wg.Go(func() {
				if _, err := a.Run(context.Background(), action.Input{Path: p, Host: d.host()}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Go(func() {
			if _, err := a.(action.Finisher).Finish(context.Background(), d.host()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	d.finish(t, a)
	ref := newCatalogDir(t)
	ref.runAll(t, mustNew(t, "catalog", nil))
	if got, want := d.read(t, "catalog.json"), ref.read(t, "catalog.json"); string(got) != string(want) {
		t.Errorf("concurrent result differs from a sequential one")
	}
}

func BenchmarkCatalogFinish(b *testing.B) {
	root := b.TempDir()
	d := &docDir{root: root, include: "**/*.md"}
	for i := range 2000 {
		p := filepath.Join(root, fmt.Sprintf("n/%03d/note-%d.md", i%100, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		body := fmt.Sprintf("---\ntitle: Note %d\ntags: [a, b]\ndate: 2024-01-02\n---\n%s\n", i, strings.Repeat("text ", 200))
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	a := mustNew(b, "catalog", nil).(action.Finisher)
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Finish(context.Background(), d.host()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCatalogAssemblyMatchesEncoder checks that joining cached entries gives
// exactly what encoding the whole catalog at once would.
func TestCatalogAssemblyMatchesEncoder(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		var docs []catalogDoc
		var parts [][]byte
		for i := range n {
			d := catalogDoc{Path: fmt.Sprintf("d%d.md", i), SHA256: "00", Size: int64(i), Modified: "2024-01-01T00:00:00Z",
				FrontMatter: map[string]any{"z": []any{1, "<&>"}, "a": map[string]any{"k": nil}}}
			if i == 1 {
				d.FrontMatter, d.FrontMatterError = map[string]any{}, "bad"
			}
			docs = append(docs, d)
			b, err := encodeCatalogDoc(d)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, b)
		}
		if docs == nil {
			docs = []catalogDoc{}
		}
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Version   int          `json:"version"`
			Documents []catalogDoc `json:"documents"`
		}{catalogVersion, docs}); err != nil {
			t.Fatal(err)
		}
		if got := string(assembleCatalog(parts)); got != want.String() {
			t.Errorf("%d documents:\n%s\nwant\n%s", n, got, want.String())
		}
	}
}

func TestCatalogEmpty(t *testing.T) {
	d := newDocDir(t, "")
	d.finish(t, mustNew(t, "catalog", map[string]any{"output": "c.json"}))
	if got, want := string(d.read(t, "c.json")), "{\n  \"version\": 1,\n  \"documents\": []\n}\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
