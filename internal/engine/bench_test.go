package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	_ "github.com/scribe-md/scribe/internal/action/builtin"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/journal"
	"github.com/scribe-md/scribe/internal/rule"
)

// BenchmarkDryRun is `scribe check` inside the engine, on 2,000 notes of
// 1–3 KiB in 20 directories with bench/check.sh's rules (two regexes, two
// front-matter conditions): a settled tree, one where every tenth note
// would change, and one whose rules select none of the notes by path (they
// are listed, never read). allocs/file counts the allocations per note of a
// whole run (listing, reading, matching, results).
func BenchmarkDryRun(b *testing.B) {
	for _, tc := range []struct {
		name       string
		every      int // every n-th note would change; 0: none
		unselected bool
	}{{"settled", 0, false}, {"10pct", 10, false}, {"unselected", 0, true}} {
		b.Run(tc.name, func(b *testing.B) {
			const n = 2000
			dir := b.TempDir()
			for i := range n {
				status, extra := []string{"active", "done", "archived"}[i%3], ""
				if tc.every > 0 && i%tc.every == 0 {
					switch i / tc.every % 3 {
					case 0:
						extra = "TODO: write it\n"
					case 1:
						status = "draft"
					case 2:
						extra = "" // priority below
					}
				}
				var sb strings.Builder
				fmt.Fprintf(&sb, "---\ntitle: Note %d\nstatus: %s\ntags: [a, b]\ncreated: 2026-01-%02d\n", i, status, 1+i%28)
				if tc.every > 0 && i%tc.every == 0 && i/tc.every%3 == 2 {
					sb.WriteString("priority: 4\n")
				} else if i%3 == 0 {
					sb.WriteString("priority: 1\n")
				}
				sb.WriteString("---\n# Note\n\n")
				sb.WriteString(strings.Repeat("alpha bravo charlie delta echo foxtrot golf hotel india juliet\n", 16+i%32))
				sb.WriteString(extra)
				p := filepath.Join(dir, fmt.Sprintf("area-%d/topic-%d/note-%d.md", i%4, i%5, i))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			cfg := &config.Config{Include: []string{"**/*.md"}, Rules: []config.Rule{
				{ID: "todo-to-task", Match: `(?m)^TODO: (.+)$`, Actions: []config.ActionRef{act("replace", map[string]any{"with": "- [ ] $1"})}},
				{ID: "draft-review", Match: `(?m)^status: draft$`, When: `fm.status == "draft"`, Actions: []config.ActionRef{act("frontmatter.set", map[string]any{"review": "pending"})}},
				{ID: "priority", When: `fm.priority != nil && fm.priority >= 3`, Actions: []config.ActionRef{act("frontmatter.set", map[string]any{"urgent": true})}},
			}}
			if tc.unselected {
				for i := range cfg.Rules {
					cfg.Rules[i].Files = []string{"tasks/**/*.md"}
				}
			}
			set, root := compile(b, dir, cfg)
			b.ReportAllocs()
			changed := 0
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				rep, err := engine.New(set, engine.Options{Workers: 4, DryRun: true}).Run(context.Background(), []engine.Target{{Root: root}}, nil)
				if err != nil {
					b.Fatal(err)
				}
				changed = 0
				for _, r := range rep.Results {
					if r.Changed {
						changed++
					}
				}
			}
			if want := map[int]int{0: 0, 10: n / 10}[tc.every]; changed != want {
				b.Fatalf("%d notes would change, want %d", changed, want)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/file")
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*n), "allocs/file")
		})
	}
}

// BenchmarkLoneWrite is the engine's side of a lone save: a note of 2 KiB
// whose TODO line a rule rewrites, processed and journaled one at a time,
// the write and the journal entry both durable. The user's save between
// two iterations is not timed.
func BenchmarkLoneWrite(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "note.md")
	body := "---\ntitle: Note\n---\n" + strings.Repeat("alpha bravo charlie delta echo foxtrot golf hotel india juliet\n", 32)
	cfg := &config.Config{Include: []string{"**/*.md"}, Rules: []config.Rule{
		{ID: "todo-to-task", Match: `(?m)^TODO: (.+)$`, Actions: []config.ActionRef{act("replace", map[string]any{"with": "- [ ] $1"})}},
	}}
	set, root := compile(b, dir, cfg)
	j, err := journal.Open(filepath.Join(b.TempDir(), "journal.db"), journal.Retention{})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	e := engine.New(set, engine.Options{Workers: 1, Wrote: engine.JournalWrites(j, "")})
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		if err := os.WriteFile(path, fmt.Appendf(nil, "%sTODO: item %d\n", body, i), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if res := e.Process(context.Background(), root, "note.md", nil); !res.Written || res.Error != "" {
			b.Fatalf("not written: %+v", res)
		}
	}
}

// compile compiles cfg's rules and opens dir as their root, both closed
// when b ends.
func compile(b *testing.B, dir string, cfg *config.Config) (*rule.Set, *engine.Root) {
	b.Helper()
	set, err := rule.Compile(cfg, action.Build{Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { set.Close(context.Background()) })
	root, err := engine.OpenRoot(dir, cfg.Include, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { root.Close() })
	return set, root
}
