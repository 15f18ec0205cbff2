package dashboard_test

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var flagScreenshot = flag.String("dashboard.screenshot", "", "TestScreenshot: run the example vault and write a screenshot of its dashboard (PNG, 1280×800) to this file, e.g. ../../doc/dashboard.png, and one of a file's explanation beside it (dashboard-explain.png)")

// TestScreenshot writes the dashboard pictures of the README: the example
// vault (examples/vault, with its plugins) under `scribe watch`, a few
// edits made as a user would, the page logged in; then the explanation of a
// note with a broken link, opened from the findings. It runs only when
// asked (-dashboard.screenshot FILE).
func TestScreenshot(t *testing.T) {
	if *flagScreenshot == "" {
		t.Skip("writes doc/dashboard.png only with -dashboard.screenshot FILE")
	}
	out, err := filepath.Abs(*flagScreenshot)
	must(t, err)
	examples, err := filepath.Abs("../../examples")
	must(t, err)

	// The vault is copied; the plugins stay where they are (the Go plugin
	// runs with `go run` inside this module).
	dir, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	vault := filepath.Join(dir, "vault")
	must(t, os.CopyFS(vault, os.DirFS(filepath.Join(examples, "vault"))))
	filepath.WalkDir(vault, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			os.Chmod(p, 0o755)
		} else if err == nil {
			os.Chmod(p, 0o644)
		}
		return err
	})
	cfgPath := filepath.Join(vault, "scribe.yaml")
	b, err := os.ReadFile(cfgPath)
	must(t, err)
	cfg := strings.ReplaceAll(string(b), "../plugins/", filepath.Join(examples, "plugins")+"/")
	cfg = regexp.MustCompile(`(?m)^engine:\n`).ReplaceAllString(cfg, "http:\n  listen: "+freePort(t)+"\nengine:\n")
	must(t, os.WriteFile(cfgPath, []byte(cfg), 0o644))

	d := startDaemonWith(t, cfgPath, vault)
	p := openPage(t, 1280, 800)
	p.do(chromedp.Navigate(d.login))
	p.wait(30*time.Second, "logged in", `document.getElementById('readonly').hidden`)

	// A user at work: a task moves on, a TODO is jotted down, a daily
	// note saved; spread over a few intervals of the chart.
	edits := []struct{ rel, old, new string }{
		{"tasks/atomic-writes.md", "state: in-progress", "state: done"},
		{"notes/meeting-notes.md", "", "\nTODO: send the minutes\n"},
		{"tasks/benchmark.md", "", "\nTODO: compare with last week\n"},
		{"daily/2026-11-26.md", "", "\nA line with trailing spaces.   \n"},
		{"projects/search.md", "", "\nTODO: try the new ranking -- soon...\n"},
		{"notes/glossary.md", "", "\nTODO: define \"settle\"\n"},
	}
	for _, e := range edits {
		time.Sleep(5 * time.Second) // one edit per interval of the chart
		c := d.read(e.rel)
		if e.old != "" {
			c = strings.Replace(c, e.old, e.new, 1)
		} else {
			c += e.new
		}
		d.write(e.rel, c)
	}
	p.wait(30*time.Second, "the last edit in the live stream", `document.querySelector('tr[data-path="notes/glossary.md"]') !== null`)
	time.Sleep(6 * time.Second) // the next refresh of the chart and status
	p.click(`#writes li[data-path="notes/glossary.md"] button.diff-toggle`)
	p.wait(10*time.Second, "the diff shown", `document.querySelector('#writes pre.diff') !== null`)
	p.do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.scrollTo(0, 0); document.getElementById('writes').scrollTop = 0`))
	shoot := func(file string) {
		png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
		must(t, err)
		must(t, os.WriteFile(file, png, 0o644))
		t.Logf("wrote %s (%d bytes)", file, len(png))
	}
	shoot(out)

	p.click(`#finding-table tr[data-path="notes/meeting-notes.md"][data-rule="links"] button.file`)
	p.wait(30*time.Second, "the explanation", `document.getElementById('explain').open && !document.getElementById('explain-text').hasAttribute('aria-busy')`)
	p.do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	shoot(strings.TrimSuffix(out, ".png") + "-explain.png")
	p.noConsoleErrors()
}
