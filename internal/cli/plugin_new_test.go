package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the module's root, for the scaffolded Go plugins' replace
// directive (the SDK is this module's plugin package).
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// goBuild builds the scaffolded Go plugin in dir against this checkout of
// the SDK, offline.
func goBuild(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "require github.com/scribe-md/scribe v0.0.0\nreplace github.com/scribe-md/scribe => %s\n", repoRoot(t))
	f.Close()
	// The SDK's dependencies are checked against this module's go.sum: with
	// no proxy, the go command could not ask the checksum database.
	sum, err := os.ReadFile(filepath.Join(repoRoot(t), "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, a := range [][]string{{"test", "."}, append([]string{"build"}, args...)} {
		cmd := exec.Command("go", a...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
		if i == 1 {
			cmd.Env = append(cmd.Env, env...) // the test runs on the host
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(a, " "), err, out)
		}
	}
}

// `scribe plugin new` scaffolds a plugin of each kind that builds, passes
// its own test, loads, and runs in `scribe check`, as the next steps it
// prints say.
func TestPluginNewScaffoldsWorkingPlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	python, pyErr := exec.LookPath("python3")
	node, nodeErr := exec.LookPath("node")
	for _, tc := range []struct{ runtime, lang string }{{"process", "python"}, {"process", "node"}, {"process", "go"}, {"wasm", "go"}} {
		t.Run(tc.runtime+"-"+tc.lang, func(t *testing.T) {
			if tc.lang == "python" && pyErr != nil {
				t.Skip("no python3")
			}
			if tc.lang == "node" && nodeErr != nil {
				t.Skip("no node")
			}
			dir := t.TempDir()
			t.Chdir(dir)
			code, out, errs := scribe(t, "plugin", "new", "demo", "--runtime", tc.runtime, "--lang", tc.lang)
			if code != 0 || !strings.Contains(out, "plugins: [plugins/demo]") {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			pdir := filepath.Join(dir, "plugins", "demo")
			security := ""
			switch {
			case tc.runtime == "wasm":
				goBuild(t, pdir, []string{"GOOS=wasip1", "GOARCH=wasm"}, "-buildmode=c-shared", "-o", "demo.wasm", ".")
			case tc.lang == "go":
				goBuild(t, pdir, nil, "-o", "demo", ".")
				security = fmt.Sprintf("security:\n  commands: [{name: demo, path: %s}]\n", filepath.Join(pdir, "demo"))
			case tc.lang == "node":
				security = fmt.Sprintf("security:\n  commands: [{name: node, path: %s}]\n", node)
			default:
				security = fmt.Sprintf("security:\n  commands: [{name: python3, path: %s}]\n", python)
			}
			writeFiles(t, dir, map[string]string{
				"scribe.yaml": "plugins: [plugins/demo]\n" + security + "rules:\n  - id: count\n    files: \"*.md\"\n    actions: [{demo.count: {}}]\n",
				"note.md":     "three little words\n",
			})
			if code, out, errs := scribe(t, "plugins"); code != 0 || !strings.Contains(out, "demo.count") {
				t.Fatalf("scribe plugins: exit %d\n%s%s", code, out, errs)
			}
			code, out, errs = scribe(t, "check")
			if code != 1 || !strings.Contains(out, "3 words, fewer than 100") {
				t.Fatalf("scribe check: exit %d, want 1 with the plugin's finding\n%s%s", code, out, errs)
			}
		})
	}
}

func TestPluginNewRefusesBadInput(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"plugin", "new", "Bad Name"},
		{"plugin", "new", "x", "--runtime", "jvm"},
		{"plugin", "new", "x", "--lang", "rust"},
		{"plugin", "new", "x", "--runtime", "wasm", "--lang", "python"},
		{"plugin", "new", "x", "--runtime", "wasm", "--lang", "node"},
	} {
		if code, _, errs := scribe(t, args...); code != 2 || errs == "" {
			t.Errorf("%q: exit %d, %q", args, code, errs)
		}
	}
	scribe(t, "plugin", "new", "x")
	if code, _, errs := scribe(t, "plugin", "new", "x"); code != 2 || !strings.Contains(errs, "already exists") {
		t.Errorf("second scaffold over the first: exit %d, %q", code, errs)
	}
}
