package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/bus/bustest"
	"github.com/scribe-md/scribe/internal/cli"
	"github.com/scribe-md/scribe/internal/poll"
	"github.com/scribe-md/scribe/internal/vcs/vcstest"
)

type doctorResult struct {
	Check, Status, Message, Fix string
}

// doctorJSON runs `scribe doctor --format json` and returns its exit code and
// results.
func doctorJSON(t *testing.T, args ...string) (int, []doctorResult) {
	t.Helper()
	code, out, errOut := scribe(t, append([]string{"doctor", "--format", "json"}, args...)...)
	var rep struct {
		OK     bool           `json:"ok"`
		Checks []doctorResult `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor output is not JSON: %v\n%s\n%s", err, out, errOut)
	}
	if rep.OK != (code == 0) {
		t.Fatalf("ok=%v with exit %d", rep.OK, code)
	}
	return code, rep.Checks
}

// find returns the results of one check.
func find(rs []doctorResult, check string) []doctorResult {
	var out []doctorResult
	for _, r := range rs {
		if r.Check == check {
			out = append(out, r)
		}
	}
	return out
}

func wantResult(t *testing.T, rs []doctorResult, check, status, text string) doctorResult {
	t.Helper()
	for _, r := range find(rs, check) {
		if r.Status == status && strings.Contains(r.Message+" "+r.Fix, text) {
			return r
		}
	}
	t.Fatalf("no %s result %q mentioning %q in %+v", check, status, text, find(rs, check))
	return doctorResult{}
}

// doctorVault is a vault whose daemon would listen on a free port.
func doctorVault(t *testing.T, extra string) (dir, cfg, listen string) {
	t.Helper()
	dir = t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen = ln.Addr().String()
	ln.Close()
	writeFiles(t, dir, map[string]string{
		"scribe.yaml":  fmt.Sprintf("version: 1\nhttp:\n  listen: %q\n%srules:\n  - id: t\n    match: '(?m)^TODO: (.+)$'\n    actions:\n      - replace: { with: \"- [ ] $1\" }\n", listen, extra),
		"notes/a.md":   "TODO: a\n",
		"notes/x/b.md": "b\n",
	})
	return dir, filepath.Join(dir, "scribe.yaml"), listen
}

func TestDoctorHealthyVault(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	_, cfg, _ := doctorVault(t, "")
	code, rs := doctorJSON(t, "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %+v", code, rs)
	}
	wantResult(t, rs, "config", "ok", "1 root, 1 rule")
	wantResult(t, rs, "rules", "ok", "rule t selects 2 files")
	wantResult(t, rs, "inotify", "ok", "3 directories to watch") // ., notes, notes/x
	wantResult(t, rs, "daemon", "warn", "no daemon runs")
	wantResult(t, rs, "bus", "ok", "created at the first start")
	wantResult(t, rs, "service", "ok", "no systemd unit")
	// A run creates the state: the journal and the embedded store are
	// then opened and checked for real.
	if code, _, errOut := scribe(t, "run", "-c", cfg); code != 0 {
		t.Fatalf("run: %d %s", code, errOut)
	}
	code, rs = doctorJSON(t, "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d after a run: %+v", code, rs)
	}
	wantResult(t, rs, "state", "ok", "journal readable")
	// The text form: one line per result, the fix below it.
	_, out, _ := scribe(t, "doctor", "-c", cfg)
	if !strings.Contains(out, "ok    config") || !strings.Contains(out, "warn  daemon") || !strings.Contains(out, "→ `scribe watch` runs it") {
		t.Fatalf("text report:\n%s", out)
	}

	// An installed unit is verified; once the binary it names is gone,
	// that is a failure.
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze not installed: the installed unit is not verified")
		return
	}
	// A copy of a real executable stands in for the installed scribe.
	bin := filepath.Join(t.TempDir(), "scribe")
	b, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true to stand in for the binary")
	}
	must(t, os.WriteFile(bin, b, 0o755))
	if code, out, errOut := scribe(t, "service", "install", "--no-start", "--binary", bin, "-c", cfg); code != 0 {
		t.Fatalf("install: %d %s %s", code, out, errOut)
	}
	_, rs = doctorJSON(t, "-c", cfg)
	wantResult(t, rs, "service", "ok", "verified by systemd-analyze")
	must(t, os.Remove(bin))
	code, rs = doctorJSON(t, "-c", cfg)
	if code != cli.ExitProblems {
		t.Fatalf("exit %d with the unit's binary gone", code)
	}
	wantResult(t, rs, "service", "FAIL", "not executable")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestDoctorProblems(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Run("no configuration", func(t *testing.T) {
		t.Chdir(t.TempDir())
		code, rs := doctorJSON(t)
		if code != cli.ExitProblems {
			t.Fatalf("exit %d", code)
		}
		wantResult(t, rs, "config", "FAIL", "scribe init")
		wantResult(t, rs, "state", "skip", "needs a configuration")
	})
	t.Run("invalid configuration", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"scribe.yaml": "version: 1\nrules:\n  - id: x\n    match: '('\n    actions: [ { log: { message: x } } ]\n"})
		code, rs := doctorJSON(t, "-c", filepath.Join(dir, "scribe.yaml"))
		if code != cli.ExitProblems {
			t.Fatalf("exit %d", code)
		}
		wantResult(t, rs, "config", "FAIL", "scribe.yaml:4:")
		// The configuration loaded; only a rule is wrong: the other checks run.
		wantResult(t, rs, "state", "ok", "created at the first run")
	})
	t.Run("missing root, state dir is a file, damaged journal", func(t *testing.T) {
		dir, cfg, _ := doctorVault(t, "roots: [notes, gone]\nengine:\n  state_dir: st\n")
		writeFiles(t, dir, map[string]string{"st": "not a directory"})
		code, rs := doctorJSON(t, "-c", cfg)
		if code != cli.ExitProblems {
			t.Fatalf("exit %d", code)
		}
		wantResult(t, rs, "roots", "FAIL", filepath.Join(dir, "gone"))
		wantResult(t, rs, "roots", "ok", filepath.Join(dir, "notes"))
		wantResult(t, rs, "state", "FAIL", "is not a directory")
		must(t, os.Remove(filepath.Join(dir, "st")))
		writeFiles(t, dir, map[string]string{"st/journal.db": strings.Repeat("garbage ", 1000)})
		_, rs = doctorJSON(t, "-c", cfg)
		wantResult(t, rs, "state", "FAIL", "move the journal aside")
	})
	t.Run("something else on http.listen", func(t *testing.T) {
		_, cfg, listen := doctorVault(t, "")
		ln, err := net.Listen("tcp", listen)
		must(t, err)
		srv := &http.Server{Handler: http.NotFoundHandler()}
		go srv.Serve(ln)
		defer srv.Close()
		code, rs := doctorJSON(t, "-c", cfg)
		if code != cli.ExitProblems {
			t.Fatalf("exit %d", code)
		}
		wantResult(t, rs, "daemon", "FAIL", "not scribe")
	})
	t.Run("external bus", func(t *testing.T) {
		srv := bustest.External(t)
		_, cfg, _ := doctorVault(t, fmt.Sprintf("bus:\n  url: %q\n", srv.URL()))
		code, rs := doctorJSON(t, "-c", cfg)
		if code != 0 {
			t.Fatalf("exit %d: %+v", code, rs)
		}
		wantResult(t, rs, "bus", "ok", "JetStream")
		srv.Stop()
		code, rs = doctorJSON(t, "-c", cfg)
		if code != cli.ExitProblems {
			t.Fatalf("exit %d with the bus down", code)
		}
		wantResult(t, rs, "bus", "FAIL", "nats-server -js")
	})
	t.Run("git merge in progress", func(t *testing.T) {
		repo := vcstest.Init(t)
		vcstest.Commit(t, repo, "base", map[string]string{"a.md": "base\n", "scribe.yaml": "version: 1\nhttp:\n  listen: \"\"\nrules: []\n"})
		vcstest.Git(t, repo, "checkout", "-q", "-b", "other")
		vcstest.Commit(t, repo, "other", map[string]string{"a.md": "other\n"})
		vcstest.Git(t, repo, "checkout", "-q", "main")
		vcstest.Commit(t, repo, "main", map[string]string{"a.md": "main\n"})
		if _, err := vcstest.Run(repo, "merge", "other"); err == nil {
			t.Fatal("the merge did not conflict")
		}
		code, rs := doctorJSON(t, "-c", filepath.Join(repo, "scribe.yaml"))
		if code != 0 {
			t.Fatalf("exit %d: %+v", code, rs)
		}
		wantResult(t, rs, "git", "warn", "a merge is in progress")
		wantResult(t, rs, "daemon", "skip", "http.listen is empty")
	})
}

// With a daemon running: its watches are not counted twice, its journal
// and bus are reported in use (never opened beside it), and it is live.
// A rule whose globs select no file never runs, and only doctor says so,
// with what its glob most likely meant.
func TestDoctorRulesThatSelectNothing(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir, cfg, _ := doctorVault(t, "")
	rules := "rules:\n" +
		"  - id: folder\n    files: notes\n    actions: [{log: {message: x}}]\n" +
		"  - id: typo\n    files: \"note/**/*.md\"\n    actions: [{log: {message: x}}]\n" +
		"  - id: elsewhere\n    files: \"**/*.txt\"\n    actions: [{log: {message: x}}]\n" +
		"  - id: fine\n    files: \"notes/x/*.md\"\n    actions: [{log: {message: x}}]\n"
	writeFiles(t, dir, map[string]string{"scribe.yaml": "version: 1\nhttp: {listen: \"\"}\n" + rules})
	code, rs := doctorJSON(t, "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d: a rule that selects nothing is a warning, not a failure: %+v", code, rs)
	}
	wantResult(t, rs, "rules", "ok", "rule fine selects 1 file")
	r := wantResult(t, rs, "rules", "warn", `rule folder selects no file: its files "notes" match none of the 3 files its roots hold`)
	if want := `"notes" is a folder; a glob of its files is "notes/**/*.md"`; r.Fix != want {
		t.Errorf("fix %q, want %q", r.Fix, want)
	}
	r = wantResult(t, rs, "rules", "warn", "rule typo selects no file")
	if want := `no root holds "note": did you mean "notes"?`; r.Fix != want {
		t.Errorf("fix %q, want %q", r.Fix, want)
	}
	r = wantResult(t, rs, "rules", "warn", "rule elsewhere selects no file")
	if !strings.Contains(r.Fix, "scribe explain FILE") {
		t.Errorf("fix %q, want the general advice", r.Fix)
	}
}

// The roots check says what a root is where Scribe reads it so on its own:
// a Logseq graph, a Hugo site, an Obsidian vault.
func TestDoctorRootKinds(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir, cfg, _ := doctorVault(t, "")
	_, rs := doctorJSON(t, "-c", cfg)
	if r := wantResult(t, rs, "roots", "ok", "root "+dir); strings.Contains(r.Message, "(") {
		t.Errorf("a plain folder: %q", r.Message)
	}
	writeFiles(t, dir, map[string]string{"logseq/config.edn": "{:meta/version 1}\n", ".obsidian/app.json": "{}"})
	_, rs = doctorJSON(t, "-c", cfg)
	wantResult(t, rs, "roots", "ok", "root "+dir+" (a Logseq graph: a page's key:: value lines are its front matter, and wiki links name pages; an Obsidian vault: links.check reads Markdown links as Obsidian writes them")
	writeFiles(t, dir, map[string]string{"hugo.toml": "title = 'x'\n", "content/_index.md": "x\n"})
	_, rs = doctorJSON(t, "-c", cfg)
	wantResult(t, rs, "roots", "ok", "(a Hugo site: links.check reads Markdown links as the URLs it serves; a Logseq graph")
	wantResult(t, rs, "roots", "ok", "an Obsidian vault: links.check looks in its attachment folder)")

	site, siteCfg, _ := doctorVault(t, "")
	writeFiles(t, site, map[string]string{"docusaurus.config.ts": "export default {};\n"})
	_, rs = doctorJSON(t, "-c", siteCfg)
	wantResult(t, rs, "roots", "ok", "root "+site+" (a Docusaurus site: links.check reads Markdown links as its build does, files and the URLs of its pages)")

	// A docs-only site (its docs at the root) read with the preset's layout.
	writeFiles(t, site, map[string]string{
		"docusaurus.config.ts": "export default {presets: [['classic', {docs: {routeBasePath: '/'}, blog: false}]]};\n",
		"docs/intro.md":        "# Intro\n",
	})
	for _, tc := range []struct{ params, warn string }{
		{"{}", "links.check of rule links looks for the docs' routes under /docs/"},
		{"{markdown_links: docusaurus}", "links.check of rule links looks for the docs' routes under /docs/"},
		{"{docusaurus: {docs_url: /}}", ""},
		{"{markdown_links: relative}", ""},
	} {
		b, _ := os.ReadFile(siteCfg)
		cfg := regexp.MustCompile(`(?s)rules:.*`).ReplaceAllString(string(b), "rules:\n  - id: links\n    actions:\n      - links.check: "+tc.params+"\n")
		writeFiles(t, site, map[string]string{"scribe.yaml": cfg})
		_, rs = doctorJSON(t, "-c", siteCfg)
		var got string
		for _, r := range rs {
			if r.Check == "roots" && r.Status == "warn" && strings.Contains(r.Message, "routeBasePath") {
				got = r.Message
				if r.Fix != "give that links.check docusaurus: {docs_url: /} (see doc/actions/links.check.md)" {
					t.Errorf("%s: fix %q", tc.params, r.Fix)
				}
			}
		}
		if tc.warn == "" && got != "" || tc.warn != "" && !strings.Contains(got, tc.warn) {
			t.Errorf("links.check %s: warning %q, want %q", tc.params, got, tc.warn)
		}
	}

	// A site in a folder of the root, as a repository keeps its website:
	// read as the site builds it, its configuration looked at as a root's.
	repo, repoCfg, _ := doctorVault(t, "")
	writeFiles(t, repo, map[string]string{"website/docusaurus.config.js": "module.exports = {presets: [['classic', {docs: {routeBasePath: '/'}}]]};\n", "website/docs/intro.md": "# Intro\n"})
	rb, _ := os.ReadFile(repoCfg)
	writeFiles(t, repo, map[string]string{"scribe.yaml": strings.Replace(string(rb), "rules:\n", "rules:\n  - id: links\n    actions:\n      - links.check: {}\n", 1)})
	_, rs = doctorJSON(t, "-c", repoCfg)
	wantResult(t, rs, "roots", "ok", filepath.Join(repo, "website")+" is a Docusaurus site: links.check reads its links as the site builds them, and those of the files beside it as relative paths")
	wantResult(t, rs, "roots", "warn", filepath.Join(repo, "website", "docusaurus.config.js")+" sets a routeBasePath of '/'")
	// Two: neither is.
	writeFiles(t, repo, map[string]string{"docs/.vitepress/config.mts": "export default {}\n"})
	_, rs = doctorJSON(t, "-c", repoCfg)
	r := wantResult(t, rs, "roots", "warn", "root "+repo+" holds several sites ("+filepath.Join(repo, "docs")+", "+filepath.Join(repo, "website")+"): links.check reads the links of none as its site builds them")
	if want := "add each to roots (and exclude it from " + repo + "), or give each a configuration of its own"; r.Fix != want {
		t.Errorf("fix %q, want %q", r.Fix, want)
	}
	// An MkDocs site's anchors are its own only at a root.
	nmk, nmkCfg, _ := doctorVault(t, "")
	writeFiles(t, nmk, map[string]string{"handbook/mkdocs.yml": "site_name: Handbook\n"})
	_, rs = doctorJSON(t, "-c", nmkCfg)
	r = wantResult(t, rs, "roots", "warn", filepath.Join(nmk, "handbook")+" is an MkDocs site inside root "+nmk+": links.check reads its links as the site builds them only when its folder is a root")
	if want := "add " + filepath.Join(nmk, "handbook") + " to roots (and exclude it from " + nmk + "), or give it a configuration of its own"; r.Fix != want {
		t.Errorf("fix %q, want %q", r.Fix, want)
	}

	// A Jekyll site, which would publish scribe.yaml unless it excludes it.
	jk, jkCfg, _ := doctorVault(t, "")
	writeFiles(t, jk, map[string]string{"_config.yml": "title: Blog\n"})
	_, rs = doctorJSON(t, "-c", jkCfg)
	wantResult(t, rs, "roots", "ok", "root "+jk+" (a Jekyll site: links.check reads Markdown links as GitHub Pages serves it, files and the URLs of its pages)")
	r = wantResult(t, rs, "roots", "warn", "the Jekyll site "+jk+" copies "+jkCfg+" into the site it builds, which serves it at /scribe.yaml")
	if want := "add scribe.yaml to the exclude list of " + filepath.Join(jk, "_config.yml"); r.Fix != want {
		t.Errorf("fix %q, want %q", r.Fix, want)
	}
	writeFiles(t, jk, map[string]string{"_config.yml": "title: Blog\nexclude: [scribe.yaml]\n"})
	_, rs = doctorJSON(t, "-c", jkCfg)
	for _, r := range rs {
		if r.Status == "warn" && strings.Contains(r.Message, "copies") {
			t.Errorf("scribe.yaml excluded: %s", r.Message)
		}
	}

	// A VitePress site, and one whose pages its srcDir moves.
	vp, vpCfg, _ := doctorVault(t, "")
	writeFiles(t, vp, map[string]string{".vitepress/config.mts": "export default { title: 'Docs' }\n"})
	_, rs = doctorJSON(t, "-c", vpCfg)
	wantResult(t, rs, "roots", "ok", "root "+vp+" (a VitePress site: links.check reads Markdown links as its build does")
	b, _ := os.ReadFile(vpCfg)
	writeFiles(t, vp, map[string]string{
		".vitepress/config.mts": "export default {\n  srcDir: './src',\n}\n",
		"scribe.yaml":           strings.Replace(string(b), "rules:\n", "rules:\n  - id: links\n    actions:\n      - links.check: {}\n", 1),
	})
	_, rs = doctorJSON(t, "-c", vpCfg)
	r = wantResult(t, rs, "roots", "warn", filepath.Join(vp, ".vitepress", "config.mts")+` sets srcDir: "./src": if the site's pages are there, links.check of rule`)
	if want := "give that links.check vitepress: {src_dir: src} (see doc/actions/links.check.md)"; r.Fix != want {
		t.Errorf("fix %q, want %q", r.Fix, want)
	}
	writeFiles(t, vp, map[string]string{"scribe.yaml": strings.Replace(string(b), "rules:\n", "rules:\n  - id: links\n    actions:\n      - links.check: {vitepress: {src_dir: src}}\n", 1)})
	_, rs = doctorJSON(t, "-c", vpCfg)
	for _, r := range rs {
		if r.Status == "warn" && strings.Contains(r.Message, "srcDir") {
			t.Errorf("src_dir given: %s", r.Message)
		}
	}

	mk, mkCfg, _ := doctorVault(t, "")
	writeFiles(t, mk, map[string]string{"mkdocs.yml": "site_name: Docs\n"})
	_, rs = doctorJSON(t, "-c", mkCfg)
	wantResult(t, rs, "roots", "ok", "root "+mk+" (an MkDocs site: links.check gives headings the anchors MkDocs makes, and reports a page's links out of its docs folder)")
}

// Folders where other programs keep copies of the notes (Syncthing's
// versions, Obsidian's trash, Logseq's backups and deleted pages) are
// named when rules select files in them.
func TestDoctorArchiveFolders(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir, cfg, _ := doctorVault(t, "")
	writeFiles(t, dir, map[string]string{
		".stversions/notes/a~20240101-120000.md":                 "old\n",
		".stversions/notes/a~20240102-120000.md":                 "older\n",
		".trash/gone.md":                                         "gone\n",
		"logseq/bak/pages/a/2024-01-15T10_00_00.000Z.Desktop.md": "backup\n",
		"logseq/.recycle/pages_b.md":                             "deleted\n",
		"logseq/notes.md":                                        "not an archive\n",
	})
	code, rs := doctorJSON(t, "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %+v", code, rs)
	}
	r := wantResult(t, rs, "rules", "warn", "rules select 2 files in .stversions/, Syncthing's old versions of the notes")
	if r.Fix != `add ".stversions/**" to exclude` {
		t.Errorf("fix %q", r.Fix)
	}
	wantResult(t, rs, "rules", "warn", "rules select 1 file in .trash/, Obsidian's trash (deleted notes)")
	r = wantResult(t, rs, "rules", "warn", "rules select 1 file in logseq/bak/, Logseq's backups of pages")
	if r.Fix != `add "logseq/bak/**" to exclude` {
		t.Errorf("fix %q", r.Fix)
	}
	wantResult(t, rs, "rules", "warn", "rules select 1 file in logseq/.recycle/, Logseq's deleted pages")
	b, _ := os.ReadFile(cfg)
	writeFiles(t, dir, map[string]string{"scribe.yaml": strings.Replace(string(b), "version: 1\n", "version: 1\nexclude: [\".stversions/**\", \".trash/**\", \"logseq/bak/**\", \"logseq/.recycle/**\"]\n", 1)})
	if _, rs := doctorJSON(t, "-c", cfg); slices.ContainsFunc(rs, func(r doctorResult) bool { return strings.Contains(r.Message, "rules select") }) {
		t.Errorf("still warned with the folders excluded: %+v", rs)
	}
}

// A configuration inside another's root (a sub-project with its own
// scribe.yaml) sets two daemons on the same files; doctor says so from
// either side, unless the outer one excludes the folder.
func TestDoctorNestedConfigurations(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir, err := filepath.EvalSymlinks(t.TempDir()) // as the messages name folders
	must(t, err)
	conf := "version: 1\nhttp: {listen: \"\"}\nrules:\n  - id: s\n    actions: [{log: {message: x}}]\n"
	writeFiles(t, dir, map[string]string{"scribe.yaml": conf, "sub/scribe.yaml": conf, "sub/a.md": "a\n"})
	outer, inner := filepath.Join(dir, "scribe.yaml"), filepath.Join(dir, "sub", "scribe.yaml")

	_, rs := doctorJSON(t, "-c", outer)
	r := wantResult(t, rs, "roots", "warn", "sub/scribe.yaml: another configuration in root "+dir)
	if want := `add "sub/**" to exclude: in ` + outer; !strings.HasPrefix(r.Fix, want) {
		t.Errorf("fix %q, want it to start %q", r.Fix, want)
	}
	_, rs = doctorJSON(t, "-c", inner)
	wantResult(t, rs, "roots", "warn", "root "+filepath.Join(dir, "sub")+" lies in root "+dir+" of another configuration, "+outer)
	// scribe watch says so too, as it starts (here to stop at once).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	cli.Main(ctx, []string{"watch", "-c", inner}, strings.NewReader(""), &out, &errb)
	if !strings.Contains(errb.String(), "level=WARN msg=\"root "+filepath.Join(dir, "sub")+" lies in root "+dir) {
		t.Errorf("scribe watch did not warn of the enclosing configuration:\n%s", errb.String())
	}

	writeFiles(t, dir, map[string]string{"scribe.yaml": strings.Replace(conf, "version: 1\n", "version: 1\nexclude: [\"sub/**\"]\n", 1)})
	for _, cfg := range []string{outer, inner} {
		_, rs = doctorJSON(t, "-c", cfg)
		for _, r := range find(rs, "roots") {
			if r.Status != "ok" {
				t.Errorf("-c %s, with sub/ excluded from the outer one: %+v", cfg, r)
			}
		}
	}
}

// watchReady runs `scribe watch -c cfg` in this process until the test
// ends, and waits until it is ready at listen.
func watchReady(t *testing.T, cfg, listen string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var out, errb bytes.Buffer
	go func() { done <- cli.Main(ctx, []string{"watch", "-c", cfg}, strings.NewReader(""), &out, &errb) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("watch exit %d: %s", code, errb.String())
		}
	})
	poll.NoError(t, 60*time.Second, func() error {
		resp, err := http.Get("http://" + listen + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return nil
	})
}

func TestDoctorWithDaemon(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	_, cfg, listen := doctorVault(t, "")
	watchReady(t, cfg, listen)
	code, rs := doctorJSON(t, "-c", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %+v", code, rs)
	}
	wantResult(t, rs, "daemon", "ok", "live, ready")
	wantResult(t, rs, "bus", "ok", "in use by the running daemon")
	wantResult(t, rs, "state", "ok", "journal held by a running scribe")
}

// Two vaults whose configurations name the same http.listen: the commands
// of the second reach the first one's daemon. They see that it watches
// none of their roots and say so, rather than showing, pausing or undoing
// the other vault's; history reads the second vault's own journal, and
// doctor fails its daemon check with the fix.
func TestAnotherConfigurationsDaemon(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	_, cfg1, listen := doctorVault(t, "")
	dir2 := t.TempDir()
	writeFiles(t, dir2, map[string]string{"scribe.yaml": fmt.Sprintf("version: 1\nhttp:\n  listen: %q\nrules:\n  - id: t\n    actions: [{log: {message: x}}]\n", listen)})
	cfg2 := filepath.Join(dir2, "scribe.yaml")
	watchReady(t, cfg1, listen)
	want := "daemon unreachable: the daemon at " + listen + " watches " + filepath.Dir(cfg1) + ", none of this configuration's roots (" + dir2 + ")"
	for _, cmd := range []string{"status", "pause"} {
		code, stdout, stderr := scribe(t, cmd, "-c", cfg2)
		if code != cli.ExitFailure || stdout != "" || !strings.Contains(stderr, want) {
			t.Errorf("%s -c the other configuration: exit %d, stdout %q, stderr %q; want exit 3 and %q", cmd, code, stdout, stderr, want)
		}
	}
	_, rs := doctorJSON(t, "-c", cfg2)
	wantResult(t, rs, "daemon", "FAIL", "the daemon at "+listen+" is another configuration's: it watches "+filepath.Dir(cfg1))
	_, rs = doctorJSON(t, "-c", cfg1)
	wantResult(t, rs, "daemon", "ok", "live, ready")
	if code, stdout, stderr := scribe(t, "history", "-c", cfg2); code != 0 || stdout != "no writes by Scribe in the journal yet\n" {
		t.Errorf("history -c the other configuration: exit %d, %q, %q; want its own (empty) journal", code, stdout, stderr)
	}
	if code, stdout, stderr := scribe(t, "status", "-c", cfg1, "--format", "json"); code != 0 || !strings.Contains(stdout, `"paused": false`) {
		t.Errorf("status of the daemon's own configuration: exit %d, %q, %q; want it answered and not paused", code, stdout, stderr)
	}
}

// A plugin that cannot run (its module is not built) fails the plugins check
// with what to do; a vault without plugins passes it.
func TestDoctorPlugins(t *testing.T) {
	_, cfg, _ := doctorVault(t, "")
	_, rs := doctorJSON(t, "-c", cfg)
	wantResult(t, rs, "plugins", "ok", "none configured")

	dir, cfg, _ := doctorVault(t, "plugins: [plugins/rt]\n")
	writeFiles(t, dir, map[string]string{"plugins/rt/scribe-plugin.yaml": "name: rt\nversion: 1.0.0\nprotocol: 1\nruntime: wasm\nmodule: rt.wasm\nactions:\n  - name: stamp\n    params: { type: object }\n    permissions: [read]\n"})
	code, rs := doctorJSON(t, "-c", cfg)
	if code != cli.ExitProblems {
		t.Fatalf("doctor with an unbuilt module: exit %d, want 1", code)
	}
	wantResult(t, rs, "plugins", "FAIL", "rt.wasm")
}
