package template

import (
	"strings"
	"testing"
	"time"
)

// FuzzTemplate parses arbitrary template text and executes it on arbitrary
// front matter: any outcome but a panic or a hang is fine.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		`{{ .FM.title }}`, `{{ now | date "2006" }}`, `{{ .FM.a.b.c }}`,
		`{{ range .FM.tags }}{{ . }}{{ end }}`, `{{ index .Match "1" }}`,
		`{{ date "x" .FM.v }}`, `{{ default "d" .FM.v | slug }}`, `{{ (.FM.a.b).c }}`,
		`{{ template "x" }}`, `{{ define "x" }}{{ .FM.v.y }}{{ end }}{{ template "x" . }}`,
		`{{ $x := .FM }}{{ $x.a.b }}`, `{{ with .FM.v }}{{ .z }}{{ else with .FM.w }}{{ end }}`,
	} {
		f.Add(s, "2024-01-02")
	}
	f.Fuzz(func(t *testing.T, text, value string) {
		tp, err := Parse("fuzz", text)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("parse error %T is not an *Error", err)
			}
			return
		}
		d := PathData("a/b.md")
		d.FM = map[string]any{"v": value, "a": map[string]any{"b": value}, "tags": []any{value}}
		d.Match = map[string]string{"0": value, "1": value}
		d.Now = time.Unix(0, 0).UTC()
		for _, data := range []Data{d, {}} {
			_, err := tp.Execute(data)
			if err != nil && !strings.Contains(text, "_scribe") && strings.Contains(err.Error(), "_scribe") {
				t.Fatalf("error shows the internal rewrite: %v", err)
			}
		}
		_, _ = date(value, value)
		_ = Slug(value)
	})
}
