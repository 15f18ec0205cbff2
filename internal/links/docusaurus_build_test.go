package links

import (
	"bufio"
	"bytes"
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
	cmd.Dir = site // the build keeps its cache (.cache/, some 50 MB) in its working folder
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

	links, doc, scribe := checkSite(t, Options{Docusaurus: DocusaurusSite()}, site, "docs/links.md", 50)
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
