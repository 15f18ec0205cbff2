package links

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// checkSite loads the site in the folder site into a Graph with opts (its
// Markdown and MDX documents parsed, its other files known as attachments,
// symbolic links such as a node_modules not followed) and checks the links
// of its page rel, which must hold at least minLinks: the differential
// tests against Hugo, MkDocs and Docusaurus compare that page's verdicts
// with what the generator built. It returns the page's content, its parsed
// form and the raw text of each link Scribe reports.
func checkSite(t *testing.T, opts Options, site, rel string, minLinks int) ([]byte, *Document, map[string]bool) {
	t.Helper()
	g := NewGraph(opts)
	var page []byte
	err := filepath.WalkDir(site, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		r, _ := filepath.Rel(site, p)
		r = filepath.ToSlash(r)
		if !hasDocExt(r) && !isJekyllMarkdown(r) {
			g.AddFile(r)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if r == rel {
			page = b
		}
		g.Update(r, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := Parse(page)
	if len(doc.Links) < minLinks {
		t.Fatalf("%s has %d links; the fixture is not what this test reads", rel, len(doc.Links))
	}
	exists := func(p string) bool { _, err := os.Stat(filepath.Join(site, p)); return err == nil }
	broken := map[string]bool{}
	for _, p := range g.Check(rel, doc, exists) {
		broken[p.Link.Raw] = true
	}
	return page, doc, broken
}
