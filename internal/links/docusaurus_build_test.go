package links

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocusaurusAgreesWithBuild holds Scribe's reading of a Docusaurus
// site's links (Options.Docusaurus) to Docusaurus itself: it builds
// testdata/docusaurus with Docusaurus and checks each link of its
// docs/links.md with links.check's reading, expecting the verdict of the
// build's broken link and anchor report for every one. Docusaurus is a
// Node.js program of some 300 MB, which CI does not install: the test
// runs when SCRIBE_DOCUSAURUS_MODULES names a node_modules folder holding
// @docusaurus/core and @docusaurus/preset-classic (npx create-docusaurus
// makes one), and skips otherwise.
func TestDocusaurusAgreesWithBuild(t *testing.T) {
	modules := os.Getenv("SCRIBE_DOCUSAURUS_MODULES")
	if modules == "" {
		t.Skip("SCRIBE_DOCUSAURUS_MODULES is not set")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	site := t.TempDir()
	if err := os.CopyFS(site, os.DirFS("testdata/docusaurus")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(modules, filepath.Join(site, "node_modules")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(modules, "@docusaurus/core/bin/docusaurus.mjs"), "build", site, "--out-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "DOCUSAURUS_TELEMETRY_DISABLED=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docusaurus build: %v\n%s", err, out)
	}
	// The build lists each broken link and anchor of a page as written
	// ("-> linking to ./nope.md (resolved as: /docs/nope.md)"); a .md link
	// it could not resolve is one of them.
	built := map[string]bool{}
	page := false
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "- Broken "):
			page = strings.HasSuffix(line, "source page path = /docs/links:")
		case page && strings.HasPrefix(line, "-> linking to "):
			target, _, _ := strings.Cut(strings.TrimPrefix(line, "-> linking to "), " (resolved as")
			built[target] = true
		}
	}

	g := NewGraph(Options{Docusaurus: DocusaurusSite()})
	var links []byte
	err = filepath.WalkDir(site, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && d.Name() == "node_modules" {
				return fs.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(site, p)
		rel = filepath.ToSlash(rel)
		if !hasDocExt(rel) {
			g.AddFile(rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if rel == "docs/links.md" {
			links = b
		}
		g.Update(rel, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := Parse(links)
	if len(doc.Links) < 50 {
		t.Fatalf("docs/links.md has %d links; the fixture is not what this test reads", len(doc.Links))
	}
	exists := func(p string) bool { _, err := os.Stat(filepath.Join(site, p)); return err == nil }
	scribe := map[string]bool{}
	for _, p := range g.Check("docs/links.md", doc, exists) {
		scribe[p.Link.Raw] = true
	}
	for _, l := range doc.Links {
		written := string(links[l.TargetStart:l.TargetEnd])
		if l.HasFragment {
			written += "#" + string(links[l.FragmentStart:l.FragmentEnd])
		}
		if scribeOK, buildOK := !scribe[l.Raw], !built[written]; scribeOK != buildOK {
			t.Errorf("%s: Scribe says resolved %v, the Docusaurus build %v", l.Raw, scribeOK, buildOK)
		}
	}
	t.Logf("%d links, %d broken", len(doc.Links), len(scribe))
}
