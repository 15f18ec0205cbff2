package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/daemon"
	"github.com/scribe-md/scribe/internal/plugin"
)

// Each rule's line says what it did, even a rule with no name and no
// breaker, whose line was empty; counts of one are singular.
func TestStatusRuleLines(t *testing.T) {
	var out bytes.Buffer
	printStatus(&globals{stdout: &out}, daemon.Status{Ready: true, Uptime: "4s",
		Roots: []daemon.RootStatus{{Dir: "/v", Documents: 1, Watches: 1, Rescans: 1}},
		Rules: []daemon.RuleStatus{
			{ID: "tag-notes", Applied: 1},
			{ID: "links", Name: "Check links", Breaker: "open", Applied: 12, Failed: 5},
		},
		Plugins: []plugin.Status{{Name: "tagger", State: "running", Runtime: "process", Version: "0.1.0", Instances: 1, Calls: 1, Restarts: 2}},
	})
	for _, want := range []string{
		"root /v:         1 document, 1 watch, 1 rescan, 0 overflows\n",
		"rule tag-notes:  applied to 1 file, failed on 0\n",
		"rule links:      Check links; applied to 12 files, failed on 5; breaker open\n",
		"plugin tagger:   running, process 0.1.0, 1 instance, 1 call, 0 failed, 2 restarts\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status:\n%s\nwant the line %q", out.String(), want)
		}
	}
}
