package markdown

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestForeignFormats reads Hugo-style TOML and JSON front matter: values for
// conditions and templates, the body after the block. Edits of JSON are
// refused with a clear "not supported for edits" error that leaves the file
// alone (TOML's are in toml_test.go).
func TestForeignFormats(t *testing.T) {
	tests := []struct {
		file   string
		format Format
		want   map[string]any
	}{
		{"testdata/formats/hugo.toml.md", TOML, map[string]any{
			"title": "Hugo post", "date": date(2024, 5, 1),
			"publishDate": time.Date(2024, 5, 1, 10, 20, 30, 0, time.FixedZone("", 2*3600)),
			"local":       "2024-05-01T10:20:30", "draft": false, "weight": 10, "ratio": 0.5,
			"tags": []any{"go", "toml"}, "params": map[string]any{"author": "Ada"},
		}},
		{"testdata/formats/hugo.json.md", JSON, map[string]any{
			"title": "JSON post", "tags": []any{"a", "b"}, "weight": 3, "ratio": 1.5, "draft": true,
			"meta": map[string]any{"author": nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format.String(), func(t *testing.T) {
			content, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			b := Find(content)
			if !b.Present || b.Format != tt.format {
				t.Fatalf("Find = %+v", b)
			}
			if got := string(Body(content)); got != "# Body\n" {
				t.Errorf("Body = %q", got)
			}
			got, err := Parse(content)
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range tt.want {
				if g := got[k]; !equal(g, w) || reflect.TypeOf(g) != reflect.TypeOf(w) {
					t.Errorf("%s = %#v, want %#v", k, g, w)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d keys, want %d", len(got), len(tt.want))
			}
			if tt.format != JSON {
				return
			}
			for _, edit := range []func() ([]byte, error){
				func() ([]byte, error) { return Set(content, []Field{{"reviewed", true}}) },
				func() ([]byte, error) { return Delete(content, []string{"title"}) },
			} {
				out, err := edit()
				var e *Error
				if !errors.As(err, &e) || out != nil || !strings.Contains(e.Message, "not supported for edits") || e.Line != 1 {
					t.Errorf("edit = %q, %v; want a refusal at line 1", out, err)
				}
			}
		})
	}
}

func TestForeignFormatErrors(t *testing.T) {
	tests := []struct {
		name, content string
		line, col     int
	}{
		{"TOML syntax", "+++\ntitle = \"x\"\ndate = = 1\n+++\n", 3, 8},
		{"TOML duplicate key", "+++\na = 1\na = 2\n+++\n", 3, 1},
		{"JSON syntax", "{\n  \"a\": 1,\n  \"b\": ,\n}\n", 3, 8},
		{"JSON trailing comma", "{\"a\": [1,]}\n", 1, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.content))
			var e *Error
			if !errors.As(err, &e) || e.Line != tt.line || e.Column != tt.col {
				t.Fatalf("Parse error = %v, want an *Error at %d:%d", err, tt.line, tt.col)
			}
		})
	}
	// Not JSON front matter: template lines, and braces that do not make an
	// object ending its line.
	for _, s := range []string{"{{< figure >}}\ntext\n", "{% raw %}\n", "{\"a\": 1} trailing\n", "{\"a\": [1}\n", "{ not json\n"} {
		if b := Find([]byte(s)); b.Present {
			t.Errorf("Find(%q) = %+v, want no front matter", s, b)
		}
	}
}
