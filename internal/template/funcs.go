package template

import (
	"fmt"
	"reflect"
	"strings"
	gotemplate "text/template"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// funcs returns the function map every template gets; now is a placeholder
// that each pooled clone replaces.
func funcs(now func() time.Time) gotemplate.FuncMap {
	m := gotemplate.FuncMap{
		"now":      now,
		"date":     date,
		"lower":    func(v any) string { return strings.ToLower(text(v)) },
		"upper":    func(v any) string { return strings.ToUpper(text(v)) },
		"trim":     func(v any) string { return strings.TrimSpace(text(v)) },
		"replace":  replace,
		"default":  dflt,
		"slug":     func(v any) string { return Slug(text(v)) },
		textFunc:   printable,
		digFunc:    dig,
		expandFunc: expandData,
		rangeFunc:  func(v any) (any, error) { return v, nil }, // replaced per clone
	}
	for k, f := range mdFuncs() {
		m[k] = f
	}
	return m
}

// printable is the last command of every printing action: a missing value
// prints as "" and a date as text rather than Go's time.Time format.
func printable(v any) any {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		return formatTime(v)
	case *time.Time:
		if v == nil {
			return ""
		}
		return formatTime(*v)
	}
	return v
}

// text converts a template value to the string a string function works on.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		return formatTime(v)
	case *time.Time:
		if v == nil {
			return ""
		}
		return formatTime(*v)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// formatTime renders a date as 2006-01-02 when it carries no time of day
// (YAML's `2024-05-01`), else as RFC 3339.
func formatTime(t time.Time) string {
	if t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

// timeLayouts are the string forms date accepts, most specific first.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999", // no zone: local time
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04", // no seconds: Obsidian's "Date & time" properties
	"2006-01-02 15:04",
	time.DateOnly,
}

// date formats v with layout. v may be a time.Time, a *time.Time or a string
// in one of timeLayouts; a missing value or "" formats as "".
func date(layout string, v any) (string, error) {
	t, ok, err := toTime(v)
	if err != nil || !ok {
		return "", err
	}
	return t.Format(layout), nil
}

func toTime(v any) (time.Time, bool, error) {
	switch v := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v, true, nil
	case *time.Time:
		if v == nil {
			return time.Time{}, false, nil
		}
		return *v, true, nil
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return time.Time{}, false, nil
		}
		for _, l := range timeLayouts {
			if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
				return t, true, nil
			}
		}
		return time.Time{}, false, fmt.Errorf("cannot read %q as a time: write RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02T15:04 or 2006-01-02", clip(s))
	}
	return time.Time{}, false, fmt.Errorf("cannot read a %T as a time: want a date or a string in RFC 3339, 2006-01-02T15:04 or 2006-01-02", v)
}

// replace replaces every old in v by new, refusing a result larger than
// MaxOutput (an empty old inserts new between every character, and nested
// calls would grow the text geometrically).
func replace(old, new string, v any) (string, error) {
	s := text(v)
	n := strings.Count(s, old)
	if n > 0 && len(new) > len(old) && len(s)+n*(len(new)-len(old)) > MaxOutput {
		return "", fmt.Errorf("result exceeds %d MiB", MaxOutput>>20)
	}
	return strings.ReplaceAll(s, old, new), nil
}

// dflt returns def when v is empty: missing, "", or an empty list or map.
// false and 0 are values a user wrote, so they are kept.
func dflt(def, v any) any {
	if v == nil {
		return def
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		if rv.Len() == 0 {
			return def
		}
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return def
		}
	}
	return v
}

// Slug returns s in lower-case kebab form for file names and anchors:
// accents removed ("é" → "e"), every run of characters other than letters
// and digits replaced by one "-", no leading or trailing "-". Letters without
// an ASCII form (e.g. CJK) are kept.
func Slug(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	dash := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // a combining accent split off by NFKD
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		default:
			dash = true
		}
	}
	return b.String()
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
