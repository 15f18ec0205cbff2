// Command readtime is an example Scribe WebAssembly plugin: the same SDK as a
// process plugin, built for WASI preview 1 as a reactor module. Scribe runs
// its initialization once, and each request gets a fresh instance restored
// to the state it left, with the request on its standard input. See
// doc/PLUGINS.md.
package main

//go:generate env GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o readtime.wasm .

import (
	"context"
	"fmt"
	"strings"

	"github.com/scribe-md/scribe/plugin"
)

const startMark, endMark = "<!-- readtime -->", "<!-- /readtime -->"

// stamp counts the words outside the region and writes "N min read" between
// the markers; a file without them is left alone.
func stamp(_ context.Context, req plugin.Request) (plugin.RunResult, error) {
	var p struct {
		WPM int `json:"wpm"`
	}
	if err := req.Decode(&p); err != nil {
		return plugin.RunResult{}, err
	}
	if p.WPM == 0 {
		p.WPM = 200
	}
	content, _ := req.Content()
	i := strings.Index(content, startMark)
	j := strings.Index(content, endMark)
	if i < 0 || j < i {
		return plugin.RunResult{}, nil
	}
	words := len(strings.Fields(content[:i])) + len(strings.Fields(content[j+len(endMark):]))
	minutes := max(1, (words+p.WPM-1)/p.WPM)
	out := content[:i+len(startMark)] + fmt.Sprintf("%d min read", minutes) + content[j:]
	if out == content {
		return plugin.RunResult{}, nil
	}
	return plugin.NewContent(out), nil
}

// init registers the action: a reactor runs init functions (in its
// _initialize export) and never main.
func init() { plugin.Register(plugin.Actions{"stamp": stamp}, plugin.Options{}) }

// main serves the registered action when the plugin is built as a command
// module (without -buildmode=c-shared) or as a process plugin.
func main() { plugin.Main() }
