package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/links"
)

// plannedRename is one planned rename.
type plannedRename struct{ from, to string }

// plannedWrite is one planned rewrite of a file, at its final path.
type plannedWrite struct {
	path     string
	old, new []byte
	links    int
}

// repair plans every rename and link rewrite, then applies them through the
// Writer; a failure undoes what was applied and is returned.
func (n *naming) repair(ctx context.Context, in action.Input, vs []violation) (action.Output, error) {
	n.fixMu.Lock()
	defer n.fixMu.Unlock()
	docs, w := in.Host.Docs, in.Host.Writer
	if _, err := docs.Stat(in.Path); errors.Is(err, fs.ErrNotExist) {
		return action.Output{}, nil // moved by an earlier rename of this run
	}
	var out action.Output
	renames, blocked := n.planRenames(vs, docs)
	out.Findings = append(out.Findings, blocked...)
	if len(renames) == 0 || len(blocked) > 0 {
		return out, nil
	}
	v := n.vaults.get(docs)
	if err := v.ensure(ctx, docs, in.Host.Now()); err != nil {
		return action.Output{}, fmt.Errorf("load the link graph: %w", err)
	}
	// Renames are rare and must see every linker: re-check every document.
	if err := v.lock(ctx); err != nil {
		return action.Output{}, err
	}
	_, err := v.syncList(ctx, docs, true)
	v.unlock()
	if err != nil {
		return action.Output{}, fmt.Errorf("refresh the link graph: %w", err)
	}
	if _, _, err := v.input(ctx, in.Path, in.Content); err != nil {
		return action.Output{}, err
	}
	if f, ok := tooManyLinks(v.g, in.Path, renames); ok {
		out.Findings = append(out.Findings, f)
		return out, nil
	}
	writes, moved, err := n.planWrites(ctx, in, v, renames)
	if err != nil {
		return action.Output{}, err
	}
	if err := apply(ctx, w, renames, writes); err != nil {
		return action.Output{}, fmt.Errorf("naming: rename %s: %w", in.Path, err)
	}
	nlinks := 0
	for _, wr := range writes {
		nlinks += wr.links
	}
	verb := "renamed"
	if in.DryRun {
		verb = "would rename"
	}
	for _, r := range renames {
		out.Findings = append(out.Findings, action.Finding{
			Path: r.from, Severity: action.SeverityInfo,
			Message: fmt.Sprintf("%s %s to %s (%d links rewritten in %d files)", verb, r.from, r.to, nlinks, len(writes)),
		})
		out.Events = append(out.Events, action.Event{Type: "renamed", Path: r.from, Data: map[string]any{"to": r.to}})
	}
	if !in.DryRun {
		for old, nw := range moved {
			v.g.Remove(old)
			out.Affected = append(out.Affected, nw)
		}
		for _, wr := range writes {
			v.g.Update(wr.path, wr.new)
		}
		sort.Strings(out.Affected)
	}
	return out, nil
}

// tooManyLinks refuses renames while a document holds more links than the
// graph keeps: the links past the limit could point at a renamed file and
// would be left broken.
func tooManyLinks(g *links.Graph, p string, renames []plannedRename) (action.Finding, bool) {
	for _, src := range g.Paths() {
		if g.MoreLinks(src) {
			return action.Finding{
				Path: p, Severity: action.SeverityError,
				Message: fmt.Sprintf("cannot rename %s to %s: %s holds more than %d links, too many to rewrite safely; fix or exclude that note",
					renames[0].from, renames[0].to, src, g.Options().Limits.MaxLinks()),
			}, true
		}
	}
	return action.Finding{}, false
}

// planRenames turns violations into renames (each path as it will be when
// the renames before it are done) and refuses those whose target exists.
func (n *naming) planRenames(vs []violation, docs action.Docs) ([]plannedRename, []action.Finding) {
	var renames []plannedRename
	var blocked []action.Finding
	list := docs.List()
	for _, v := range vs {
		if v.newName == "" {
			blocked = append(blocked, n.finding(v))
			continue
		}
		// v.path is as it was; map it through the renames planned so far.
		from := movePath(v.path, renames)
		to := path.Join(path.Dir(from), v.newName)
		if path.Dir(from) == "." {
			to = v.newName
		}
		if v.dir {
			if reason := foreign(docs, list, from); reason != "" {
				f := n.finding(v)
				f.Message += "; left as it is: " + reason + "; rename the folder by hand, or add it to ignore"
				blocked = append(blocked, f)
				continue
			}
		}
		if reason := targetTaken(docs, list, from, to); reason != "" {
			blocked = append(blocked, action.Finding{
				Path: v.path, Severity: action.SeverityError,
				Message:    fmt.Sprintf("cannot rename %s to %s: %s", from, to, reason),
				Suggestion: v.newName,
			})
			continue
		}
		renames = append(renames, plannedRename{from: from, to: to})
	}
	return renames, blocked
}

// attachmentExts are the kinds of file that live beside notes: what notes
// embed or link (images, audio, video, PDFs, office documents, Obsidian's
// canvases and bases, drawings, archives) and text. A link to one that
// moves is rewritten.
var attachmentExts = map[string]bool{}

func init() {
	for _, e := range strings.Fields(`
		md markdown mdx txt csv tsv
		png jpg jpeg gif webp avif svg bmp ico tif tiff heic heif
		mp3 wav m4a ogg flac opus aac 3gp mp4 webm mov mkv ogv avi m4v
		pdf epub doc docx xls xlsx ppt pptx odt ods odp rtf
		canvas base excalidraw drawio zip`) {
		attachmentExts["."+e] = true
	}
}

// maxFolderEntries bounds what foreign looks at in one folder tree.
const maxFolderEntries = 20000

// foreign says what in directory dir a rename would break ("" for
// nothing): a file that is neither a document nor an attachment, such as
// the code of a Go package whose README makes its folder a folder of
// notes, which other files (its importers, a build) name by its path; a
// symbolic link, which may point out of the folder by a relative path.
// Hidden files are not looked at, nor is anything when docs cannot list
// folders.
func foreign(docs action.Docs, list []string, dir string) string {
	dr, ok := docs.(action.DirReader)
	if !ok {
		return ""
	}
	seen := 0
	stack := []string{dir}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		entries, err := dr.ReadDir(d)
		if err != nil {
			return fmt.Sprintf("%s cannot be listed (%v)", d, err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			if seen++; seen > maxFolderEntries {
				return fmt.Sprintf("it holds more than %d files and folders", maxFolderEntries)
			}
			p := d + "/" + name
			switch {
			case e.IsDir():
				stack = append(stack, p)
			case e.Type()&fs.ModeSymlink != 0:
				return fmt.Sprintf("it holds %s, a symbolic link, which may point out of it", p)
			case isListed(list, p) || attachmentExts[strings.ToLower(path.Ext(name))] || strings.HasPrefix(name, "_category_."):
				// A document, an attachment, a Docusaurus folder's metadata.
			default:
				return fmt.Sprintf("it holds %s, which is neither a note nor an attachment (code or data others may name by its path)", p)
			}
		}
	}
	return ""
}

func isListed(sorted []string, p string) bool {
	_, ok := slices.BinarySearch(sorted, p)
	return ok
}

// targetTaken says why from cannot become to ("" if it can): something is
// there already, or a document whose path differs only in case (two such
// names cannot live on a case-insensitive file system). A rename that only
// changes case is fine.
func targetTaken(docs action.Docs, list []string, from, to string) string {
	caseOnly := strings.EqualFold(from, to)
	if fi, err := docs.Stat(to); err == nil {
		if !caseOnly {
			return to + " already exists"
		}
		if ffi, err := docs.Stat(from); err != nil || !os.SameFile(fi, ffi) {
			return to + " already exists"
		}
	}
	ft, ff := links.Fold(to), links.Fold(from)
	for _, p := range list {
		fp := links.Fold(p)
		if (fp == ft || strings.HasPrefix(fp, ft+"/")) && !(fp == ff || strings.HasPrefix(fp, ff+"/")) {
			return fmt.Sprintf("%s differs from it only in case", p)
		}
	}
	return ""
}

// movePath maps p through renames applied in order.
func movePath(p string, renames []plannedRename) string {
	for _, r := range renames {
		if p == r.from {
			p = r.to
		} else if strings.HasPrefix(p, r.from+"/") {
			p = r.to + p[len(r.from):]
		}
	}
	return p
}

// planWrites finds every link whose target moves, or whose name could
// resolve elsewhere once the new names exist, and rewrites it so that it
// still points where it did, from the linking file's new path, in the style
// it was written (by name, by path, relative) when that style resolves
// unambiguously. It returns the rewrites and the moves (old path → new).
func (n *naming) planWrites(ctx context.Context, in action.Input, v *vault, renames []plannedRename) ([]plannedWrite, map[string]string, error) {
	g := v.g
	moved := map[string]string{}
	for _, p := range g.Paths() {
		if np := movePath(p, renames); np != p {
			moved[p] = np
		}
	}
	p := &plan{g: g, after: g.Index(), moved: moved, renames: renames, keys: map[string]bool{}}
	for old, nw := range moved {
		for _, k := range p.after.KeysOf(old) {
			p.keys[k] = true
		}
		p.after.Move(old, nw)
		for _, k := range p.after.KeysOf(nw) {
			p.keys[k] = true
		}
	}
	var writes []plannedWrite
	for _, src := range rewriteCandidates(g, in.Path, moved, renames, p.keys) {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		srcAfter := movePath(src, renames)
		isInput := src == in.Path
		// The graph keeps no links: read the current bytes and parse them.
		content := in.Content
		if !isInput {
			b, err := in.Host.Docs.ReadFile(src)
			if err != nil {
				return nil, nil, fmt.Errorf("naming: read %s to rewrite its links: %w", src, err)
			}
			content = b
		}
		reparsed, err := links.ParseContext(ctx, content, links.Limits{})
		if err != nil {
			return nil, nil, err
		}
		if reparsed.MoreLinks {
			return nil, nil, fmt.Errorf("naming: %s now holds more than %d links, too many to rewrite safely; the rename was not made", src, links.Limits{}.MaxLinks())
		}
		var edits []links.Edit
		for _, l := range reparsed.Links {
			if text, ok := p.rewrite(src, srcAfter, l); ok && text != written(l) {
				edits = append(edits, links.Edit{Start: l.TargetStart, End: l.TargetEnd, Text: text})
			}
		}
		if len(edits) == 0 && !(isInput && srcAfter != src) {
			continue
		}
		newContent := links.Apply(content, edits)
		old := content
		if isInput {
			// The input's new content (an earlier action may have changed
			// it) follows it to its new name.
			if disk, err := in.Host.Docs.ReadFile(src); err == nil {
				old = disk
			}
		}
		if len(edits) == 0 && bytes.Equal(old, newContent) {
			continue
		}
		writes = append(writes, plannedWrite{path: srcAfter, old: old, new: newContent, links: len(edits)})
	}
	return writes, moved, nil
}

// rewriteCandidates returns the notes whose links a rename may change,
// sorted: the notes that move (their relative links change) and those whose
// links use the name of a moved document, old or new (keys). A directory
// renamed may also move attachments the graph does not know (a link to
// "dir/picture.png" that is not a document), so then every note is a
// candidate.
func rewriteCandidates(g *links.Graph, input string, moved map[string]string, renames []plannedRename, keys map[string]bool) []string {
	all := false
	for _, r := range renames {
		if _, ok := moved[r.from]; !ok {
			all = true // not a document of the graph: a directory
		}
	}
	var out []string
	if all {
		out = g.Paths()
	} else {
		out = g.Referrers(slices.Collect(maps.Keys(keys)))
		for old := range moved {
			out = append(out, old)
		}
		out = append(out, input)
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return slices.DeleteFunc(out, func(p string) bool {
		_, note := g.Hash(p)
		return !note // an attachment
	})
}

// plan is what rewriting links needs to know about the planned renames.
type plan struct {
	g       *links.Graph
	after   *links.Index // the paths as they will be
	moved   map[string]string
	renames []plannedRename
	keys    map[string]bool // name keys of moved documents, old and new
}

// written is the target of l as written.
func written(l links.Link) string {
	return l.Raw[l.TargetStart-l.Start : l.TargetEnd-l.Start]
}

// rewrite returns the target text link l of src (which will be at
// srcAfter) needs after the renames, and false when l needs no change (or is
// broken, or external: those are left alone).
func (p *plan) rewrite(src, srcAfter string, l links.Link) (string, bool) {
	if l.Target == "" || l.Kind == links.BlockRef {
		return "", false // a block reference names a block, wherever its page is
	}
	r := p.g.Resolve(src, l)
	var intended string
	doc := r.Path != ""
	switch {
	case doc:
		intended = r.Path
		if nw, ok := p.moved[r.Path]; ok {
			intended = nw
		}
	case len(r.Probe) > 0 && movePath(r.Probe[0], p.renames) != r.Probe[0]:
		intended = movePath(r.Probe[0], p.renames) // an attachment in a renamed directory
	case r.Folder != "" && movePath(r.Folder, p.renames) != r.Folder:
		intended = movePath(r.Folder, p.renames) // a renamed directory, or one in it
	default:
		return "", false
	}
	if r.Redirect && p.resolves(srcAfter, l, written(l), intended, doc) {
		return "", false // an old URL of the page, whose redirect moves with it
	}
	if doc && intended == r.Path {
		// The target stays; the link only needs help if a new name or the
		// source's move makes it resolve elsewhere.
		if !p.keys[p.after.LinkKey(l)] && srcAfter == src {
			return "", false
		}
		if p.resolves(srcAfter, l, written(l), intended, doc) {
			return "", false
		}
	}
	if j := p.after.Options().Jekyll; j != nil {
		// {% link about.md %}, {% post_url 2024-01-15-news %}: the tag
		// names the file's new path, or the post's new name.
		if text, ok := j.RewriteLiquid(l.Target, intended); ok {
			if p.resolves(srcAfter, l, text, intended, doc) {
				return text, true
			}
			return "", false
		}
	}
	if s := p.after.Options().Site; s != nil && !l.Kind.IsWiki() {
		// {{< ref "docs/install.md" >}}: the shortcode names the page's
		// new path, or its new name.
		if texts := links.RewriteHugoRef(l.Target, s, intended); texts != nil {
			for _, text := range texts {
				if p.resolves(srcAfter, l, text, intended, doc) {
					return text, true
				}
			}
			return "", false
		}
	}
	if lq := p.after.Options().Logseq; lq != nil && l.Kind.IsWiki() {
		// A Logseq page is linked by its name, which its file's name
		// gives; a link by an alias:: or title:: still resolves.
		if p.resolves(srcAfter, l, written(l), intended, doc) {
			return "", false
		}
		if name, ok := lq.PageName(intended); ok {
			return name, true
		}
		return "", false
	}
	if doc && !l.Kind.IsWiki() && !links.IsFileLink(l.Target) {
		// A URL of a site (Hugo's, a Docusaurus site's route): the URL the
		// document will have.
		if r, ok := p.after.PageURL(intended); ok {
			text := strings.TrimSuffix(r, "/")
			if text == "" || strings.HasSuffix(l.Target, "/") && !strings.HasSuffix(r, ".html") {
				text += "/" // not after a Hugo site's page.html
			}
			if j := p.after.Options().Jekyll; j != nil {
				text = p.jekyllURL(srcAfter, l, r, j)
			}
			text = links.EncodeDest(text, l.Angle)
			if p.resolves(srcAfter, l, text, intended, doc) {
				return text, true
			}
		}
	}
	for _, text := range candidates(srcAfter, l, intended) {
		if p.resolves(srcAfter, l, text, intended, doc) {
			return text, true
		}
	}
	// Nothing in the link's own style resolves unambiguously: a full path.
	if l.Kind.IsWiki() {
		t := intended
		if !hasMD(l.Target) {
			t = strings.TrimSuffix(t, ".md")
		}
		return t, true
	}
	return links.EncodeDest(links.RelPath(path.Dir(srcAfter), intended), l.Angle), true
}

// jekyllURL writes the URL route of a Jekyll site's page as link l of
// srcAfter wrote the URL it replaces: without ".html" when l had none (the
// site serves /about.html as /about too), with the site's base URL when l
// had it, relative to srcAfter's own URL when l was relative.
func (p *plan) jekyllURL(srcAfter string, l links.Link, route string, j *links.Jekyll) string {
	if !strings.HasSuffix(l.Target, ".html") {
		route = strings.TrimSuffix(route, ".html")
	}
	switch {
	case strings.HasPrefix(l.Target, "/"):
		if j.BaseURL != "" && strings.HasPrefix(l.Target, j.BaseURL+"/") {
			return j.BaseURL + route
		}
		return route
	case route == "/":
		return route
	}
	from, ok := p.after.PageURL(srcAfter)
	if !ok {
		return route
	}
	dir := strings.Trim(from, "/")
	if !strings.HasSuffix(from, "/") {
		dir = path.Dir(dir)
	}
	rel := links.RelPath(dir, strings.TrimPrefix(strings.TrimSuffix(route, "/"), "/"))
	if strings.HasSuffix(route, "/") {
		rel += "/"
	}
	return rel
}

// resolves reports whether l with its target written as text, in srcAfter,
// points at intended once the renames are done.
func (p *plan) resolves(srcAfter string, l links.Link, text, intended string, doc bool) bool {
	probe := l
	probe.Target = text
	if !l.Kind.IsWiki() {
		probe.Target = links.DecodeDest(text)
	}
	res := p.after.Resolve(srcAfter, probe)
	if doc {
		return res.Path == intended
	}
	return res.Path == "" && (len(res.Probe) > 0 && res.Probe[0] == intended || res.Folder == intended)
}

// candidates are the ways to write target in l's style, preferred first.
func candidates(srcAfter string, l links.Link, target string) []string {
	keepExt := func(t string) string {
		if !hasMD(l.Target) && hasMD(t) {
			return t[:len(t)-3]
		}
		return t
	}
	if l.Kind.IsWiki() {
		switch {
		case strings.HasPrefix(l.Target, "./") || strings.HasPrefix(l.Target, "../"):
			rel := links.RelPath(path.Dir(srcAfter), target)
			if !strings.HasPrefix(rel, "../") {
				rel = "./" + rel
			}
			return []string{keepExt(rel)}
		case strings.HasPrefix(l.Target, "/"):
			return []string{"/" + keepExt(target)}
		case strings.Contains(l.Target, "/"):
			// Keep as many trailing folders as were written.
			segs := strings.Split(target, "/")
			k := min(strings.Count(l.Target, "/")+1, len(segs))
			return []string{keepExt(strings.Join(segs[len(segs)-k:], "/")), keepExt(target)}
		default:
			return []string{keepExt(path.Base(target)), keepExt(target)}
		}
	}
	var p string
	switch {
	case strings.HasPrefix(l.Target, "/"):
		p = "/" + target
	case !strings.Contains(l.Target, "/") && path.Dir(srcAfter) != path.Dir(target):
		// Written as a bare name that resolved by name (vault mode).
		p = path.Base(target)
	default:
		p = links.RelPath(path.Dir(srcAfter), target)
	}
	if strings.HasSuffix(l.Target, "/") && !strings.HasSuffix(p, "/") {
		p += "/" // a folder, written as one
	}
	return []string{links.EncodeDest(links.InStyle(l.Target, p), l.Angle)}
}

func hasMD(p string) bool { return strings.HasSuffix(strings.ToLower(p), ".md") }

// apply performs renames then writes; on the first failure it undoes what
// was applied, in reverse order, and returns the failure (with any undo
// failure joined to it).
func apply(ctx context.Context, w action.Writer, renames []plannedRename, writes []plannedWrite) error {
	var doneRenames []plannedRename
	var doneWrites []plannedWrite
	fail := func(err error) error {
		// Undo even when ctx has ended: a half-renamed vault is worse.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		var undo []error
		for i := len(doneWrites) - 1; i >= 0; i-- {
			wr := doneWrites[i]
			if uerr := replace(uctx, w, wr.path, wr.new, wr.old); uerr != nil {
				undo = append(undo, fmt.Errorf("restore %s: %w", wr.path, uerr))
			}
		}
		for i := len(doneRenames) - 1; i >= 0; i-- {
			r := doneRenames[i]
			if uerr := w.Rename(uctx, r.to, r.from); uerr != nil {
				undo = append(undo, fmt.Errorf("rename %s back to %s: %w", r.to, r.from, uerr))
			}
		}
		if len(undo) > 0 {
			// Not wrapped: a conflict in err must not have the engine redo
			// the file on a tree left half renamed.
			return fmt.Errorf("%v; undo incomplete, fix by hand: %v", err, errors.Join(undo...))
		}
		return fmt.Errorf("%w (every change undone)", err)
	}
	for _, r := range renames {
		if err := w.Rename(ctx, r.from, r.to); err != nil {
			return fail(err)
		}
		doneRenames = append(doneRenames, r)
	}
	for _, wr := range writes {
		if err := replace(ctx, w, wr.path, wr.old, wr.new); err != nil {
			return fail(err)
		}
		doneWrites = append(doneWrites, wr)
	}
	return nil
}

// replace writes content to p if p still holds old, when w can compare
// (action.Replacer): a note edited since the plan read it keeps the edit,
// and the rename is undone and redone on it.
func replace(ctx context.Context, w action.Writer, p string, old, content []byte) error {
	if r, ok := w.(action.Replacer); ok {
		return r.ReplaceFile(ctx, p, old, content)
	}
	return w.WriteFile(ctx, p, content)
}
