package service_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/service"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// requireAnalyzeEnv, set to "1" (CI does), makes a missing systemd-analyze a
// test failure instead of a skip.
const requireAnalyzeEnv = "SCRIBE_REQUIRE_SYSTEMD_ANALYZE"

func goldenSpec() service.Spec {
	return service.Spec{
		Name:      "scribe-notes",
		Binary:    "/home/ada/go/bin/scribe",
		Config:    "/home/ada/notes/scribe.yaml",
		WorkDir:   "/home/ada/notes",
		ReadWrite: []string{"/home/ada/notes", "/home/ada/notes/.scribe"},
	}
}

func TestUnitGolden(t *testing.T) {
	got, err := service.Unit(goldenSpec())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "scribe-notes.service", got)
	if c := service.UnitConfig(got); c != "/home/ada/notes/scribe.yaml" {
		t.Errorf("UnitConfig = %q", c)
	}
	s := goldenSpec()
	s.NoSandbox = true
	got, err = service.Unit(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"ProtectSystem", "ReadWritePaths", "PrivateTmp", "ProtectKernel"} {
		if bytes.Contains(got, []byte(gone)) {
			t.Errorf("--no-sandbox unit still has %s", gone)
		}
	}
	for _, kept := range []string{"NoNewPrivileges=yes", "RestrictSUIDSGID=yes", "WatchdogSec=30s", "Type=notify"} {
		if !bytes.Contains(got, []byte(kept)) {
			t.Errorf("--no-sandbox unit lacks %s", kept)
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is meant):\n%s", name, got)
	}
}

func TestSpecValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*service.Spec)
		want string
	}{
		{"relative binary", func(s *service.Spec) { s.Binary = "scribe" }, "not an absolute path"},
		{"newline in a root", func(s *service.Spec) { s.ReadWrite = append(s.ReadWrite, "/a\nb") }, "control character"},
		{"quote in the binary", func(s *service.Spec) { s.Binary = `/opt/a"b/scribe` }, "quote or a backslash"},
		{"bad name", func(s *service.Spec) { s.Name = "scribe/notes" }, "service name"},
		{"empty name", func(s *service.Spec) { s.Name = "" }, "service name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := goldenSpec()
			tc.edit(&s)
			_, err := service.Unit(s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestNameFor(t *testing.T) {
	for dir, want := range map[string]string{
		"/home/ada/notes":                "scribe-notes",
		"/home/ada/My Vault (2024)":      "scribe-my-vault-2024",
		"/":                              "scribe-default",
		"/srv/Über Notizen":              "scribe-ber-notizen",
		"/x/" + strings.Repeat("ab", 40): "scribe-" + strings.Repeat("ab", 20),
		"/x/--docs--":                    "scribe-docs",
	} {
		if got := service.NameFor(dir); got != want {
			t.Errorf("NameFor(%q) = %q, want %q", dir, got, want)
		}
	}
}

// TestUnitVerifies has systemd itself check a unit whose every path holds
// the characters a unit file treats specially (space, %, $, quote,
// backslash): systemd-analyze verify loads it as the user manager would, and
// checks that ExecStart names an executable, so a quoting mistake fails.
func TestUnitVerifies(t *testing.T) {
	systemdAnalyze(t)
	dir := filepath.Join(t.TempDir(), `my notes %h $HOME "q" \b`)
	// systemd takes no quote or backslash in an executable's path (Validate
	// refuses them); a space, % and $ are fine.
	bin := filepath.Join(filepath.Dir(dir), "bin %i $X", "scribe")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	s := service.Spec{
		Name:      "scribe-verify",
		Binary:    bin,
		Config:    filepath.Join(dir, "scribe.yaml"),
		WorkDir:   dir,
		ReadWrite: []string{dir, filepath.Join(dir, ".scribe")},
	}
	for _, sandbox := range []bool{true, false} {
		s.NoSandbox = !sandbox
		unit, err := service.Unit(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(t, unit); err != nil {
			t.Fatalf("sandbox %v: %v\nunit:\n%s", sandbox, err, unit)
		}
	}
	// An unknown key only makes systemd warn; Verify counts it.
	unit, _ := service.Unit(s)
	if err := verify(t, append(unit, "Frobnicate=yes\n"...)); err == nil || !strings.Contains(err.Error(), "Frobnicate") {
		t.Fatalf("an unknown key passed: %v", err)
	}
	// The control: the same check refuses a unit whose binary is not there,
	// so a silent pass above means something.
	s.Binary = filepath.Join(filepath.Dir(bin), "no such scribe")
	unit, err = service.Unit(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, unit); err == nil || !strings.Contains(err.Error(), "no such scribe") {
		t.Fatalf("systemd-analyze verify accepted a unit whose binary does not exist: %v", err)
	}
}

func systemdAnalyze(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		if os.Getenv(requireAnalyzeEnv) == "1" {
			t.Fatalf("systemd-analyze is required here (%s=1): %v", requireAnalyzeEnv, err)
		}
		t.Skip("systemd-analyze not installed (apt-get install systemd); the unit is checked in CI")
	}
}

func verify(t *testing.T, unit []byte) error {
	t.Helper()
	p := filepath.Join(t.TempDir(), "scribe-verify.service")
	if err := os.WriteFile(p, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	return service.Verify(t.Context(), p)
}

func TestPlist(t *testing.T) {
	s := goldenSpec()
	s.Config = `/Users/ada/notes & <drafts>/scribe.yaml`
	s.WorkDir = `/Users/ada/notes & <drafts>`
	got, err := service.Plist(s, "/Users/ada/Library/Logs/scribe-notes.log")
	if err != nil {
		t.Fatal(err)
	}
	// Well-formed XML, whatever the paths hold.
	dec := xml.NewDecoder(bytes.NewReader(got))
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("plist is not well-formed XML: %v\n%s", err, got)
			}
			break
		}
	}
	// An independent property-list parser reads the values back.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: plist values not checked with plistlib")
	}
	cmd := exec.Command(py, "-c", `import plistlib,sys,json; d=plistlib.loads(sys.stdin.buffer.read()); print(json.dumps([d["Label"], d["ProgramArguments"], d["WorkingDirectory"], d["KeepAlive"], d["RunAtLoad"]]))`)
	cmd.Stdin = bytes.NewReader(got)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("plistlib: %v\n%s", err, out)
	}
	want := `["md.scribe.scribe-notes", ["/home/ada/go/bin/scribe", "watch", "-c", "/Users/ada/notes & <drafts>/scribe.yaml"], "/Users/ada/notes & <drafts>", {"SuccessfulExit": false}, true]`
	if strings.TrimSpace(string(out)) != want {
		t.Fatalf("plistlib read\n%s\nwant\n%s", out, want)
	}
}

func TestWriteUnit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "systemd", "user", "scribe-notes.service")
	unit, _ := service.Unit(goldenSpec())
	if changed, err := service.WriteUnit(p, unit, "/home/ada/notes/scribe.yaml", false); err != nil || !changed {
		t.Fatalf("first write: changed %v, %v", changed, err)
	}
	if changed, err := service.WriteUnit(p, unit, "/home/ada/notes/scribe.yaml", false); err != nil || changed {
		t.Fatalf("same content: changed %v, %v", changed, err)
	}
	other := goldenSpec()
	other.Config = "/home/ada/work/scribe.yaml"
	unit2, _ := service.Unit(other)
	if _, err := service.WriteUnit(p, unit2, other.Config, false); !errors.Is(err, service.ErrOtherConfig) || !strings.Contains(err.Error(), "/home/ada/notes/scribe.yaml") {
		t.Fatalf("unit of another config replaced: %v", err)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, unit) {
		t.Fatal("refused write changed the file")
	}
	if changed, err := service.WriteUnit(p, unit2, other.Config, true); err != nil || !changed {
		t.Fatalf("--force: changed %v, %v", changed, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
}
