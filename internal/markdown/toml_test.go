package markdown

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestTOMLSet edits TOML front matter as Hugo writes it: one value
// replaced where it stands, new keys after the last top-level key (before
// the first table), and every other byte kept.
func TestTOMLSet(t *testing.T) {
	tests := []struct {
		name, in string
		fields   []Field
		want     string
	}{
		{"replace a string, keeping its quotes",
			"+++\ntitle = \"Old\"  # the page title\ndraft = true\n+++\nbody\n",
			[]Field{{"title", "New \"one\""}},
			"+++\ntitle = \"New \\\"one\\\"\"  # the page title\ndraft = true\n+++\nbody\n"},
		{"a literal string stays literal",
			"+++\npath = 'C:\\docs'\n+++\n",
			[]Field{{"path", `C:\notes`}},
			"+++\npath = 'C:\\notes'\n+++\n"},
		{"a literal string that cannot stay literal",
			"+++\nquote = 'plain'\n+++\n",
			[]Field{{"quote", "it's"}},
			"+++\nquote = \"it's\"\n+++\n"},
		{"replace a boolean, a number and a date",
			"+++\ndraft = true\nweight = 10\ndate = 2024-05-01\n+++\n",
			[]Field{{"draft", false}, {"weight", 2.5}, {"date", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}},
			"+++\ndraft = false\nweight = 2.5\ndate = 2026-12-07\n+++\n"},
		{"a date set to a date's text stays a date",
			"+++\ndate = 2024-05-01\nlastmod = 2024-05-01\n+++\n",
			[]Field{{"lastmod", "2026-12-07"}, {"title", "2026-12-07"}},
			"+++\ndate = 2024-05-01\nlastmod = 2026-12-07\ntitle = \"2026-12-07\"\n+++\n"},
		{"an offset date-time",
			"+++\nlastmod = 2024-05-01T10:20:30+02:00\n+++\n",
			[]Field{{"lastmod", time.Date(2026, 12, 7, 9, 30, 0, 0, time.FixedZone("", 3600))}},
			"+++\nlastmod = 2026-12-07T09:30:00+01:00\n+++\n"},
		{"a multi-line array replaced on one line",
			"+++\ntags = [\n  \"a\",  # first\n  \"b\",\n]\ntitle = \"T\"\n+++\n",
			[]Field{{"tags", []any{"x", "y z"}}},
			"+++\ntags = [\"x\", \"y z\"]\ntitle = \"T\"\n+++\n"},
		{"new keys go before the first table",
			"+++\ntitle = \"T\"\n\n[params]\nauthor = \"Ada\"\n+++\n",
			[]Field{{"lastmod", "2026-12-07"}, {"weight", 3}},
			"+++\ntitle = \"T\"\nlastmod = \"2026-12-07\"\nweight = 3\n\n[params]\nauthor = \"Ada\"\n+++\n"},
		{"a table's key of the same name is not the top-level key",
			"+++\n[params]\ntitle = \"inner\"\n+++\n",
			[]Field{{"title", "outer"}},
			"+++\ntitle = \"outer\"\n[params]\ntitle = \"inner\"\n+++\n"},
		{"an empty block",
			"+++\n+++\nbody\n",
			[]Field{{"title", "T"}},
			"+++\ntitle = \"T\"\n+++\nbody\n"},
		{"CRLF line endings",
			"+++\r\ntitle = \"T\"\r\n+++\r\nbody\r\n",
			[]Field{{"title", "U"}, {"draft", true}},
			"+++\r\ntitle = \"U\"\r\ndraft = true\r\n+++\r\nbody\r\n"},
		{"keys and values TOML must quote, inline tables",
			"+++\ntitle = \"T\"\n+++\n",
			[]Field{{"nested", map[string]any{"a b": 1, "c": []any{true, false}}}, {"emoji🙂", "tab\there\x01"}},
			"+++\ntitle = \"T\"\nnested = { \"a b\" = 1, c = [true, false] }\n\"emoji🙂\" = \"tab\\there\\u0001\"\n+++\n"},
		{"a quoted existing key",
			"+++\n\"my key\" = 1\n+++\n",
			[]Field{{"my key", 2}},
			"+++\n\"my key\" = 2\n+++\n"},
		{"floats that would read back as integers",
			"+++\nratio = 0.5\n+++\n",
			[]Field{{"ratio", 2.0}},
			"+++\nratio = 2.0\n+++\n"},
		{"a key after a comment line and a blank line",
			"+++\n# Hugo front matter\ntitle = \"T\"\n\n+++\n",
			[]Field{{"draft", false}},
			"+++\n# Hugo front matter\ntitle = \"T\"\ndraft = false\n\n+++\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Set([]byte(tt.in), tt.fields)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Fatalf("Set =\n%s\nwant\n%s", out, tt.want)
			}
			again, err := Set(out, tt.fields)
			if err != nil || string(again) != string(out) {
				t.Errorf("Set is not idempotent: %q, %v", again, err)
			}
		})
	}
}

// TestTOMLSetUnchanged returns the same bytes when every key already holds
// its value, as written in any of TOML's spellings.
func TestTOMLSetUnchanged(t *testing.T) {
	in := []byte("+++\ntitle = 'T'\nweight = 0x0A\ndate = 2024-05-01\n+++\n")
	out, err := Set(in, []Field{{"title", "T"}, {"weight", 10}, {"date", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}})
	if err != nil || &out[0] != &in[0] {
		t.Errorf("Set = %q, %v; want the content itself", out, err)
	}
}

func TestTOMLDelete(t *testing.T) {
	tests := []struct {
		name, in string
		keys     []string
		want     string
	}{
		{"a key with its comment",
			"+++\ntitle = \"T\"\ndraft = true # not yet\nweight = 1\n+++\n",
			[]string{"draft"},
			"+++\ntitle = \"T\"\nweight = 1\n+++\n"},
		{"a value over several lines, and an absent key",
			"+++\ntags = [\n  \"a\",\n  \"b\",\n]\ntitle = \"T\"\n+++\n",
			[]string{"tags", "missing", "tags"},
			"+++\ntitle = \"T\"\n+++\n"},
		{"a multi-line string",
			"+++\nsummary = \"\"\"\nline one\nline two\"\"\"\ntitle = \"T\"\n+++\n",
			[]string{"summary"},
			"+++\ntitle = \"T\"\n+++\n"},
		{"every key",
			"+++\r\ntitle = \"T\"\r\n+++\r\n",
			[]string{"title"},
			"+++\r\n+++\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Delete([]byte(tt.in), tt.keys)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Fatalf("Delete =\n%q\nwant\n%q", out, tt.want)
			}
		})
	}
}

// TestTOMLRefused names what it cannot edit and changes nothing: a table
// given as a [header] or dotted keys, and a value TOML cannot hold (an
// error at the fence, which frontmatter.set reports as a finding).
func TestTOMLRefused(t *testing.T) {
	tests := []struct {
		name  string
		edit  func() ([]byte, error)
		want  string
		fence bool
	}{
		{"set a [table]", func() ([]byte, error) {
			return Set([]byte("+++\n[params]\nauthor = \"Ada\"\n+++\n"), []Field{{"params", "x"}})
		}, `key "params": it is a TOML table`, false},
		{"set dotted keys", func() ([]byte, error) {
			return Set([]byte("+++\nparams.author = \"Ada\"\n+++\n"), []Field{{"params", map[string]any{"author": "Bo"}}})
		}, `key "params": it is a TOML table`, false},
		{"delete an [[array]] of tables", func() ([]byte, error) {
			return Delete([]byte("+++\n[[menu]]\nname = \"a\"\n+++\n"), []string{"menu"})
		}, `key "menu": it is a TOML table`, false},
		{"null", func() ([]byte, error) {
			return Set([]byte("+++\ntitle = \"T\"\n+++\n"), []Field{{"draft", nil}})
		}, "TOML has no null; delete the key instead", true},
		{"a null in a list", func() ([]byte, error) {
			return Set([]byte("+++\ntitle = \"T\"\n+++\n"), []Field{{"title", []any{"a", nil}}})
		}, "TOML has no null", true},
		{"a huge unsigned integer", func() ([]byte, error) {
			return Set([]byte("+++\ntitle = \"T\"\n+++\n"), []Field{{"n", uint64(1) << 63}})
		}, "larger than TOML's largest", true},
		{"invalid TOML", func() ([]byte, error) {
			return Set([]byte("+++\ntitle = \n+++\n"), []Field{{"draft", true}})
		}, "TOML: ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.edit()
			if err == nil || out != nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("edit = %q, %v; want an error containing %q", out, err, tt.want)
			}
			var e *Error
			if errors.As(err, &e) != tt.fence {
				t.Errorf("error %v: *Error %v, want %v", err, !tt.fence, tt.fence)
			}
		})
	}
}

// TestTOMLHugoPage edits the Hugo page of testdata: its tables, local
// date-times and body stay as they were.
func TestTOMLHugoPage(t *testing.T) {
	in, err := os.ReadFile("testdata/formats/hugo.toml.md")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Set(in, []Field{{"lastmod", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}, {"draft", true}})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(string(in), "draft = false", "draft = true", 1),
		"tags = [\"go\", \"toml\"]\n", "tags = [\"go\", \"toml\"]\nlastmod = 2026-12-07\n", 1)
	if string(out) != want {
		t.Fatalf("Set =\n%s\nwant\n%s", out, want)
	}
	out, err = Delete(out, []string{"local", "lastmod"})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(strings.Replace(string(in), "draft = false", "draft = true", 1), "local = 2024-05-01T10:20:30\n", "", 1); string(out) != want {
		t.Fatalf("Delete =\n%s\nwant\n%s", out, want)
	}
}

// FuzzTOMLEdit sets and deletes keys of arbitrary TOML front matter: an edit
// either fails or gives a block that reads back as asked (Set and Delete
// check that themselves; here that they never panic) with the body kept.
func FuzzTOMLEdit(f *testing.F) {
	for _, s := range []string{
		"title = \"T\"\n", "tags = [\n 'a', # c\n]\n[params]\nx = 1\n", "a.b = 1\n", "\"k\" = 'v'\n",
		"s = \"\"\"\nx\"\"\"\n", "d = 2024-05-01T10:20:30Z\n", "[[m]]\nn = 1\n", "",
	} {
		f.Add(s, "title", "new")
	}
	f.Fuzz(func(t *testing.T, block, key, value string) {
		content := []byte("+++\n" + block + "+++\nbody\n")
		b := Find(content)
		if !b.Present || b.Format != TOML {
			return
		}
		for _, edit := range []func() ([]byte, error){
			func() ([]byte, error) { return Set(content, []Field{{key, value}}) },
			func() ([]byte, error) { return Delete(content, []string{key}) },
		} {
			out, err := edit()
			if err != nil {
				continue
			}
			if string(Body(out)) != string(Body(content)) {
				t.Fatalf("edit of %q changed the body: %q", content, out)
			}
		}
	})
}
