package links

import (
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// VitePress is the layout of a VitePress site, whose pages are the
// Markdown files of its source folder (the folder holding .vitepress/
// unless its srcDir option moves it) and whose Markdown links name pages
// as VitePress's build reads them: without an extension, or with ".md" or
// ".html" (/guide/intro, ./intro.md and intro.html are guide/intro.md from
// guide/), a folder's page with a trailing '/' (/guide/ is guide/index.md;
// /guide is guide.md only), from the source folder when they start with
// '/', else from the linking file's folder. A link to a file VitePress
// does not treat as a page (an image, a PDF: an extension it knows) is a
// file, of the public folder when it starts with '/'.
type VitePress struct {
	// SrcDir is the source folder, relative to the root ("" for the root).
	SrcDir string
}

// VitePressSite returns the layout of a VitePress site whose source folder
// is the root.
func VitePressSite() *VitePress { return &VitePress{} }

// IsVitePressSite reports whether a folder is the top of a VitePress site,
// stat answering for the names in it: it holds .vitepress/config.js (or
// .ts, .mjs, .mts, .cjs, .cts).
func IsVitePressSite(stat func(name string) (fs.FileInfo, error)) bool {
	return VitePressConfig(stat) != ""
}

// VitePressConfig returns the path, from the folder, of the configuration
// file of the VitePress site at the top of a folder, stat answering for the
// names in it; "" when it holds none.
func VitePressConfig(stat func(name string) (fs.FileInfo, error)) string {
	for _, ext := range []string{".js", ".ts", ".mjs", ".mts", ".cjs", ".cts"} {
		if fi, err := stat(".vitepress/config" + ext); err == nil && fi.Mode().IsRegular() {
			return ".vitepress/config" + ext
		}
	}
	return ""
}

// SiteKind names the static site generator whose site a folder is the
// top of, stat answering for the names in it: "a Hugo site", "a
// Docusaurus site", "a Jekyll site", "a VitePress site", "an MkDocs site",
// or "" for none of them. links.check reads each as its generator builds
// it only when the folder is a root.
func SiteKind(stat func(name string) (fs.FileInfo, error)) string {
	switch {
	case IsHugoSite(stat):
		return "a Hugo site"
	case IsDocusaurusSite(stat):
		return "a Docusaurus site"
	case IsJekyllSite(stat):
		return "a Jekyll site"
	case IsVitePressSite(stat):
		return "a VitePress site"
	case IsMkDocsSite(stat):
		return "an MkDocs site"
	}
	return ""
}

// page returns the path of p in the source folder when p is a page of the
// site: a Markdown file there outside the folders VitePress leaves out
// (whose names start with '.', node_modules, dist).
func (v *VitePress) page(p string) (string, bool) {
	rel := p
	if v.SrcDir != "" {
		var ok bool
		if rel, ok = strings.CutPrefix(p, v.SrcDir+"/"); !ok {
			return "", false
		}
	}
	if !hasMDExt(rel) {
		return "", false
	}
	for seg := range strings.SplitSeq(path.Dir(rel), "/") {
		if strings.HasPrefix(seg, ".") && seg != "." || seg == "node_modules" || seg == "dist" {
			return "", false
		}
	}
	return rel, true
}

func (v *VitePress) isPage(p string) bool { _, ok := v.page(p); return ok }

// vitepressAssets are the extensions of the files VitePress does not
// treat as pages (its treatAsHtml's list).
var vitepressAssets = func() map[string]bool {
	m := map[string]bool{}
	for e := range strings.SplitSeq("3g2,3gp,aac,ai,apng,au,avif,bin,bmp,cer,class,conf,crl,css,csv,dll,doc,eps,epub,exe,gif,gz,ics,ief,jar,jpe,jpeg,jpg,js,json,jsonld,m4a,man,mid,midi,mjs,mov,mp2,mp3,mp4,mpe,mpeg,mpg,mpp,oga,ogg,ogv,ogx,opus,otf,p10,p7c,p7m,p7s,pdf,png,ps,qt,roff,rtf,rtx,ser,svg,t,tif,tiff,tr,ts,tsv,ttf,txt,vtt,wav,weba,webm,webp,woff,woff2,xhtml,xml,yaml,yml,zip", ",") {
		m[e] = true
	}
	return m
}()

// vitepressPage reports whether VitePress reads the link target t as a
// page: what follows its last '.' is no extension it knows.
func vitepressPage(t string) bool {
	i := strings.LastIndexByte(t, '.')
	return i < 0 || !vitepressAssets[strings.ToLower(t[i+1:])]
}

// vitepressIndex is a link to a folder's index.md, which VitePress writes
// as the folder's URL (matched ignoring case, as its indexRE is).
var vitepressIndex = regexp.MustCompile(`(?i)(^|.*/)index\.md$`)

// resolveVitePress resolves a Markdown link of a VitePress site's page src
// as the site's build does (see VitePress). A file outside the source
// folder has its links read as relative reads them.
func (x *Index) resolveVitePress(src, t string) Resolution {
	v := x.opts.VitePress
	rel, ok := v.page(src)
	if !ok {
		return x.resolveMarkdown(src, t)
	}
	if i := strings.IndexByte(t, '?'); i >= 0 {
		t = t[:i]
	}
	if !vitepressPage(t) {
		if strings.HasPrefix(t, "/") {
			return x.resolveMarkdown(src, "/"+path.Join(v.SrcDir, "public", t))
		}
		return x.resolveMarkdown(src, t)
	}
	u := t
	if m := vitepressIndex.FindStringSubmatch(u); m != nil {
		u = m[1]
	} else {
		u = strings.TrimSuffix(strings.TrimSuffix(u, ".md"), ".html")
	}
	if u == "" || strings.HasSuffix(u, "/") {
		u += "index"
	}
	var page string
	if strings.HasPrefix(u, "/") {
		page = path.Clean(u[1:])
	} else {
		page = path.Join(path.Dir(rel), u)
	}
	if page == ".." || strings.HasPrefix(page, "../") {
		return Resolution{URL: "/" + page, Route: true} // above the source folder: no page
	}
	var probe []string
	if file := path.Join(v.SrcDir, page) + ".md"; v.isPage(file) {
		if _, ok := x.exact[file]; ok {
			return Resolution{Path: file}
		}
		probe = append(probe, file) // a page the configuration does not include
	}
	// Or a page written as HTML in the public folder.
	probe = append(probe, path.Join(v.SrcDir, "public", page)+".html")
	return Resolution{Probe: probe, URL: "/" + page, Route: true}
}

// vitepressHeadings returns doc with its headings' anchors as VitePress
// makes them: its slugify (accents dropped, each run of spaces and of
// ASCII punctuation but '-' a '-', none at either end, a leading digit
// after a '_', lower case), a repeat numbered "-1", "-2"... past the ids
// taken; an explicit id ({#id}) is kept. doc is not changed.
func vitepressHeadings(doc *Document) *Document {
	if len(doc.Headings) == 0 {
		return doc
	}
	d := *doc
	d.Headings = make([]Heading, len(doc.Headings))
	copy(d.Headings, doc.Headings)
	taken := map[string]bool{}
	for i, h := range d.Headings {
		if h.Explicit {
			taken[h.Slug] = true
			continue
		}
		slug := vitepressSlug(h.Text)
		id := slug
		for n := 1; taken[id]; n++ {
			id = slug + "-" + strconv.Itoa(n)
		}
		taken[id] = true
		d.Headings[i].Slug = id
	}
	return &d
}

// vitepressSlug is VitePress's slugify.
func vitepressSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case r >= 0x300 && r <= 0x36f, r < 0x20:
			// combining accents and control characters: dropped
		case unicode.IsSpace(r) || strings.ContainsRune("~`!@#$%^&*()-_+=[]{}|\\;:\"'“”‘’<>,.?/", r):
			dash = true
		default:
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out != "" && out[0] >= '0' && out[0] <= '9' {
		out = "_" + out
	}
	return strings.ToLower(out)
}
