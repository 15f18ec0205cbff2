package text

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/regex"
	"github.com/scribe-md/scribe/internal/template"
)

func init() {
	action.Register(action.Spec{
		Name:    "replace",
		Summary: "replace every match of a regex (default: the rule's match) with $1/${name} references or a template",
		Schema: `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["with"],
  "properties": {
    "pattern": {"type": "string", "minLength": 1, "description": "RE2 regex; default: the rule's match"},
    "with": {"type": "string", "description": "replacement: $1, ${name}, $$ for a literal $; with {{ }} also a template run per match"}
  }
}`,
		Example: `replace:
  pattern: '(?m)^status: (?P<old>\w+)$'
  with: 'status: {{ .Match.old | upper }} (was ${old})'`,
		New: newReplace,
	})
}

// replaceAction rewrites every match of re.
type replaceAction struct {
	re *regex.Regexp
	// with is the replacement for ReplaceAll when it has no template actions.
	with []byte
	// tmpl is set when the replacement is a template, run once per match.
	tmpl *template.Template
	// slack is how much a templated replacement may grow the file beyond
	// four times its size before it fails as runaway.
	slack int
}

var _ action.Action = (*replaceAction)(nil)

// utf8BOM is the byte order mark some editors put at the start of a file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// replaceCheckEvery is how many matches a templated replace renders between
// two looks at its context.
const replaceCheckEvery = 256

func newReplace(params any, b action.Build) (action.Action, error) {
	m, ok := params.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("replace: parameters must be a mapping with pattern and with, got %T", params)
	}
	with, ok := m["with"].(string)
	if !ok {
		return nil, errors.New("replace: `with` is required: the replacement text ($1, ${name}, or a template)")
	}
	a := &replaceAction{re: b.Match, with: []byte(with), slack: template.MaxOutput}
	if p, ok := m["pattern"].(string); ok {
		re, err := regex.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("replace: invalid pattern %q: %w", p, err)
		}
		a.re = re
	}
	if a.re == nil {
		return nil, errors.New("replace: no pattern: set `pattern`, or give the rule a `match` regex for replace to use")
	}
	if strings.Contains(with, "{{") {
		t, err := template.ParseExpand("with", with)
		if err != nil {
			return nil, fmt.Errorf("replace: %w", err)
		}
		if t.Static() {
			// Only comments: what is left is plain text without a `$`.
			s, err := t.Execute(template.Data{})
			if err != nil {
				return nil, fmt.Errorf("replace: %w", err)
			}
			a.with = []byte(s)
		} else {
			a.tmpl = t
		}
	}
	return a, nil
}

// Run replaces every match in the content.
func (a *replaceAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if err := ctx.Err(); err != nil {
		return action.Output{}, err
	}
	// A byte order mark is not text: `^` and `\A` match after it.
	bom, src := []byte(nil), in.Content
	if bytes.HasPrefix(src, utf8BOM) {
		bom, src = utf8BOM, src[len(utf8BOM):]
	}
	var out []byte
	var err error
	if a.tmpl == nil {
		out, err = a.replaceExpand(ctx, bom, src)
	} else {
		out, err = a.replaceTemplate(ctx, in, bom, src)
	}
	if err != nil {
		return action.Output{}, err
	}
	if out == nil || bytes.Equal(out[len(bom):], src) {
		return action.Output{}, nil
	}
	return action.Output{Content: out}, nil
}

// resultBuf returns the buffer a replacement's result is built in, after
// bom: room for src and some growth, so that a replacement a little longer
// than its match neither grows it nor is copied again.
func resultBuf(bom, src []byte) []byte {
	return append(make([]byte, 0, len(bom)+len(src)+len(src)/8+64), bom...)
}

// replaceExpand is regexp's ReplaceAll ($1, ${name} in with) under the
// same growth cap and context checks as replaceTemplate; it returns bom and
// the result, or nil when nothing matched.
func (a *replaceAction) replaceExpand(ctx context.Context, bom, src []byte) ([]byte, error) {
	idx := a.re.FindAllSubmatchIndex(src, -1)
	if len(idx) == 0 {
		return nil, nil
	}
	limit := len(bom) + 4*len(src) + a.slack
	out := resultBuf(bom, src)
	last := 0
	for n, loc := range idx {
		if n%replaceCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out = append(out, src[last:loc[0]]...)
		out = a.re.Expand(out, a.with, src, loc)
		last = loc[1]
		if len(out) > limit {
			return nil, fmt.Errorf("replace: result exceeds %d MiB; check the pattern and the replacement", limit>>20)
		}
	}
	return append(out, src[last:]...), nil
}

// replaceTemplate renders the template once per match, with .Match holding
// that match's groups; it returns bom and the result, or nil when nothing
// matched.
func (a *replaceAction) replaceTemplate(ctx context.Context, in action.Input, bom, src []byte) ([]byte, error) {
	idx := a.re.FindAllSubmatchIndex(src, -1)
	if len(idx) == 0 {
		return nil, nil
	}
	limit := len(bom) + 4*len(src) + a.slack
	names := a.re.SubexpNames()
	d := template.DataFor(in)
	out := resultBuf(bom, src)
	last := 0
	for n, loc := range idx {
		if n%replaceCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		d.Match = replaceGroups(src, loc, names)
		s, err := a.tmpl.Execute(d)
		if err != nil {
			return nil, fmt.Errorf("replace: match at byte %d: %w", loc[0], err)
		}
		out = append(out, src[last:loc[0]]...)
		out = append(out, s...)
		last = loc[1]
		if len(out) > limit {
			return nil, fmt.Errorf("replace: result exceeds %d MiB; check the pattern and the replacement", limit>>20)
		}
	}
	return append(out, src[last:]...), nil
}

// replaceGroups returns the .Match map of one match: groups by number and
// by name ("" for a group that did not take part).
func replaceGroups(src []byte, loc []int, names []string) map[string]string {
	m := action.Match{Groups: make([]string, len(loc)/2), Named: map[string]string{}}
	for i := range m.Groups {
		if loc[2*i] >= 0 {
			m.Groups[i] = string(src[loc[2*i]:loc[2*i+1]])
		}
		if names[i] != "" {
			m.Named[names[i]] = m.Groups[i]
		}
	}
	return template.MatchData(&m)
}
