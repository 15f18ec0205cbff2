package links

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestPySlug holds the slugs to what MkDocs 1.4 (Python-Markdown 3.4)
// built for the same headings (testdata/mkdocs).
func TestPySlug(t *testing.T) {
	ids := pyIDs{taken: map[string]bool{}, prefix: map[string]int{}}
	for _, tc := range []struct{ in, want string }{
		{"Heading With Spaces & Stuff!", "heading-with-spaces-stuff"},
		{"Q3: Timeline (draft)", "q3-timeline-draft"},
		{"Ünïcödé Café", "unicode-cafe"},
		{"Duplicate", "duplicate"},
		{"Duplicate", "duplicate_1"},
		{"Duplicate", "duplicate_2"},
		{"Trailing punctuation...", "trailing-punctuation"},
		{"C++ & C#", "c-c"},
		{"日本語", "_1"},
		{"日本語", "_2"},
		{"snake_case_name", "snake_case_name"},
		{"dash - separated -- words", "dash-separated-words"},
		{"a_1", "a_1"},
		{"a_1", "a_2"},
		{"b_5", "b_5"},
		{"b_5", "b_6"},
		{"b", "b"},
		{"b", "b_1"}, // the first free number, not one past b_6
		{"b", "b_2"},
	} {
		if got := ids.unique(pySlug(tc.in)); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPyUniqueMatchesPython holds pyIDs.unique to Python-Markdown's
// algorithm as written (toc.unique: from the id, the next number until one
// is free), on random sequences of ids.
func TestPyUniqueMatchesPython(t *testing.T) {
	python := func(id string, ids map[string]bool) string {
		for ids[id] || id == "" {
			if i := strings.LastIndexByte(id, '_'); i >= 0 && isDigits(id[i+1:]) {
				n, _ := strconv.Atoi(id[i+1:])
				id = id[:i] + "_" + strconv.Itoa(n+1)
			} else {
				id += "_1"
			}
		}
		ids[id] = true
		return id
	}
	r := newRand(1)
	words := []string{"a", "a_1", "a_2", "a_3", "b", "b_10", "", "_1", "a_1_1"}
	for range 200 {
		ids := pyIDs{taken: map[string]bool{}, prefix: map[string]int{}}
		want := map[string]bool{}
		for range r.Intn(30) {
			w := words[r.Intn(len(words))]
			if r.Intn(5) == 0 { // an explicit id, taken as written
				ids.taken[w], want[w] = true, true
				continue
			}
			if got, exp := ids.unique(w), python(w, want); got != exp {
				t.Fatalf("unique(%q) = %q, Python-Markdown's %q", w, got, exp)
			}
		}
	}
}

// TestMkDocsAgreesWithMkDocs holds the anchors of an MkDocs site's headings
// (Options.MkDocs) to MkDocs itself: it builds testdata/mkdocs with the
// mkdocs program and checks each link of its docs/links.md with Scribe and
// by looking for the page and the id MkDocs built. It skips when mkdocs is
// not installed, unless SCRIBE_REQUIRE_MKDOCS is set (CI installs Debian's).
func TestMkDocsAgreesWithMkDocs(t *testing.T) {
	mkdocs, err := exec.LookPath("mkdocs")
	if err != nil {
		if os.Getenv("SCRIBE_REQUIRE_MKDOCS") != "" {
			t.Fatal("mkdocs is not installed (SCRIBE_REQUIRE_MKDOCS is set)")
		}
		t.Skip("mkdocs is not installed")
	}
	site, out := t.TempDir(), t.TempDir()
	if err := os.CopyFS(site, os.DirFS("testdata/mkdocs")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(mkdocs, "build", "-q", "-f", filepath.Join(site, "mkdocs.yml"), "-d", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkdocs build: %v\n%s", err, b)
	}

	_, doc, scribe := checkSite(t, Options{MkDocs: ReadMkDocsSite(osStat(site), osRead(site))}, site, "docs/links.md", 25)
	for _, l := range doc.Links {
		// The page MkDocs built for the linked file (use_directory_urls:
		// docs/guide/page.md is guide/page/index.html).
		file := "links.md"
		if l.Target != "" {
			file = path.Clean(path.Join("docs", l.Target))
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(file, "docs/"), ".md")
		built := path.Join(rel, "index.html")
		if path.Base(rel) == "index" {
			built = path.Join(path.Dir(rel), "index.html")
		}
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(built)))
		mkdocsOK := err == nil
		if mkdocsOK && l.HasFragment {
			mkdocsOK = bytes.Contains(b, []byte(`id="`+l.Fragment+`"`))
		}
		if scribeOK := !scribe[l.Raw]; scribeOK != mkdocsOK {
			t.Errorf("%s: Scribe says resolved %v, MkDocs built %s: %v", l.Raw, scribeOK, built, mkdocsOK)
		}
	}
	t.Logf("%d links, %d broken", len(doc.Links), len(scribe))
}

// TestReadMkDocsSite: the docs folder is mkdocs.yml's docs_dir, read past
// the Python tags Material for MkDocs' configurations hold; a page's link
// out of it names nothing of the built site, a README's is its own.
func TestReadMkDocsSite(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{"site_name: x\n", "docs"},
		{"site_name: x\ndocs_dir: src/site/\n", "src/site"},
		{"site_name: x\ndocs_dir: ../elsewhere\n", "docs"},
		{"site_name: x\nmarkdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\ndocs_dir: pages\n", "pages"},
		{"site_name: [unclosed\n", "docs"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "mkdocs.yml"), []byte(tc.config), 0o644); err != nil {
			t.Fatal(err)
		}
		if m := ReadMkDocsSite(osStat(dir), osRead(dir)); m == nil || m.DocsDir != tc.want {
			t.Errorf("%q: %+v, want docs_dir %q", tc.config, m, tc.want)
		}
	}
	if m := ReadMkDocsSite(osStat(t.TempDir()), osRead(t.TempDir())); m != nil {
		t.Errorf("no mkdocs.yml: %+v", m)
	}

	g := NewGraph(Options{MkDocs: &MkDocs{DocsDir: "docs"}})
	g.Update("README.md", []byte("[docs](docs/index.md) [contributing](CONTRIBUTING.md)\n"))
	g.Update("CONTRIBUTING.md", []byte("# Contributing\n"))
	src := "[c](../CONTRIBUTING.md) [i](index.md) [g](../gone.md)\n"
	g.Update("docs/index.md", []byte(src))
	var got []string
	for _, p := range g.Check("docs/index.md", Parse([]byte(src)), nil) {
		got = append(got, p.Message())
	}
	want := []string{
		`broken link [c](../CONTRIBUTING.md): "CONTRIBUTING.md" is outside docs/, where the site's build looks for this link's file`,
		`broken link [g](../gone.md): "gone.md" is outside docs/, where the site's build looks for this link's file`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("a page's links:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if probs := g.Check("README.md", Parse([]byte("[docs](docs/index.md) [contributing](CONTRIBUTING.md)\n")), nil); len(probs) != 0 {
		t.Errorf("the README's links: %v", probs)
	}
}
