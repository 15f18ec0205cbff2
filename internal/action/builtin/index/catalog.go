package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/escape"
	"github.com/scribe-md/scribe/internal/query"
)

func init() {
	action.Register(action.Spec{
		Name:    "catalog",
		Summary: "maintain a JSON index of every document: path, sha256, size, modified time, front matter",
		Schema:  catalogSchema,
		Example: catalogExample,
		New:     newCatalog,
	})
}

const catalogSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": ["object", "null"],
  "additionalProperties": false,
  "properties": {
    "output": {
      "type": "string",
      "minLength": 1,
      "description": "where to write the catalog, relative to the root (default catalog.json)"
    },
    "files": {
      "description": "globs of the documents to list (default: every document)",
      "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
      ]
    },
    "fields": {
      "description": "front matter fields to copy (default: all; [] copies none)",
      "type": "array",
      "uniqueItems": true,
      "items": {"type": "string", "minLength": 1}
    }
  }
}`

const catalogExample = `catalog:
  output: catalog.json
  files: ["notes/**/*.md"]
  fields: [title, tags, date]`

// catalogVersion is the format version written in every catalog.
const catalogVersion = 1

type catalogParams struct {
	Output string       `json:"output"`
	Files  stringOrList `json:"files"`
	Fields *[]string    `json:"fields"`
}

// catalogAction keeps, per root, each document's encoded entry and a digest
// of the bytes it last wrote; the documents' entries are in the cache it
// shares with the index actions. Run only notes which files changed; Finish
// refreshes the cache (re-reading a file only when Run saw it or its size or
// modification time changed), then writes the catalog through the Writer
// when its bytes differ from the last ones written.
type catalogAction struct {
	output string
	filter *query.Query // only From is used
	fields []string     // nil: every field
	all    bool         // fields not given
	caches *caches

	mu    sync.Mutex
	roots map[any]*catalogState
}

type catalogState struct {
	finishMu sync.Mutex // serializes Finish for one root

	cache *cache
	mu    sync.Mutex
	dirty map[string]bool
	// wrote is set once the Writer took a catalog; last is its digest.
	wrote bool
	last  [sha256.Size]byte

	// encoded caches each document's JSON object by the entry it was made
	// from, so an unchanged document is not encoded again. Finish only.
	encoded map[string]catalogEncoded
}

type catalogEncoded struct {
	from *entry
	json []byte
}

var (
	_ action.Action   = (*catalogAction)(nil)
	_ action.Finisher = (*catalogAction)(nil)
)

func newCatalog(params any, b action.Build) (action.Action, error) {
	var p catalogParams
	if err := action.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if p.Output == "" {
		p.Output = "catalog.json"
	}
	out, err := checkOutput(p.Output)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	q, err := query.Compile(query.Spec{From: p.Files})
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	a := &catalogAction{output: out, filter: q, all: p.Fields == nil, caches: cachesOf(b), roots: map[any]*catalogState{}}
	if p.Fields != nil {
		a.fields = slices.Clone(*p.Fields)
	}
	return a, nil
}

func (a *catalogAction) state(d action.Docs) *catalogState {
	k := rootKey(d)
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.roots[k]
	if s == nil {
		s = &catalogState{dirty: map[string]bool{}, cache: a.caches.of(d)}
		a.roots[k] = s
	}
	return s
}

func (a *catalogAction) covers(p string) bool {
	return p != a.output && a.filter.Covers(p)
}

// Run notes that the file changed; Finish reads it again.
func (a *catalogAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if !a.covers(in.Path) {
		return action.Output{}, nil
	}
	s := a.state(in.Host.Docs)
	s.mu.Lock()
	s.dirty[in.Path] = true
	s.mu.Unlock()
	return action.Output{}, nil
}

// Finish brings the catalog up to date with the documents Docs lists and
// writes it when its bytes changed.
func (a *catalogAction) Finish(ctx context.Context, h action.Host) (action.Output, error) {
	if h.Docs == nil || h.Writer == nil {
		return action.Output{}, fmt.Errorf("catalog needs to read documents and write %s: %w", a.output, action.ErrNotPermitted)
	}
	s := a.state(h.Docs)
	s.finishMu.Lock()
	defer s.finishMu.Unlock()

	s.mu.Lock()
	dirty := s.dirty
	s.dirty = map[string]bool{}
	s.mu.Unlock()
	requeue := func() { // on failure, keep what Run reported for next time
		s.mu.Lock()
		for p := range dirty {
			s.dirty[p] = true
		}
		s.mu.Unlock()
	}

	var out action.Output
	list := sortedList(h.Docs)
	docs := make([][]byte, 0, len(list))
	if s.encoded == nil {
		s.encoded = map[string]catalogEncoded{}
	}
	listed := make(map[string]bool, len(list))
	var paths []string
	for _, p := range list {
		if a.covers(p) {
			paths = append(paths, p)
			listed[p] = true
		}
	}
	es, errs, err := s.cache.loadAll(ctx, h.Docs, paths, func(p string) bool { return dirty[p] })
	if err != nil {
		requeue()
		return action.Output{}, err
	}
	for i, p := range paths {
		e, err := es[i], errs[i]
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since the list was made
		}
		if err != nil {
			out.Findings = append(out.Findings, action.Finding{
				Path: p, Severity: action.SeverityWarning,
				Message:    "left out of " + a.output + ": " + err.Error(),
				Suggestion: "make the file readable, or exclude it from the catalog's files",
			})
			continue
		}
		if !utf8.ValidString(p) {
			out.Findings = append(out.Findings, action.Finding{
				Path: p, Severity: action.SeverityWarning,
				Message: "file name is not valid UTF-8: " + a.output + " lists it as \"" + escape.Name(p) +
					"\" with its exact bytes in path_base64",
				Suggestion: "rename the file to a UTF-8 name",
			})
		}
		enc, ok := s.encoded[p]
		if !ok || enc.from != e {
			b, err := encodeCatalogDoc(a.entry(p, e))
			if err != nil {
				requeue()
				return action.Output{}, fmt.Errorf("encode the entry of %s: %w", p, err)
			}
			enc = catalogEncoded{from: e, json: b}
			s.encoded[p] = enc
		}
		docs = append(docs, enc.json)
	}
	s.cache.forget(list)
	for p := range s.encoded {
		if !listed[p] {
			delete(s.encoded, p)
		}
	}

	b := assembleCatalog(docs)
	sum := sha256.Sum256(b)
	if s.wrote && sum == s.last {
		return out, nil
	}
	if err := h.Writer.WriteFile(ctx, a.output, b); err != nil {
		requeue()
		return action.Output{}, fmt.Errorf("write catalog: %w", err)
	}
	s.wrote, s.last = true, sum
	return out, nil
}

// catalogDoc is one document's entry; field order is the key order on disk.
type catalogDoc struct {
	Path             string `json:"path"`
	PathBase64       string `json:"path_base64,omitempty"`
	SHA256           string `json:"sha256"`
	Size             int64  `json:"size"`
	Modified         string `json:"modified"`
	FrontMatter      any    `json:"front_matter,omitempty"`
	FrontMatterError string `json:"front_matter_error,omitempty"`
}

func (a *catalogAction) entry(p string, e *entry) catalogDoc {
	d := catalogDoc{
		Path:             escape.JSON(p),
		PathBase64:       escape.Base64(p),
		SHA256:           hex.EncodeToString(e.sum[:]),
		Size:             e.size,
		Modified:         e.mod.UTC().Format(time.RFC3339Nano),
		FrontMatterError: e.fmErr,
	}
	if a.all || len(a.fields) > 0 {
		fm := make(map[string]any, len(e.fm))
		for k, v := range e.fm {
			if a.all || slices.Contains(a.fields, k) {
				fm[k] = jsonValue(v)
			}
		}
		d.FrontMatter = fm
	}
	return d
}

// encodeCatalogDoc renders one entry as it appears inside the documents
// array: keys in struct order (front matter keys sorted by encoding/json),
// two-space indentation at depth two, "<", ">" and "&" left readable.
func encodeCatalogDoc(d catalogDoc) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("    ", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	// A copy of its own size: the entry is cached, the buffer grew past it.
	return bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// assembleCatalog joins entries, already in path order, into the catalog file: the same bytes json.Encoder with a
// two-space indent would give for {"version": 1, "documents": [...]}, with a
// final newline.
func assembleCatalog(docs [][]byte) []byte {
	n := 64
	for _, d := range docs {
		n += len(d) + 6
	}
	b := make([]byte, 0, n)
	b = fmt.Appendf(b, "{\n  \"version\": %d,\n  \"documents\": [", catalogVersion)
	for i, d := range docs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = append(b, d...)
	}
	if len(docs) > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "]\n}\n"...)
	return b
}

// jsonValue turns a front matter value into one encoding/json renders
// deterministically and without error: dates as RFC 3339 text, NaN and
// infinities as text, maps with non-string keys keyed by their text.
func jsonValue(v any) any {
	switch v := v.(type) {
	case nil, bool, string, int, int64, uint64, json.Number:
		return v
	case time.Time:
		return jsonTime(v)
	case *time.Time:
		if v == nil {
			return nil
		}
		return jsonTime(*v)
	case float64:
		return jsonFloat(v, 64)
	case float32:
		return jsonFloat(float64(v), 32)
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = jsonValue(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = jsonValue(x)
		}
		return s
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint()
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Slice, reflect.Array:
		s := make([]any, rv.Len())
		for i := range s {
			s[i] = jsonValue(rv.Index(i).Interface())
		}
		return s
	case reflect.Map:
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[fmt.Sprint(it.Key().Interface())] = jsonValue(it.Value().Interface())
		}
		return m
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return jsonValue(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}

// jsonTime writes a date as the user did: a YAML date (midnight UTC) as
// 2006-01-02, a timestamp in RFC 3339 with its offset. Both are RFC 3339
// forms (full-date and date-time).
func jsonTime(t time.Time) string {
	if t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

func jsonFloat(f float64, bits int) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return f
}

// rootKey is the key under which an action keeps per-root state: the
// engine keeps one Docs per root, so a pointer Docs identifies its root.
func rootKey(d action.Docs) any {
	if d == nil {
		return nil
	}
	if reflect.TypeOf(d).Kind() == reflect.Pointer {
		return d
	}
	return nil
}
