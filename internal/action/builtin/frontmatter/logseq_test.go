package frontmatter

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

// TestFrontmatterLogseqProperties: in a Logseq graph a page's front matter
// is its "key:: value" property lines; set and delete edit them, and a page
// without any gets them at its top. A YAML block stays YAML; outside a
// Logseq graph nothing changes.
func TestFrontmatterLogseqProperties(t *testing.T) {
	graph := &mapDocs{fstest.MapFS{"logseq/config.edn": {Data: []byte("{:meta/version 1}")}}}
	plain := &mapDocs{fstest.MapFS{}}
	set := `{status: done, updated: '{{ now | date "2006-01-02" }}'}`
	for _, c := range []struct {
		name, action, params string
		docs                 action.Docs
		in, want             string
	}{
		{"set in a page's properties", "frontmatter.set", set, graph,
			"alias:: Plans\nstatus:: todo\n\n- first block\n", "alias:: Plans\nstatus:: done\nupdated:: 2024-03-09\n\n- first block\n"},
		{"set in a page without properties", "frontmatter.set", set, graph,
			"- first block\n", "status:: done\nupdated:: 2024-03-09\n\n- first block\n"},
		{"set in a page with YAML front matter", "frontmatter.set", set, graph,
			"---\ntitle: x\n---\n- b\n", "---\ntitle: x\nstatus: done\nupdated: \"2024-03-09\"\n---\n- b\n"},
		{"set outside a Logseq graph", "frontmatter.set", set, plain,
			"status:: todo\n", "---\nstatus: done\nupdated: \"2024-03-09\"\n---\nstatus:: todo\n"},
		{"delete", "frontmatter.delete", "[status]", graph,
			"status:: todo\nalias:: A\n\n- b\n", "alias:: A\n\n- b\n"},
		{"delete outside a Logseq graph", "frontmatter.delete", "[status]", plain,
			"status:: todo\n", "status:: todo\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := actiontest.Must(t, c.action, c.params, action.Build{})
			input := actiontest.Input(t, "pages/a.md", c.in, nil)
			input.Host.Docs = c.docs
			input.Host.Clock = func() time.Time { return time.Date(2024, 3, 9, 14, 5, 7, 0, time.UTC) }
			if got, _ := actiontest.Run(t, a, input); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}
