package daemon_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"testing"
)

// nulls returns the paths of the null values in a JSON document. The
// outputs scanned below hold no user data that could be null, so any null
// is a list or an object that should have been empty.
func nulls(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var out []string
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case nil:
			out = append(out, path)
		case map[string]any:
			for k, e := range x {
				walk(e, path+"."+k)
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(v, "$")
	sort.Strings(out)
	return out
}

// Every JSON output of the API and of the CLI's --format json writes an
// empty list as [], never null: status of a daemon with no rules, no dead
// letters and nothing quarantined, history with no writes (through the
// daemon and from the journal directly), run and check on an empty vault,
// plugins.
func TestJSONHasNoNullLists(t *testing.T) {
	t.Parallel()
	e := newEnv(t, conf{Listen: freePort(t)}, nil)
	r := e.start()
	outputs := map[string][]byte{}
	get := func(path string) []byte {
		t.Helper()
		resp, err := r.client.Get(r.base + path)
		must(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		must(t, err)
		return b
	}
	outputs["GET /api/v1/status"] = get("/api/v1/status")
	outputs["GET /api/v1/history"] = get("/api/v1/history")
	outputs["GET /api/v1/history?path="] = get("/api/v1/history?" + url.Values{"path": {e.path("none.md")}}.Encode())
	cli := func(args ...string) []byte {
		t.Helper()
		code, out, errOut := scribe(t, append(args, "--format", "json", "-c", e.cfgPath)...)
		if code != 0 {
			t.Fatalf("scribe %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return []byte(out)
	}
	outputs["scribe status"] = cli("status")
	outputs["scribe history (daemon)"] = cli("history")
	must(t, r.stop())
	outputs["scribe history (journal)"] = cli("history")
	outputs["scribe history FILE (journal)"] = cli("history", e.path("none.md"))
	outputs["scribe run"] = cli("run")
	outputs["scribe check"] = cli("check")
	outputs["scribe plugins"] = cli("plugins")

	var st struct {
		Rules []any `json:"rules"`
	}
	must(t, json.Unmarshal(outputs["GET /api/v1/status"], &st))
	if st.Rules == nil || len(st.Rules) != 0 {
		t.Errorf("status rules = %v, want [] (a daemon without rules)", st.Rules)
	}
	for name, doc := range outputs {
		if n := nulls(t, doc); len(n) > 0 {
			t.Errorf("%s: null at %v in\n%s", name, n, doc)
		}
	}
}
