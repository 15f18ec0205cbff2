package wasm_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// Modules built once for the package's tests with the Go toolchain
// (nothing is downloaded), and the compilation cache they share.
var (
	buildDir string
	cacheDir string
	modules  = map[string][]byte{}
)

func TestMain(m *testing.M) {
	code := func() int {
		var err error
		buildDir, err = os.MkdirTemp("", "scribe-wasm-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(buildDir)
		cacheDir = filepath.Join(buildDir, "cache")
		for name, args := range map[string][]string{
			"readtime":         {"../../../examples/plugins/wasm-readtime"},
			"readtime-reactor": {"-buildmode=c-shared", "../../../examples/plugins/wasm-readtime"},
			"hostile":          {"./testdata/hostile"},
			"hostile-reactor":  {"-buildmode=c-shared", "./testdata/hostile"},
			"protocol2":        {"-ldflags=-X main.protocol=2", "./testdata/hostile"},
			"noread":           {"-ldflags=-X main.noread=1", "./testdata/hostile"},
		} {
			out := filepath.Join(buildDir, name+".wasm")
			cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
			if b, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", name, err, b)
				return 1
			}
			modules[name], err = os.ReadFile(out)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
