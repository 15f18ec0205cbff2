package links

import (
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/unicode/norm"
)

// MkDocs is the layout of an MkDocs site (Options.MkDocs).
type MkDocs struct {
	// DocsDir is the folder the site is built from (mkdocs.yml's
	// docs_dir), relative to the root: a page's link to a file outside it
	// names nothing of the built site.
	DocsDir string
}

// ReadMkDocsSite returns the layout of the MkDocs site at a folder, stat
// and read answering for the names in it, or nil when the folder is none
// (see IsMkDocsSite): its configuration's docs_dir, "docs" unless it says
// otherwise (or cannot be read).
func ReadMkDocsSite(stat func(name string) (fs.FileInfo, error), read func(name string) ([]byte, error)) *MkDocs {
	if !IsMkDocsSite(stat) {
		return nil
	}
	m := &MkDocs{DocsDir: "docs"}
	for _, name := range []string{"mkdocs.yml", "mkdocs.yaml"} {
		b, err := read(name)
		if err != nil {
			continue
		}
		// A node, not a map: mkdocs.yml often holds Python tags
		// (!!python/name:...) a map does not decode.
		var doc yaml.Node
		if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			break
		}
		kv := doc.Content[0].Content
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i].Value == "docs_dir" && kv[i+1].Kind == yaml.ScalarNode {
				if d := strings.Trim(path.Clean(kv[i+1].Value), "/"); d != "" && d != ".." && !strings.HasPrefix(d, "../") {
					m.DocsDir = d
				}
			}
		}
		break
	}
	return m
}

// IsMkDocsSite reports whether a folder is the top of an MkDocs site, stat
// answering for the names in it: it holds mkdocs.yml (or mkdocs.yaml).
func IsMkDocsSite(stat func(name string) (fs.FileInfo, error)) bool {
	for _, name := range []string{"mkdocs.yml", "mkdocs.yaml"} {
		if fi, err := stat(name); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// mkdocsHeadings returns doc with its headings' anchors as MkDocs makes
// them (Options.MkDocs): Python-Markdown's toc extension slugs each heading
// (pySlug) and numbers a repeated one "_1", "_2", ...; the attr_list
// extension gives a heading the id of a trailing "{: #id}" block too, and
// ids given so are taken before any is generated. doc is not changed.
func mkdocsHeadings(doc *Document) *Document {
	if len(doc.Headings) == 0 {
		return doc
	}
	d := *doc
	d.Headings = make([]Heading, len(doc.Headings))
	copy(d.Headings, doc.Headings)
	used := pyIDs{taken: map[string]bool{}, prefix: map[string]int{}}
	for i, h := range d.Headings {
		if h.Explicit {
			used.taken[h.Slug] = true
			continue
		}
		if text, id, ok := colonAttributes(h.Text); ok {
			d.Headings[i].Text = text
			if id != "" {
				d.Headings[i].Slug, d.Headings[i].Explicit = id, true
				used.taken[id] = true
			}
		}
	}
	for i, h := range d.Headings {
		if h.Explicit {
			continue
		}
		d.Headings[i].Slug = used.unique(pySlug(h.Text))
	}
	return &d
}

// colonAttributes reads attr_list's other spelling of an attribute block,
// "Set up {: #setup .wide }", at the end of a heading's text (the spelling
// without the colon is read for every site: see headingAttributes).
func colonAttributes(text string) (string, string, bool) {
	t := strings.TrimRight(text, " \t")
	k := strings.LastIndex(t, "{:")
	if k < 0 || !strings.HasSuffix(t, "}") {
		return text, "", false
	}
	rest, id := headingAttributes(t[:k] + "{" + t[k+2:])
	if rest == t[:k]+"{"+t[k+2:] {
		return text, "", false // not an attribute block
	}
	return rest, id, true
}

// pySlug is Python-Markdown's default slugify: the text decomposed (NFKD)
// and kept to ASCII, everything but word characters, spaces and '-'
// dropped, trimmed, lower-cased, and each run of spaces and '-' made one
// '-'. "Ünïcödé Café" is "unicode-cafe", "C++ & C#" is "c-c", and a
// heading of another script has none ("日本語" is "", numbered "_1").
func pySlug(text string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(text) {
		switch {
		case r >= 0x80:
		case r == '_' || r == '-' || unicode.IsSpace(r) || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		}
	}
	s := strings.ToLower(strings.TrimSpace(b.String()))
	return pySeparators.ReplaceAllString(s, "-")
}

var pySeparators = regexp.MustCompile(`[-\s]+`)

// pyIDs are the ids of a document's headings, as Python-Markdown's toc
// makes them unique.
type pyIDs struct {
	taken map[string]bool
	// prefix is, for an id's base ("a" of "a_2"), a count of its numbered
	// ids known to be taken from a_1 on: the search for a free one starts
	// past them (a note of 20,000 equal headings stays linear).
	prefix map[string]int
}

// unique makes id unique as Python-Markdown's toc does (a, a_1, a_2; an
// empty id is _1), and records it.
func (ids pyIDs) unique(id string) string {
	if !ids.taken[id] && id != "" {
		ids.taken[id] = true
		return id
	}
	base, n := id, 0
	if i := strings.LastIndexByte(id, '_'); i >= 0 && isDigits(id[i+1:]) {
		if v, err := strconv.Atoi(id[i+1:]); err == nil {
			base, n = id[:i], v
		}
	}
	// Python-Markdown takes the first free number past n.
	n = max(n, ids.prefix[base])
	for {
		n++
		id = base + "_" + strconv.Itoa(n)
		if !ids.taken[id] {
			break
		}
	}
	ids.taken[id] = true
	if c := ids.prefix[base]; n == c+1 {
		for c = n; ids.taken[base+"_"+strconv.Itoa(c+1)]; c++ {
		}
		ids.prefix[base] = c
	}
	return id
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
