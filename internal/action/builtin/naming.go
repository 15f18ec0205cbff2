package builtin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/links"
)

func init() {
	action.Register(action.Spec{
		Name:    "naming",
		Summary: "file and directory names must follow a convention; report, or rename and rewrite every link to them",
		Schema:  namingSchema,
		Example: namingExample,
		New:     newNaming,
	})
}

const namingSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": ["object", "null"],
  "additionalProperties": false,
  "properties": {
    "style": {
      "description": "the convention: kebab-case (default), snake_case, or regex (with pattern)",
      "enum": ["kebab-case", "snake_case", "regex"]
    },
    "pattern": {
      "description": "RE2 pattern a name must match (style regex only): the file name without its extension, or the directory name",
      "type": "string",
      "minLength": 1
    },
    "directories": {
      "description": "check the names of the directories the file is in (default true)",
      "type": "boolean"
    },
    "ignore": {
      "description": "doublestar globs of paths not to check; a glob without '/' matches a single file or directory name",
      "type": "array",
      "items": {"type": "string", "minLength": 1}
    },
    "ignore_defaults": {
      "description": "also ignore conventional names: README, CHANGELOG, LICENSE... and names starting with '.' (default true)",
      "type": "boolean"
    },
    "mode": {
      "description": "report violations (default), or fix them: rename and rewrite every link to the renamed files",
      "enum": ["report", "fix"]
    },
    "severity": {
      "description": "severity of a violation in report mode (default warning)",
      "enum": ["error", "warning", "info"]
    }
  },
  "if": {"properties": {"style": {"const": "regex"}}, "required": ["style"]},
  "then": {"required": ["pattern"], "properties": {"mode": {"const": "report"}}},
  "else": {"not": {"required": ["pattern"]}}
}`

const namingExample = `naming:
  style: kebab-case
  mode: fix
  ignore: ["assets/**", "Templates"]`

// lkDefaultIgnore are names that conventionally break every style.
var lkDefaultIgnore = []string{
	".*", "README*", "CHANGELOG*", "CONTRIBUTING*", "LICENSE*", "LICENCE*", "COPYING*",
	"CODE_OF_CONDUCT*", "SECURITY*", "AUTHORS*", "NOTICE*", "CODEOWNERS*", "SUPPORT*", "_index.md",
}

type namingParams struct {
	Style          string   `json:"style"`
	Pattern        string   `json:"pattern"`
	Directories    *bool    `json:"directories"`
	Ignore         []string `json:"ignore"`
	IgnoreDefaults *bool    `json:"ignore_defaults"`
	Mode           string   `json:"mode"`
	Severity       string   `json:"severity"`
}

// naming checks the name of the file it is given and of the directories the
// file is in. In fix mode it renames them and rewrites every link to them,
// across the root, as one unit: on a failure midway what was done is undone.
type naming struct {
	style    string // kebab-case, snake_case, regex
	sep      string
	pattern  *regexp.Regexp
	dirs     bool
	ignore   []string
	fix      bool
	severity action.Severity

	vaults lkVaults   // fix mode: the link graph of each root
	fixMu  sync.Mutex // fix runs one at a time: renames must not interleave
}

var _ action.Action = (*naming)(nil)

func newNaming(params any, _ action.Build) (action.Action, error) {
	var p namingParams
	if err := lkDecode(params, &p); err != nil {
		return nil, fmt.Errorf("naming: %w", err)
	}
	n := &naming{
		style:    "kebab-case",
		sep:      "-",
		dirs:     p.Directories == nil || *p.Directories,
		fix:      p.Mode == "fix",
		severity: action.SeverityWarning,
	}
	if p.Style != "" {
		n.style = p.Style
	}
	if n.style == "snake_case" {
		n.sep = "_"
	}
	if p.Severity != "" {
		n.severity = action.Severity(p.Severity)
	}
	if n.style == "regex" {
		if p.Pattern == "" {
			return nil, errors.New("naming: style regex needs a pattern")
		}
		if n.fix {
			return nil, errors.New("naming: mode fix needs style kebab-case or snake_case (a regex cannot say what a name should become)")
		}
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return nil, fmt.Errorf("naming: pattern: invalid RE2 pattern %q: %w", p.Pattern, err)
		}
		n.pattern = re
	}
	if p.IgnoreDefaults == nil || *p.IgnoreDefaults {
		n.ignore = append(n.ignore, lkDefaultIgnore...)
	}
	for i, g := range p.Ignore {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("naming: ignore[%d]: invalid glob %q", i, g)
		}
		n.ignore = append(n.ignore, g)
	}
	return n, nil
}

// violation is one name that breaks the convention.
type violation struct {
	path    string // the file or directory, relative to the root
	dir     bool
	name    string // its current name
	newName string // the conventional name; "" when none can be derived
}

// Run reports (or, in fix mode, repairs) the names of in.Path and of its
// directories. A directory is handled by the first document in it (in List
// order), so it is reported and renamed once.
func (n *naming) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if n.fix && (in.Host.Docs == nil || in.Host.Writer == nil) {
		return action.Output{}, action.ErrNotPermitted
	}
	vs := n.violations(in.Path, in.Host.Docs)
	if len(vs) == 0 {
		return action.Output{}, nil
	}
	if !n.fix {
		var out action.Output
		for _, v := range vs {
			out.Findings = append(out.Findings, n.finding(v))
		}
		return out, nil
	}
	return n.repair(ctx, in, vs)
}

// violations lists the names of p (directories first, outermost first) that
// break the convention.
func (n *naming) violations(p string, docs action.Docs) []violation {
	var list []string
	if docs != nil {
		list = docs.List()
	}
	var out []violation
	parts := strings.Split(p, "/")
	if n.dirs {
		for i := 0; i < len(parts)-1; i++ {
			dir := strings.Join(parts[:i+1], "/")
			if n.ignored(dir) || !firstIn(list, dir, p) {
				continue
			}
			if nn, ok := n.conventional(parts[i], true); !ok {
				out = append(out, violation{path: dir, dir: true, name: parts[i], newName: nn})
			}
		}
	}
	if !n.ignored(p) {
		name := parts[len(parts)-1]
		if nn, ok := n.conventional(name, false); !ok {
			out = append(out, violation{path: p, name: name, newName: nn})
		}
	}
	return out
}

// firstIn reports whether p is the first path under dir in the sorted list;
// without a list every file speaks for its directories.
func firstIn(list []string, dir, p string) bool {
	if list == nil {
		return true
	}
	prefix := dir + "/"
	i := sort.SearchStrings(list, prefix)
	if i < len(list) && strings.HasPrefix(list[i], prefix) {
		return list[i] == p
	}
	return true // p is not listed (yet): let it speak
}

func (n *naming) ignored(p string) bool {
	base := path.Base(p)
	for _, g := range n.ignore {
		subject := base
		if strings.Contains(g, "/") {
			subject = p
		}
		if ok, _ := doublestar.Match(g, subject); ok {
			return true
		}
	}
	return false
}

// conventional returns the conventional form of a name and whether the name
// already is conventional. For a file the extension is kept (lower-cased);
// the regex style cannot derive a name and returns "".
func (n *naming) conventional(name string, dir bool) (string, bool) {
	stem, ext := name, ""
	if !dir {
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			stem, ext = name[:i], name[i:]
		}
	}
	if n.pattern != nil {
		return "", n.pattern.MatchString(stem)
	}
	nn := lkConvert(stem, n.sep)
	if nn == "" {
		return "", false
	}
	nn += strings.ToLower(ext)
	return nn, nn == name
}

// lkConvert rewrites a name as words joined by sep, lower-cased: words are
// split at anything that is not a letter, digit or mark, and at camelCase
// boundaries ("myNote", "HTTPServer"); apostrophes vanish ("don't" → "dont").
func lkConvert(s, sep string) string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '\'' || r == '’':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			if len(cur) > 0 && unicode.IsUpper(r) {
				prev := cur[len(cur)-1]
				nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) && !unicode.IsDigit(r) && nextLower || unicode.IsUpper(prev) && nextLower {
					flush()
				}
			}
			cur = append(cur, r)
		default:
			flush()
		}
	}
	flush()
	return strings.Join(words, sep)
}

func (n *naming) finding(v violation) action.Finding {
	what := "file"
	if v.dir {
		what = "directory"
	}
	f := action.Finding{Path: v.path, Severity: n.severity}
	if n.pattern != nil {
		f.Message = fmt.Sprintf("%s name %q does not match %s", what, v.name, n.pattern)
		return f
	}
	f.Message = fmt.Sprintf("%s name %q is not %s", what, v.name, n.style)
	f.Suggestion = v.newName
	if v.newName == "" {
		f.Message += "; no letters or digits to build a name from: rename it by hand"
	}
	return f
}

// lkRename is one planned rename.
type lkRename struct{ from, to string }

// lkWrite is one planned rewrite of a file, at its final path.
type lkWrite struct {
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
	if err := v.ensure(ctx, docs, lkNow(in.Host)); err != nil {
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
	v.input(in.Path, in.Content)
	writes, moved, err := n.planWrites(ctx, in, v, renames)
	if err != nil {
		return action.Output{}, err
	}
	if err := lkApply(ctx, w, renames, writes); err != nil {
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

// planRenames turns violations into renames (each path as it will be when
// the renames before it are done) and refuses those whose target exists.
func (n *naming) planRenames(vs []violation, docs action.Docs) ([]lkRename, []action.Finding) {
	var renames []lkRename
	var blocked []action.Finding
	list := docs.List()
	for _, v := range vs {
		if v.newName == "" {
			blocked = append(blocked, n.finding(v))
			continue
		}
		// v.path is as it was; map it through the renames planned so far.
		from := lkMovePath(v.path, renames)
		to := path.Join(path.Dir(from), v.newName)
		if path.Dir(from) == "." {
			to = v.newName
		}
		if reason := lkTargetTaken(docs, list, from, to); reason != "" {
			blocked = append(blocked, action.Finding{
				Path: v.path, Severity: action.SeverityError,
				Message:    fmt.Sprintf("cannot rename %s to %s: %s", from, to, reason),
				Suggestion: v.newName,
			})
			continue
		}
		renames = append(renames, lkRename{from: from, to: to})
	}
	return renames, blocked
}

// lkTargetTaken says why from cannot become to ("" if it can): something is
// there already, or a document whose path differs only in case (two such
// names cannot live on a case-insensitive file system). A rename that only
// changes case is fine.
func lkTargetTaken(docs action.Docs, list []string, from, to string) string {
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

// lkMovePath maps p through renames applied in order.
func lkMovePath(p string, renames []lkRename) string {
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
func (n *naming) planWrites(ctx context.Context, in action.Input, v *lkVault, renames []lkRename) ([]lkWrite, map[string]string, error) {
	g := v.g
	moved := map[string]string{}
	for _, p := range g.Paths() {
		if np := lkMovePath(p, renames); np != p {
			moved[p] = np
		}
	}
	p := &lkPlan{g: g, after: g.Index(), moved: moved, renames: renames, keys: map[string]bool{}}
	for old, nw := range moved {
		p.after.Remove(old)
		p.after.Add(nw)
		p.keys[links.NameKey(old)] = true
		p.keys[links.NameKey(nw)] = true
	}
	var writes []lkWrite
	for _, src := range g.Paths() {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		doc := g.Document(src)
		if doc == nil {
			continue
		}
		srcAfter := lkMovePath(src, renames)
		need := false
		for _, l := range doc.Links {
			if text, ok := p.rewrite(src, srcAfter, l); ok && text != lkWritten(l) {
				need = true
				break
			}
		}
		isInput := src == in.Path
		if !need && !(isInput && srcAfter != src) {
			continue
		}
		// Rewrite from the current bytes, not the graph's copy.
		content := in.Content
		if !isInput {
			b, err := in.Host.Docs.ReadFile(src)
			if err != nil {
				return nil, nil, fmt.Errorf("naming: read %s to rewrite its links: %w", src, err)
			}
			content = b
		}
		var edits []links.Edit
		for _, l := range links.Parse(content).Links {
			if text, ok := p.rewrite(src, srcAfter, l); ok && text != lkWritten(l) {
				edits = append(edits, links.Edit{Start: l.TargetStart, End: l.TargetEnd, Text: text})
			}
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
		writes = append(writes, lkWrite{path: srcAfter, old: old, new: newContent, links: len(edits)})
	}
	return writes, moved, nil
}

// lkPlan is what rewriting links needs to know about the planned renames.
type lkPlan struct {
	g       *links.Graph
	after   *links.Index // the paths as they will be
	moved   map[string]string
	renames []lkRename
	keys    map[string]bool // name keys of moved documents, old and new
}

// lkWritten is the target of l as written.
func lkWritten(l links.Link) string {
	return l.Raw[l.TargetStart-l.Start : l.TargetEnd-l.Start]
}

// rewrite returns the target text link l of src (which will be at
// srcAfter) needs after the renames, and false when l needs no change (or is
// broken, or external: those are left alone).
func (p *lkPlan) rewrite(src, srcAfter string, l links.Link) (string, bool) {
	if l.Target == "" {
		return "", false
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
	case len(r.Probe) > 0 && lkMovePath(r.Probe[0], p.renames) != r.Probe[0]:
		intended = lkMovePath(r.Probe[0], p.renames) // an attachment in a renamed directory
	default:
		return "", false
	}
	if doc && intended == r.Path {
		// The target stays; the link only needs help if a new name or the
		// source's move makes it resolve elsewhere.
		key := links.NameKey(path.Clean(strings.TrimSuffix(l.Target, "/")))
		if !p.keys[key] && srcAfter == src {
			return "", false
		}
		if p.resolves(srcAfter, l, lkWritten(l), intended, doc) {
			return "", false
		}
	}
	for _, text := range lkCandidates(srcAfter, l, intended) {
		if p.resolves(srcAfter, l, text, intended, doc) {
			return text, true
		}
	}
	// Nothing in the link's own style resolves unambiguously: a full path.
	if l.Kind.IsWiki() {
		t := intended
		if !lkHasMD(l.Target) {
			t = strings.TrimSuffix(t, ".md")
		}
		return t, true
	}
	return links.EncodeDest(links.RelPath(path.Dir(srcAfter), intended), l.Angle), true
}

// resolves reports whether l with its target written as text, in srcAfter,
// points at intended once the renames are done.
func (p *lkPlan) resolves(srcAfter string, l links.Link, text, intended string, doc bool) bool {
	probe := l
	probe.Target = text
	if !l.Kind.IsWiki() {
		probe.Target = links.DecodeDest(text)
	}
	res := p.after.Resolve(srcAfter, probe)
	if doc {
		return res.Path == intended
	}
	return res.Path == "" && len(res.Probe) > 0 && res.Probe[0] == intended
}

// lkCandidates are the ways to write target in l's style, preferred first.
func lkCandidates(srcAfter string, l links.Link, target string) []string {
	keepExt := func(t string) string {
		if !lkHasMD(l.Target) && lkHasMD(t) {
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
	return []string{links.EncodeDest(keepExt(p), l.Angle)}
}

func lkHasMD(p string) bool { return strings.HasSuffix(strings.ToLower(p), ".md") }

// lkApply performs renames then writes; on the first failure it undoes what
// was applied, in reverse order, and returns the failure (with any undo
// failure joined to it).
func lkApply(ctx context.Context, w action.Writer, renames []lkRename, writes []lkWrite) error {
	var doneRenames []lkRename
	var doneWrites []lkWrite
	fail := func(err error) error {
		// Undo even when ctx has ended: a half-renamed vault is worse.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		var undo []error
		for i := len(doneWrites) - 1; i >= 0; i-- {
			wr := doneWrites[i]
			if uerr := w.WriteFile(uctx, wr.path, wr.old); uerr != nil {
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
			return fmt.Errorf("%w; undo incomplete, fix by hand: %w", err, errors.Join(undo...))
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
		if err := w.WriteFile(ctx, wr.path, wr.new); err != nil {
			return fail(err)
		}
		doneWrites = append(doneWrites, wr)
	}
	return nil
}
