package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/doctor"
	"github.com/scribe-md/scribe/internal/links"
)

func newInitCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a commented starter scribe.yaml",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fail(ExitUsage, err)
			}
			path := filepath.Join(dir, "scribe.yaml")
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(path, flags, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return fail(ExitUsage, fmt.Errorf("%s already exists; edit it, or pass --force to overwrite it", path))
			}
			if err != nil {
				return fail(ExitUsage, err)
			}
			starter, skipped := starterFor(dir)
			if _, err := f.Write(starter); err != nil {
				f.Close()
				return fail(ExitFailure, err)
			}
			if err := f.Close(); err != nil {
				return fail(ExitFailure, err)
			}
			for _, why := range skipped {
				fmt.Fprintf(g.stdout, "%s: left out (exclude)\n", why)
			}
			if j := links.ReadJekyllSite(doctor.FolderFS(dir)); j != nil && j.Publishes("scribe.yaml") {
				fmt.Fprintf(g.stdout, "note: Jekyll copies scribe.yaml into the site it builds; add it to the exclude list of %s\n", filepath.Join(dir, links.JekyllConfig))
			}
			if stat, _ := doctor.FolderFS(dir); links.SiteKind(stat) == "" {
				sites := doctor.NestedSites(dir)
				read := doctor.ReadsNested(dir, sites)
				for _, s := range sites {
					if len(read) == 1 && read[0] == s {
						fmt.Fprintf(g.stdout, "note: %s is %s: links.check reads its links as the site builds them\n", s.Dir, s.Kind)
						continue
					}
					fmt.Fprintf(g.stdout, "note: %s is %s, whose links links.check reads as the site builds them only when its folder is a root: `scribe init %s` writes a configuration for it alone\n", s.Dir, s.Kind, s.Dir)
				}
			}
			fmt.Fprintf(g.stdout, "wrote %s; try `scribe check` next\n", path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing scribe.yaml")
	return cmd
}

// starterExclude is the starter's exclude line, which starterFor extends.
const starterExclude = `exclude: ["tests/**"]`

// starterFor returns the starter configuration for the folder dir, with
// what it left out, each with why. In a Hugo, Docusaurus, Jekyll or
// VitePress site, or a repository whose one folder is such a site, see
// siteStarter. In an
// Obsidian vault (a .obsidian folder) it also excludes the vault's trash
// (.trash/, deleted notes, which Obsidian itself no longer shows) and the
// templates folders its settings name (the core Templates plugin's,
// Templater's): their notes hold placeholders ({{date}}, <% tp.file.title
// %>) for the notes made from them, which rules must not stamp and whose
// links do not resolve. In a folder Syncthing shares (a .stfolder marker)
// it excludes .stversions/, where Syncthing keeps old versions of the
// notes, and the conflict copies it makes of a note changed in two places
// at once (note.sync-conflict-20240101-120000-ABCDEFG.md): neither is the
// vault's to rewrite or check.
func starterFor(dir string) ([]byte, []string) {
	stat, _ := doctor.FolderFS(dir)
	if _, ok := siteLayouts[links.SiteKind(stat)]; ok {
		return siteStarter(links.SiteKind(stat), "")
	}
	if read := doctor.ReadsNested(dir, doctor.NestedSites(dir)); len(read) == 1 {
		// A repository whose docs/ is a site, which links.check reads as
		// such.
		return siteStarter(read[0].Kind, filepath.Base(read[0].Dir))
	}
	if lq := logseqGraph(dir); lq != nil {
		return logseqStarter(lq)
	}
	var folders, why, about []string
	if links.IsObsidianVault(stat) {
		folders, why = obsidianLeftOut(dir)
		about = append(about, "An Obsidian vault: its trash (deleted notes), and its templates folders\n"+
			"# (see .obsidian/), whose placeholders rules must not stamp and whose links\n"+
			"# do not resolve.")
	}
	globs := []string{strconv.Quote("tests/**")}
	for _, f := range folders {
		globs = append(globs, strconv.Quote(f+"/**"))
	}
	if isDir(filepath.Join(dir, ".stfolder")) || isDir(filepath.Join(dir, ".stversions")) {
		globs = append(globs, strconv.Quote(".stversions/**"), strconv.Quote("**/*.sync-conflict-*"))
		why = append(why, ".stversions/ holds Syncthing's old versions of the notes", "*.sync-conflict-* are Syncthing's conflict copies")
		about = append(about, "Syncthing's old versions of the notes (.stversions/) and its conflict\n"+
			"# copies (note.sync-conflict-DATE-TIME-DEVICE.md), to be merged by hand.")
	}
	if len(about) == 0 || !bytes.Contains(config.Starter, []byte(starterExclude)) {
		return config.Starter, nil
	}
	line := "# " + strings.Join(about, "\n# ") + "\nexclude: [" + strings.Join(globs, ", ") + "]"
	return bytes.Replace(config.Starter, []byte(starterExclude), []byte(line), 1), why
}

// obsidianLeftOut returns the folders of the Obsidian vault dir that rules
// leave alone, and why: its trash and its templates folders.
func obsidianLeftOut(dir string) (folders, why []string) {
	folders = []string{".trash"}
	why = []string{".trash/ is this Obsidian vault's trash"}
	for _, src := range []struct{ file, key string }{
		{".obsidian/templates.json", "folder"},
		{".obsidian/plugins/templater-obsidian/data.json", "templates_folder"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(src.file)))
		if err != nil {
			continue
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		f, _ := m[src.key].(string)
		f = path.Clean(strings.Trim(strings.TrimSpace(f), "/"))
		if f == "." || f == ".." || strings.HasPrefix(f, "../") || slices.Contains(folders, f) {
			continue
		}
		folders = append(folders, f)
		why = append(why, f+"/ is this Obsidian vault's templates folder")
	}
	return folders, why
}

// isDir reports whether p is a directory.
func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// logseqGraph returns the layout of the Logseq graph dir is (see
// links.ReadLogseqGraph), nil when it is none.
func logseqGraph(dir string) *links.Logseq {
	return links.ReadLogseqGraph(doctor.FolderFS(dir))
}

// logseqStarter is the starter for a Logseq graph: it leaves out Logseq's
// own folder (its settings, the backups it keeps of pages in logseq/bak/,
// deleted pages in logseq/.recycle/) and what its settings hide (:hidden).
// Its rules work on pages as Logseq keeps them: front matter is a page's
// "key:: value" property lines (markdown.Logseq), and links.check reads
// the graph's wiki links as Logseq does (see links.Logseq).
func logseqStarter(lq *links.Logseq) ([]byte, []string) {
	globs := []string{strconv.Quote("tests/**"), strconv.Quote("logseq/**")}
	why := []string{"logseq/ holds this Logseq graph's settings, its backups of pages (bak/) and its deleted pages (.recycle/)"}
	for _, h := range lq.Hidden {
		h = path.Clean(strings.Trim(strings.TrimSpace(h), "/"))
		if h == "." || h == ".." || strings.HasPrefix(h, "../") || h == "logseq" || strings.HasPrefix(h, "logseq/") {
			continue
		}
		g := h + "/**" // a folder, or a file:
		if strings.HasSuffix(strings.ToLower(h), ".md") {
			g = h
		}
		globs = append(globs, strconv.Quote(g))
		why = append(why, h+" is hidden in this Logseq graph's settings")
	}
	s := config.Starter
	if !bytes.Contains(s, []byte(starterExclude)) {
		return config.Starter, nil // the starter changed: better the plain one than half of this
	}
	return bytes.Replace(s, []byte(starterExclude), []byte("# A Logseq graph: Logseq's own folder (settings, backups, deleted pages)\n"+
		"# and what its settings hide are left alone. A page's front matter is its\n"+
		"# \"key:: value\" property lines: rules read and set those (updated:: 2026-12-07).\n"+
		"exclude: ["+strings.Join(globs, ", ")+"]"), 1), why
}

// siteLayout is what the starter for a kind of site leaves out and takes
// in beyond the plain starter's.
type siteLayout struct {
	name  string   // "A Jekyll site"
	pages []string // extensions of its pages beside .md ("markdown")
	// left says what exclude leaves out, for the comment above it;
	// folders are those folders of the site, why says why of each.
	left    string
	folders []string
	why     []string
	// edits are the starter's other changes (old, new), its links.check's
	// markdown_links among them: at the root only, for in a folder of the
	// root the site is read as such by default.
	edits [][2]string
}

// siteLayouts holds each kind of site's layout, by links.SiteKind's name.
var siteLayouts = map[string]siteLayout{
	// MDX documents (the template create-docusaurus writes is all .mdx);
	// the frozen copies of older versions' docs (versioned_docs/) and the
	// translations (i18n/) name the routes of their version and locale,
	// which links.check does not follow.
	"a Docusaurus site": {name: "A Docusaurus site", pages: []string{"mdx"},
		left:    "the docs of its released versions (frozen copies) and\n# its translations are left alone.",
		folders: []string{"versioned_docs", "i18n"},
		why:     []string{"versioned_docs/ holds the docs of this Docusaurus site's released versions", "i18n/ holds this Docusaurus site's translations"},
		edits:   [][2]string{{"      - links.check: {}\n", "      - links.check:\n          markdown_links: docusaurus   # files, and the URLs of its pages: /docs/intro is docs/intro.md\n"}}},
	// The .markdown pages `jekyll new` writes; the built site, Jekyll's
	// cache and the gems Bundler installs left out; last_modified_at is
	// the field jekyll-seo-tag and jekyll-sitemap read a page's
	// modification date from.
	"a Jekyll site": {name: "A Jekyll site", pages: []string{"markdown"},
		left:    "the site it builds, its cache and the gems Bundler\n# installs are left alone.",
		folders: []string{"_site", ".jekyll-cache", "vendor"},
		why:     []string{"_site/ is the site this Jekyll site builds", ".jekyll-cache/ is Jekyll's cache", "vendor/ holds the gems Bundler installs"},
		edits: [][2]string{
			{"id: stamp-updated ", "id: stamp-last-modified "},
			{`Stamp "updated" when you edit a note`, `Stamp "last_modified_at" when you edit a page`},
			{`          updated: '{{ now | date "2006-01-02" }}'`, `          last_modified_at: '{{ now | date "2006-01-02" }}'   # read by jekyll-seo-tag and jekyll-sitemap`},
			{"      - links.check: {}\n", "      - links.check:\n          markdown_links: jekyll   # files, and the URLs GitHub Pages serves: /about.html is about.md\n"}}},
	// VitePress's cache and the site it builds.
	"a VitePress site": {name: "A VitePress site",
		left:    "its cache and the site it builds are left alone.",
		folders: []string{".vitepress/cache", ".vitepress/dist"},
		why:     []string{".vitepress/cache/ is VitePress's cache", ".vitepress/dist/ is the site VitePress builds"},
		edits:   [][2]string{{"      - links.check: {}\n", "      - links.check:\n          markdown_links: vitepress   # its pages, .md optional: /guide/intro is guide/intro.md\n"}}},
	// The archetypes (templates of new pages, whose {{ .Date }}
	// placeholders rules must not stamp) and the themes (each its own
	// project, often a git submodule); lastmod is the field Hugo reads a
	// page's modification date from.
	"a Hugo site": {name: "A Hugo site",
		left:    "its archetypes (templates of new pages) and its themes\n# (their own projects) are left alone.",
		folders: []string{"archetypes", "themes"},
		why:     []string{"archetypes/ holds this Hugo site's page templates", "themes/ holds this Hugo site's themes"},
		edits: [][2]string{
			{"id: stamp-updated ", "id: stamp-lastmod "},
			{`Stamp "updated" when you edit a note`, `Stamp "lastmod" when you edit a page`},
			{`          updated: '{{ now | date "2006-01-02" }}'`, `          lastmod: '{{ now | date "2006-01-02" }}'   # Hugo's modification date`},
			{"      - links.check: {}\n", "      - links.check:\n          markdown_links: site   # the URLs Hugo serves: /docs/x/ is content/docs/x.md, /img.png static/img.png\n"}}},
}

// siteStarter is the starter for a site of the kind (links.SiteKind's
// name) at the root (dir "") or in its folder dir: it includes the site's
// pages, leaves out what siteLayouts says, and at the root makes the
// layout's edits; what it left out, each with why.
func siteStarter(kind, dir string) ([]byte, []string) {
	l := siteLayouts[kind]
	name, prefix := l.name, ""
	if dir != "" {
		name, prefix = name+" in "+dir+"/", dir+"/"
	}
	pages := []string{strconv.Quote("**/*.md")}
	for _, ext := range l.pages {
		pages = append(pages, strconv.Quote(prefix+"**/*."+ext))
	}
	globs := []string{strconv.Quote("tests/**")}
	why := make([]string, len(l.why))
	for i, f := range l.folders {
		globs = append(globs, strconv.Quote(prefix+f+"/**"))
		why[i] = prefix + l.why[i]
	}
	edits := [][2]string{{starterExclude, "# " + name + ": " + l.left + "\nexclude: [" + strings.Join(globs, ", ") + "]"}}
	if len(pages) > 1 {
		list := strings.Join(pages, ", ")
		edits = append(edits, [2]string{`include: ["**/*.md"]`, "include: [" + list + "]"},
			[2]string{`files: "**/*.md"           # a glob or a list of globs`, "files: [" + list + "]   # a glob or a list of globs"})
	}
	if dir == "" {
		edits = append(edits, l.edits...)
	}
	s := config.Starter
	for _, e := range edits {
		if !bytes.Contains(s, []byte(e[0])) {
			return config.Starter, nil // the starter changed: better the plain one than half of this
		}
		s = bytes.Replace(s, []byte(e[0]), []byte(e[1]), 1)
	}
	return s, why
}
