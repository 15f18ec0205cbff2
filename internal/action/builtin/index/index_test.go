package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
)

const indexVault = "testdata/index/vault"

type indexCase struct {
	Holder string         `json:"holder"`
	Params map[string]any `json:"params"`
}

func readIndexCase(t *testing.T, dir string) indexCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c indexCase
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return c
}

func findingsText(fs []action.Finding) []byte {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s:%d: %s: %s\n", f.Path, f.Line, f.Severity, f.Message)
	}
	return []byte(b.String())
}

// TestIndexGolden runs each case under testdata/index/cases on a copy of the
// vault: region mode regenerates the holder file, whole-file mode writes the
// output; the result and the findings are compared with golden files. Each
// case then checks idempotence: a second run changes nothing and a second
// Finish makes no Writer call.
func TestIndexGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/index/cases/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c := readIndexCase(t, dir)
			d := newDocDir(t, indexVault)
			a := mustNew(t, "index", c.Params)
			var got []byte
			var out action.Output
			if c.Holder != "" {
				input, err := os.ReadFile(filepath.Join(dir, "input.md"))
				if err != nil {
					t.Fatal(err)
				}
				d.put(t, c.Holder, string(input))
				out = d.run(t, a, c.Holder)
				got = d.read(t, c.Holder)
			} else {
				out = d.finish(t, a)
				got = d.read(t, c.Params["output"].(string))
			}
			golden(t, filepath.Join(dir, "want.md"), got)
			findingsFile := filepath.Join(dir, "findings.txt")
			if fs := findingsText(out.Findings); len(fs) > 0 || *update {
				if len(fs) == 0 {
					os.Remove(findingsFile)
				} else {
					golden(t, findingsFile, fs)
				}
			} else if _, err := os.Stat(findingsFile); err == nil {
				t.Errorf("no findings, but %s expects some", findingsFile)
			}

			// Idempotence: nothing changed, so nothing to do.
			if c.Holder != "" {
				if again := d.run(t, a, c.Holder); again.Content != nil {
					t.Errorf("second run changed the file:\n%s", again.Content)
				}
				if fin := d.finish(t, a); len(fin.Affected) != 0 {
					t.Errorf("Finish named %v although no input changed", fin.Affected)
				}
				return
			}
			calls, writes := d.counts()
			d.finish(t, a)
			if c2, w2 := d.counts(); c2 != calls || w2 != writes {
				t.Errorf("second Finish: Writer calls %d→%d, writes %d→%d; want none", calls, c2, writes, w2)
			}
			// A fresh instance (a new process) regenerates the same bytes,
			// with its own output present among the documents.
			fresh := mustNew(t, "index", c.Params)
			d.finish(t, fresh)
			if _, w3 := d.counts(); w3 != writes {
				t.Errorf("a fresh instance rewrote the output: writes %d→%d", writes, w3)
			}
			golden(t, filepath.Join(dir, "want.md"), d.read(t, c.Params["output"].(string)))
		})
	}
}

// TestIndexRegionInputsChanged checks the region-mode loop guard: Finish names
// the holder only when the front matter of a covered document changed, once
// per change, and never for its own rewrites.
func TestIndexRegionInputsChanged(t *testing.T) {
	d := newDocDir(t, indexVault)
	a := mustNew(t, "index", map[string]any{"name": "n", "from": "notes/**", "template": "- {{ .FM.title }}"})
	d.put(t, "notes/INDEX.md", "<!-- scribe:index n -->\n<!-- /scribe:index -->\n")
	d.run(t, a, "notes/INDEX.md")
	if out := d.finish(t, a); len(out.Affected) != 0 {
		t.Fatalf("fresh generation: Affected = %v", out.Affected)
	}

	// A body-only edit does not change what the index shows.
	d.put(t, "notes/alpha.md", strings.Replace(string(d.read(t, "notes/alpha.md")), "The first note.", "The first note, edited.", 1))
	if out := d.finish(t, a); len(out.Affected) != 0 {
		t.Errorf("body edit: Affected = %v, want none", out.Affected)
	}

	// A front matter edit does, once.
	d.put(t, "notes/alpha.md", strings.Replace(string(d.read(t, "notes/alpha.md")), "title: Alpha", "title: Alpha two", 1))
	if out := d.finish(t, a); !slices.Equal(out.Affected, []string{"notes/INDEX.md"}) {
		t.Fatalf("title edit: Affected = %v, want [notes/INDEX.md]", out.Affected)
	}
	if out := d.finish(t, a); len(out.Affected) != 0 {
		t.Errorf("the same change was named twice: %v", out.Affected)
	}
	out := d.run(t, a, "notes/INDEX.md")
	if out.Content == nil || !strings.Contains(string(out.Content), "- Alpha two\n") {
		t.Fatalf("regeneration did not pick up the new title:\n%s", out.Content)
	}
	if out := d.finish(t, a); len(out.Affected) != 0 {
		t.Errorf("the holder's own rewrite counted as an input change: %v", out.Affected)
	}

	// A new document and a deleted one both count.
	d.put(t, "notes/zeta.md", "---\ntitle: Zeta\n---\n")
	if out := d.finish(t, a); len(out.Affected) != 1 {
		t.Errorf("new document: Affected = %v", out.Affected)
	}
	d.run(t, a, "notes/INDEX.md")
	if err := os.Remove(d.abs("notes/zeta.md")); err != nil {
		t.Fatal(err)
	}
	if out := d.finish(t, a); len(out.Affected) != 1 {
		t.Errorf("deleted document: Affected = %v", out.Affected)
	}
	out = d.run(t, a, "notes/INDEX.md")
	if strings.Contains(string(d.read(t, "notes/INDEX.md")), "Zeta") {
		t.Errorf("deleted document still listed")
	}

	// The holder lists neither itself nor, once deleted, is it named again.
	if strings.Contains(string(d.read(t, "notes/INDEX.md")), "INDEX") {
		t.Errorf("the holder lists itself:\n%s", d.read(t, "notes/INDEX.md"))
	}
	if err := os.Remove(d.abs("notes/INDEX.md")); err != nil {
		t.Fatal(err)
	}
	d.put(t, "notes/alpha.md", "---\ntitle: Changed again\n---\n")
	if out := d.finish(t, a); len(out.Affected) != 0 {
		t.Errorf("deleted holder named: %v", out.Affected)
	}
}

// TestIndexRegionMarkersRemoved checks that a file whose markers went away is
// forgotten, so Finish stops naming it.
func TestIndexRegionMarkersRemoved(t *testing.T) {
	d := newDocDir(t, indexVault)
	a := mustNew(t, "index", map[string]any{"name": "n"})
	d.put(t, "INDEX.md", "<!-- scribe:index n -->\n<!-- /scribe:index -->\n")
	d.run(t, a, "INDEX.md")
	d.put(t, "INDEX.md", "no markers any more\n")
	if out := d.run(t, a, "INDEX.md"); out.Content != nil || len(out.Findings) != 0 {
		t.Fatalf("file without markers: %+v", out)
	}
	d.put(t, "notes/alpha.md", "---\ntitle: Changed\n---\n")
	if out := d.finish(t, a); len(out.Affected) != 0 {
		t.Errorf("Affected = %v, want none", out.Affected)
	}
}

func TestIndexFileInputsChanged(t *testing.T) {
	d := newDocDir(t, indexVault)
	a := mustNew(t, "index", map[string]any{"output": "notes/INDEX.md", "from": "notes/**", "template": "- {{ .FM.title }}"})
	d.finish(t, a)
	first := d.read(t, "notes/INDEX.md")
	calls, _ := d.counts()

	d.put(t, "notes/beta.md", "---\ntitle: beta <b> & co\ndate: 2024-01-10\nstatus: draft\nrank: 10\n---\nNew body, same front matter.\n")
	d.finish(t, a)
	if c, _ := d.counts(); c != calls {
		t.Errorf("body edit: %d Writer calls, want 0", c-calls)
	}
	d.put(t, "notes/beta.md", "---\ntitle: Beta renamed\n---\n")
	d.finish(t, a)
	if c, _ := d.counts(); c != calls+1 {
		t.Errorf("front matter edit: %d Writer calls, want 1", c-calls)
	}
	got := d.read(t, "notes/INDEX.md")
	if !strings.Contains(string(got), "- Beta renamed\n") || strings.Contains(string(got), "beta <b>") {
		t.Errorf("output not regenerated:\n%s\nwas:\n%s", got, first)
	}
	// The output is under notes/** yet never lists itself.
	if strings.Contains(string(got), "INDEX") {
		t.Errorf("the output lists itself:\n%s", got)
	}
}

func TestIndexRegionProblems(t *testing.T) {
	tests := []struct {
		name    string
		content string
		line    int
		says    string
	}{
		{"missing close", "# T\n\n<!-- scribe:index n -->\n- keep me\n", 3, "has no closing marker"},
		{"reopened before close", "<!-- scribe:index n -->\n<!-- scribe:index n -->\n<!-- /scribe:index -->\n", 1, "not closed before the next marker at line 2"},
		{"orphan close", "<!-- scribe:index n -->\n<!-- /scribe:index -->\n\n<!-- /scribe:index -->\n", 4, "closing index marker without an opening marker"},
		{"wrong name on close", "<!-- scribe:index n -->\nx\n<!-- /scribe:index m -->\n", 1, `closed by a marker for "m"`},
		{"malformed", "<!-- scribe:index n -->\n<!-- scribe:index two words -->\n<!-- /scribe:index -->\n", 2, "malformed index marker"},
		{"close hidden in a fence", "<!-- scribe:index n -->\nkept\n<!-- /scribe:index -->\n```\n<!-- scribe:index n -->\n```\n<!-- scribe:index n -->\n", 7, "has no closing marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDocDir(t, indexVault)
			a := mustNew(t, "index", map[string]any{"name": "n"})
			d.put(t, "INDEX.md", tt.content)
			out := d.run(t, a, "INDEX.md")
			if out.Content != nil {
				t.Errorf("file changed despite a marker problem:\n%s", out.Content)
			}
			if got := string(d.read(t, "INDEX.md")); got != tt.content {
				t.Errorf("file on disk changed")
			}
			var found bool
			for _, f := range out.Findings {
				if f.Line == tt.line && f.Severity == action.SeverityError && strings.Contains(f.Message, tt.says) && f.Suggestion != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("want an error finding at line %d saying %q with a suggestion; got %+v", tt.line, tt.says, out.Findings)
			}
		})
	}
}

// TestIndexProblemsOfOtherRegions checks that a broken region of another
// name does not stop this action, nor is it reported twice.
func TestIndexProblemsOfOtherRegions(t *testing.T) {
	d := newDocDir(t, indexVault)
	a := mustNew(t, "index", map[string]any{"name": "n", "from": "journal/**", "template": "- {{ .FM.title }}"})
	d.put(t, "INDEX.md", "<!-- scribe:index other -->\n\n<!-- scribe:index n -->\n<!-- /scribe:index -->\n")
	out := d.run(t, a, "INDEX.md")
	if len(out.Findings) != 0 {
		t.Errorf("findings about another region: %+v", out.Findings)
	}
	if want := "<!-- scribe:index other -->\n\n<!-- scribe:index n -->\n- New year\n<!-- /scribe:index -->\n"; string(out.Content) != want {
		t.Errorf("got\n%s\nwant\n%s", out.Content, want)
	}
}

func TestIndexTemplatePrintingMarkersIsRefused(t *testing.T) {
	d := newDocDir(t, indexVault)
	a := mustNew(t, "index", map[string]any{"name": "n", "from": "journal/**", "template": "<!-- /scribe:index -->"})
	const content = "<!-- scribe:index n -->\n<!-- /scribe:index -->\n"
	d.put(t, "INDEX.md", content)
	out := d.run(t, a, "INDEX.md")
	if out.Content != nil {
		t.Fatalf("wrote a file whose regions would break:\n%s", out.Content)
	}
	if len(out.Findings) != 1 || !strings.Contains(out.Findings[0].Message, "contains index markers") {
		t.Errorf("findings = %+v", out.Findings)
	}
}

func TestIndexConstructorErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		says   []string
	}{
		{"bad condition", map[string]any{"name": "n", "where": `fm.status ==`}, []string{"index n", "where: invalid condition", "fm.status =="}},
		{"condition not boolean", map[string]any{"name": "n", "where": `len(path)`}, []string{"where: invalid condition", "expected bool"}},
		{"condition type error", map[string]any{"name": "n", "where": `path > 3`}, []string{"where: invalid condition", "mismatched types"}},
		{"unknown variable", map[string]any{"name": "n", "where": `status == "x"`}, []string{"unknown name status"}},
		{"bad glob", map[string]any{"name": "n", "from": []any{"notes/**", "a/[b"}}, []string{"from[1]", `invalid glob "a/[b"`}},
		{"bad sort", map[string]any{"name": "n", "sort": "fm."}, []string{"invalid sort key"}},
		{"bad template", map[string]any{"name": "n", "template": "{{ .FM.title "}, []string{`template "index n template"`}},
		{"output escapes", map[string]any{"output": "../outside.md"}, []string{`output "../outside.md"`, "relative to the root"}},
		{"output absolute", map[string]any{"output": "/etc/passwd"}, []string{"relative to the root"}},
		{"output in .git", map[string]any{"output": ".git/config"}, []string{`output ".git/config" is inside .git, a version control directory`}},
		{"output in .hg", map[string]any{"output": "sub/.Hg/x.md"}, []string{"inside sub/.Hg, a version control directory"}},
		{"both modes", map[string]any{"name": "n", "output": "x.md"}, []string{"index"}},
		{"no mode", map[string]any{"from": "x"}, []string{"index"}},
		{"unknown key", map[string]any{"name": "n", "filter": "x"}, []string{"filter"}},
		{"bad name", map[string]any{"name": "two words"}, []string{"name"}},
		{"negative limit", map[string]any{"name": "n", "limit": -1}, []string{"limit"}},
		{"bad order", map[string]any{"name": "n", "order": "down"}, []string{"order"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := action.New("index", tt.params, action.Build{Rule: "r"})
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestIndexNotPermitted(t *testing.T) {
	a := mustNew(t, "index", map[string]any{"name": "n"})
	in := action.Input{Path: "INDEX.md", Content: []byte("<!-- scribe:index n -->\n<!-- /scribe:index -->\n")}
	if _, err := a.Run(context.Background(), in); !errors.Is(err, action.ErrNotPermitted) {
		t.Errorf("Run without Docs: %v, want ErrNotPermitted", err)
	}
	// A file without markers needs nothing.
	if _, err := a.Run(context.Background(), action.Input{Path: "x.md", Content: []byte("x")}); err != nil {
		t.Errorf("Run on a file without markers: %v", err)
	}
	f := mustNew(t, "index", map[string]any{"output": "INDEX.md"}).(action.Finisher)
	if _, err := f.Finish(context.Background(), action.Host{}); !errors.Is(err, action.ErrNotPermitted) {
		t.Errorf("Finish without ports: %v, want ErrNotPermitted", err)
	}
}

func TestIndexHonoursContext(t *testing.T) {
	d := newDocDir(t, indexVault)
	a := mustNew(t, "index", map[string]any{"output": "INDEX.md"}).(action.Finisher)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Finish(ctx, d.host()); !errors.Is(err, context.Canceled) {
		t.Errorf("Finish with a done context: %v", err)
	}
	if _, err := os.Stat(d.abs("INDEX.md")); err == nil {
		t.Errorf("output written despite cancellation")
	}
}

// TestIndexConcurrent runs many holders at once, with Finish calls in
// between, under the race detector; every holder must end up identical.
func TestIndexConcurrent(t *testing.T) {
	d := newDocDir(t, indexVault)
	a := mustNew(t, "index", map[string]any{"name": "n", "from": "notes/**", "sort": "fm.date", "order": "desc"})
	const n = 16
	for i := range n {
		d.put(t, fmt.Sprintf("hold/h%02d.md", i), "<!-- scribe:index n -->\n<!-- /scribe:index -->\n")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			p := fmt.Sprintf("hold/h%02d.md", i)
			content, err := d.ReadFile(p)
			if err != nil {
				errs <- err
				return
			}
			out, err := a.Run(context.Background(), action.Input{Path: p, Content: content, FrontMatter: map[string]any{}, Host: d.host()})
			if err != nil {
				errs <- err
				return
			}
			errs <- os.WriteFile(d.abs(p), out.Content, 0o644)
		})
		wg.Go(func() {
			_, err := a.(action.Finisher).Finish(context.Background(), d.host())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := d.read(t, "hold/h00.md")
	for i := 1; i < n; i++ {
		if got := d.read(t, fmt.Sprintf("hold/h%02d.md", i)); string(got) != string(want) {
			t.Errorf("h%02d differs:\n%s\nvs\n%s", i, got, want)
		}
	}
}

// BenchmarkIndexRegion measures regenerating a region over 2,000 documents
// whose entries are cached (the common case: the holder is processed again
// and few notes changed).
func BenchmarkIndexRegion(b *testing.B) {
	d := &docDir{root: b.TempDir(), include: "**/*.md"}
	for i := range 2000 {
		p := filepath.Join(d.root, fmt.Sprintf("n/%03d/note-%d.md", i%100, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		body := fmt.Sprintf("---\ntitle: Note %d\nrank: %d\nstatus: %s\n---\ntext\n", i, i%37, []string{"draft", "published"}[i%2])
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	a := mustNew(b, "index", map[string]any{"name": "n", "where": `fm.status == "published"`, "sort": "fm.rank", "order": "desc", "limit": 50})
	in := action.Input{Path: "HOME.md", Content: []byte("<!-- scribe:index n -->\n<!-- /scribe:index -->\n"), Host: d.host()}
	for b.Loop() {
		if _, err := a.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
