package frontmatter

import (
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

// mapDocs is an action.Docs over files in memory.
type mapDocs struct{ fstest.MapFS }

func (d mapDocs) List() []string {
	var out []string
	for p := range d.MapFS {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func (d mapDocs) Stat(p string) (fs.FileInfo, error) { return d.MapFS.Stat(p) }

// TestFrontmatterSetObsidianTypes: in an Obsidian vault, a value given as
// text takes the type the vault gives its property (.obsidian/types.json),
// where it reads as one; elsewhere, and for text that is not of the type,
// it stays text.
func TestFrontmatterSetObsidianTypes(t *testing.T) {
	types := `{"types": {"created": "date", "words": "number", "ratio": "number", "done": "checkbox", "due": "datetime", "tags": "tags"}}`
	params := `{created: '{{ now | date "2006-01-02" }}', words: '{{ len .FM.list }}', ratio: "0.5", done: "true", due: '{{ now | date "2006-01-02T15:04" }}', tags: "x", plain: "2024-01-01"}`
	const in = "---\nlist: [a, b, c]\n---\n"
	for _, c := range []struct {
		name string
		docs action.Docs
		want string
	}{
		{"an Obsidian vault", &mapDocs{fstest.MapFS{".obsidian/types.json": {Data: []byte(types)}}},
			"---\nlist: [a, b, c]\ncreated: 2024-03-09\ndone: true\ndue: 2024-03-09T14:05\nplain: \"2024-01-01\"\nratio: 0.5\ntags: x\nwords: 3\n---\n"},
		{"no vault", &mapDocs{fstest.MapFS{}},
			"---\nlist: [a, b, c]\ncreated: \"2024-03-09\"\ndone: \"true\"\ndue: 2024-03-09T14:05\nplain: \"2024-01-01\"\nratio: \"0.5\"\ntags: x\nwords: \"3\"\n---\n"},
		{"a types.json that is not JSON", &mapDocs{fstest.MapFS{".obsidian/types.json": {Data: []byte("{")}}},
			"---\nlist: [a, b, c]\ncreated: \"2024-03-09\"\ndone: \"true\"\ndue: 2024-03-09T14:05\nplain: \"2024-01-01\"\nratio: \"0.5\"\ntags: x\nwords: \"3\"\n---\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := actiontest.Must(t, "frontmatter.set", params, action.Build{})
			input := actiontest.Input(t, "a.md", in, nil)
			input.Host.Docs = c.docs
			input.Host.Clock = func() time.Time { return time.Date(2024, 3, 9, 14, 5, 7, 0, time.UTC) }
			if got, _ := actiontest.Run(t, a, input); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
	// Text that is not of the property's type stays text.
	for typ, v := range map[string]string{"date": "soon", "number": "NaN", "checkbox": "yes"} {
		if got := typed(v, typ); got != v {
			t.Errorf("typed(%q, %s) = %#v, want the text", v, typ, got)
		}
	}
}
