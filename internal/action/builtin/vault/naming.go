package vault

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/scribe-md/scribe/internal/action"
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
      "description": "also ignore conventional names: README, CHANGELOG, LICENSE..., names in capitals, names starting with '.' and what hidden folders hold (default true)",
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

// defaultIgnore are names that conventionally break every style, and what
// hidden folders hold (.github's templates, .obsidian, .vscode: named by
// their tools). Names in capitals are ignored too (capitals).
var defaultIgnore = []string{
	".*", "**/.*/**", "README*", "CHANGELOG*", "CONTRIBUTING*", "LICENSE*", "LICENCE*", "COPYING*",
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
	capitals bool // ignore names in capitals (ignore_defaults)
	fix      bool
	severity action.Severity

	vaults vaults     // fix mode: the link graph of each root
	fixMu  sync.Mutex // fix runs one at a time: renames must not interleave
}

var (
	_ action.Action = (*naming)(nil)
	_ action.Local  = (*naming)(nil)
)

// Local is true: naming looks at the file's siblings, renames files and
// rewrites the links to them.
func (a *naming) Local() bool { return true }

func newNaming(params any, _ action.Build) (action.Action, error) {
	var p namingParams
	if err := action.DecodeParams(params, &p); err != nil {
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
	// Links are read as links.check reads them by default: a Hugo site's
	// as its URLs, a Docusaurus site's as its routes, an Obsidian vault's by
	// name too.
	n.vaults.markdownByRoot = true
	if p.IgnoreDefaults == nil || *p.IgnoreDefaults {
		n.ignore = append(n.ignore, defaultIgnore...)
		n.capitals = true
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
	if n.capitals && capitals(strings.TrimSuffix(base, path.Ext(base))) {
		return true
	}
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

// capitals reports whether name has letters, all of them capitals: a
// repository's ADOPTERS, MAINTAINERS or RATIONALE, GitHub's ISSUE_TEMPLATE,
// the AGENTS or SKILL a tool reads. That is a convention of its own, and
// often a name something looks for.
func capitals(name string) bool {
	letters := false
	for _, r := range name {
		if unicode.IsLower(r) {
			return false
		}
		letters = letters || unicode.IsUpper(r)
	}
	return letters
}

// conventional returns the conventional form of a name and whether the name
// already is conventional. For a file the extension is kept (lower-cased),
// and so is a leading '_', which site generators read (Jekyll's _posts and
// _drafts, Hugo's _index.md, files Docusaurus leaves out); the regex style
// cannot derive a name and returns "".
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
	rest := strings.TrimLeft(stem, "_")
	nn := convert(rest, n.sep)
	if nn == "" {
		return "", false
	}
	nn = stem[:len(stem)-len(rest)] + nn + strings.ToLower(ext)
	return nn, nn == name
}

// convert rewrites a name as words joined by sep, lower-cased: words are
// split at anything that is not a letter, digit or mark, and at camelCase
// boundaries ("myNote", "HTTPServer"); apostrophes vanish ("don't" → "dont").
func convert(s, sep string) string {
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
