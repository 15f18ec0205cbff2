package vault

import (
	"context"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/links"
)

func init() {
	action.Register(action.Spec{
		Name:    "links.check",
		Summary: "wiki links, Markdown links, #anchors and ^blocks must resolve; findings with the closest target",
		Schema:  linksCheckSchema,
		Example: linksCheckExample,
		New:     newLinksCheck,
	})
}

const linksCheckSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": ["object", "null"],
  "additionalProperties": false,
  "properties": {
    "severity": {
      "description": "severity of a broken link (default error)",
      "enum": ["error", "warning", "info"]
    },
    "case_sensitive": {
      "description": "match paths and note names with their exact case (default false: ignore case, as Obsidian does)",
      "type": "boolean"
    },
    "markdown_links": {
      "description": "how Markdown links resolve: relative (as GitHub renders them; the default, but vault in an Obsidian vault, site in a Hugo site, docusaurus in a Docusaurus site, jekyll in a Jekyll site and vitepress in a VitePress site), vault (Obsidian: also by note name, .md optional), site (URLs of a static site such as Hugo's: /docs/install/ is content/docs/install.md; see site), docusaurus (files and the routes of a Docusaurus site: /docs/intro is docs/intro.md), jekyll (files and the URLs of a Jekyll site as GitHub Pages serves it, as its _config.yml lays it out: /about.html is about.md) or vitepress (the pages of a VitePress site, .md optional: /guide/intro is guide/intro.md; see vitepress)",
      "enum": ["relative", "vault", "site", "docusaurus", "jekyll", "vitepress"]
    },
    "site": {
      "description": "with markdown_links: site, the site's layout (default: Hugo's)",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "content": {"description": "folder of the site's pages, relative to the root (default content; . for the root)", "type": "string", "minLength": 1},
        "static": {"description": "folders whose files the site serves at its root (default [static])", "type": "array", "items": {"type": "string", "minLength": 1}},
        "generated": {"description": "doublestar globs of URL paths the generator makes with no file behind them, not checked (default Hugo's: [tags/**, categories/**, **/index.xml, sitemap.xml])", "type": "array", "items": {"type": "string", "minLength": 1}}
      }
    },
    "docusaurus": {
      "description": "in a Docusaurus site (markdown_links: docusaurus, or a root holding docusaurus.config.js), where its configuration puts the content and their routes, when not where the classic preset does",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "docs": {"description": "folder of the docs, relative to the site's folder: the root, or the folder of it that is the site (default docs)", "type": "string", "minLength": 1},
        "docs_url": {"description": "the docs' routeBasePath (default /docs; / for a docs-only site)", "type": "string", "minLength": 1},
        "blog": {"description": "folder of the blog (default blog)", "type": "string", "minLength": 1},
        "blog_url": {"description": "the blog's routeBasePath (default /blog)", "type": "string", "minLength": 1},
        "pages": {"description": "folder of the pages (default src/pages)", "type": "string", "minLength": 1},
        "static": {"description": "folders whose files the site serves at its root (default [static])", "type": "array", "items": {"type": "string", "minLength": 1}}
      }
    },
    "vitepress": {
      "description": "in a VitePress site (markdown_links: vitepress, or a root holding .vitepress/config.js), where its pages are, when its configuration's srcDir moves them",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "src_dir": {"description": "the source folder of the pages, relative to the site's folder: the root, or the folder of it that is the site (default: the site's folder)", "type": "string", "minLength": 1}
      }
    },
    "anchors": {
      "description": "check #heading and #^block fragments (default true)",
      "type": "boolean"
    },
    "attachments": {
      "description": "check links to files that are not Markdown notes, such as images (default check)",
      "enum": ["check", "ignore"]
    },
    "ambiguous": {
      "description": "report wiki links whose name matches several notes, with this severity (default ignore)",
      "enum": ["ignore", "info", "warning", "error"]
    },
    "attachment_folders": {
      "description": "folders where wiki links find attachments by name (relative to the root; ./x: relative to the note), like Obsidian's attachment folder",
      "type": "array",
      "items": {"type": "string", "minLength": 1}
    },
    "ignore_targets": {
      "description": "RE2 patterns; a link whose target, as written, matches one is not checked",
      "type": "array",
      "items": {"type": "string", "minLength": 1}
    },
    "max_links": {
      "description": "links kept per note (default 20000); past it the rest of the note is not checked and a warning says so",
      "type": "integer", "minimum": 1
    },
    "max_anchors": {
      "description": "headings, and block ids, kept per note (default 20000); past it links to later ones are reported broken and a warning says so",
      "type": "integer", "minimum": 1
    }
  }
}`

const linksCheckExample = `links.check:
  severity: error
  markdown_links: relative
  ambiguous: warning
  attachment_folders: [attachments]
  ignore_targets: ['^/api/']   # routes the app serves, not pages`

type linksCheckParams struct {
	Severity      string            `json:"severity"`
	CaseSensitive bool              `json:"case_sensitive"`
	MarkdownLinks string            `json:"markdown_links"`
	Anchors       *bool             `json:"anchors"`
	Attachments   string            `json:"attachments"`
	Folders       []string          `json:"attachment_folders"`
	Ambiguous     string            `json:"ambiguous"`
	IgnoreTargets []string          `json:"ignore_targets"`
	MaxLinks      int               `json:"max_links"`
	MaxAnchors    int               `json:"max_anchors"`
	Site          *siteParams       `json:"site"`
	Docusaurus    *docusaurusParams `json:"docusaurus"`
	VitePress     *struct {
		SrcDir string `json:"src_dir"`
	} `json:"vitepress"`
}

// docusaurusParams is the layout of a Docusaurus site.
type docusaurusParams struct {
	Docs    string   `json:"docs"`
	DocsURL string   `json:"docs_url"`
	Blog    string   `json:"blog"`
	BlogURL string   `json:"blog_url"`
	Pages   string   `json:"pages"`
	Static  []string `json:"static"`
}

// siteParams is the site layout of markdown_links: site.
type siteParams struct {
	Content   string   `json:"content"`
	Static    []string `json:"static"`
	Generated []string `json:"generated"`
}

// linksCheck checks every link of the file it is given against the link
// graph of the file's root, which it keeps across calls (see vault).
type linksCheck struct {
	severity    action.Severity
	ambiguous   action.Severity // "" to ignore
	anchors     bool
	attachments bool
	ignore      []*regexp.Regexp
	limits      links.Limits
	vaults      vaults
}

var (
	_ action.Action   = (*linksCheck)(nil)
	_ action.Finisher = (*linksCheck)(nil)
)

func newLinksCheck(params any, _ action.Build) (action.Action, error) {
	var p linksCheckParams
	if err := action.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("links.check: %w", err)
	}
	a := &linksCheck{
		severity:    action.SeverityError,
		anchors:     p.Anchors == nil || *p.Anchors,
		attachments: p.Attachments != "ignore",
		limits:      links.Limits{Links: p.MaxLinks, Anchors: p.MaxAnchors},
	}
	a.vaults = vaults{opts: links.Options{
		CaseSensitive:     p.CaseSensitive,
		MarkdownByName:    p.MarkdownLinks == "vault",
		AttachmentFolders: p.Folders,
		Limits:            a.limits,
	}, markdownByRoot: p.MarkdownLinks == "", jekyll: p.MarkdownLinks == "jekyll"}
	switch {
	case p.Docusaurus != nil && p.MarkdownLinks != "" && p.MarkdownLinks != "docusaurus":
		return nil, fmt.Errorf("links.check: docusaurus is used only with markdown_links: docusaurus (or none, in a Docusaurus site); remove one of them")
	case p.Docusaurus != nil || p.MarkdownLinks == "docusaurus":
		d, err := docusaurusOf(p.Docusaurus)
		if err != nil {
			return nil, fmt.Errorf("links.check: %w", err)
		}
		a.vaults.docusaurus = d
		if p.MarkdownLinks == "docusaurus" {
			a.vaults.opts.Docusaurus = d
		}
	}
	switch {
	case p.VitePress != nil && p.MarkdownLinks != "" && p.MarkdownLinks != "vitepress":
		return nil, fmt.Errorf("links.check: vitepress is used only with markdown_links: vitepress (or none, in a VitePress site); remove one of them")
	case p.VitePress != nil || p.MarkdownLinks == "vitepress":
		v := links.VitePressSite()
		if p.VitePress != nil {
			dir, err := siteFolder("vitepress.src_dir", p.VitePress.SrcDir)
			if err != nil {
				return nil, fmt.Errorf("links.check: %w", err)
			}
			if dir != "." {
				v.SrcDir = dir
			}
		}
		a.vaults.vitepress = v
		if p.MarkdownLinks == "vitepress" {
			a.vaults.opts.VitePress = v
		}
	}
	if p.MarkdownLinks == "site" {
		site, err := siteOf(p.Site)
		if err != nil {
			return nil, fmt.Errorf("links.check: %w", err)
		}
		a.vaults.opts.Site = site
	} else if p.Site != nil {
		return nil, fmt.Errorf("links.check: site is used only with markdown_links: site; add it, or remove site")
	}
	if p.Severity != "" {
		a.severity = action.Severity(p.Severity)
	}
	if p.Ambiguous != "" && p.Ambiguous != "ignore" {
		a.ambiguous = action.Severity(p.Ambiguous)
	}
	for i, s := range p.IgnoreTargets {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("links.check: ignore_targets[%d]: invalid RE2 pattern %q: %w", i, s, err)
		}
		a.ignore = append(a.ignore, re)
	}
	return a, nil
}

// siteOf returns the site layout of the parameters: Hugo's (see
// links.HugoSite) where they say nothing.
func siteOf(p *siteParams) (*links.Site, error) {
	s := links.HugoSite()
	if p != nil {
		if p.Content != "" {
			s.Content = p.Content
		}
		if p.Static != nil {
			s.Static = p.Static
		}
		if p.Generated != nil {
			s.Generated = p.Generated
		}
	}
	var err error
	if s.Content, err = siteFolder("site.content", s.Content); err != nil {
		return nil, err
	}
	for i, f := range s.Static {
		if s.Static[i], err = siteFolder(fmt.Sprintf("site.static[%d]", i), f); err != nil {
			return nil, err
		}
	}
	for i, g := range s.Generated {
		if !doublestar.ValidatePattern(g) || strings.HasPrefix(g, "/") {
			return nil, fmt.Errorf("site.generated[%d]: %q is not a doublestar glob of URL paths without the leading / (such as tags/**)", i, g)
		}
	}
	return s, nil
}

// docusaurusOf returns the Docusaurus layout of the parameters: the
// classic preset's (see links.DocusaurusSite) where they say nothing.
func docusaurusOf(p *docusaurusParams) (*links.Docusaurus, error) {
	d := links.DocusaurusSite()
	if p == nil {
		return d, nil
	}
	folders := []struct {
		field string
		value string
		into  *string
	}{{"docusaurus.docs", p.Docs, &d.Docs}, {"docusaurus.blog", p.Blog, &d.Blog}, {"docusaurus.pages", p.Pages, &d.Pages}}
	for _, f := range folders {
		if f.value == "" {
			continue
		}
		c, err := siteFolder(f.field, f.value)
		if err != nil {
			return nil, err
		}
		*f.into = c
	}
	for _, u := range []struct {
		field, value string
		into         *string
	}{{"docusaurus.docs_url", p.DocsURL, &d.DocsURL}, {"docusaurus.blog_url", p.BlogURL, &d.BlogURL}} {
		if u.value == "" {
			continue
		}
		c := path.Clean("/" + u.value)
		if strings.ContainsAny(u.value, "?#*") || c != "/"+strings.Trim(u.value, "/") && c != "/" {
			return nil, fmt.Errorf("%s: %q is not a route base path (such as /docs, or / for the site's root)", u.field, u.value)
		}
		*u.into = strings.Trim(c, "/")
	}
	if p.Static != nil {
		d.Static = make([]string, len(p.Static))
		for i, f := range p.Static {
			c, err := siteFolder(fmt.Sprintf("docusaurus.static[%d]", i), f)
			if err != nil {
				return nil, err
			}
			d.Static[i] = c
		}
	}
	return links.NewDocusaurus(d.Docs, d.DocsURL, d.Blog, d.BlogURL, d.Pages, d.Static), nil
}

// siteFolder checks a folder of the site's layout: relative to the root,
// inside it.
func siteFolder(field, f string) (string, error) {
	c := path.Clean(strings.Trim(f, "/"))
	if path.IsAbs(f) || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%s: %q must be a folder inside the root, relative to it (such as content)", field, f)
	}
	return c, nil
}

// Run updates the graph with the file's content, refreshes the documents its
// links point at, and reports every link that does not resolve. Affected
// lists the other files whose results may have changed because this file
// did (it is new, or its headings or block ids changed).
func (a *linksCheck) Run(ctx context.Context, in action.Input) (action.Output, error) {
	docs := in.Host.Docs
	if docs == nil {
		return action.Output{}, action.ErrNotPermitted
	}
	v := a.vaults.get(docs)
	if err := v.ensure(ctx, docs, in.Host.Now()); err != nil {
		return action.Output{}, fmt.Errorf("load the link graph: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return action.Output{}, err
	}
	affected := map[string]struct{}{}
	add := func(ps []string) {
		for _, p := range ps {
			affected[p] = struct{}{}
		}
	}
	ps, doc, err := v.input(ctx, in.Path, in.Content)
	if err != nil {
		return action.Output{}, err
	}
	add(ps)
	if !v.g.Has(in.Path) { // removed meanwhile by a list sync that raced with us
		if ps, doc, err = v.input(ctx, in.Path, in.Content); err != nil {
			return action.Output{}, err
		}
		add(ps)
	}
	unresolved := false
	for i, l := range doc.Links {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return action.Output{}, ctx.Err()
		}
		r := v.g.Resolve(in.Path, l)
		switch {
		case r.Path != "" && r.Path != in.Path:
			add(v.refresh(ctx, docs, r.Path))
		case !r.OK():
			unresolved = true
		}
	}
	if unresolved {
		// A note may have been created since the list was last read.
		ps, err := v.listIfStale(ctx, docs)
		if err != nil {
			return action.Output{}, fmt.Errorf("list documents: %w", err)
		}
		add(ps)
	}
	if err := ctx.Err(); err != nil {
		return action.Output{}, err
	}
	exists := func(p string) bool { return a.attachments && v.exists(docs, p) }
	var out action.Output
	out.Findings = append(out.Findings, a.capFindings(doc)...)
	keep := func(p links.Problem) bool { _, ok := a.severityOf(p); return ok }
	probs, extra := v.g.CheckLimit(in.Path, doc, exists, keep, action.MaxFindings-1-len(out.Findings))
	for _, p := range probs {
		if f, ok := a.finding(p); ok {
			out.Findings = append(out.Findings, f)
		}
	}
	if !utf8.ValidString(in.Path) {
		// Link text is UTF-8, so nothing can name this note.
		out.Findings = append(out.Findings, action.Finding{
			Severity:   action.SeverityWarning,
			Message:    "file name is not valid UTF-8: no link can point at this note",
			Suggestion: "rename the file to a UTF-8 name",
		})
	}
	out.Findings = action.CapFindings(out.Findings, in.Path, extra)
	delete(affected, in.Path)
	out.Affected = v.onlyDocs(slices.Sorted(maps.Keys(affected)))
	return out, nil
}

// checkEvery is how many links a loop handles between two looks at its
// context.
const checkEvery = 256

// capFindings reports the limits doc hit: what was not checked, and how
// to check it.
func (a *linksCheck) capFindings(doc *links.Document) []action.Finding {
	var out []action.Finding
	if doc.MoreLinks {
		out = append(out, action.Finding{
			Severity: action.SeverityWarning,
			Message: fmt.Sprintf("this note holds more links than links.check keeps (max_links: %d); only the first %d were checked: raise max_links to check them all",
				a.limits.MaxLinks(), len(doc.Links)),
		})
	}
	if doc.MoreAnchors {
		out = append(out, action.Finding{
			Severity: action.SeverityWarning,
			Message: fmt.Sprintf("this note holds more headings or block ids than links.check keeps (max_anchors: %d); links to later ones are reported broken: raise max_anchors to keep them all",
				a.limits.MaxAnchors()),
		})
	}
	return out
}

// finding turns a problem into a finding, or drops it per the options.
func (a *linksCheck) finding(p links.Problem) (action.Finding, bool) {
	sev, ok := a.severityOf(p)
	if !ok {
		return action.Finding{}, false
	}
	l := p.Link
	return action.Finding{
		Path: p.Source, Line: l.Line, Column: l.Column, Severity: sev,
		Message: p.Message(), Suggestion: p.Suggestion,
	}, true
}

// severityOf returns the severity a problem is reported with, and false
// when the options drop it.
func (a *linksCheck) severityOf(p links.Problem) (action.Severity, bool) {
	l := p.Link
	for _, re := range a.ignore {
		if re.MatchString(l.Target) {
			return "", false
		}
	}
	switch p.Kind {
	case links.MissingHeading, links.MissingBlock:
		return a.severity, a.anchors
	case links.MissingTarget:
		return a.severity, a.attachments || !links.LooksLikeAttachment(l.Target)
	case links.Ambiguous:
		return a.ambiguous, a.ambiguous != ""
	}
	return a.severity, true
}

// Finish ends a generation: the next calls Stat the documents they use
// again, and the document list is reconciled now. Affected lists the files
// that referred to documents created or deleted meanwhile.
func (a *linksCheck) Finish(ctx context.Context, h action.Host) (action.Output, error) {
	if h.Docs == nil {
		return action.Output{}, nil
	}
	v := a.vaults.lookup(h.Docs)
	if v == nil {
		return action.Output{}, nil // nothing checked on this root yet
	}
	v.nextGeneration(h.Now())
	ps, err := v.listIfStale(ctx, h.Docs)
	if err != nil {
		return action.Output{}, fmt.Errorf("list documents: %w", err)
	}
	return action.Output{Affected: v.onlyDocs(ps)}, nil
}
