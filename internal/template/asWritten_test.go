package template

import (
	"testing"

	"github.com/scribe-md/scribe/internal/markdown"
)

// TestTimesRenderAsWritten reads front matter times with markdown.Parse and
// renders them: each prints exactly as it was written, whether Parse made a
// time of it (for conditions) or left the string YAML 1.2 reads.
func TestTimesRenderAsWritten(t *testing.T) {
	for _, s := range []string{"2024-05-01", "2024-05-01T10:20:30Z", "2024-05-01T00:00:00Z", "2024-05-01T10:20:30+02:00",
		"2024-05-01T10:20:30.5Z", "2024-05-01T10:20:30.500Z", "2024-05-01 10:20:30", "2024-05-01T10:20:30+00:00", "2024-5-1"} {
		fm, err := markdown.Parse([]byte("---\nd: " + s + "\nl: [" + s + "]\n---\n"))
		if err != nil {
			t.Fatal(err)
		}
		d := PathData("n.md")
		d.FM = fm
		got, err := MustParse("t", "{{ .FM.d }}|{{ index .FM.l 0 }}").Execute(d)
		if err != nil {
			t.Fatal(err)
		}
		if want := s + "|" + s; got != want {
			t.Errorf("%s renders as %q", s, got)
		}
	}
}
