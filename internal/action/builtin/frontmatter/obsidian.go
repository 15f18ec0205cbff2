package frontmatter

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

// obsidianTypes is where an Obsidian vault records the type of each
// property (the "Properties" of its notes' front matter).
const obsidianTypes = ".obsidian/types.json"

// perRoot keeps one value per root (its Docs), computed the first time a
// file of the root asks for it: what a root's settings files say (read
// once; a change applies at the next start or configuration reload).
type perRoot[T any] struct {
	mu sync.Mutex
	m  map[any]T
}

// get returns the value of the root d serves, computing it with f once.
func (c *perRoot[T]) get(d action.Docs, f func(action.Docs) T) T {
	var zero T
	if d == nil || !reflect.TypeOf(d).Comparable() {
		return zero
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[d]; ok {
		return v
	}
	v := f(d)
	if c.m == nil {
		c.m = map[any]T{}
	}
	c.m[d] = v
	return v
}

// propertyTypes reads the property types of the Obsidian vault at a root:
// {"types": {"created": "date", "words": "number", "done": "checkbox",
// ...}}. A root that is no Obsidian vault, or whose file cannot be read,
// has none.
func propertyTypes(d action.Docs) map[string]string {
	if _, err := d.Stat(obsidianTypes); err != nil { // most roots have none: a stat says so
		return nil
	}
	b, err := d.ReadFile(obsidianTypes)
	if err != nil {
		return nil
	}
	var f struct {
		Types map[string]string `json:"types"`
	}
	if json.Unmarshal(b, &f) != nil {
		return nil
	}
	return f.Types
}

// typed returns a value given as text (a template's output is always text)
// as the type an Obsidian vault gives its property, when the text is one: a
// date (2026-12-07) for "date", a number for "number", true or false for
// "checkbox". Set as text, the value would be a string in quotes, which
// Obsidian flags as not of the property's type. Anything else is returned
// as it is.
func typed(v any, typ string) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	switch typ {
	case "date":
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return t
		}
	case "number":
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && strings.Trim(s, "+-.0123456789eE") == "" {
			return f // not "NaN" or "Inf", which ParseFloat takes
		}
	case "checkbox":
		switch s {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v
}
