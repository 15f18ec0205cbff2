package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/doc/help"
	"github.com/scribe-md/scribe/internal/cli"
)

func TestHelpTopics(t *testing.T) {
	for _, tp := range help.Topics() {
		code, out, errOut := scribe(t, "help", tp.Name)
		if code != 0 || !strings.HasPrefix(out, tp.Text) {
			t.Errorf("scribe help %s: exit %d %s\n%.200s", tp.Name, code, errOut, out)
		}
	}
	if _, out, _ := scribe(t, "help", "conditions"); !strings.Contains(out, `origin == "user"`) {
		t.Errorf("help conditions does not explain origin:\n%s", out)
	}
	if _, out, _ := scribe(t, "--help"); !strings.Contains(out, "Help topics (scribe help TOPIC):") || !strings.Contains(out, "exit-codes") {
		t.Errorf("root help does not list the topics:\n%s", out)
	}
	if _, out, _ := scribe(t, "run", "--help"); strings.Contains(out, "Help topics") {
		t.Errorf("a command's help lists the topics:\n%s", out)
	}
	if code, out, _ := scribe(t, "help", "doctor"); code != 0 || !strings.Contains(out, "scribe doctor [flags]") {
		t.Errorf("help for a command: exit %d\n%s", code, out)
	}
	if code, _, errOut := scribe(t, "help", "nope"); code != cli.ExitUsage || !strings.Contains(errOut, "topics: config") {
		t.Errorf("unknown topic: exit %d %s", code, errOut)
	}
}

// Every command has its exit codes in `scribe help exit-codes`: a new
// command must say what its exit codes mean.
func TestExitCodesTopicCoversEveryCommand(t *testing.T) {
	tp, _ := help.Find("exit-codes")
	root := cli.CommandTree()
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if !strings.Contains(tp.Text, " "+c.Name()) {
			t.Errorf("doc/help/exit-codes.md does not mention `scribe %s`; add its exit codes there", c.Name())
		}
	}
}

// The man pages: one per command and subcommand, one per help topic, and
// groff reads each without a warning.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := scribe(t, "man", dir)
	if code != 0 || !strings.Contains(out, "man pages") {
		t.Fatalf("scribe man: %d %s %s", code, out, errOut)
	}
	for _, page := range []string{"scribe.1", "scribe-run.1", "scribe-service-install.1", "scribe-doctor.1", "scribe-config-validate.1"} {
		if _, err := os.Stat(filepath.Join(dir, page)); err != nil {
			t.Errorf("no %s: %v", page, err)
		}
	}
	for _, tp := range help.Topics() {
		if _, err := os.Stat(filepath.Join(dir, "scribe-"+tp.Name+".7")); err != nil {
			t.Errorf("no page for topic %s: %v", tp.Name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "scribe-man.1")); err == nil {
		t.Error("the hidden man command has a page")
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff not installed: pages not rendered")
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "*.[17]"))
	for _, p := range pages {
		cmd := exec.Command(groff, "-k", "-man", "-Tutf8", "-ww", "-z", p)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("groff on %s: %v\n%s", filepath.Base(p), err, out)
		}
	}
}

// `scribe status` where no configuration is found is a usage error (2), like
// every command without one; 3 means a daemon that the configuration names
// does not answer.
func TestStatusWithoutConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, errOut := scribe(t, "status")
	if code != cli.ExitUsage || !strings.Contains(errOut, "scribe init") {
		t.Fatalf("status without a configuration: exit %d %s", code, errOut)
	}
}
