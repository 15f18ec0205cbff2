package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/plugin"
	"github.com/scribe-md/scribe/internal/plugin/plugintest"
	"github.com/scribe-md/scribe/internal/poll"
)

// The daemon starts a configuration's plugins with its own lifecycle: a
// plugin action runs on changed files; status and metrics show the plugin;
// changing the plugin's manifest (or program) restarts it on the fly; a
// plugin that crashes is restarted and fails only its own files; and
// nothing of it is left once the daemon stops.
func TestDaemonRunsPlugins(t *testing.T) {
	manifest := func(version, mode string) string {
		return "name: p\nversion: " + version + "\nprotocol: 1\nruntime: process\ncommand: [helper, " + mode + "]\nconcurrency: 2\nactions:\n" +
			"  - {name: echo, permissions: [read, write]}\n  - {name: upper, permissions: [read, write]}\n  - {name: content}\n" +
			"  - {name: findings}\n  - {name: gate}\n  - {name: pid}\n  - {name: sleep}\n"
	}
	c := conf{Workers: 2, Commands: map[string]string{"helper": plugintest.Helper(t)}, Plugins: "[plugins/p]",
		Rules: "  - id: shout\n    files: \"up/*.md\"\n    actions: [{p.upper: {}}]\n"}
	e := newEnv(t, c, nil)
	pdir := filepath.Join(e.dir, "plugins", "p")
	must(t, os.MkdirAll(pdir, 0o755))
	must(t, os.WriteFile(filepath.Join(pdir, plugin.ManifestName), []byte(manifest("1.0.0", plugintest.Good)), 0o644))

	r := e.start()
	e.write("up/a.md", "hello\n")
	poll.Until(t, 10*time.Second, "up/a.md upper-cased by the plugin", func() bool { return e.read("up/a.md") == "HELLO\n" })
	st := r.status()
	if len(st.Plugins) != 1 || st.Plugins[0].Name != "p" || st.Plugins[0].State != "running" || st.Plugins[0].Calls < 1 || st.Plugins[0].Instances != 1 {
		t.Fatalf("status plugins %+v", st.Plugins)
	}
	if n := r.metric(`scribe_plugin_calls_total{plugin="p"}`); n < 1 {
		t.Fatalf("scribe_plugin_calls_total = %v", n)
	}
	if n := r.metric(`scribe_plugin_call_duration_seconds_count{plugin="p"}`); n < 1 {
		t.Fatalf("duration histogram count = %v", n)
	}
	before := plugintest.Processes()

	// A new manifest: the plugin restarts (a new process), the old one ends.
	must(t, os.WriteFile(filepath.Join(pdir, plugin.ManifestName), []byte(manifest("2.0.0", plugintest.Good)), 0o644))
	poll.Until(t, 20*time.Second, "the plugin reloaded", func() bool {
		st := r.status()
		return len(st.Plugins) == 1 && st.Plugins[0].Version == "2.0.0"
	})
	e.write("up/b.md", "again\n")
	poll.Until(t, 10*time.Second, "up/b.md upper-cased by the new plugin", func() bool { return e.read("up/b.md") == "AGAIN\n" })
	poll.Until(t, 10*time.Second, "the old plugin process gone", func() bool {
		for _, p := range plugintest.Processes() {
			for _, b := range before {
				if p == b {
					return false
				}
			}
		}
		return true
	})

	// A plugin that dies on its third request fails that file only.
	must(t, os.WriteFile(filepath.Join(pdir, plugin.ManifestName), []byte(manifest("3.0.0", plugintest.CrashThird)), 0o644))
	poll.Until(t, 20*time.Second, "the crashing plugin loaded", func() bool { return r.status().Plugins[0].Version == "3.0.0" })
	// The crashing mode echoes nothing back (an empty result): files stay
	// as they are, and the third request kills the process.
	for _, n := range []string{"c1", "c2", "c3", "c4"} {
		e.write("up/"+n+".md", n+"\n")
		poll.Until(t, 20*time.Second, n+" processed", func() bool { return r.ev.count(processed("up/"+n+".md")) > 0 })
	}
	poll.Until(t, 10*time.Second, "the crash counted", func() bool {
		p := r.status().Plugins[0]
		return p.Restarts == 1 && p.Failures == 1
	})
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "no plugin process after stop", func() bool { return len(plugintest.Processes()) == 0 })
	if !strings.Contains(e.read("up/c1.md"), "c1") {
		t.Fatal("c1 changed")
	}
}
