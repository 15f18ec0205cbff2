package engine_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	_ "github.com/scribe-md/scribe/internal/action/builtin"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/rule"
)

var propertyTrees = flag.Int("engine.property-trees", 20, "random trees of 100 documents for the idempotence property")

// A rule set like the example vault's, with a fixed clock.
const propertyRules = `version: 1
rules:
  - id: title
    when: 'fm.title == nil'
    actions:
      - frontmatter.set: { title: "{{ .Name }}" }
  - id: stamp
    match: '(?m)^> \[!TASK\].*\| state: (?P<state>[\w-]+)'
    when: 'fm.status != "archived"'
    actions:
      - frontmatter.set: { updated: '{{ now | date "2006-01-02" }}', state: "{{ .Match.state }}" }
  - id: todo
    match: '(?m)^TODO: (.+)$'
    actions:
      - replace: { with: "- [ ] $1" }
  - id: drop
    actions:
      - frontmatter.delete: [legacy_id]
`

func randomDoc(r *rand.Rand) string {
	nl := "\n"
	if r.IntN(4) == 0 {
		nl = "\r\n"
	}
	var b strings.Builder
	if r.IntN(8) == 0 {
		b.WriteString("\ufeff")
	}
	if r.IntN(3) > 0 {
		b.WriteString("---" + nl)
		fields := []string{
			"title: Some note", []string{"status: archived", "status: active"}[r.IntN(2)], "legacy_id: X-1 # old",
			"tags: [a, b]", "# a comment", "updated: 2025-01-01", "state: 'open'",
			"nested:" + nl + "  a: 1" + nl + "  b: [x]", "quote: \"it's\"",
		}
		for _, i := range r.Perm(len(fields))[:r.IntN(len(fields))] {
			b.WriteString(fields[i] + nl)
		}
		b.WriteString("---" + nl)
	}
	lines := []string{"# Heading", "plain text", "TODO: do it", "> [!TASK] x | state: open", "> [!TASK] y | state: in-progress", "", "- [ ] task", "TODO:"}
	for range r.IntN(8) {
		b.WriteString(lines[r.IntN(len(lines))] + nl)
	}
	s := b.String()
	if r.IntN(5) == 0 {
		s = strings.TrimSuffix(s, nl)
	}
	return s
}

// Applying the rule set twice gives the same bytes as applying it once.
func TestPropertyIdempotentRuleSet(t *testing.T) {
	cfg, err := config.LoadBytes("rules.yaml", []byte(propertyRules))
	if err != nil {
		t.Fatal(err)
	}
	set, err := rule.Compile(cfg, action.Build{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close(context.Background())
	clock := func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	// -engine.property-trees=100 gives 10,000 cases. Dry runs keep it fast;
	// the first run's output is written back with a plain write (no fsync
	// needed for a property of the rules).
	seeds := *propertyTrees
	if testing.Short() {
		seeds = 3
	}
	cases := 0
	for seed := range uint64(seeds) {
		r := rand.New(rand.NewPCG(seed, 7))
		files := map[string]string{}
		for i := range 100 {
			files[fmt.Sprintf("n%03d.md", i)] = randomDoc(r)
		}
		root := openRoot(t, files)
		eng := engine.New(set, engine.Options{Workers: 4, Clock: clock, DryRun: true})
		rep1 := run(t, eng, root)
		once := map[string]string{}
		for _, res := range rep1.Results {
			if res.Failed() {
				t.Fatalf("seed %d: %s failed: %s\ninput: %q", seed, res.Path, res.Error, files[res.Path])
			}
			if res.Changed {
				once[res.Path] = string(res.After)
				if err := os.WriteFile(filepath.Join(root.Dir, res.Path), res.After, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		rep2 := run(t, eng, root)
		for _, res := range rep2.Results {
			cases++
			if res.Failed() {
				t.Fatalf("seed %d: %s failed on the second pass: %s", seed, res.Path, res.Error)
			}
			if res.Changed {
				t.Fatalf("seed %d: %s not idempotent\ninput: %q\nonce:  %q\ntwice: %q", seed, res.Path, files[res.Path], res.Before, res.After)
			}
		}
	}
	t.Logf("%d documents: f(f(x)) == f(x)", cases)
}
