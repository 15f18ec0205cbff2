package links

import (
	"bytes"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVitePressAgreesWithBuild holds VitePress sites (Options.VitePress)
// to VitePress itself: it builds testdata/vitepress/site with the VitePress
// that testdata/vitepress/package.json pins (installed there by `npm ci`,
// as .ci/run does), and checks each link of its links.md with Scribe and
// with the build: a page link is broken when VitePress reports it dead,
// an anchor when the page VitePress wrote has no such id, a file when the
// build has none at the link's URL. It skips when VitePress is not
// installed, unless SCRIBE_REQUIRE_VITEPRESS is set.
func TestVitePressAgreesWithBuild(t *testing.T) {
	modules, err := filepath.Abs("testdata/vitepress/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(modules, ".bin", "vitepress")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("SCRIBE_REQUIRE_VITEPRESS") != "" {
			t.Fatalf("VitePress is not installed in testdata/vitepress (SCRIBE_REQUIRE_VITEPRESS is set): %v", err)
		}
		t.Skip("VitePress is not installed: run npm ci in internal/links/testdata/vitepress")
	}
	work := t.TempDir()
	site, out := filepath.Join(work, "site"), filepath.Join(work, "dist")
	if err := os.CopyFS(site, os.DirFS("testdata/vitepress/site")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(modules, filepath.Join(work, "node_modules")); err != nil {
		t.Fatal(err)
	}
	deadFile := filepath.Join(work, "dead-links.txt")
	cmd := exec.Command(bin, "build", site, "--outDir", out)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "DEAD_LINKS="+deadFile)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vitepress build: %v\n%s", err, b)
	}
	dead := map[string]bool{}
	if b, err := os.ReadFile(deadFile); err == nil {
		for l := range strings.Lines(string(b)) {
			dead[strings.TrimSpace(l)] = true
		}
	}
	built, err := os.ReadFile(filepath.Join(out, "links.html"))
	if err != nil {
		t.Fatal(err)
	}
	// The links of the page's content, as VitePress wrote them, in order
	// (a heading's own anchor link left out).
	i := bytes.Index(built, []byte(`class="vp-doc`))
	j := bytes.Index(built[max(i, 0):], []byte("</main>"))
	if i < 0 || j < 0 {
		t.Fatal("links.html has no vp-doc content: the theme changed")
	}
	var hrefs []string
	for _, m := range regexp.MustCompile(`<a ([^>]*)>`).FindAllSubmatch(built[i:i+j], -1) {
		if bytes.Contains(m[1], []byte("header-anchor")) {
			continue
		}
		h := regexp.MustCompile(`href="([^"]*)"`).FindSubmatch(m[1])
		if h == nil {
			t.Fatalf("a link without href: %s", m[1])
		}
		hrefs = append(hrefs, html.UnescapeString(string(h[1])))
	}

	_, doc, scribe := checkSite(t, Options{VitePress: VitePressSite()}, site, "links.md", 45)
	if len(hrefs) != len(doc.Links) {
		t.Fatalf("links.html has %d links, links.md %d", len(hrefs), len(doc.Links))
	}
	base, _ := url.Parse("https://example.org/links.html")
	for k, l := range doc.Links {
		h := hrefs[k]
		u, err := base.Parse(h)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		var ok bool
		if vitepressPage(u.Path) {
			// As VitePress's dead link check normalizes the URL it wrote.
			n := regexp.MustCompile(`[?#].*$`).ReplaceAllString(h, "")
			n = regexp.MustCompile(`\.(html|md)$`).ReplaceAllString(n, "")
			if strings.HasSuffix(n, "/") {
				n += "index"
			}
			ok = !dead[n]
			if ok && u.Fragment != "" {
				file := u.Path
				if strings.HasSuffix(file, "/") {
					file += "index.html"
				}
				b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(file)))
				ok = err == nil && bytes.Contains(b, []byte(`id="`+u.Fragment+`"`))
			}
		} else {
			_, err := os.Stat(filepath.Join(out, filepath.FromSlash(u.Path)))
			ok = err == nil
		}
		if scribeOK := !scribe[l.Raw]; scribeOK != ok {
			t.Errorf("%s: Scribe says resolved %v, VitePress built %s: %v", l.Raw, scribeOK, h, ok)
		}
	}
	t.Logf("%d links, %d broken", len(doc.Links), len(scribe))
}

// TestVitePressSlug holds the anchors to VitePress 1.6's slugify.
func TestVitePressSlug(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Heading With Spaces & Stuff!", "heading-with-spaces-stuff"},
		{"Ünïcödé Café", "unicode-cafe"},
		{"C++ & C#", "c-c"},
		{"snake_case_name", "snake-case-name"},
		{"1. Numbered heading", "_1-numbered-heading"},
		{"dash - separated -- words", "dash-separated-words"},
		{"日本語", "日本語"},
		{"“Quoted” ‘text’", "quoted-text"},
		{"---", ""},
	} {
		if got := vitepressSlug(tc.in); got != tc.want {
			t.Errorf("vitepressSlug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
