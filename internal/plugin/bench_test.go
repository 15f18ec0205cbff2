package plugin_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/rule"
)

// readtime is the example WebAssembly plugin's action written as a
// built-in, for BenchmarkRun10k's comparison.
func readtime(_ context.Context, in action.Input) (action.Output, error) {
	const startMark, endMark = "<!-- readtime -->", "<!-- /readtime -->"
	content := string(in.Content)
	i, j := strings.Index(content, startMark), strings.Index(content, endMark)
	if i < 0 || j < i {
		return action.Output{}, nil
	}
	words := len(strings.Fields(content[:i])) + len(strings.Fields(content[j+len(endMark):]))
	out := content[:i+len(startMark)] + fmt.Sprintf("%d min read", max(1, (words+199)/200)) + content[j:]
	if out == content {
		return action.Output{}, nil
	}
	return action.Output{Content: []byte(out)}, nil
}

type actionFunc func(context.Context, action.Input) (action.Output, error)

func (f actionFunc) Run(ctx context.Context, in action.Input) (action.Output, error) {
	return f(ctx, in)
}

// BenchmarkRun10k is `scribe run` (engine.Run, 4 workers, writes) over
// 10,000 notes of about 300 words, each with a reading-time region to fill:
// with the action built in, and with the example WebAssembly plugin (a fresh
// instance per note) built as a reactor and as a command module. Each iteration restores the notes
// first (not timed).
func BenchmarkRun10k(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join("..", "..", "examples", "plugins", "wasm-readtime")
	manifest, err := os.ReadFile(filepath.Join(src, plugin.ManifestName))
	if err != nil {
		b.Fatal(err)
	}
	// The example built both ways: as a reactor (its go:generate line) and
	// as a command module.
	for kind, flags := range map[string][]string{"wasm-reactor": {"-buildmode=c-shared"}, "wasm-command": nil} {
		pdir := filepath.Join(dir, "plugins", kind)
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(pdir, plugin.ManifestName), manifest, 0o644)
		abs, _ := filepath.Abs(filepath.Join(pdir, "readtime.wasm"))
		cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", abs, ".")...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("build: %v\n%s", err, out)
		}
	}
	const n = 10000
	note := "---\ntitle: Note\n---\n# Note\n\n<!-- readtime -->?<!-- /readtime -->\n\n" + strings.Repeat("lorem ipsum dolor sit amet ", 60) + "\n"
	vault := filepath.Join(dir, "vault")
	reset := func() {
		for i := range n {
			p := filepath.Join(vault, fmt.Sprintf("d%02d", i%100), fmt.Sprintf("n%05d.md", i))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(note), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	reset()

	for _, kind := range []string{"builtin", "wasm-reactor", "wasm-command"} {
		b.Run(kind, func(b *testing.B) {
			act, plugins := "readtime.stamp: {}", "plugins/"+kind
			if kind == "builtin" {
				plugins = "plugins/wasm-reactor" // loaded, not used
				action.Register(action.Spec{Name: "bench.readtime", New: func(any, action.Build) (action.Action, error) { return actionFunc(readtime), nil }})
				defer action.Unregister("bench.readtime")
				act = "bench.readtime: {}"
			}
			conf := fmt.Sprintf("roots: [vault]\nengine: {workers: 4, state_dir: state}\nplugins: [%s]\nrules:\n  - id: readtime\n    match: \"<!-- readtime -->\"\n    actions: [{%s}]\n", plugins, act)
			cfgPath := filepath.Join(dir, "scribe.yaml")
			os.WriteFile(cfgPath, []byte(conf), 0o644)
			cfg, err := config.Load(cfgPath)
			if err != nil {
				b.Fatal(err)
			}
			set, err := plugin.Load(cfg, plugin.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer set.Close(context.Background())
			if err := set.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			rs, err := rule.Compile(cfg, action.Build{Timeout: 10 * time.Second, Plugins: set.Specs()})
			if err != nil {
				b.Fatal(err)
			}
			root, err := engine.OpenRoot(vault, rs.Globs(cfg.Include), nil, "")
			if err != nil {
				b.Fatal(err)
			}
			defer root.Close()
			for b.Loop() {
				b.StopTimer()
				reset()
				b.StartTimer()
				rep, err := engine.New(rs, engine.Options{Workers: 4}).Run(context.Background(), []engine.Target{{Root: root}}, nil)
				if err != nil {
					b.Fatal(err)
				}
				written := 0
				for _, r := range rep.Results {
					if r.Failed() {
						b.Fatalf("%s: %s", r.Path, r.Error)
					}
					if r.Written {
						written++
					}
				}
				if written != n {
					b.Fatalf("%d notes written, want %d", written, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "notes/s")
		})
	}
}
