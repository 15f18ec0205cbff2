package links

import (
	"bytes"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSiteAgreesWithHugo is a differential test of site links
// (Options.Site) against Hugo itself: it builds testdata/hugo with the hugo
// program, then checks every link of its page content/links.md twice, by
// Scribe and by looking for what Hugo built at the link's URL (the page, the
// file, the heading's id), and requires the same verdict for each, with the
// layout HugoSite gives (its taxonomies and feeds generated URLs). The test
// skips when hugo is not installed, unless SCRIBE_REQUIRE_HUGO is set (CI
// installs it).
func TestSiteAgreesWithHugo(t *testing.T) {
	hugo, err := exec.LookPath("hugo")
	if err != nil {
		if os.Getenv("SCRIBE_REQUIRE_HUGO") != "" {
			t.Fatal("hugo is not installed (SCRIBE_REQUIRE_HUGO is set)")
		}
		t.Skip("hugo is not installed")
	}
	for _, tc := range []struct {
		name, settings string // top-level settings put before the fixture's own
		page           string // where Hugo writes the links page
	}{
		{"pretty", "", "links/index.html"},
		// Pages as files (/docs/install.html, a section /docs.html),
		// their URLs' case kept and accents dropped.
		{"ugly", "uglyURLs = true\ndisablePathToLower = true\nremovePathAccents = true\n", "links.html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hugoAgrees(t, hugo, tc.settings, tc.page)
		})
	}
}

// hugoAgrees builds the fixture site with settings added to its
// configuration and compares Scribe's verdict on each link of its links
// page with what Hugo built at the link's URL.
func hugoAgrees(t *testing.T, hugo, settings, page string) {
	site := t.TempDir()
	if err := os.CopyFS(site, os.DirFS("testdata/hugo")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(site, "hugo.toml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append([]byte(settings), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	public := t.TempDir()
	cmd := exec.Command(hugo, "--source", site, "--destination", public, "--cacheDir", t.TempDir(), "--quiet")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hugo: %v\n%s", err, out)
	}

	s := ReadHugoSite(HugoSite(), osStat(site), osRead(site)) // the layout links.check takes for a Hugo site
	_, doc, scribe := checkSite(t, Options{Site: s}, site, "content/links.md", 30)

	// The links as Hugo wrote them into the page, in order: a ref or relref
	// shortcode as the URL it found.
	built, err := os.ReadFile(filepath.Join(public, filepath.FromSlash(page)))
	if err != nil {
		t.Fatal(err)
	}
	var hrefs []string
	for _, m := range regexp.MustCompile(`<(?:a href|img src)="([^"]*)"`).FindAllSubmatch(built, -1) {
		hrefs = append(hrefs, html.UnescapeString(string(m[1])))
	}
	if len(hrefs) != len(doc.Links) {
		t.Fatalf("the built page has %d links, links.md %d", len(hrefs), len(doc.Links))
	}
	base, _ := url.Parse("https://example.org/" + strings.TrimSuffix(page, "index.html"))
	for i, l := range doc.Links {
		u, err := base.Parse(hrefs[i])
		if err != nil {
			t.Fatalf("%s: %v", l.Raw, err)
		}
		file := u.Path
		if strings.HasSuffix(file, "/") || path.Ext(file) == "" {
			file = path.Join(file, "index.html") // a page, or a folder a server redirects to with a '/'
		}
		b, err := os.ReadFile(filepath.Join(public, filepath.FromSlash(file)))
		hugoOK := err == nil
		if hugoOK && u.Fragment != "" {
			hugoOK = bytes.Contains(b, []byte(`id="`+u.Fragment+`"`))
		}
		if scribeOK := !scribe[l.Raw]; scribeOK != hugoOK {
			t.Errorf("%s: Scribe says resolved %v, Hugo built %s: %v", l.Raw, scribeOK, file, hugoOK)
		}
	}
	t.Logf("%d links, %d broken", len(doc.Links), len(scribe))
}
