package config

import (
	"reflect"
	"slices"
	"strings"
	"time"
)

var (
	durationType  = reflect.TypeFor[Duration]()
	sizeType      = reflect.TypeFor[Size]()
	actionRefType = reflect.TypeFor[ActionRef]()
)

// defaulter is implemented by list elements that start from defaults rather
// than zero values (a rule's breaker reset, say).
type defaulter interface{ setDefaults() }

// decode stores the schema-checked value v into rv, which already holds the
// defaults: keys that are absent leave them alone. Values of the wrong shape
// are skipped silently, since validation has reported them; only problems
// the schema cannot express (a duration too long to represent) are errors,
// and not at paths that already have one.
func (t *tree) decode(v any, rv reflect.Value, path string, bad map[string]bool) {
	fail := func(format string, args ...any) {
		if !bad[path] {
			bad[path] = true
			t.errorAt(t.nearest(path), path, "", format, args...)
		}
	}
	switch rv.Type() {
	case durationType:
		if s, ok := v.(string); ok {
			d, err := ParseDuration(s)
			if err != nil {
				fail("%v", err)
				return
			}
			rv.Set(reflect.ValueOf(d))
		}
		return
	case sizeType:
		switch x := v.(type) {
		case int64:
			if x >= 0 {
				rv.Set(reflect.ValueOf(Size(x)))
			}
		case string:
			n, err := ParseSize(x)
			if err != nil {
				fail("%v", err)
				return
			}
			rv.Set(reflect.ValueOf(n))
		}
		return
	case actionRefType:
		t.decodeAction(v, rv.Addr().Interface().(*ActionRef), path, bad)
		return
	}
	switch rv.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		rt := rv.Type()
		for i := range rt.NumField() {
			f := rt.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			if fv, ok := m[name]; ok {
				t.decode(fv, rv.Field(i), childPath(path, name), bad)
			}
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			// "files: docs/**" is shorthand for a list of one glob.
			if s, isStr := v.(string); isStr && rv.Type().Elem().Kind() == reflect.String {
				list = []any{s}
			} else {
				return
			}
		}
		out := reflect.MakeSlice(rv.Type(), len(list), len(list))
		for i, e := range list {
			ev := out.Index(i)
			if d, ok := ev.Addr().Interface().(defaulter); ok {
				d.setDefaults()
			}
			t.decode(e, ev, indexPath(path, i), bad)
		}
		rv.Set(out)
	case reflect.Pointer:
		nv := reflect.New(rv.Type().Elem())
		t.decode(v, nv.Elem(), path, bad)
		// A false bool is a value; anything else that stays zero was not.
		if _, isBool := v.(bool); isBool || !nv.Elem().IsZero() {
			rv.Set(nv)
		}
	case reflect.String:
		if s, ok := v.(string); ok {
			rv.SetString(s)
		}
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			rv.SetBool(b)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if n, ok := v.(int64); ok && !rv.OverflowInt(n) {
			rv.SetInt(n)
		}
	case reflect.Interface:
		if v != nil {
			rv.Set(reflect.ValueOf(v))
		}
	}
}

// decodeAction reads one actions entry: {NAME: PARAMS, timeout: DURATION}.
func (t *tree) decodeAction(v any, a *ActionRef, path string, bad map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	var names []string
	for k := range m {
		if k != "timeout" {
			names = append(names, k)
		}
	}
	slices.Sort(names) // an entry with several names is an error; be deterministic
	if len(names) > 0 {
		a.Name = names[0]
		a.Params = m[a.Name]
	}
	if tv, ok := m["timeout"]; ok {
		var d Duration
		t.decode(tv, reflect.ValueOf(&d).Elem(), childPath(path, "timeout"), bad)
		a.Timeout = time.Duration(d)
	}
}

// setDefaults gives a rule the defaults that are not zero values.
func (r *Rule) setDefaults() {
	r.OnError.Breaker.Reset = Duration(60 * time.Second)
}
