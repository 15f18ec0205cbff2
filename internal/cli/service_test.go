package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/cli"
	"github.com/scribe-md/scribe/internal/service"
)

// noManager makes `systemctl --user` unreachable for the test, whatever the
// machine has: systemctl is not on PATH.
func noManager(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
}

func TestServiceInstallUninstall(t *testing.T) {
	dir := vault(t)
	cfg := filepath.Join(dir, "scribe.yaml")
	units := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", units)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ = filepath.EvalSymlinks(exe)
	name := service.NameFor(dir)
	unitPath := filepath.Join(units, "systemd", "user", name+".service")

	// --print writes nothing.
	code, out, errOut := scribe(t, "service", "install", "--print", "--binary", exe, "-c", cfg, "--read-write", filepath.Join(dir, "cache"))
	if code != 0 {
		t.Fatalf("install --print: %d %s", code, errOut)
	}
	for _, want := range []string{
		"ExecStart=\"" + exe + "\" watch -c \"" + cfg + "\"",
		"ReadWritePaths=\"" + dir + "\"\n", // the root holds the state dir and the extra path
		"X-Scribe-Config=" + cfg,
		"Type=notify",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("unit lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(unitPath); err == nil {
		t.Fatal("--print wrote the unit")
	}

	// Without a user manager: the unit is written, the commands printed,
	// and the exit code says the service is not running.
	exePath := os.Getenv("PATH")
	noManager(t)
	code, out, _ = scribe(t, "service", "install", "--binary", exe, "-c", cfg)
	if code != cli.ExitProblems || !strings.Contains(out, "wrote "+unitPath) || !strings.Contains(out, "systemctl --user enable "+name+".service") || !strings.Contains(out, "no systemd user manager") {
		t.Fatalf("install without a manager: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".scribe", ".gitignore")); err != nil {
		t.Errorf("the state dir (a ReadWritePaths entry) was not created: %v", err)
	}
	code, out, _ = scribe(t, "service", "install", "--no-start", "--binary", exe, "-c", cfg)
	if code != 0 || !strings.Contains(out, "is up to date") {
		t.Fatalf("install --no-start again: exit %d\n%s", code, out)
	}
	t.Setenv("PATH", exePath)
	if err := service.Verify(t.Context(), unitPath); err != nil && err != service.ErrNoAnalyzer {
		t.Errorf("the installed unit does not verify: %v", err)
	} else if err == service.ErrNoAnalyzer && os.Getenv("SCRIBE_REQUIRE_SYSTEMD_ANALYZE") == "1" {
		t.Error("systemd-analyze is required here")
	}
	noManager(t)

	// Another vault may not take the name silently.
	other := vault(t)
	code, _, errOut = scribe(t, "service", "install", "--no-start", "--name", name, "--binary", exe, "-c", filepath.Join(other, "scribe.yaml"))
	if code != cli.ExitUsage || !strings.Contains(errOut, "--force") || !strings.Contains(errOut, cfg) {
		t.Fatalf("install over another config's unit: exit %d %s", code, errOut)
	}

	// status: installed, no manager, no daemon: exit 1 with both said.
	code, out, _ = scribe(t, "service", "status", "-c", cfg)
	if code != cli.ExitProblems || !strings.Contains(out, "runs "+cfg) || !strings.Contains(out, "daemon unreachable") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}

	code, out, _ = scribe(t, "service", "uninstall", "-c", cfg)
	if code != 0 || !strings.Contains(out, "removed "+unitPath) {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(unitPath); err == nil {
		t.Fatal("uninstall left the unit")
	}
	code, out, _ = scribe(t, "service", "status", "-c", cfg)
	if code != cli.ExitProblems || !strings.Contains(out, "not installed") {
		t.Fatalf("status after uninstall: exit %d\n%s", code, out)
	}
	if code, out, _ = scribe(t, "service", "uninstall", "-c", cfg); code != 0 || !strings.Contains(out, "not installed") {
		t.Fatalf("second uninstall: exit %d\n%s", code, out)
	}
}

func TestServiceInstallRefusesBrokenConfig(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"scribe.yaml": "version: 1\nrules:\n  - id: x\n    actions: [ { nope: {} } ]\n"})
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	code, _, errOut := scribe(t, "service", "install", "--no-start", "--binary", "/bin/sh", "-c", filepath.Join(dir, "scribe.yaml"))
	if code != cli.ExitUsage || !strings.Contains(errOut, "scribe.yaml:4") {
		t.Fatalf("broken config installed: exit %d %s", code, errOut)
	}
}

func TestServiceLaunchdPrint(t *testing.T) {
	py, err := exec.LookPath("python3")
	dir := vault(t)
	cfg := filepath.Join(dir, "scribe.yaml")
	code, out, errOut := scribe(t, "service", "install", "--launchd", "--print", "--binary", "/bin/sh", "-c", cfg)
	if code != 0 || !strings.Contains(out, "<string>md.scribe."+service.NameFor(dir)+"</string>") {
		t.Fatalf("launchd --print: exit %d %s\n%s", code, errOut, out)
	}
	if err != nil {
		return
	}
	cmd := exec.Command(py, "-c", "import plistlib,sys; print(plistlib.loads(sys.stdin.buffer.read())['ProgramArguments'][3])")
	cmd.Stdin = strings.NewReader(out)
	got, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != cfg {
		t.Fatalf("plistlib: %v %s", err, got)
	}
}

func TestServiceLaunchdInstall(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := vault(t)
	cfg := filepath.Join(dir, "scribe.yaml")
	code, out, errOut := scribe(t, "service", "install", "--launchd", "--binary", "/bin/sh", "-c", cfg)
	plist := filepath.Join(home, "Library", "LaunchAgents", "md.scribe."+service.NameFor(dir)+".plist")
	if code != 0 || !strings.Contains(out, "wrote "+plist) || !strings.Contains(out, "launchctl bootstrap") {
		t.Fatalf("launchd install: exit %d %s\n%s", code, errOut, out)
	}
	other := vault(t)
	if code, _, errOut := scribe(t, "service", "install", "--launchd", "--name", service.NameFor(dir), "--binary", "/bin/sh", "-c", filepath.Join(other, "scribe.yaml")); code != cli.ExitUsage || !strings.Contains(errOut, "--force") {
		t.Fatalf("launchd install over another config: exit %d %s", code, errOut)
	}
	if code, out, _ := scribe(t, "service", "uninstall", "--launchd", "-c", cfg); code != 0 || !strings.Contains(out, "removed "+plist) {
		t.Fatalf("launchd uninstall: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(plist); err == nil {
		t.Fatal("plist left")
	}
}
