package daemon_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/poll"
)

// GET /api/v1/explain answers for a file with the daemon's rules and its
// journal, needs the token (it runs the rules), and writes nothing.
func TestExplainAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Rules: todoRule + `  - id: draft
    when: 'fm.status == "draft"'
    actions:
      - frontmatter.set: { reviewed: "no" }
`, Listen: freePort(t)}, nil)
	r := e.start()
	e.write("notes/a.md", "TODO: one\n")
	poll.Until(t, 10*time.Second, "notes/a.md rewritten", func() bool { return e.read("notes/a.md") == "- [ ] one\n" })
	poll.Until(t, 10*time.Second, "the journal entry", func() bool { return len(r.history(e.path("notes/a.md"))) == 1 })
	e.write("notes/a.md", "- [ ] one\nTODO: two\n")
	// The daemon's own rewrite first (a sync sentinel may overtake it on
	// the other worker), so that a change seen after explain is explain's.
	poll.Until(t, 10*time.Second, "notes/a.md rewritten again", func() bool { return e.read("notes/a.md") == "- [ ] one\n- [ ] two\n" })
	r.sync()
	before := e.read("notes/a.md")

	var ex engine.Explanation
	for _, p := range []string{e.path("notes/a.md"), "notes/a.md"} {
		r.get("/api/v1/explain?"+url.Values{"path": {p}}.Encode(), &ex)
		if ex.Path != "notes/a.md" || len(ex.Rules) != 2 || ex.Rules[1].Outcome != engine.OutcomeConditionFalse ||
			len(ex.History) == 0 || ex.History[0].Rule != "todo" || ex.AssumedOrigin != "user" ||
			ex.Git != nil { // outside a git work tree, as `scribe explain` says
			t.Fatalf("explain %s = %+v", p, ex)
		}
	}
	if got := e.read("notes/a.md"); got != before {
		t.Errorf("explain changed the file: %q, was %q", got, before)
	}
	for q, want := range map[string]int{
		"path=" + url.QueryEscape(e.path("notes/none.md")): http.StatusNotFound,
		"path=" + url.QueryEscape(e.path("notes")):         http.StatusBadRequest,
		"path=notes/a.md&origin=git":                       http.StatusBadRequest,
		"path=" + url.QueryEscape(t.TempDir()+"/x.md"):     http.StatusNotFound,
		"": http.StatusBadRequest,
	} {
		if code := r.getStatus("/api/v1/explain?" + q); code != want {
			t.Errorf("explain?%s = %d, want %d", q, code, want)
		}
	}
	// A read, but one that runs the rules: no token, no answer.
	resp, err := r.raw.Get(r.base + "/api/v1/explain?path=notes/a.md")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("explain without the token = %d, want 401", resp.StatusCode)
	}
}
