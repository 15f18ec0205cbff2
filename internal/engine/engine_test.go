package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/config"
	"github.com/scribe-md/scribe/internal/engine"
	"github.com/scribe-md/scribe/internal/rule"
)

// Test actions, registered once for the package.
var (
	userEdits atomic.Int64 // how many simulated user saves test.user-edit made
	// stuckRelease lets test.stuck return once its test is over: each
	// run of that test sets a channel of its own before it builds its
	// rules, so that the test can run again (-count).
	stuckRelease atomic.Pointer[chan struct{}]
)

func init() {
	// test.append adds a marker line once (idempotent).
	action.Register(action.Spec{Name: "test.append", Schema: `{"type":"string"}`,
		New: func(p any, _ action.Build) (action.Action, error) {
			line := p.(string) + "\n"
			return runFunc(func(_ context.Context, in action.Input) (action.Output, error) {
				if bytes.Contains(in.Content, []byte(line)) {
					return action.Output{}, nil
				}
				return action.Output{Content: append(bytes.Clone(in.Content), line...)}, nil
			}), nil
		}})
	// test.user-edit appends "rule\n" but, the first time it sees a file
	// whose content does not yet contain "user edit", writes "user edit" into
	// the file on disk behind the engine's back: a user saving while the rule
	// runs.
	action.Register(action.Spec{Name: "test.user-edit",
		New: func(any, action.Build) (action.Action, error) {
			return runFunc(func(_ context.Context, in action.Input) (action.Output, error) {
				if !bytes.Contains(in.Content, []byte("user edit")) {
					userEdits.Add(1)
					p := filepath.Join(in.Root, in.Path)
					if err := os.WriteFile(p, append(bytes.Clone(in.Content), "user edit\n"...), 0o644); err != nil {
						return action.Output{}, err
					}
				}
				return action.Output{Content: append(bytes.Clone(in.Content), "rule\n"...)}, nil
			}), nil
		}})
	// test.move moves the file to NAME.moved.md and writes its content
	// there with "moved\n" added, as naming's fix mode does. The first time
	// it sees a file without "user edit", it first writes "user edit" into
	// the file on disk: a save landing between the engine's read and the
	// move.
	action.Register(action.Spec{Name: "test.move",
		New: func(any, action.Build) (action.Action, error) {
			return runFunc(func(ctx context.Context, in action.Input) (action.Output, error) {
				if !bytes.Contains(in.Content, []byte("user edit")) {
					userEdits.Add(1)
					p := filepath.Join(in.Root, in.Path)
					if err := os.WriteFile(p, append(bytes.Clone(in.Content), "user edit\n"...), 0o644); err != nil {
						return action.Output{}, err
					}
				}
				to := strings.TrimSuffix(in.Path, ".md") + ".moved.md"
				if err := in.Host.Writer.Rename(ctx, in.Path, to); err != nil {
					return action.Output{}, fmt.Errorf("move: %w", err)
				}
				return action.Output{}, in.Host.Writer.WriteFile(ctx, to, append(bytes.Clone(in.Content), "moved\n"...))
			}), nil
		}})
	// test.rewrite-other adds "linked\n" to other.md, from the content it
	// read itself, through the Writer's ReplaceFile. The first time, it
	// writes "user edit" into other.md on disk between its read and its
	// write.
	action.Register(action.Spec{Name: "test.rewrite-other",
		New: func(any, action.Build) (action.Action, error) {
			return runFunc(func(ctx context.Context, in action.Input) (action.Output, error) {
				old, err := in.Host.Docs.ReadFile("other.md")
				if err != nil {
					return action.Output{}, err
				}
				if !bytes.Contains(old, []byte("user edit")) {
					userEdits.Add(1)
					p := filepath.Join(in.Root, "other.md")
					if err := os.WriteFile(p, append(bytes.Clone(old), "user edit\n"...), 0o644); err != nil {
						return action.Output{}, err
					}
				}
				return action.Output{}, in.Host.Writer.(action.Replacer).ReplaceFile(ctx, "other.md", old, append(bytes.Clone(old), "linked\n"...))
			}), nil
		}})
	// test.stuck ignores its deadline.
	action.Register(action.Spec{Name: "test.stuck",
		New: func(any, action.Build) (action.Action, error) {
			release := *stuckRelease.Load()
			return runFunc(func(context.Context, action.Input) (action.Output, error) {
				<-release
				return action.Output{Content: []byte("late\n")}, nil
			}), nil
		}})
	// test.fail always fails.
	action.Register(action.Spec{Name: "test.fail",
		New: func(any, action.Build) (action.Action, error) {
			return runFunc(func(context.Context, action.Input) (action.Output, error) {
				return action.Output{}, errors.New("deliberate failure")
			}), nil
		}})
	// test.oneshot reports whether its Docs serves a one-shot run.
	action.Register(action.Spec{Name: "test.oneshot",
		New: func(any, action.Build) (action.Action, error) {
			return runFunc(func(_ context.Context, in action.Input) (action.Output, error) {
				o, ok := in.Host.Docs.(action.OneShot)
				msg := fmt.Sprintf("one-shot %v", ok && o.OneShot())
				return action.Output{Findings: []action.Finding{{Severity: action.SeverityInfo, Message: msg}}}, nil
			}), nil
		}})
	// test.finding reports one warning with the given message.
	action.Register(action.Spec{Name: "test.finding", Schema: `{"type":"string"}`,
		New: func(p any, _ action.Build) (action.Action, error) {
			msg := p.(string)
			return runFunc(func(context.Context, action.Input) (action.Output, error) {
				return action.Output{Findings: []action.Finding{{Severity: action.SeverityWarning, Message: msg}}}, nil
			}), nil
		}})
	// test.delete removes the file it is given, then changes its content.
	action.Register(action.Spec{Name: "test.delete",
		New: func(any, action.Build) (action.Action, error) {
			return runFunc(func(_ context.Context, in action.Input) (action.Output, error) {
				os.Remove(filepath.Join(in.Root, in.Path))
				return action.Output{Content: []byte("gone\n")}, nil
			}), nil
		}})
}

type runFunc func(context.Context, action.Input) (action.Output, error)

func (f runFunc) Run(ctx context.Context, in action.Input) (action.Output, error) { return f(ctx, in) }

func rules(t *testing.T, rs ...config.Rule) *rule.Set {
	t.Helper()
	cfg := &config.Config{Include: []string{"**/*.md"}, Rules: rs}
	set, err := rule.Compile(cfg, action.Build{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	t.Cleanup(func() { set.Close(context.Background()) })
	return set
}

func act(name string, params any) config.ActionRef {
	return config.ActionRef{Name: name, Params: params}
}

func openRoot(t *testing.T, files map[string]string) *engine.Root {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := engine.OpenRoot(dir, []string{"**/*.md"}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func read(t *testing.T, r *engine.Root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.Dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func run(t *testing.T, e *engine.Engine, r *engine.Root) *engine.Report {
	t.Helper()
	rep, err := e.Run(context.Background(), []engine.Target{{Root: r}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func result(rep *engine.Report, path string) *engine.Result {
	for _, r := range rep.Results {
		if r.Path == path && r.Via == "" {
			return r
		}
	}
	return nil
}

func TestRunWritesOnceAndOnlyChangedFiles(t *testing.T) {
	set := rules(t,
		config.Rule{ID: "a", Files: []string{"notes/**"}, Actions: []config.ActionRef{act("test.append", "A")}},
		config.Rule{ID: "b", Match: `(?m)^needs-b$`, Actions: []config.ActionRef{act("test.append", "B")}},
	)
	root := openRoot(t, map[string]string{
		"notes/one.md":  "one\n",
		"notes/two.md":  "two\nneeds-b\n",
		"other.md":      "other\n",
		"notes/done.md": "done\nA\n",
	})
	before, _ := os.Stat(filepath.Join(root.Dir, "notes/done.md"))
	rep := run(t, engine.New(set, engine.Options{Workers: 3}), root)
	if got := read(t, root, "notes/one.md"); got != "one\nA\n" {
		t.Errorf("one.md = %q", got)
	}
	if got := read(t, root, "notes/two.md"); got != "two\nneeds-b\nA\nB\n" {
		t.Errorf("two.md = %q (actions must chain in rule order)", got)
	}
	if got := read(t, root, "other.md"); got != "other\n" {
		t.Errorf("other.md = %q", got)
	}
	after, _ := os.Stat(filepath.Join(root.Dir, "notes/done.md"))
	if !after.ModTime().Equal(before.ModTime()) || result(rep, "notes/done.md").Written {
		t.Error("an unchanged file was rewritten")
	}
	if r := result(rep, "notes/two.md"); !r.Written || strings.Join(r.Rules, ",") != "a,b" {
		t.Errorf("two.md result = %+v", r)
	}
	// A second run changes nothing.
	rep = run(t, engine.New(set, engine.Options{Workers: 3}), root)
	for _, r := range rep.Results {
		if r.Changed {
			t.Errorf("second run changed %s", r.Path)
		}
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	set := rules(t, config.Rule{ID: "a", Actions: []config.ActionRef{act("test.append", "A")}})
	root := openRoot(t, map[string]string{"x.md": "x\n"})
	rep := run(t, engine.New(set, engine.Options{DryRun: true}), root)
	r := result(rep, "x.md")
	if !r.Changed || r.Written || string(r.After) != "x\nA\n" || string(r.Before) != "x\n" {
		t.Fatalf("dry run result = %+v", r)
	}
	if got := read(t, root, "x.md"); got != "x\n" {
		t.Fatalf("dry run wrote: %q", got)
	}
}

// The user saves while the rule runs: the engine must not overwrite the
// save; it redoes the rule on the user's version.
func TestConcurrentUserEditSurvives(t *testing.T) {
	set := rules(t, config.Rule{ID: "r", Actions: []config.ActionRef{act("test.user-edit", nil)}})
	root := openRoot(t, map[string]string{"n.md": "start\n"})
	userEdits.Store(0)
	rep := run(t, engine.New(set, engine.Options{}), root)
	got := read(t, root, "n.md")
	if got != "start\nuser edit\nrule\n" {
		t.Fatalf("content = %q, want the user's edit plus the rule's output", got)
	}
	r := result(rep, "n.md")
	if r.Conflicts != 1 || !r.Written || userEdits.Load() != 1 {
		t.Fatalf("conflicts=%d written=%v userEdits=%d", r.Conflicts, r.Written, userEdits.Load())
	}
}

// An action that moves the file it runs on, writing it under its new name
// with what it made of the content read (naming's fix mode), must not undo a
// change made since the read: the move is refused and the file redone.
func TestMoveOfAChangedFileIsRedone(t *testing.T) {
	set := rules(t, config.Rule{ID: "r", Actions: []config.ActionRef{act("test.move", nil)}})
	root := openRoot(t, map[string]string{"n.md": "start\n"})
	userEdits.Store(0)
	rep := run(t, engine.New(set, engine.Options{}), root)
	if got := read(t, root, "n.moved.md"); got != "start\nuser edit\nmoved\n" {
		t.Fatalf("moved content = %q, want the edit kept", got)
	}
	if _, err := root.FS.Stat("n.md"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("n.md still there: %v", err)
	}
	r := result(rep, "n.md")
	if r.Conflicts != 1 || r.Failed() || userEdits.Load() != 1 {
		t.Fatalf("conflicts=%d err=%v userEdits=%d", r.Conflicts, r.Err(), userEdits.Load())
	}
}

// An action that rewrites another file from what it read of it must not
// undo an edit of that file made since: the write is refused, and the file
// the action ran on is redone.
func TestReplaceOfAChangedFileIsRedone(t *testing.T) {
	set := rules(t, config.Rule{ID: "r", Files: []string{"n.md"}, Actions: []config.ActionRef{act("test.rewrite-other", nil)}})
	root := openRoot(t, map[string]string{"n.md": "n\n", "other.md": "o\n"})
	userEdits.Store(0)
	rep := run(t, engine.New(set, engine.Options{}), root)
	if got := read(t, root, "other.md"); got != "o\nuser edit\nlinked\n" {
		t.Fatalf("other.md = %q, want the edit kept", got)
	}
	r := result(rep, "n.md")
	if r.Conflicts != 1 || r.Failed() || userEdits.Load() != 1 {
		t.Fatalf("conflicts=%d err=%v userEdits=%d", r.Conflicts, r.Err(), userEdits.Load())
	}
}

func TestStuckActionIsAbandoned(t *testing.T) {
	release := make(chan struct{})
	stuckRelease.Store(&release)
	defer close(release)
	set := rules(t, config.Rule{ID: "slow", Actions: []config.ActionRef{act("test.stuck", nil)}})
	root := openRoot(t, map[string]string{"n.md": "start\n"})
	before := action.Abandoned()
	// The action never returns on its own: Run returning at all shows the
	// stuck action did not block it.
	rep := run(t, engine.New(set, engine.Options{}), root)
	r := result(rep, "n.md")
	if !r.Failed() || !strings.Contains(r.Err().Error(), "abandoned") {
		t.Fatalf("result = %+v, want an abandoned failure", r)
	}
	if action.Abandoned() != before+1 {
		t.Fatalf("abandoned count = %d, want %d", action.Abandoned(), before+1)
	}
	if got := read(t, root, "n.md"); got != "start\n" {
		t.Fatalf("file changed after an abandoned action: %q", got)
	}
}

// A one-shot run's Docs says so to the actions (action.OneShot), while it
// runs only; a file processed as the daemon does is not in one.
func TestDocsOneShot(t *testing.T) {
	set := rules(t, config.Rule{ID: "r", Actions: []config.ActionRef{act("test.oneshot", nil)}})
	root := openRoot(t, map[string]string{"n.md": "n\n"})
	e := engine.New(set, engine.Options{DryRun: true})
	if r := result(run(t, e, root), "n.md"); len(r.Findings) != 1 || r.Findings[0].Message != "one-shot true" {
		t.Fatalf("in a run: findings %+v", r.Findings)
	}
	if root.Docs.OneShot() {
		t.Error("Docs still says one-shot after the run")
	}
	r := e.Process(context.Background(), root, "n.md", nil)
	if len(r.Findings) != 1 || r.Findings[0].Message != "one-shot false" {
		t.Fatalf("processed alone: findings %+v", r.Findings)
	}
}

// The documents' generation (action.Generationer) changes with each file
// processed, each write, each change to the list and each round of Finish
// calls, and only then.
func TestDocsGeneration(t *testing.T) {
	set := rules(t, config.Rule{ID: "r", Actions: []config.ActionRef{act("test.append", "x\n")}})
	root := openRoot(t, map[string]string{"n.md": "n\n", "w.md": "w\n"})
	e := engine.New(set, engine.Options{})
	step := func(what string, do func()) {
		t.Helper()
		g := root.Docs.Generation()
		do()
		if root.Docs.Generation() == g {
			t.Errorf("%s left the generation at %d", what, g)
		}
	}
	step("a file processed and written", func() { e.Process(context.Background(), root, "n.md", &engine.Writes{}) })
	// A write is a generation of its own, beside its file's processing.
	look := engine.New(rules(t, config.Rule{ID: "r", Actions: []config.ActionRef{act("test.finding", "seen")}}), engine.Options{})
	g := root.Docs.Generation()
	look.Process(context.Background(), root, "n.md", &engine.Writes{})
	processed := root.Docs.Generation() - g
	g = root.Docs.Generation()
	if r := e.Process(context.Background(), root, "w.md", &engine.Writes{}); !r.Written {
		t.Fatalf("w.md not written: %+v", r)
	}
	if written := root.Docs.Generation() - g; processed == 0 || written <= processed {
		t.Errorf("a file processed took the generation %d on, processed and written %d", processed, written)
	}
	step("a round of Finish calls", func() {
		if _, _, err := e.Finish(context.Background(), []*engine.Root{root}, &engine.Writes{}); err != nil {
			t.Fatal(err)
		}
	})
	step("a document added", func() { root.Docs.Add("m.md") })
	step("a document removed", func() { root.Docs.Remove("m.md") })
	step("a document renamed", func() { root.Docs.Rename("n.md", "o.md") })
	g = root.Docs.Generation()
	root.Docs.List()
	root.Docs.Stat("o.md")
	if root.Docs.Generation() != g {
		t.Error("reading the list or a Stat changed the generation")
	}
}

// A failing rule fails alone: its own changes and findings are discarded,
// the next rule sees the content from before it, and every other rule still
// runs, reports and writes.
func TestFailingRuleFailsAlone(t *testing.T) {
	for _, dry := range []bool{false, true} {
		t.Run(fmt.Sprintf("dry=%v", dry), func(t *testing.T) {
			set := rules(t,
				config.Rule{ID: "first", Actions: []config.ActionRef{act("test.append", "A")}},
				// Changes the content, reports a finding, then fails: all of
				// it is discarded.
				config.Rule{ID: "bad", Files: []string{"bad/**"}, Actions: []config.ActionRef{
					act("test.append", "B"), act("test.finding", "from bad"), act("test.fail", nil)}},
				config.Rule{ID: "later", Actions: []config.ActionRef{act("test.finding", "from later"), act("test.append", "C")}},
				config.Rule{ID: "bad2", Files: []string{"bad/**"}, Actions: []config.ActionRef{act("test.fail", nil)}},
			)
			root := openRoot(t, map[string]string{"bad/x.md": "x\n", "good.md": "g\n"})
			rep := run(t, engine.New(set, engine.Options{DryRun: dry}), root)
			r := result(rep, "bad/x.md")
			want := []engine.RuleFailure{
				{Rule: "bad", Action: "test.fail", Error: "deliberate failure"},
				{Rule: "bad2", Action: "test.fail", Error: "deliberate failure"},
			}
			if !r.Failed() || r.Error != "" || fmt.Sprint(r.Failures) != fmt.Sprint(want) {
				t.Fatalf("failures = %+v, error %q; want %+v", r.Failures, r.Error, want)
			}
			if got := r.Err().Error(); got != "rule bad: action test.fail: deliberate failure; rule bad2: action test.fail: deliberate failure" {
				t.Errorf("Err() = %q", got)
			}
			if len(r.Findings) != 1 || r.Findings[0].Message != "from later" || r.Findings[0].Rule != "later" {
				t.Errorf("findings = %+v, want only the later rule's", r.Findings)
			}
			if fmt.Sprint(r.Rules) != "[first bad later bad2]" || fmt.Sprint(r.ChangedBy) != "[first later]" {
				t.Errorf("rules = %v, changed by %v", r.Rules, r.ChangedBy)
			}
			if string(r.After) != "x\nA\nC\n" || !r.Changed {
				t.Errorf("content after the rules = %q (changed %v), want the failed rule's change left out", r.After, r.Changed)
			}
			wantDisk := "x\nA\nC\n"
			if dry {
				wantDisk = "x\n"
			}
			if got := read(t, root, "bad/x.md"); got != wantDisk || r.Written == dry {
				t.Fatalf("on disk %q (written %v), want %q", got, r.Written, wantDisk)
			}
			if g := result(rep, "good.md"); g.Failed() || (!dry && read(t, root, "good.md") != "g\nA\nC\n") {
				t.Fatalf("other files must be processed as usual: %+v", g)
			}
		})
	}
}

// A rule that fails on every file does not hold back the others' writes, and
// a second run finds nothing more to write: the retry a daemon makes after a
// failed rule repeats no write.
func TestFailedRuleRetryWritesNothingMore(t *testing.T) {
	set := rules(t,
		config.Rule{ID: "ok", Actions: []config.ActionRef{act("test.append", "A")}},
		config.Rule{ID: "bad", Actions: []config.ActionRef{act("test.fail", nil)}},
	)
	root := openRoot(t, map[string]string{"n.md": "n\n"})
	e := engine.New(set, engine.Options{})
	r1 := e.Process(context.Background(), root, "n.md", &engine.Writes{})
	if !r1.Written || !r1.Failed() {
		t.Fatalf("first pass: %+v", r1)
	}
	r2 := e.Process(context.Background(), root, "n.md", &engine.Writes{})
	if r2.Written || r2.Changed || !r2.Failed() {
		t.Fatalf("retry: %+v, want a failure and no write", r2)
	}
	if got := read(t, root, "n.md"); got != "n\nA\n" {
		t.Fatalf("content = %q", got)
	}
}

func TestVanishedFileIsReported(t *testing.T) {
	set := rules(t, config.Rule{ID: "del", Actions: []config.ActionRef{act("test.delete", nil)}})
	root := openRoot(t, map[string]string{"n.md": "start\n"})
	rep := run(t, engine.New(set, engine.Options{}), root)
	r := result(rep, "n.md")
	if r.Failed() || r.Skipped != "vanished" || len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Message, "vanished") {
		t.Fatalf("result = %+v", r)
	}
	if _, err := os.Stat(filepath.Join(root.Dir, "n.md")); !os.IsNotExist(err) {
		t.Fatalf("the engine recreated a file the user deleted: %v", err)
	}
}

func TestSkipsBinaryAndSpecialFiles(t *testing.T) {
	set := rules(t, config.Rule{ID: "a", Actions: []config.ActionRef{act("test.append", "A")}})
	root := openRoot(t, map[string]string{"bin.md": "PK\x00\x03binary", "big.md": strings.Repeat("x", 2048)})
	rep := run(t, engine.New(set, engine.Options{MaxFileSize: 1024}), root)
	for _, p := range []string{"bin.md", "big.md"} {
		r := result(rep, p)
		if r == nil || r.Skipped == "" || r.Written || len(r.Findings) != 1 {
			t.Errorf("%s: result = %+v, want skipped with a finding", p, r)
		}
	}
	if got := read(t, root, "bin.md"); got != "PK\x00\x03binary" {
		t.Errorf("binary file modified")
	}
}

func TestResolveTargets(t *testing.T) {
	root := openRoot(t, map[string]string{"a/b.md": "b\n"})
	ts, err := engine.Resolve([]*engine.Root{root}, []string{filepath.Join(root.Dir, "a", "b.md"), filepath.Join(root.Dir, "a")})
	if err != nil {
		t.Fatal(err)
	}
	if ts[0].Rel != "a/b.md" || !ts[0].File || ts[1].Rel != "a" || ts[1].File {
		t.Fatalf("targets = %+v", ts)
	}
	if _, err := engine.Resolve([]*engine.Root{root}, []string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "not inside any root") {
		t.Fatalf("outside path: err = %v", err)
	}
	missing := filepath.Join(root.Dir, "a", "nope.md")
	if _, err := engine.Resolve([]*engine.Root{root}, []string{missing}); err == nil || err.Error() != missing+" does not exist" {
		t.Fatalf("a path that is not there: err = %v", err)
	}
}

func TestManyFilesDeterministicOrder(t *testing.T) {
	set := rules(t, config.Rule{ID: "a", Actions: []config.ActionRef{act("test.append", "A")}})
	files := map[string]string{}
	for i := range 200 {
		files[fmt.Sprintf("d%d/n%03d.md", i%7, i)] = fmt.Sprintf("note %d\n", i)
	}
	root := openRoot(t, files)
	rep := run(t, engine.New(set, engine.Options{Workers: 4, DryRun: true}), root)
	for i := 1; i < len(rep.Results); i++ {
		if rep.Results[i-1].Path >= rep.Results[i].Path {
			t.Fatalf("results not sorted at %d: %s >= %s", i, rep.Results[i-1].Path, rep.Results[i].Path)
		}
	}
	if len(rep.Results) != 200 || rep.Scanned != 200 {
		t.Fatalf("results = %d, scanned = %d", len(rep.Results), rep.Scanned)
	}
}

// Overlapping targets (a directory and a file inside it) process the file
// once.
func TestOverlappingTargetsProcessOnce(t *testing.T) {
	set := rules(t, config.Rule{ID: "a", Actions: []config.ActionRef{act("test.append", "A")}})
	root := openRoot(t, map[string]string{"d/x.md": "x\n"})
	ts, err := engine.Resolve([]*engine.Root{root}, []string{filepath.Join(root.Dir, "d"), filepath.Join(root.Dir, "d", "x.md")})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.New(set, engine.Options{Workers: 2}).Run(context.Background(), ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rep.Results {
		if r.Path == "d/x.md" {
			n++
		}
	}
	if n != 1 || rep.Scanned != 1 || read(t, root, "d/x.md") != "x\nA\n" {
		t.Fatalf("results for d/x.md = %d, content %q", n, read(t, root, "d/x.md"))
	}
}
