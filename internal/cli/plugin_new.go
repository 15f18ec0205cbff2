package cli

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/plugin"
)

//go:embed scaffold/*.tmpl
var scaffoldFS embed.FS

var pluginName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// langNames names the languages a plugin is scaffolded in, by --lang.
var langNames = map[string]string{"go": "Go", "python": "Python", "node": "Node.js"}

func newPluginCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Work with plugins (see `scribe plugins` for the actions they add)",
	}
	var runtime, lang, dir string
	newCmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Scaffold a plugin: a manifest, a program and a test",
		Long: "Scaffold a plugin in plugins/NAME (or --dir): its manifest, scribe-plugin.yaml,\na program serving protocol 1 with one example action, and, in Go, a test.\n\n" +
			"--runtime process: a long-lived program (Go, Python or Node.js).\n--runtime wasm: a Go program built for WASI preview 1 as a reactor module\n(GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared).",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			name := args[0]
			if !pluginName.MatchString(name) {
				return fail(ExitUsage, fmt.Errorf("plugin name %q: use lowercase letters, digits, '_' and '-', starting with a letter", name))
			}
			if runtime != "process" && runtime != "wasm" {
				return fail(ExitUsage, fmt.Errorf("--runtime must be process or wasm, not %q", runtime))
			}
			if langNames[lang] == "" {
				return fail(ExitUsage, fmt.Errorf("--lang must be go, python or node, not %q", lang))
			}
			if runtime == "wasm" && lang != "go" {
				return fail(ExitUsage, fmt.Errorf("WebAssembly plugins are scaffolded in Go (GOOS=wasip1 GOARCH=wasm); use --lang go, or --runtime process for Python or Node.js"))
			}
			if dir == "" {
				dir = filepath.Join("plugins", name)
			}
			if _, err := os.Stat(dir); err == nil {
				return fail(ExitUsage, fmt.Errorf("%s already exists; choose another --dir or remove it", dir))
			}
			files := map[string]string{plugin.ManifestName: "manifest.yaml.tmpl"}
			switch lang {
			case "python":
				files["main.py"] = "main.py.tmpl"
			case "node":
				files["main.js"] = "main.js.tmpl"
			default:
				files["main.go"], files["main_test.go"], files["go.mod"] = "main.go.tmpl", "main_test.go.tmpl", "go.mod.tmpl"
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fail(ExitFailure, err)
			}
			data := map[string]string{"Name": name, "Runtime": runtime, "Lang": lang}
			for out, tmpl := range files {
				t, err := template.New(tmpl).Delims("<<", ">>").ParseFS(scaffoldFS, "scaffold/"+tmpl)
				if err != nil {
					return fail(ExitFailure, err)
				}
				var b strings.Builder
				if err := t.Execute(&b, data); err != nil {
					return fail(ExitFailure, err)
				}
				mode := os.FileMode(0o644)
				if out == "main.py" || out == "main.js" {
					mode = 0o755
				}
				if err := os.WriteFile(filepath.Join(dir, out), []byte(b.String()), mode); err != nil {
					return fail(ExitFailure, err)
				}
			}
			fmt.Fprint(g.stdout, nextSteps(name, runtime, lang, dir))
			return nil
		},
	}
	newCmd.Flags().StringVar(&runtime, "runtime", "process", "process or wasm")
	newCmd.Flags().StringVar(&lang, "lang", "go", "go, python or node")
	newCmd.Flags().StringVar(&dir, "dir", "", "where to write the plugin (default plugins/NAME)")
	cmd.AddCommand(newCmd)
	return cmd
}

// nextSteps tells the user how to build the plugin and enable it.
func nextSteps(name, runtime, lang, dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	var b strings.Builder
	fmt.Fprintf(&b, "wrote %s (%s plugin in %s)\n\nnext:\n", dir, runtime, langNames[lang])
	step := 1
	say := func(format string, args ...any) {
		fmt.Fprintf(&b, "  %d. "+format+"\n", append([]any{step}, args...)...)
		step++
	}
	if lang == "go" {
		say("cd %s && go mod tidy && go test    # fetches the plugin SDK, github.com/scribe-md/scribe/plugin", dir)
	}
	switch {
	case runtime == "wasm":
		say("go generate    # builds %s.wasm (GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared)", name)
	case lang == "go":
		say("go build -o %s .", name)
	}
	fmt.Fprintf(&b, "  %d. in scribe.yaml:\n\n     plugins: [%s]\n", step, filepath.ToSlash(dir))
	step++
	switch {
	case runtime == "process" && lang == "python":
		b.WriteString("     security:\n       commands:\n         - {name: python3, path: python3}   # or its absolute path\n")
	case runtime == "process" && lang == "node":
		b.WriteString("     security:\n       commands:\n         - {name: node, path: node}   # or its absolute path\n")
	case runtime == "process":
		fmt.Fprintf(&b, "     security:\n       commands:\n         - {name: %s, path: %s}\n", name, filepath.Join(abs, name))
	}
	fmt.Fprintf(&b, "     rules:\n       - id: %s-count\n         actions: [{%s.count: {}}]\n\n", name, name)
	say("scribe plugins    # lists %s.count with its parameters", name)
	return b.String()
}
