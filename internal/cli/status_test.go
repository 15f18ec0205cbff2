package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/daemon"
)

// Each rule's line says what it did, even a rule with no name and no
// breaker, whose line was empty.
func TestStatusRuleLines(t *testing.T) {
	var out bytes.Buffer
	printStatus(&globals{stdout: &out}, daemon.Status{Ready: true, Uptime: "4s", Rules: []daemon.RuleStatus{
		{ID: "tag-notes", Applied: 1},
		{ID: "links", Name: "Check links", Breaker: "open", Applied: 12, Failed: 5},
	}})
	for _, want := range []string{
		"rule tag-notes:  applied to 1 file, failed on 0\n",
		"rule links:      Check links; applied to 12 files, failed on 5; breaker open\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status:\n%s\nwant the line %q", out.String(), want)
		}
	}
}
