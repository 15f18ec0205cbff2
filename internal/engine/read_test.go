package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
)

var (
	inFlight, maxInFlight atomic.Int64
)

func init() {
	// test.count-flight appends a line, noting how many calls of it run at
	// once.
	action.Register(action.Spec{Name: "test.count-flight",
		New: func(any, action.Build) (action.Action, error) {
			return runFunc(func(_ context.Context, in action.Input) (action.Output, error) {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for {
					m := maxInFlight.Load()
					if n <= m || maxInFlight.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(time.Millisecond) // long enough for calls to overlap if they may
				return action.Output{Content: append([]byte(string(in.Content)), "counted\n"...)}, nil
			}), nil
		}})
	// test.fm-title appends the front matter's title, as the action sees it.
	action.Register(action.Spec{Name: "test.fm-title",
		New: func(any, action.Build) (action.Action, error) {
			return runFunc(func(_ context.Context, in action.Input) (action.Output, error) {
				line := fmt.Sprintf("title=%v\n", in.FrontMatter["title"])
				if strings.Contains(string(in.Content), line) {
					return action.Output{}, nil
				}
				return action.Output{Content: append([]byte(string(in.Content)), line...)}, nil
			}), nil
		}})
}

// Conditions are evaluated on the keys they read, but actions see the whole
// front matter, and invalid front matter is reported as before.
func TestConditionsReadTheirKeysActionsAll(t *testing.T) {
	set := rules(t, config.Rule{ID: "t", When: `fm.status == "draft"`, Actions: []config.ActionRef{act("test.fm-title", nil)}})
	root := openRoot(t, map[string]string{
		"draft.md":   "---\ntitle: Hello\nstatus: draft\n---\nbody\n",
		"done.md":    "---\ntitle: Bye\nstatus: done\n---\nbody\n",
		"complex.md": "---\ntitle: |\n  Block\nstatus: draft\n---\nbody\n",
		"broken.md":  "---\ntitle: \"open\nstatus: draft\n---\nbody\n",
	})
	rep := run(t, engine.New(set, engine.Options{DryRun: true}), root)
	if r := result(rep, "draft.md"); string(r.After) != "---\ntitle: Hello\nstatus: draft\n---\nbody\ntitle=Hello\n" {
		t.Errorf("draft.md after = %q", r.After)
	}
	if r := result(rep, "complex.md"); string(r.After) != "---\ntitle: |\n  Block\nstatus: draft\n---\nbody\ntitle=Block\n\n" {
		t.Errorf("complex.md after = %q", r.After)
	}
	if r := result(rep, "done.md"); r.Changed {
		t.Errorf("done.md changed: %q", r.After)
	}
	if r := result(rep, "broken.md"); r.Changed || len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Message, "invalid front matter") || r.Findings[0].Line == 0 {
		t.Errorf("broken.md = changed %v, findings %+v", r.Changed, r.Findings)
	}
}

// A dry run reads through pooled buffers that files no action saw give
// back: what it reports for the files it would change must still be exactly
// what they hold (a buffer reused too early would show another file's
// bytes), and every hash it reports is the hash of that content.
func TestDryRunReportsWhatFilesHold(t *testing.T) {
	set := rules(t,
		config.Rule{ID: "b", Match: `(?m)^needs-b$`, Actions: []config.ActionRef{act("test.append", "B")}},
		config.Rule{ID: "never", When: `fm.status == "nothing has this"`, Actions: []config.ActionRef{act("test.append", "N")}},
	)
	files := map[string]string{}
	for i := range 300 {
		body := fmt.Sprintf("---\nstatus: s%d\n---\n%s\n", i, strings.Repeat(fmt.Sprintf("line of note %d\n", i), 1+i%90))
		if i%3 == 0 {
			body += "needs-b\n"
		}
		files[fmt.Sprintf("d%d/n%03d.md", i%10, i)] = body
	}
	root := openRoot(t, files)
	rep := run(t, engine.New(set, engine.Options{DryRun: true, Workers: 4}), root)
	changed := 0
	for _, r := range rep.Results {
		want := files[r.Path]
		if !r.Changed {
			if strings.Contains(want, "needs-b") {
				t.Errorf("%s: not changed", r.Path)
			}
			continue
		}
		changed++
		sum := sha256.Sum256([]byte(want))
		if string(r.Before) != want || string(r.After) != want+"B\n" || r.BeforeHash != hex.EncodeToString(sum[:]) {
			t.Fatalf("%s: reported before %q (hash %s), after %q; the file holds %q", r.Path, r.Before, r.BeforeHash, r.After, want)
		}
	}
	if changed != 100 {
		t.Fatalf("%d files changed, want 100", changed)
	}
}

// Run reads and matches files on a goroutine per core even when
// engine.workers is lower, but runs the actions of at most engine.workers
// files at once.
func TestRunBoundsFilesRunningActions(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	set := rules(t, config.Rule{ID: "c", Actions: []config.ActionRef{act("test.count-flight", nil)}})
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("n%02d.md", i)] = "note\n"
	}
	for _, workers := range []int{1, 2} {
		maxInFlight.Store(0)
		root := openRoot(t, files)
		rep := run(t, engine.New(set, engine.Options{DryRun: true, Workers: workers}), root)
		for _, r := range rep.Results {
			if !r.Changed {
				t.Fatalf("%s not changed", r.Path)
			}
		}
		if m := maxInFlight.Load(); m > int64(workers) {
			t.Errorf("workers %d: %d files ran actions at once", workers, m)
		}
	}
}
