package links

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// ProblemKind classifies a link that does not resolve.
type ProblemKind uint8

// Problem kinds.
const (
	// MissingTarget: no document or file matches the link's target.
	MissingTarget ProblemKind = iota + 1
	// MissingHeading: the target exists but has no such heading (anchor).
	MissingHeading
	// MissingBlock: the target exists but has no such ^block.
	MissingBlock
	// Ambiguous: several notes match the name; Path is the one chosen.
	Ambiguous
)

// String returns the kind's name.
func (k ProblemKind) String() string {
	switch k {
	case MissingTarget:
		return "missing-target"
	case MissingHeading:
		return "missing-heading"
	case MissingBlock:
		return "missing-block"
	case Ambiguous:
		return "ambiguous"
	}
	return "unknown"
}

// Problem is a link of Source that does not resolve, or resolves ambiguously.
type Problem struct {
	Kind ProblemKind
	// Source is the document the link is in.
	Source string
	Link   Link
	// Path is the resolved target (MissingHeading, MissingBlock, Ambiguous).
	Path string
	// Candidates are the matching notes of an ambiguous link.
	Candidates []string
	// Probe are the paths checked for a non-document target (MissingTarget).
	Probe []string
	// URL is the site URL path looked up (MissingTarget, Options.Site,
	// Options.Docusaurus, Options.Jekyll, Options.VitePress).
	URL string
	// Route is true when URL was looked up among a Docusaurus, Jekyll or
	// VitePress site's pages (MissingTarget).
	Route bool
	// Page is true for a wiki link naming no page of a Logseq graph
	// (MissingTarget, Options.Logseq).
	Page bool
	// Ref is true for a Hugo ref or relref shortcode naming no page
	// (MissingTarget; URL is its path).
	Ref bool
	// Elsewhere is the page of a Hugo site the link's URL names by its
	// file's path, which the site serves at another URL (MissingTarget;
	// see Resolution.Elsewhere).
	Elsewhere string
	// Draft is the draft page of a Hugo site the link's URL names, or the
	// document without a page a Docusaurus file link names (MissingTarget;
	// see Resolution.Draft).
	Draft string
	// Unbuilt is the file outside BuiltFrom, the folder the site's build
	// looks for the link's file in, that the link names (MissingTarget;
	// see Resolution.Unbuilt).
	Unbuilt, BuiltFrom string
	// Redirect is true when the link's URL is a page redirecting to Path,
	// which leaves the fragment behind (MissingHeading; see
	// Resolution.Redirect).
	Redirect bool
	// ContentPage is the document a site would serve at the link's URL
	// from ContentOf, a folder of the root (MissingTarget, a link from the
	// root read as a plain path: "/commands/npm-team" and
	// docs/content/commands/npm-team.md): the link is likely a site's,
	// whose pages the graph was not told of (Options.Site). No Suggestion
	// is made then: the file's path is not the link the site wants.
	ContentPage, ContentOf string
	// Suggestion is the link rewritten to the closest existing target,
	// heading or block, as it would be written; "" when nothing is close.
	Suggestion string
	// SuggestedPath is the document Suggestion points at.
	SuggestedPath string
}

// Check resolves every link of document src, doc being its parsed content,
// and returns the problems, in document order. The graph resolves against
// what it recorded of the other documents (and of src: Update it first, so
// that links to its own headings resolve). exists, when not nil, is asked
// about paths that are not indexed documents (images and other
// attachments); it is called without the graph's lock held.
func (g *Graph) Check(src string, doc *Document, exists func(p string) bool) []Problem {
	probs, _ := g.CheckLimit(src, doc, exists, nil, -1)
	return probs
}

// CheckLimit is Check that keeps at most max problems (all when max < 0)
// among those keep accepts (all when keep is nil), and returns how many more
// keep accepted. keep sees a problem before its suggestion is computed, so
// problems it drops, and those past max, cost neither a suggestion nor
// memory: a note with thousands of broken links is checked in bounded space.
func (g *Graph) CheckLimit(src string, doc *Document, exists func(p string) bool, keep func(Problem) bool, max int) ([]Problem, int) {
	if doc == nil {
		return nil, 0
	}
	// The links are resolved a chunk at a time, so that exists runs
	// without the lock.
	const chunk = 256
	var probs, pending []Problem
	more := 0
	links := doc.Links
	for len(links) > 0 {
		n := min(chunk, len(links))
		pending = pending[:0]
		g.mu.RLock()
		for _, l := range links[:n] {
			if g.idx.hugo() != nil {
				l = hugoRefFragment(l) // {{< ref "install.md#usage" >}}
			}
			r := g.idx.Resolve(src, l)
			if r.External || r.Outside || r.Dir {
				continue
			}
			if r.Path == "" {
				pending = append(pending, Problem{Kind: MissingTarget, Source: src, Link: l, Probe: r.Probe, URL: r.URL, Route: r.Route, Page: r.Page, Elsewhere: r.Elsewhere, Draft: r.Draft, Unbuilt: r.Unbuilt, BuiltFrom: r.BuiltFrom, Ref: r.Ref})
				continue
			}
			if len(r.Candidates) > 1 {
				pending = append(pending, Problem{Kind: Ambiguous, Source: src, Link: l, Path: r.Path, Candidates: r.Candidates})
			}
			if r.Redirect && l.HasFragment && l.Fragment != "" {
				// The redirect page sends the browser to the page's URL
				// alone: no heading is reached through it.
				pending = append(pending, Problem{Kind: MissingHeading, Source: src, Link: l, Path: r.Path, URL: r.URL, Redirect: true})
				continue
			}
			if kind := g.checkFragment(l, r.Path); kind != 0 {
				pending = append(pending, Problem{Kind: kind, Source: src, Link: l, Path: r.Path})
			}
		}
		g.mu.RUnlock()
		links = links[n:]
		for _, p := range pending {
			if exists != nil && p.Kind == MissingTarget && anyExists(p.Probe, exists) {
				continue
			}
			if keep != nil && !keep(p) {
				continue
			}
			if max >= 0 && len(probs) >= max {
				more++
				continue
			}
			probs = append(probs, p)
		}
	}
	if len(probs) == 0 {
		return nil, more
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	for i := range probs {
		g.suggest(&probs[i])
	}
	return probs, more
}

func anyExists(paths []string, exists func(string) bool) bool {
	for _, p := range paths {
		if exists(p) {
			return true
		}
	}
	return false
}

// checkFragment checks l's heading or block fragment against target. It
// returns 0 when the fragment resolves or cannot be checked. Callers hold
// mu for reading.
func (g *Graph) checkFragment(l Link, target string) ProblemKind {
	if !l.HasFragment || l.Fragment == "" {
		return 0
	}
	te := g.lookup(target)
	if te == nil || !te.note {
		return 0 // an attachment: "file.pdf#page=2" is the viewer's business
	}
	frag := l.Fragment
	obsidian := l.Kind.IsWiki() || g.idx.opts.MarkdownByName
	if obsidian && strings.HasPrefix(frag, "^") {
		for id := range te.blocks.all() {
			if strings.EqualFold(id, frag[1:]) {
				return 0
			}
		}
		return MissingBlock
	}
	if !l.Kind.IsWiki() {
		if te.slugs.contains(fold(frag)) {
			return 0
		}
		if !obsidian {
			return MissingHeading
		}
	}
	// Obsidian: heading text, possibly a path of headings "A#B".
	if k := strings.LastIndexByte(frag, '#'); k >= 0 {
		frag = frag[k+1:]
	}
	if te.hkeys.contains(HeadingKey(frag)) {
		return 0
	}
	return MissingHeading
}

// suggestRoute fills p.Suggestion with the closest route of a Docusaurus
// or Jekyll site to the one p's link named. Callers hold mu for reading.
func (g *Graph) suggestRoute(p *Problem) {
	keys := slices.Collect(maps.Keys(g.idx.routes))
	slices.Sort(keys)
	i := closest(g.idx.routeKey(p.URL), keys)
	if i < 0 {
		return
	}
	best := minPath(g.idx.routes[keys[i]])
	route := g.idx.routeOf[best]
	if j := g.idx.opts.Jekyll; j != nil {
		route = j.BaseURL + route // the site is served under it
	} else if route = strings.TrimSuffix(route, "/"); route == "" {
		route = "/"
	}
	p.SuggestedPath = best
	p.Suggestion = replaceRange(p.Link, p.Link.TargetStart, p.Link.TargetEnd, EncodeDest(route, p.Link.Angle))
}

// contentPage finds the document a site would serve at link l's URL from
// a folder of the root, and that folder: for "/commands/npm-team" (from
// the root, no extension) docs/content/commands/npm-team.md; with several,
// the one in the shallowest folder (then the first in order); "" when l
// is no such link or no document fits. Only pages named as the URL's last
// segment are looked for: the graph re-checks a link when a document of
// its name comes or goes, not one named index.md. Callers hold mu for
// reading.
func (g *Graph) contentPage(l Link) (page, folder string) {
	if l.Kind.IsWiki() || !strings.HasPrefix(l.Target, "/") {
		return "", ""
	}
	u := strings.Trim(path.Clean(l.Target), "/")
	if u == "" || path.Ext(u) != "" {
		return "", ""
	}
	same := func(a, b string) bool { return a == b || !g.idx.opts.CaseSensitive && fold(a) == fold(b) }
	for _, c := range g.idx.names[NameKey(u)] {
		served := strings.TrimSuffix(c, path.Ext(c)) // docs/content/commands/npm-team
		if len(served) <= len(u)+1 || served[len(served)-len(u)-1] != '/' || !same(served[len(served)-len(u):], u) {
			continue
		}
		f := served[:len(served)-len(u)-1]
		if d, best := strings.Count(f, "/"), strings.Count(folder, "/"); page == "" || d < best || d == best && c < page {
			page, folder = c, f
		}
	}
	return page, folder
}

// suggest fills p.Suggestion with the closest existing alternative. Callers
// hold mu for reading.
func (g *Graph) suggest(p *Problem) {
	l := p.Link
	if _, _, ok := hugoRef(l.Target); ok && p.Kind != MissingHeading {
		return // a shortcode: only its fragment is rewritten
	}
	switch p.Kind {
	case MissingTarget:
		if l.Kind == BlockRef {
			return // a uuid: nothing is close by meaning
		}
		if p.Unbuilt != "" || p.Draft != "" {
			return // the file is there: it is no page of the built site
		}
		if p.Route && g.idx.router() != nil {
			g.suggestRoute(p)
			return
		}
		if p.Elsewhere != "" {
			if text := g.targetText(p.Source, l, p.Elsewhere); text != "" {
				p.SuggestedPath = p.Elsewhere
				p.Suggestion = replaceRange(l, l.TargetStart, l.TargetEnd, text)
			}
			return
		}
		if ps := g.hints[fold(strings.TrimSpace(l.Target))]; len(ps) > 0 && l.Kind.IsWiki() && l.Alias == "" && !l.HasFragment {
			// A note's alias: linked as Obsidian writes it, [[Note|alias]].
			best := minPath(ps)
			if text := g.targetText(p.Source, l, best); text != "" {
				p.SuggestedPath = best
				p.Suggestion = replaceRange(l, l.TargetStart, l.TargetEnd, text+"|"+l.Target)
				return
			}
		}
		if p.URL == "" && !p.Route {
			if page, folder := g.contentPage(l); page != "" {
				p.ContentPage, p.ContentOf = page, folder
				return
			}
		}
		best := g.closestName(g.idx.targetKey(tag(l.Kind), l.Target))
		if best == "" {
			return
		}
		if !l.Kind.IsWiki() {
			// Of the files that share the name (README.md), the one
			// nearest the folder the link meant, not the first in order.
			dir := path.Dir(p.Source)
			if len(p.Probe) > 0 {
				dir = path.Dir(p.Probe[0])
			}
			best = nearest(g.idx.names[g.idx.nameKey(best)], dir)
		}
		text := g.targetText(p.Source, l, best)
		if text == "" {
			return
		}
		p.SuggestedPath = best
		p.Suggestion = replaceRange(l, l.TargetStart, l.TargetEnd, text)
	case MissingHeading:
		if p.Redirect {
			// The page's own URL, with the fragment.
			if u, ok := g.idx.PageURL(p.Path); ok {
				if j := g.idx.opts.Jekyll; j != nil {
					u = j.BaseURL + u // the site is served under it
				}
				p.SuggestedPath = p.Path
				p.Suggestion = replaceRange(l, l.TargetStart, l.TargetEnd, EncodeDest(u, l.Angle))
			}
			return
		}
		te := g.lookup(p.Path)
		if te == nil || !te.note {
			return // changed since the check: no suggestion
		}
		frag := l.Fragment
		// Obsidian writes heading text ("#Set up"), GitHub a slug ("#set-up").
		if l.Kind.IsWiki() || g.idx.opts.MarkdownByName && strings.Contains(frag, " ") {
			if k := strings.LastIndexByte(frag, '#'); k >= 0 {
				frag = frag[k+1:]
			}
			want := HeadingKey(frag)
			if i := closest(want, te.hkeys.strings()); i >= 0 {
				p.SuggestedPath = p.Path
				p.Suggestion = replaceRange(l, l.FragmentStart, l.FragmentEnd, te.texts.strings()[i])
			}
			return
		}
		slugs := te.slugs.strings()
		i := closest(fold(frag), slugs)
		if i < 0 {
			// The slug of a heading given an explicit id ("## Set up {#setup}"
			// is not #set-up but #setup).
			i = closest(HeadingKey(frag), te.hkeys.strings())
		}
		if i >= 0 {
			p.SuggestedPath = p.Path
			p.Suggestion = replaceRange(l, l.FragmentStart, l.FragmentEnd, slugs[i])
		}
	case MissingBlock:
		te := g.lookup(p.Path)
		if te == nil || !te.note {
			return
		}
		ids := te.blocks.strings()
		if i := closest(l.Fragment[1:], ids); i >= 0 {
			p.SuggestedPath = p.Path
			p.Suggestion = replaceRange(l, l.FragmentStart, l.FragmentEnd, "^"+ids[i])
		}
	case Ambiguous:
		p.SuggestedPath = p.Path
		name := p.Path
		if !hasMDExt(l.Target) {
			name = trimMDExt(name)
		}
		p.Suggestion = replaceRange(l, l.TargetStart, l.TargetEnd, name)
	}
}

// closestName returns the document whose name key is nearest to want
// ("" when none is close enough). Callers hold mu for reading.
func (g *Graph) closestName(want string) string {
	g.sugMu.Lock()
	best, ok := g.sug[want]
	trie := g.trie
	if !ok && trie == nil {
		names := make([]nameEntry, 0, len(g.idx.names))
		for key, paths := range g.idx.names {
			names = append(names, nameEntry{key, minPath(paths)})
		}
		trie = buildTrie(names)
		g.trie = trie
	}
	g.sugMu.Unlock()
	if ok {
		return best
	}
	best = trie.closest(want, maxEdits(want))
	g.sugMu.Lock()
	if g.sug == nil {
		g.sug = map[string]string{}
	}
	g.sug[want] = best
	g.sugMu.Unlock()
	return best
}

// nearest returns the path of ps whose folder has the most leading folders
// in common with dir, then the one with the fewest folders, then the first
// in order.
func nearest(ps []string, dir string) string {
	best, bestCommon, bestDepth := "", -1, 0
	for _, p := range ps {
		c, d := commonFolders(path.Dir(p), dir), strings.Count(p, "/")
		if c > bestCommon || c == bestCommon && (d < bestDepth || d == bestDepth && p < best) {
			best, bestCommon, bestDepth = p, c, d
		}
	}
	return best
}

// commonFolders counts the leading folders that the folders a and b share
// ("." is the root: none).
func commonFolders(a, b string) int {
	if a == "." || b == "." {
		return 0
	}
	n := 0
	for {
		i, j := strings.IndexByte(a, '/'), strings.IndexByte(b, '/')
		ha, hb := a, b
		if i >= 0 {
			ha = a[:i]
		}
		if j >= 0 {
			hb = b[:j]
		}
		if ha != hb {
			return n
		}
		n++
		if i < 0 || j < 0 {
			return n
		}
		a, b = a[i+1:], b[j+1:]
	}
}

// targetText is how link l of src would name target: for wiki links the
// file name (the path when the name is ambiguous), for Markdown links the
// relative path (root-absolute when l was), and for a site's URL links the
// page's URL; "" when target has none.
func (g *Graph) targetText(src string, l Link, target string) string {
	if g.idx.hugo() != nil && !l.Kind.IsWiki() && !hasMDExt(strings.TrimSuffix(l.Target, "/")) {
		if from, isPage := g.idx.routeOf[src]; isPage {
			to, ok := g.idx.routeOf[target]
			if !ok {
				return ""
			}
			if strings.HasPrefix(l.Target, "/") {
				return EncodeDest(to, l.Angle)
			}
			rel := RelPath(strings.Trim(routeFolder(from), "/"), strings.Trim(to, "/"))
			if strings.HasSuffix(to, "/") {
				rel += "/"
			}
			return EncodeDest(rel, l.Angle)
		}
	}
	if l.Kind.IsWiki() {
		if lq := g.idx.opts.Logseq; lq != nil {
			name, _ := lq.PageName(target)
			return name
		}
		name := path.Base(target)
		if len(g.idx.names[NameKey(target)]) > 1 || strings.Contains(l.Target, "/") {
			name = target
		}
		if !hasMDExt(l.Target) {
			name = trimMDExt(name)
		}
		return name
	}
	p := RelPath(path.Dir(src), target)
	if strings.HasPrefix(l.Target, "/") {
		p = "/" + target
	}
	if v := g.idx.opts.VitePress; v != nil {
		// A page's URL, in the link's style: from the source folder, and
		// without ".md" when the link had none.
		if rel, ok := v.page(target); ok && strings.HasPrefix(l.Target, "/") {
			p = "/" + rel
		}
		p = InStyle(l.Target, p)
	}
	return EncodeDest(p, l.Angle)
}

// replaceRange returns l.Raw with the content bytes [start, end) replaced.
func replaceRange(l Link, start, end int, with string) string {
	a, b := start-l.Start, end-l.Start
	if a < 0 || b > len(l.Raw) || a > b {
		return ""
	}
	return l.Raw[:a] + with + l.Raw[b:]
}

func pathLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// closest returns the index of the element of cands nearest to want, or -1
// when none is within maxEdits.
func closest(want string, cands []string) int {
	best, bestD := -1, 0
	limit := maxEdits(want)
	var sc scratch
	for i, c := range cands {
		d := sc.distance(want, c, limit)
		if d <= limit && (best < 0 || d < bestD) {
			best, bestD = i, d
		}
	}
	return best
}

// maxEdits is how far a suggestion may be from what was written: about a
// third of its length, at least one and at most three edits.
func maxEdits(s string) int {
	n := utf8.RuneCountInString(s)
	return max(1, min(3, (n+1)/3))
}

// Message describes the problem for a person: what is wrong and where it
// points.
func (p Problem) Message() string {
	l := p.Link
	raw := shorten(l.Raw)
	what := "link"
	if l.Kind == Embed || l.Image {
		what = "embed"
	}
	where := fmt.Sprintf("%q", p.Path)
	if p.Path == p.Source {
		where = "this file"
	}
	switch p.Kind {
	case MissingTarget:
		if l.Kind == BlockRef {
			return fmt.Sprintf("broken block reference %s: no page of the graph has a block with id:: %s", raw, l.Target)
		}
		if p.Page {
			file := ""
			if len(p.Probe) > 0 {
				file = fmt.Sprintf("no file %s, ", p.Probe[0])
			}
			return fmt.Sprintf("broken %s %s: no page named %q (%sno journal and no page with that alias:: or title::)", what, raw, strings.TrimSpace(l.Target), file)
		}
		if l.Kind.IsWiki() {
			if strings.Contains(l.Target, "/") {
				at := l.Target
				if len(p.Probe) > 0 {
					at = p.Probe[0]
				}
				return fmt.Sprintf("broken %s %s: nothing at %q", what, raw, at)
			}
			if LooksLikeAttachment(l.Target) {
				return fmt.Sprintf("broken %s %s: no document named %q, and no such file at the root, beside this note or in the attachment folders", what, raw, l.Target)
			}
			return fmt.Sprintf("broken %s %s: no note named %q", what, raw, l.Target)
		}
		if p.Elsewhere != "" {
			return fmt.Sprintf("broken %s %s: no page of the site is at %q (%s is served at another URL)", what, raw, p.URL, p.Elsewhere)
		}
		if p.Unbuilt != "" {
			return fmt.Sprintf("broken %s %s: %q is outside %s/, where the site's build looks for this link's file", what, raw, p.Unbuilt, p.BuiltFrom)
		}
		if p.Draft != "" && p.URL != "" {
			return fmt.Sprintf("broken %s %s: no page of the site is at %q (%s is a draft, which the site's build leaves out)", what, raw, p.URL, p.Draft)
		}
		if p.Draft != "" {
			return fmt.Sprintf("broken %s %s: %q has no page on the built site (a draft, or a partial)", what, raw, p.Draft)
		}
		if p.Ref {
			return fmt.Sprintf("broken %s %s: no page is at %q (Hugo's build fails on this ref)", what, raw, p.URL)
		}
		if p.Route {
			if LooksLikeAttachment(p.URL) && len(p.Probe) > 0 && !hasDocExt(p.Probe[0]) {
				return fmt.Sprintf("broken %s %s: the site serves nothing at %q (no page has that URL, and there is no file %s)", what, raw, p.URL, p.Probe[0])
			}
			return fmt.Sprintf("broken %s %s: no page of the site is at %q", what, raw, p.URL)
		}
		if p.URL != "" && len(p.Probe) > 0 {
			if LooksLikeAttachment(p.URL) {
				return fmt.Sprintf("broken %s %s: the site serves nothing at %q (no file %s)", what, raw, p.URL, strings.Join(p.Probe, " or "))
			}
			page := p.Probe[0]
			files := ""
			if len(p.Probe) > 1 {
				files = ", no file " + strings.Join(p.Probe[1:], " or ")
			}
			return fmt.Sprintf("broken %s %s: the site serves nothing at %q (no page %s.md, %s or %s%s)", what, raw, p.URL,
				page, path.Join(page, "index.md"), path.Join(page, "_index.md"), files)
		}
		t := l.Target
		if len(p.Probe) > 0 {
			t = p.Probe[0]
		}
		if p.ContentPage != "" {
			return fmt.Sprintf("broken %s %s: %q does not exist (it is %s's URL if %s/ holds a site's pages: set links.check's markdown_links: site and site: {content: %s})",
				what, raw, t, p.ContentPage, p.ContentOf, p.ContentOf)
		}
		return fmt.Sprintf("broken %s %s: %q does not exist", what, raw, t)
	case MissingHeading:
		if p.Redirect {
			return fmt.Sprintf("broken %s %s: %q redirects to %s, without the anchor #%s (link to the page itself)", what, raw, p.URL, where, l.Fragment)
		}
		if l.Kind.IsWiki() {
			return fmt.Sprintf("broken %s %s: %s has no heading %q", what, raw, where, l.Fragment)
		}
		return fmt.Sprintf("broken %s %s: %s has no heading with anchor #%s", what, raw, where, l.Fragment)
	case MissingBlock:
		return fmt.Sprintf("broken %s %s: %s has no block %s", what, raw, where, l.Fragment)
	case Ambiguous:
		return fmt.Sprintf("ambiguous %s %s: %d notes match %q; it resolves to %q (shortest path)",
			what, raw, len(p.Candidates), l.Target, p.Path)
	}
	return "link problem " + raw
}

// LooksLikeAttachment reports whether a link target names a file with an
// extension other than .md ("diagram.png", but not "v1.2").
func LooksLikeAttachment(t string) bool {
	i := len(t) - 1
	for i >= 0 && t[i] != '.' && t[i] != '/' {
		i--
	}
	if i < 0 || t[i] != '.' {
		return false
	}
	ext := t[i+1:]
	if len(ext) == 0 || len(ext) > 8 || strings.EqualFold(ext, "md") {
		return false
	}
	letter := false
	for j := 0; j < len(ext); j++ {
		c := ext[j]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letter
}

// shorten keeps messages readable when a link is huge.
func shorten(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
