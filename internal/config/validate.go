package config

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/scribe-md/scribe/internal/schemaerr"
)

// Hints shared by several messages.
const (
	durationExample = `a duration like "50ms" or "2s"`
	durationHint    = "units are ns, us, ms, s, m and h; combine them as in \"1m30s\""
	sizeExample     = `a size like "8MiB" or 1048576`
	sizeHint        = "units are B, KiB, MiB, GiB, TiB (powers of 1024) and KB, MB, GB, TB (powers of 1000)"
)

// validate checks root against the schema and returns every violation in
// plain words, placed at the value (or, for an unknown key, the key) it is
// about. bad holds the field paths that have a violation, so that later
// stages do not report them twice.
func (t *tree) validate(root any) (bad map[string]bool) {
	bad = map[string]bool{}
	s, _ := compiledSchema()
	err := s.Validate(root)
	if err == nil {
		return bad
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		t.errorAt(t.pos[""], "", "", "%v", err)
		return bad
	}
	for _, e := range schemaerr.Leaves(ve) {
		t.schemaError(root, e, bad)
	}
	return bad
}

// schemaError turns one leaf violation into an Error.
func (t *tree) schemaError(root any, e *jsonschema.ValidationError, bad map[string]bool) {
	path := fieldPath(root, e.InstanceLocation)
	inst := valueAt(root, e.InstanceLocation)
	_, ptr, _ := strings.Cut(e.SchemaURL, "#")
	def := ptr // the schema that failed, e.g. "/$defs/duration"
	at := t.nearest(path)
	bad[path] = true
	add := func(msg, hint string) { t.errorAt(at, path, hint, "%s", msg) }

	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		s := schemaAt(ptr)
		for _, key := range k.Properties {
			kpath := childPath(path, key)
			bad[kpath] = true
			kp, ok := t.keyPos[kpath]
			if !ok {
				kp = at
			}
			if _, isAction := s["patternProperties"]; isAction {
				t.errorAt(kp, kpath, `write the action's name in lowercase, e.g. "frontmatter.set"`,
					"invalid action name %q: names are lowercase letters, digits, '.', '_' and '-', starting with a letter", key)
				continue
			}
			t.errorAt(kp, kpath, unknownKeyHint(key, path, s), "unknown field %q", key)
		}
	case *kind.Type:
		switch {
		case strings.HasSuffix(def, "/$defs/duration"):
			add(fmt.Sprintf("expected %s, got %s", durationExample, schemaerr.Value(inst)), unitHint(inst, "s"))
		case strings.HasSuffix(def, "/$defs/size"):
			add(fmt.Sprintf("expected %s, got %s", sizeExample, schemaerr.Value(inst)), sizeHint)
		case strings.HasSuffix(def, "/$defs/globs"):
			add(fmt.Sprintf("expected a glob or a list of globs, got %s", schemaerr.Value(inst)), "")
		case strings.HasSuffix(def, "/$defs/action"):
			add(fmt.Sprintf("expected an action entry, got %s", schemaerr.Value(inst)),
				`write it as "- ACTION: PARAMS", e.g. "- links.check: {}"`)
		default:
			add(fmt.Sprintf("expected %s, got %s", schemaerr.Types(k.Want), schemaerr.Value(inst)), "")
		}
	case *kind.Pattern:
		switch {
		case strings.HasSuffix(def, "/$defs/duration"):
			add(fmt.Sprintf("expected %s, got %s", durationExample, schemaerr.Value(inst)), durationHint)
		case strings.HasSuffix(def, "/$defs/size"):
			add(fmt.Sprintf("expected %s, got %s", sizeExample, schemaerr.Value(inst)), sizeHint)
		case strings.HasSuffix(def, "/$defs/rule/properties/id"):
			add(fmt.Sprintf("invalid rule id %q", k.Got), "use letters, digits, '.', '_' and '-', starting with a letter or digit, e.g. \"touch-updated\"")
		case strings.HasSuffix(def, "/$defs/command/properties/name"):
			add(fmt.Sprintf("invalid command name %q", k.Got), "use the program's base name, e.g. \"prettier\"")
		case strings.HasSuffix(def, "/$defs/telemetry/properties/traces/properties/endpoint"):
			add(fmt.Sprintf("invalid collector URL %q", k.Got), "write the scheme too, e.g. \"http://localhost:4318\" (https for TLS)")
		case strings.HasSuffix(def, "/$defs/security/properties/env/items"):
			add(fmt.Sprintf("invalid environment variable name %q", k.Got), "use letters, digits and '_', not starting with a digit")
		default:
			add(fmt.Sprintf("%q does not match the pattern %s", k.Got, k.Want), "")
		}
	case *kind.Const:
		if path == "version" {
			add(fmt.Sprintf("unsupported version %s; this Scribe reads version 1", describeBare(inst)), "write version: 1, or leave it out")
			return
		}
		add(fmt.Sprintf("must be %s, got %s", describeBare(k.Want), schemaerr.Value(inst)), "")
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = describeBare(w)
		}
		add(fmt.Sprintf("must be one of %s, got %s", strings.Join(want, ", "), schemaerr.Value(inst)), "")
	case *kind.Required:
		for _, m := range k.Missing {
			hint := ""
			if strings.HasSuffix(def, "/$defs/rule") {
				hint = "every rule needs an id and at least one action"
			}
			t.errorAt(at, path, hint, "missing required field %q", m)
			t.errs[len(t.errs)-1].missing = m
		}
	case *kind.MinItems:
		switch {
		case strings.HasSuffix(def, "/$defs/rule/properties/actions"):
			add("a rule needs at least one action", `add one, e.g. "- log: {message: \"{{ .Path }}\"}"`)
		case k.Want == 1:
			add("must not be an empty list", "list at least one entry, or leave the field out for the default")
		default:
			add(fmt.Sprintf("must list at least %d entries, got %d", k.Want, k.Got), "")
		}
	case *kind.MaxItems:
		add(fmt.Sprintf("must list at most %d entries, got %d", k.Want, k.Got), "")
	case *kind.MinLength:
		add("must not be empty", "")
	case *kind.MaxLength:
		add(fmt.Sprintf("is too long: %d characters, at most %d", k.Got, k.Want), "")
	case *kind.Minimum:
		add(fmt.Sprintf("must be at least %s, got %s", ratString(k.Want), ratString(k.Got)), "")
	case *kind.Maximum:
		add(fmt.Sprintf("must be at most %s, got %s", ratString(k.Want), ratString(k.Got)), "")
	case *kind.MinProperties, *kind.MaxProperties:
		if strings.Contains(def, "/$defs/action/") {
			msg, hint := actionEntryProblem(inst)
			add(msg, hint)
			return
		}
		add(schemaerr.Message(e.ErrorKind), "")
	default:
		add(schemaerr.Message(e.ErrorKind), "")
	}
}

// unknownKeyHint suggests the nearest known key of the same mapping, or, for
// a top-level key that belongs in a section, that section.
func unknownKeyHint(key, path string, s map[string]any) string {
	known := schemaerr.PropertyNames(s)
	if h := DidYouMean(key, known); h != "" {
		return h
	}
	if path == "" {
		// A top-level key that belongs in a section, maybe misspelt too.
		for _, sec := range []string{"engine", "bus", "http", "security"} {
			names := schemaerr.PropertyNames(schemaAt("/$defs/" + sec))
			if slices.Contains(names, key) {
				return fmt.Sprintf("%q belongs in the %s section: %s: {%s: ...}", key, sec, sec, key)
			}
			if h := DidYouMean(key, names); h != "" {
				return fmt.Sprintf("%s It belongs in the %s section", h, sec)
			}
		}
	}
	if len(known) == 0 {
		return ""
	}
	return "known fields here: " + strings.Join(known, ", ")
}

// actionEntryProblem explains an action entry that does not name exactly one
// action.
func actionEntryProblem(inst any) (msg, hint string) {
	m, _ := inst.(map[string]any)
	var names []string
	for k := range m {
		if k != "timeout" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "an action entry must name an action", `write it as "- ACTION: PARAMS", e.g. "- frontmatter.set: {reviewed: true}"`
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return fmt.Sprintf("an action entry names exactly one action, found %d: %s", len(names), strings.Join(quoted, ", ")),
		"write each action as its own list item"
}

// unitHint suggests a unit when a duration was written as a bare number.
func unitHint(inst any, unit string) string {
	switch v := inst.(type) {
	case int64:
		return fmt.Sprintf("add a unit: %q", strconv.FormatInt(v, 10)+unit)
	case float64:
		return fmt.Sprintf("add a unit: %q", strconv.FormatFloat(v, 'f', -1, 64)+unit)
	}
	return durationHint
}

// describeBare writes a value the schema wants (an enum's, a const's) as
// it would stand in the file: "null", not "nothing (null)".
func describeBare(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprint(v)
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(3)
}

// fieldPath turns a JSON pointer's tokens into a field path, using root to
// tell list indexes from keys that look like numbers.
func fieldPath(root any, loc []string) string {
	path := ""
	cur := root
	for _, tok := range loc {
		switch c := cur.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return childPath(path, tok)
			}
			path, cur = indexPath(path, i), c[i]
		case map[string]any:
			path, cur = childPath(path, tok), c[tok]
		default:
			path, cur = childPath(path, tok), nil
		}
	}
	return path
}

// valueAt returns the value at a JSON pointer's tokens, or nil.
func valueAt(root any, loc []string) any {
	cur := root
	for _, tok := range loc {
		switch c := cur.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		case map[string]any:
			cur = c[tok]
		default:
			return nil
		}
	}
	return cur
}

// nearest returns the position recorded for path, or for its closest
// recorded ancestor.
func (t *tree) nearest(path string) Position {
	return nearestPos(t.pos, path)
}

func nearestPos(pos map[string]Position, path string) Position {
	for {
		if p, ok := pos[path]; ok && p.Line > 0 {
			return p
		}
		if path == "" {
			return Position{Line: 1, Column: 1}
		}
		path = parentPath(path)
	}
}

// parentPath strips the last element of a field path: "a.b[2]" → "a.b",
// "a.b" → "a".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
