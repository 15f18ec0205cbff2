package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/query"
	"github.com/scribe-md/scribe/internal/safefile"
	"github.com/scribe-md/scribe/internal/template"
)

func init() {
	action.Register(action.Spec{
		Name:    "index",
		Summary: "regenerate a marked region or a whole file from a query over other documents' front matter",
		Schema:  indexSchema,
		Example: indexExample,
		New:     newIndex,
	})
}

const indexSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "description": "exactly one of name (region mode) and output (whole-file mode); the constructor rejects both",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "name": {
      "type": "string",
      "pattern": "^[A-Za-z0-9_.-]+$",
      "description": "region mode: regenerate every <!-- scribe:index NAME --> region of the file"
    },
    "output": {
      "type": "string",
      "minLength": 1,
      "description": "whole-file mode: the file to generate, relative to the root"
    },
    "from": {
      "description": "globs of the documents to list (default: every document)",
      "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
      ]
    },
    "where": {"type": "string", "description": "boolean expression over fm and path"},
    "sort": {"type": "string", "minLength": 1, "description": "path (default) or a front matter field: fm.date"},
    "order": {"enum": ["asc", "desc"]},
    "limit": {"type": "integer", "minimum": 0, "description": "0: no limit"},
    "template": {"type": "string", "minLength": 1, "description": "Go template of one entry"},
    "empty": {"type": "string", "description": "text when nothing matches"},
    "header": {"type": "string", "description": "text before the entries"},
    "footer": {"type": "string", "description": "text after the entries"}
  },
  "anyOf": [{"required": ["name"]}, {"required": ["output"]}]
}`

const indexExample = `index:
  name: recent                    # fills <!-- scribe:index recent --> … <!-- /scribe:index -->
  from: "notes/**/*.md"
  where: 'fm.status == "published"'
  sort: fm.date
  order: desc
  limit: 10
  template: '- [{{ default .Name .FM.title }}]({{ .Match.link }}) ({{ date "2006-01-02" .FM.date }})'
  empty: "_Nothing published yet._"`

// indexDefaultTemplate links each document, titled by its front matter.
const indexDefaultTemplate = `- [{{ default .Name .FM.title }}]({{ .Match.link }})`

type indexParams struct {
	Name     string       `json:"name"`
	Output   string       `json:"output"`
	From     stringOrList `json:"from"`
	Where    string       `json:"where"`
	Sort     string       `json:"sort"`
	Order    string       `json:"order"`
	Limit    int          `json:"limit"`
	Template string       `json:"template"`
	Empty    string       `json:"empty"`
	Header   string       `json:"header"`
	Footer   string       `json:"footer"`
}

// indexAction regenerates a list of documents. In region mode (name) Run
// rewrites the regions of the file it is given; in whole-file mode (output)
// Finish writes the file through the Writer. Either way the output depends
// only on the paths and front matter of the documents the query covers, and
// the action keeps a fingerprint of those inputs per generated file: Finish
// names a region file as Affected, or rewrites the output, only when the
// fingerprint changed. The file holding the index is never one of its inputs.
type indexAction struct {
	name   string // region mode
	output string // whole-file mode
	q      *query.Query
	entry  *template.Template
	empty  string
	header string
	footer string
	caches *caches

	mu    sync.Mutex
	roots map[any]*indexState
}

type indexState struct {
	cache *cache // shared with the other index and catalog actions

	mu      sync.Mutex
	regions map[string]fingerprint // region file → inputs at its last generation

	finishMu sync.Mutex // serializes Finish for one root
	written  bool       // whole-file mode: fp is what the output was made from
	fp       fingerprint
}

type fingerprint [sha256.Size]byte

var (
	_ action.Action   = (*indexAction)(nil)
	_ action.Finisher = (*indexAction)(nil)
)

func newIndex(params any, b action.Build) (action.Action, error) {
	var p indexParams
	if err := action.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	a := &indexAction{name: p.Name, empty: p.Empty, header: p.Header, footer: p.Footer, caches: cachesOf(b), roots: map[any]*indexState{}}
	label := "index"
	switch {
	case p.Name != "" && p.Output != "":
		return nil, errors.New(`index: give either name (fill marked regions) or output (generate a whole file), not both`)
	case p.Name != "":
		if !validName(p.Name) {
			return nil, fmt.Errorf("index: invalid name %q: use letters, digits, '_', '.' and '-'", p.Name)
		}
		label = "index " + p.Name
	case p.Output != "":
		out, err := checkOutput(p.Output)
		if err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		a.output = out
		label = "index " + out
	default:
		return nil, errors.New(`index: give name (fill <!-- scribe:index NAME --> regions) or output (generate a whole file)`)
	}
	q, err := query.Compile(query.Spec{From: p.From, Where: p.Where, Sort: p.Sort, Order: p.Order, Limit: p.Limit})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	a.q = q
	text := p.Template
	if text == "" {
		text = indexDefaultTemplate
	}
	t, err := template.ParseMarkdown(label+" template", text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	a.entry = t
	return a, nil
}

func (a *indexAction) state(d action.Docs) *indexState {
	k := rootKey(d)
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.roots[k]
	if s == nil {
		s = &indexState{regions: map[string]fingerprint{}, cache: a.caches.of(d)}
		a.roots[k] = s
	}
	return s
}

// Run regenerates the file's regions in region mode; in whole-file mode the
// work is done in Finish.
func (a *indexAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if a.output != "" {
		return action.Output{}, nil
	}
	regions, problems := parseRegions(in.Content)
	var out action.Output
	mine := 0
	for _, r := range regions {
		if r.Name == a.name {
			mine++
		}
	}
	for _, p := range problems {
		if p.Name == a.name || (p.Name == "" && mine > 0) {
			out.Findings = append(out.Findings, action.Finding{
				Path: in.Path, Line: p.Line, Severity: action.SeverityError, Message: p.Msg, Suggestion: p.Hint,
			})
		}
	}
	s := a.state(in.Host.Docs)
	if len(out.Findings) > 0 || mine == 0 {
		// Nothing to regenerate safely; forget the file so Finish does not
		// keep naming it.
		s.mu.Lock()
		delete(s.regions, in.Path)
		s.mu.Unlock()
		return out, nil
	}
	if in.Host.Docs == nil {
		return action.Output{}, fmt.Errorf("index %s needs to read other documents: %w", a.name, action.ErrNotPermitted)
	}
	snap, err := a.snapshot(ctx, in.Host.Docs, s.cache, in.Path)
	if err != nil {
		return action.Output{}, err
	}
	line := 0
	for _, r := range regions {
		if r.Name == a.name {
			line = r.Line
			break
		}
	}
	body, findings, err := a.render(ctx, snap, in.Path, in.Host.Now(), in.Path, line)
	if err != nil {
		return action.Output{}, err
	}
	out.Findings = append(out.Findings, findings...)
	next, err := replaceRegion(in.Content, regions, a.name, body)
	if err != nil {
		out.Findings = append(out.Findings, action.Finding{
			Path: in.Path, Line: line, Severity: action.SeverityError,
			Message:    fmt.Sprintf("index %s: %v; the file was left unchanged", a.name, err),
			Suggestion: "change the entry template so it does not print <!-- scribe:index --> markers",
		})
		return out, nil
	}
	s.mu.Lock()
	s.regions[in.Path] = snap.fingerprint("")
	s.mu.Unlock()
	if !bytes.Equal(next, in.Content) {
		out.Content = next
	}
	return out, nil
}

// Finish, in region mode, names the files whose inputs changed since their
// regions were generated; in whole-file mode it regenerates the output when
// its inputs changed (the Writer skips identical bytes).
func (a *indexAction) Finish(ctx context.Context, h action.Host) (action.Output, error) {
	s := a.state(h.Docs)
	s.finishMu.Lock()
	defer s.finishMu.Unlock()
	if a.output != "" {
		return a.finishFile(ctx, h, s)
	}
	s.mu.Lock()
	before := make(map[string]fingerprint, len(s.regions))
	for p, fp := range s.regions {
		before[p] = fp
	}
	s.mu.Unlock()
	if len(before) == 0 {
		return action.Output{}, nil
	}
	if h.Docs == nil {
		return action.Output{}, fmt.Errorf("index %s needs to read other documents: %w", a.name, action.ErrNotPermitted)
	}
	snap, err := a.snapshot(ctx, h.Docs, s.cache, "")
	if err != nil {
		return action.Output{}, err
	}
	listed := map[string]bool{}
	for _, p := range h.Docs.List() {
		listed[p] = true
	}
	var out action.Output
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range slices.Sorted(maps.Keys(before)) {
		if cur, ok := s.regions[p]; !ok || cur != before[p] {
			continue // Run regenerated it meanwhile
		}
		if !listed[p] {
			delete(s.regions, p)
			continue
		}
		// Recorded before the file is processed again, so that a file the
		// rule no longer selects is named once, not after every batch.
		if fp := snap.fingerprint(p); fp != before[p] {
			s.regions[p] = fp
			out.Affected = append(out.Affected, p)
		}
	}
	return out, nil
}

func (a *indexAction) finishFile(ctx context.Context, h action.Host, s *indexState) (action.Output, error) {
	if h.Docs == nil || h.Writer == nil {
		return action.Output{}, fmt.Errorf("index needs to read documents and write %s: %w", a.output, action.ErrNotPermitted)
	}
	snap, err := a.snapshot(ctx, h.Docs, s.cache, a.output)
	if err != nil {
		return action.Output{}, err
	}
	fp := snap.fingerprint("")
	if s.written && fp == s.fp {
		return action.Output{}, nil
	}
	body, findings, err := a.render(ctx, snap, a.output, h.Now(), a.output, 0)
	if err != nil {
		return action.Output{}, err
	}
	if err := h.Writer.WriteFile(ctx, a.output, []byte(body)); err != nil {
		return action.Output{}, fmt.Errorf("write index: %w", err)
	}
	s.written, s.fp = true, fp
	return action.Output{Findings: findings}, nil
}

// snapshot is the state of the documents an index covers: the inputs of
// one generation.
type snapshot struct {
	docs     []query.Doc
	sums     []fingerprint   // front matter digest of docs[i]
	failed   []query.Failure // documents that could not be read
	failSums []fingerprint
}

// snapshot loads every covered document but skip, re-reading only those whose
// size or modification time changed.
func (a *indexAction) snapshot(ctx context.Context, docs action.Docs, cache *cache, skip string) (snapshot, error) {
	var snap snapshot
	list := sortedList(docs)
	var paths []string
	for _, p := range list {
		if a.q.Covers(p) && p != skip {
			paths = append(paths, p)
		}
	}
	es, errs, err := cache.loadAll(ctx, docs, paths, nil)
	if err != nil {
		return snapshot{}, err
	}
	for i, p := range paths {
		e, err := es[i], errs[i]
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			snap.failed = append(snap.failed, query.Failure{Path: p, Err: err})
			snap.failSums = append(snap.failSums, sha256.Sum256([]byte(p+"\x00"+err.Error())))
			continue
		}
		snap.docs = append(snap.docs, query.Doc{Path: p, FM: e.fm})
		snap.sums = append(snap.sums, e.fmSum)
	}
	cache.forget(list)
	return snap, nil
}

// fingerprint digests the inputs' paths and front matter, leaving out skip.
func (s snapshot) fingerprint(skip string) fingerprint {
	h := sha256.New()
	for i, d := range s.docs {
		if d.Path != skip {
			h.Write([]byte(d.Path))
			h.Write([]byte{0})
			h.Write(s.sums[i][:])
		}
	}
	h.Write([]byte{1})
	for i, f := range s.failed {
		if f.Path != skip {
			h.Write(s.failSums[i][:])
		}
	}
	var fp fingerprint
	h.Sum(fp[:0])
	return fp
}

// maxOutput caps the generated text of one index (entries past it are
// left out, with a warning): the list goes into a Markdown file, which the
// engine would refuse to read back past engine.max_file_size (8 MiB by
// default), and a list that long is not one people read.
const maxOutput = 4 << 20

// render builds the generated text (LF line endings): header, one line (or
// more) per selected document or the empty text, footer. Links are made
// relative to holder, the file that holds the index. Problems become warnings
// on findingPath. It fails only when ctx ends.
func (a *indexAction) render(ctx context.Context, snap snapshot, holder string, now time.Time, findingPath string, line int) (string, []action.Finding, error) {
	var docs []query.Doc
	for _, d := range snap.docs {
		if d.Path != holder {
			docs = append(docs, d)
		}
	}
	res := a.q.Select(docs)
	var b strings.Builder
	block(&b, a.header)
	var tmplFails []query.Failure
	n, cut := 0, 0
	for i, d := range res.Docs {
		if i%64 == 0 && ctx.Err() != nil {
			return "", nil, ctx.Err()
		}
		if cut > 0 {
			cut++
			continue
		}
		data := template.PathData(d.Path)
		data.FM = d.FM
		data.Now = now
		rel := rel(holder, d.Path)
		data.Match = map[string]string{"rel": rel, "link": linkEscape(rel)}
		s, err := a.entry.Execute(data)
		if err != nil {
			tmplFails = append(tmplFails, query.Failure{Path: d.Path, Err: err})
			continue
		}
		if strings.TrimSpace(s) == "" {
			continue // a template may skip a document by printing nothing
		}
		if b.Len()+len(s) > maxOutput {
			cut = 1
			continue
		}
		block(&b, s)
		n++
	}
	if n == 0 {
		block(&b, a.empty)
	}
	block(&b, a.footer)

	what := "index " + a.name
	if a.output != "" {
		what = "index " + a.output
	}
	var findings []action.Finding
	for _, g := range []struct {
		fails []query.Failure
		why   string
		hint  string
	}{
		{snap.failed, "could not be read", "make the files readable or leave them out with from"},
		{res.Failed, "failed the where condition", "guard fields that may be missing, e.g. fm.rank != nil && fm.rank > 2"},
		{tmplFails, "failed the entry template", "fix the template or the documents' front matter"},
	} {
		if len(g.fails) == 0 {
			continue
		}
		msg := fmt.Sprintf("%s: %d document(s) left out because they %s; first %s: %v", what, len(g.fails), g.why, g.fails[0].Path, g.fails[0].Err)
		findings = append(findings, action.Finding{Path: findingPath, Line: line, Severity: action.SeverityWarning, Message: msg, Suggestion: g.hint})
	}
	if cut > 0 {
		findings = append(findings, action.Finding{
			Path: findingPath, Line: line, Severity: action.SeverityWarning,
			Message:    fmt.Sprintf("%s: the list stops after %d entries, %d left out: the generated text may not exceed %d MiB", what, n, cut, maxOutput>>20),
			Suggestion: "narrow the list with from, where or limit",
		})
	}
	return b.String(), findings, nil
}

// block appends s with LF line endings and a final newline; "" adds nothing.
func block(b *strings.Builder, s string) {
	if s == "" {
		return
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	b.WriteString(s)
	if !strings.HasSuffix(s, "\n") {
		b.WriteByte('\n')
	}
}

// rel returns the slash path of to relative to the directory of from.
func rel(from, to string) string {
	dir := path.Dir(from)
	if dir == "." {
		return to
	}
	fp := strings.Split(dir, "/")
	tp := strings.Split(to, "/")
	i := 0
	for i < len(fp) && i < len(tp)-1 && fp[i] == tp[i] {
		i++
	}
	return strings.Repeat("../", len(fp)-i) + strings.Join(tp[i:], "/")
}

// linkEscape percent-encodes the bytes that would end or confuse a
// Markdown link destination or a relative URL (space, parentheses, '#', '?',
// ':' …), keeping other UTF-8 text readable.
func linkEscape(p string) string {
	const special = " \"#%()<>?[\\]^`{|}:"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte(special, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// stringOrList decodes a parameter written as one string or a list.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringOrList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a glob or a list of globs")
	}
	*s = many
	return nil
}

// checkOutput checks that p names a file inside the root.
func checkOutput(p string) (string, error) {
	if !fs.ValidPath(p) || p == "." || strings.HasSuffix(p, "/") {
		return "", fmt.Errorf("output %q must be a file path relative to the root, with forward slashes and no \"..\", e.g. \"index.md\" or \"docs/catalog.json\"", p)
	}
	if dir := safefile.ProtectedDir(p, ""); dir != "" {
		return "", fmt.Errorf("output %q is inside %s, a version control directory, which Scribe never writes; choose a path outside it", p, dir)
	}
	return p, nil
}

// region is one well-formed marked region.
type region struct {
	Name string
	// Line is the 1-based line of the opening marker.
	Line int
	// Start and End delimit the region's body: from just past the opening
	// marker's line ending to the start of the closing marker's line.
	Start, End int
	// EOL is the opening marker's line ending ("\n" or "\r\n"); the body is
	// written with it.
	EOL string
}

// problem is a marker that does not form a region.
type problem struct {
	// Name is the region's name, "" for a marker that names none.
	Name string
	Line int
	Msg  string
	Hint string
}

// Marker kinds.
const (
	markerNone = iota
	markerOpen
	markerClose
	markerMalformed
)

// parseRegions finds the index regions of content. A marker is an HTML comment
// alone on its line (up to three spaces of indentation, as CommonMark allows
// for HTML blocks): <!-- scribe:index NAME --> opens a region and
// <!-- /scribe:index --> (optionally naming it again) closes it. Markers inside
// fenced code blocks are text; inside an open region fences are not tracked,
// since the region's body is generated. It never panics and reads content
// only.
func parseRegions(content []byte) ([]region, []problem) {
	var (
		regions  []region
		problems []problem
		open     *region
		fence    byte // '`' or '~' while inside a fenced code block
		fenceLen int
	)
	line := 0
	for pos := 0; pos < len(content); {
		line++
		end := bytes.IndexByte(content[pos:], '\n')
		next, eol := len(content), ""
		if end < 0 {
			end = len(content)
		} else {
			end += pos
			next, eol = end+1, "\n"
		}
		text := content[pos:end]
		if len(text) > 0 && text[len(text)-1] == '\r' {
			text = text[:len(text)-1]
			if eol != "" {
				eol = "\r\n"
			}
		}
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\ufeff"))
		}
		start := pos
		pos = next

		if open == nil {
			if fence != 0 {
				if closesFence(text, fence, fenceLen) {
					fence = 0
				}
				continue
			}
			if c, n := opensFence(text); c != 0 {
				fence, fenceLen = c, n
				continue
			}
		}
		kind, name := marker(text)
		switch kind {
		case markerMalformed:
			pn := ""
			if open != nil {
				pn = open.Name
			}
			problems = append(problems, problem{Name: pn, Line: line,
				Msg:  "malformed index marker: " + clip(string(text)),
				Hint: "write <!-- scribe:index NAME --> to open a region and <!-- /scribe:index --> to close it, each alone on its line"})
		case markerOpen:
			if name == "" {
				problems = append(problems, problem{Line: line,
					Msg:  "index marker without a name",
					Hint: "name the region, e.g. <!-- scribe:index recent -->, and use that name in the index action"})
				continue
			}
			if open != nil {
				problems = append(problems, problem{Name: open.Name, Line: open.Line,
					Msg:  fmt.Sprintf("index region %q opened at line %d is not closed before the next marker at line %d", open.Name, open.Line, line),
					Hint: "add <!-- /scribe:index --> on its own line where the region ends"})
			}
			open = &region{Name: name, Line: line, Start: next, EOL: eol}
			if eol == "" {
				open.EOL = "\n"
			}
		case markerClose:
			switch {
			case open == nil:
				problems = append(problems, problem{Name: name, Line: line,
					Msg:  "closing index marker without an opening marker",
					Hint: "add <!-- scribe:index NAME --> where the region starts, or remove this line"})
			case name != "" && name != open.Name:
				problems = append(problems, problem{Name: open.Name, Line: open.Line,
					Msg:  fmt.Sprintf("index region %q opened at line %d is closed by a marker for %q at line %d", open.Name, open.Line, name, line),
					Hint: "make the names match, or write <!-- /scribe:index --> without a name"})
				open = nil
			default:
				open.End = start
				regions = append(regions, *open)
				open = nil
			}
		}
	}
	if open != nil {
		problems = append(problems, problem{Name: open.Name, Line: open.Line,
			Msg:  fmt.Sprintf("index region %q opened at line %d has no closing marker", open.Name, open.Line),
			Hint: "add <!-- /scribe:index --> on its own line where the region ends"})
	}
	return regions, problems
}

// marker classifies one line (without its line ending).
func marker(line []byte) (kind int, name string) {
	s := strings.TrimRight(string(line), " \t")
	for i := 0; i < 3 && strings.HasPrefix(s, " "); i++ {
		s = s[1:]
	}
	if len(s) < len("<!---->") || !strings.HasPrefix(s, "<!--") || !strings.HasSuffix(s, "-->") {
		return markerNone, ""
	}
	mid := strings.TrimSpace(s[4 : len(s)-3])
	kind = markerOpen
	if rest, ok := strings.CutPrefix(mid, "/"); ok {
		kind, mid = markerClose, rest
	}
	rest, ok := strings.CutPrefix(mid, "scribe:index")
	if !ok {
		return markerNone, ""
	}
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return markerNone, "" // scribe:indexes, say: not ours
	}
	name = strings.TrimSpace(rest)
	if !validName(name) && name != "" {
		return markerMalformed, ""
	}
	return kind, name
}

// validName reports whether name is a region name: ASCII letters, digits,
// '_', '.', '-'.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// opensFence reports the fence character and length when line opens a
// fenced code block (CommonMark: up to three spaces, then three or more
// backticks or tildes; a backtick fence's info string has no backtick).
func opensFence(line []byte) (byte, int) {
	s := line
	for i := 0; i < 3 && len(s) > 0 && s[0] == ' '; i++ {
		s = s[1:]
	}
	if len(s) < 3 || (s[0] != '`' && s[0] != '~') {
		return 0, 0
	}
	c := s[0]
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	if n < 3 || (c == '`' && bytes.IndexByte(s[n:], '`') >= 0) {
		return 0, 0
	}
	return c, n
}

// closesFence reports whether line closes a fence of c repeated n times.
func closesFence(line []byte, c byte, n int) bool {
	s := line
	for i := 0; i < 3 && len(s) > 0 && s[0] == ' '; i++ {
		s = s[1:]
	}
	m := 0
	for m < len(s) && s[m] == c {
		m++
	}
	return m >= n && len(bytes.Trim(s[m:], " \t")) == 0
}

// replaceRegion puts body (LF line endings) into every region called name,
// converting it to each region's line ending. Everything outside those
// regions' bodies is kept byte for byte. It fails when the result would not
// have the same regions, e.g. because body prints a marker.
func replaceRegion(content []byte, regions []region, name, body string) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(content) + len(body))
	last := 0
	for _, r := range regions {
		if r.Name != name {
			continue
		}
		out.Write(content[last:r.Start])
		if r.EOL == "\r\n" {
			out.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
		} else {
			out.WriteString(body)
		}
		last = r.End
	}
	out.Write(content[last:])
	got, problems := parseRegions(out.Bytes())
	_, wantProblems := parseRegions(content)
	if len(got) != len(regions) || len(problems) != len(wantProblems) {
		return nil, errors.New("the generated list contains index markers")
	}
	for i := range got {
		if got[i].Name != regions[i].Name {
			return nil, errors.New("the generated list contains index markers")
		}
	}
	return out.Bytes(), nil
}

func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
