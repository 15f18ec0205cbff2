package index

import (
	"testing"

	"github.com/scribe-md/scribe/internal/markdown"
)

// TestTimesAsWrittenInCatalog checks that the catalog's JSON holds front
// matter times as they were written (as frontmatter.validate's instance
// does, in package frontmatter).
func TestTimesAsWrittenInCatalog(t *testing.T) {
	for _, s := range []string{"2024-05-01", "2024-05-01T10:20:30Z", "2024-05-01T00:00:00Z", "2024-05-01T10:20:30+02:00",
		"2024-05-01T10:20:30.500Z", "2024-05-01 10:20:30", "2024-05-01T10:20:30+00:00"} {
		fm, err := markdown.Parse([]byte("---\nd: " + s + "\n---\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonValue(fm["d"]); got != s {
			t.Errorf("catalog: %s is %#v", s, got)
		}
	}
}
