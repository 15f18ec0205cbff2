package exec

import (
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
)

// FuzzExecFindings feeds arbitrary command output to the findings parser: it
// never panics, never returns more than the cap, and every finding is about
// the processed file with a positive line.
func FuzzExecFindings(f *testing.F) {
	for _, s := range []string{
		"a.md:3:5: warning: x\n",
		"a.md:7: error: y\r\nnoise\n",
		"::::\n:1:\n:1:2:\n",
		"C:\\x\\y.md:1:2: z",
		"\xff\xfe:1:1: \xff",
		strings.Repeat("f:1: x\n", maxFindings+3),
	} {
		f.Add([]byte(s))
	}
	a := &execAction{name: "lint", findings: true, severity: action.SeverityError}
	in := action.Input{Path: "doc.md", Rule: "r"}
	f.Fuzz(func(t *testing.T, out []byte) {
		fs := a.parseFindings(in, out, maxFindings)
		if len(fs) > maxFindings {
			t.Fatalf("%d findings, cap %d", len(fs), maxFindings)
		}
		for _, x := range fs {
			if x.Path != "doc.md" || x.Line < 0 || x.Column < 0 || x.Action != "exec" {
				t.Fatalf("bad finding %+v", x)
			}
			switch x.Severity {
			case action.SeverityError, action.SeverityWarning, action.SeverityInfo:
			default:
				t.Fatalf("bad severity %q", x.Severity)
			}
		}
	})
}
