package plugin_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/plugin"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Every invalid manifest under testdata/manifests reports every problem
// with file:line:column, field path and a hint, as the configuration does;
// the golden files hold the exact text.
func TestManifestErrorsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/manifests/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = plugin.ParseManifest(filepath.Base(f), t.TempDir(), data)
			var ce config.Errors
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want config.Errors", err)
			}
			got := ce.Error() + "\n"
			for _, e := range ce {
				if e.Line == 0 {
					t.Errorf("no position: %v", e)
				}
			}
			golden := f + ".golden"
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, _ := os.ReadFile(golden)
			if got != string(want) {
				t.Errorf("errors differ from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestManifestValid(t *testing.T) {
	m, err := plugin.ParseManifest("m.yaml", "/x", []byte(`name: wordcount
version: 1.0.0
protocol: 1
runtime: process
command: [python3, main.py]
sha256: "`+strings.Repeat("AB", 32)+`"
concurrency: 4
instances: 2
actions:
  - name: stamp
    description: Count words
    params: { type: object, properties: { field: { type: string } }, additionalProperties: false }
    permissions: [read, write]
    timeout: 5s
  - name: report
`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "wordcount" || m.Concurrency != 4 || m.Instances != 2 || m.SHA256 != strings.Repeat("ab", 32) || len(m.Actions) != 2 {
		t.Fatalf("manifest %+v", m)
	}
	a := m.Actions[0]
	if !a.Can(plugin.PermRead) || !a.Can(plugin.PermWrite) || a.Timeout.String() != "5s" || !strings.Contains(string(a.Params), `"field"`) {
		t.Fatalf("action %+v", a)
	}
	if b := m.Actions[1]; b.Can(plugin.PermRead) || b.Can(plugin.PermWrite) || string(b.Params) != "{}" {
		t.Fatalf("an action without permissions or params: %+v", b)
	}
}

// FuzzManifest: no input makes ParseManifest panic, and every error it
// reports has a position.
func FuzzManifest(f *testing.F) {
	files, _ := filepath.Glob("testdata/manifests/*.yaml")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := plugin.ParseManifest("m.yaml", "/x", data)
		var ce config.Errors
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("err %T %v", err, err)
		}
		for _, e := range ce {
			if e.Line < 1 {
				t.Fatalf("no position: %v", e)
			}
		}
	})
}
