package frontmatter

import (
	"testing"

	"github.com/scribe-md/scribe/internal/markdown"
)

// TestTimesAsWrittenInValidation checks that the instance
// frontmatter.validate checks holds front matter times as they were written
// (as the catalog's JSON does, in package index).
func TestTimesAsWrittenInValidation(t *testing.T) {
	for _, s := range []string{"2024-05-01", "2024-05-01T10:20:30Z", "2024-05-01T00:00:00Z", "2024-05-01T10:20:30+02:00",
		"2024-05-01T10:20:30.500Z", "2024-05-01 10:20:30", "2024-05-01T10:20:30+00:00"} {
		fm, err := markdown.Parse([]byte("---\nd: " + s + "\n---\n"))
		if err != nil {
			t.Fatal(err)
		}
		inst, err := (&validateAction{}).instance(fm)
		if err != nil {
			t.Fatal(err)
		}
		if got := inst.(map[string]any)["d"]; got != s {
			t.Errorf("validate: %s is %#v", s, got)
		}
	}
}
