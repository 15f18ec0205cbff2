// Command typography is an example Scribe process plugin in Go: it serves
// many requests at once (concurrency: 8 in its manifest). See
// doc/PLUGINS.md.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/scribe-md/scribe/plugin"
)

type params struct {
	Dashes   *bool `json:"dashes"`
	Ellipses *bool `json:"ellipses"`
}

// fix replaces " -- " with an en dash and "..." with an ellipsis, leaving
// fenced code blocks and inline code alone.
func fix(_ context.Context, req plugin.Request) (plugin.RunResult, error) {
	var p params
	if err := req.Decode(&p); err != nil {
		return plugin.RunResult{}, err
	}
	content, ok := req.Content()
	if !ok {
		return plugin.RunResult{}, fmt.Errorf("no content: the manifest must grant read")
	}
	dashes, ellipses := p.Dashes == nil || *p.Dashes, p.Ellipses == nil || *p.Ellipses
	lines := strings.SplitAfter(content, "\n")
	fenced := false
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		// Split on backticks: odd parts are inline code.
		parts := strings.Split(line, "`")
		for j := 0; j < len(parts); j += 2 {
			if dashes {
				parts[j] = strings.ReplaceAll(parts[j], " -- ", " – ")
			}
			if ellipses {
				parts[j] = strings.ReplaceAll(parts[j], "...", "…")
			}
		}
		lines[i] = strings.Join(parts, "`")
	}
	out := strings.Join(lines, "")
	if out == content {
		return plugin.RunResult{}, nil // unchanged: no content in the reply
	}
	return plugin.NewContent(out), nil
}

func main() {
	if err := plugin.Serve(plugin.Actions{"fix": fix}, plugin.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "typography:", err)
		os.Exit(1)
	}
}
