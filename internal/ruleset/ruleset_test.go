package ruleset_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	_ "github.com/scribe-md/scribe/internal/action/builtin" // the built-in actions
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/ruleset"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func load(t *testing.T, yaml string) (*ruleset.Set, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "scribe.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadAll(file)
	var errs config.Errors
	if cfg == nil || err != nil && !errors.As(err, &errs) {
		t.Fatalf("load: %v", err)
	}
	return ruleset.Load(cfg, errs, ruleset.Options{})
}

func TestLoadCompilesRulesWithTheConfigsCommands(t *testing.T) {
	set, err := load(t, `security:
  commands:
    - {name: sh, path: /bin/sh}
rules:
  - id: stamp
    actions:
      - frontmatter.set: {stamped: "yes"}
      - exec: {command: [sh, -c, cat], filter: true, files: false}
`)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close(context.Background())
	if len(set.Rules.Rules) != 1 || set.Rules.Rules[0].ID != "stamp" {
		t.Fatalf("set %+v; want rule stamp", set)
	}
	cmds := ruleset.Commands(set.Config)
	if len(cmds) != 1 || !strings.HasSuffix(cmds["sh"], "sh") {
		t.Fatalf("commands %v; want sh resolved", cmds)
	}
	if b := ruleset.Build(set.Config); b.ConfigDir != set.Config.Dir || b.Shared == nil || b.Timeout <= 0 {
		t.Fatalf("build %+v; want the config's directory, shared state and a timeout", b)
	}
}

// Every stage reports: an error of the configuration itself (a bad
// duration) and one of a rule (a regex that does not compile) come back
// together, with their lines, in file order.
func TestLoadReportsEveryStageTogether(t *testing.T) {
	_, err := load(t, `engine:
  settle: soon
rules:
  - id: bad
    match: "("
    actions:
      - log: {message: hi}
`)
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("err %v; want two config errors", err)
	}
	if errs[0].Line != 2 || errs[1].Line != 5 {
		t.Fatalf("errors at lines %d and %d, want 2 and 5: %v", errs[0].Line, errs[1].Line, err)
	}
}
