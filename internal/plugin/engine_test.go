package plugin_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/scribe-md/scribe/internal/action/builtin" // replace, for the rule beside the plugins
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/plugin/plugintest"
)

// In a real run, a plugin that hangs or crashes fails only the files its
// rule runs on: those are not written, the error says why, and every other
// rule and file is processed as usual. Afterwards no plugin process is left
// (TestMain also checks goroutines and /proc).
func TestMisbehavingPluginsFailOnlyTheirFiles(t *testing.T) {
	f := newFixture(t)
	f.plugin("good", helperManifest("good", plugintest.Good, allActions))
	f.plugin("hang", helperManifest("hang", plugintest.Hang, allActions))
	f.plugin("crash", helperManifest("crash", plugintest.CrashThird, allActions))
	rules := `  - id: builtin
    match: "(?m)^todo: (.*)$"
    actions: [{replace: {with: "- [ ] $1"}}]
  - id: upper
    files: "up/*.md"
    actions: [{good.upper: {}}]
  - id: hang
    files: "hang.md"
    actions: [{hang.echo: {}, timeout: 300ms}]
  - id: crash
    files: "crash/*.md"
    actions: [{crash.echo: {}}]
`
	cfg, set, rs, err := f.load([]string{"plugins/good", "plugins/hang", "plugins/crash"}, rules)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(f.dir, "vault")
	files := map[string]string{
		"up/a.md": "todo: shout\n", "up/b.md": "quiet\n", "hang.md": "todo: x\n",
		"crash/1.md": "one\n", "crash/2.md": "two\n", "crash/3.md": "three\n", "crash/4.md": "four\n", "crash/5.md": "five\n",
	}
	for p, c := range files {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(c), 0o644)
	}
	r, err := engine.OpenRoot(root, rs.Globs(cfg.Include), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := set.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// One file's actions at a time, so that the crashing plugin's third
	// request is one file (which one depends on the order the run reaches
	// them).
	rep, err := engine.New(rs, engine.Options{Workers: 1}).Run(context.Background(), []engine.Target{{Root: r}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) string { b, _ := os.ReadFile(filepath.Join(root, p)); return string(b) }
	if got := read("up/a.md"); got != "- [ ] SHOUT\n" {
		t.Errorf("up/a.md = %q; the good plugin and the built-in both apply", got)
	}
	if got := read("hang.md"); got != "- [ ] x\n" {
		t.Errorf("hang.md = %q; the failed rule fails alone, the built-in one still applies", got)
	}
	failed, crashed := map[string]string{}, ""
	for _, res := range rep.Results {
		if err := res.Err(); err != nil {
			failed[res.Path] = err.Error()
			if strings.HasPrefix(res.Path, "crash/") {
				crashed = res.Path
			}
		}
	}
	if len(failed) != 2 || !strings.Contains(failed["hang.md"], "no reply before the deadline") || !strings.Contains(failed[crashed], "panic: third request") {
		t.Fatalf("failures %q; want hang.md (deadline) and one crash/ file (the crash) only", failed)
	}
	// An instance killed at its deadline, or crashed, is counted once its
	// process has ended, which the call that failed does not wait for.
	var st []plugin.Status
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st = set.Status()
		ended := 0
		for _, s := range st {
			if (s.Name == "hang" || s.Name == "crash") && s.Restarts > 0 {
				ended++
			}
		}
		if ended == 2 || time.Now().After(deadline) {
			break
		}
	}
	for _, s := range st {
		switch s.Name {
		case "hang", "crash":
			if s.Restarts != 1 || s.Failures != 1 {
				t.Errorf("%s: %+v; want 1 restart, 1 failure", s.Name, s)
			}
		case "good":
			if s.Calls != 2 || s.Failures != 0 || s.State != "running" {
				t.Errorf("good: %+v", s)
			}
		}
	}
}
