package pipeline

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/scribe-md/scribe/internal/action/builtin/exec"    // exec stages
	_ "github.com/scribe-md/scribe/internal/action/builtin/publish" // publish stages
	_ "github.com/scribe-md/scribe/internal/action/builtin/text"    // replace stages

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/action/actiontest"
)

// funcAction is an in-test action; tests build pipelines of them directly so the
// registry stays free of test-only actions.
type funcAction func(ctx context.Context, in action.Input) (action.Output, error)

func (f funcAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	return f(ctx, in)
}

// finisher is an action that also aggregates.
type finisher struct {
	funcAction
	finished atomic.Int32
}

func (f *finisher) Finish(ctx context.Context, h action.Host) (action.Output, error) {
	f.finished.Add(1)
	return action.Output{Findings: []action.Finding{{Message: "finished"}}}, nil
}

func mustNew(t *testing.T, e *actiontest.Shell, params string) action.Action {
	t.Helper()
	a, err := action.New("pipeline", actiontest.YAML(t, params), e.Build)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// stages builds a pipeline of in-test actions.
func stages(parallel, failFast bool, merge string, timeout time.Duration, fs ...action.Action) *pipelineAction {
	p := &pipelineAction{parallel: parallel, failFast: failFast, merge: merge}
	if merge == "" {
		p.merge = pipelineMergeConflict
	}
	for i, f := range fs {
		p.stages = append(p.stages, pipelineStage{name: "stage" + string(rune('A'+i)), a: f, timeout: timeout})
	}
	return p
}

func eventAction(typ string) funcAction {
	return func(ctx context.Context, in action.Input) (action.Output, error) {
		return action.Output{Events: []action.Event{{Type: typ, Path: in.Path}}}, nil
	}
}

func eventTypes(out action.Output) string {
	var s []string
	for _, ev := range out.Events {
		s = append(s, ev.Type)
	}
	return strings.Join(s, ",")
}

// TestPipelineSequence: each stage sees the previous one's content and its
// re-parsed front matter; events and findings come in stage order.
func TestPipelineSequence(t *testing.T) {
	e := actiontest.NewShell(t)
	p := mustNew(t, e, `
stages:
  - replace: { pattern: 'title: draft', with: 'title: final' }
  - exec: { command: [sh, -c, "sed 's/body/BODY/'"], filter: true, files: false }
  - publish: { type: note.done, data: { title: '{{ .FM.title }}' } }
  - exec: { command: [sh, -c, 'echo "$1:4: checked"'], findings: true, severity: info }
`)
	out, err := p.Run(context.Background(), e.Input(t, "n.md", "---\ntitle: draft\n---\nbody\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out.Content), "---\ntitle: final\n---\nBODY\n"; got != want {
		t.Fatalf("content %q, want %q", got, want)
	}
	if len(out.Events) != 1 || out.Events[0].Data["title"] != "final" {
		t.Fatalf("events %+v: publish did not see the re-parsed front matter", out.Events)
	}
	if len(out.Findings) != 1 || out.Findings[0].Message != "checked" {
		t.Fatalf("findings %+v", out.Findings)
	}
}

func TestPipelineSequenceErrors(t *testing.T) {
	e := actiontest.NewShell(t)
	const stages = `
  stages:
    - replace: { pattern: a, with: b }
    - exec: { command: [sh, -c, "echo broken >&2; exit 3"], files: false }
    - publish: { type: after }`
	in := e.Input(t, "n.md", "a\n")

	ff := mustNew(t, e, stages)
	_, err := ff.Run(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "pipeline stage 1 (exec)") || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("fail_fast: err = %v", err)
	}

	cont := mustNew(t, e, "\n  on_error: continue"+stages)
	out, err := cont.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Content) != "b\n" || eventTypes(out) != "after" {
		t.Fatalf("continue: content %q events %q; want the other stages' effects", out.Content, eventTypes(out))
	}
	if len(out.Findings) != 1 || out.Findings[0].Severity != action.SeverityError || !strings.Contains(out.Findings[0].Message, "stage 1 (exec) failed") {
		t.Fatalf("continue: findings %+v", out.Findings)
	}
}

func TestPipelineInvalidFrontMatterFailsTheStage(t *testing.T) {
	e := actiontest.NewShell(t)
	p := mustNew(t, e, `{stages: [{replace: {pattern: 'title: x', with: 'title: [unclosed'}}]}`)
	_, err := p.Run(context.Background(), e.Input(t, "n.md", "---\ntitle: x\n---\n"))
	if err == nil || !strings.Contains(err.Error(), "invalid front matter") {
		t.Fatalf("err = %v", err)
	}
}

func TestPipelineParallelMerge(t *testing.T) {
	e := actiontest.NewShell(t)
	in := e.Input(t, "n.md", "x\n")
	const stages = `stages: [{replace: {pattern: x, with: A}}, {replace: {pattern: x, with: B}}, {publish: {type: c}}]`
	cases := []struct{ merge, want, err string }{
		{"", "", "stages 0 (replace) and 1 (replace) both changed the content"},
		{"merge: first,", "A\n", ""},
		{"merge: last,", "B\n", ""},
	}
	for _, tc := range cases {
		p := mustNew(t, e, "{mode: parallel, "+tc.merge+stages+"}")
		out, err := p.Run(context.Background(), in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.merge, err, tc.err)
			}
			continue
		}
		if err != nil || string(out.Content) != tc.want || eventTypes(out) != "c" {
			t.Errorf("%q: content %q events %q err %v; want %q", tc.merge, out.Content, eventTypes(out), err, tc.want)
		}
	}

	// The same change from two stages is no conflict.
	p := mustNew(t, e, `{mode: parallel, stages: [{replace: {pattern: x, with: A}}, {replace: {pattern: x, with: A}}]}`)
	if out, err := p.Run(context.Background(), in); err != nil || string(out.Content) != "A\n" {
		t.Fatalf("identical changes: %q, %v", out.Content, err)
	}
}

// TestPipelineParallelOrder: outputs are merged in stage order, not in the
// order stages finish.
func TestPipelineParallelOrder(t *testing.T) {
	release := make(chan struct{})
	slow := funcAction(func(ctx context.Context, in action.Input) (action.Output, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return action.Output{}, ctx.Err()
		}
		return action.Output{Events: []action.Event{{Type: "first"}}}, nil
	})
	last := funcAction(func(ctx context.Context, in action.Input) (action.Output, error) {
		close(release) // runs only once the slow stage is waiting on it
		return action.Output{Events: []action.Event{{Type: "second"}}}, nil
	})
	p := stages(true, true, "", 5*time.Second, slow, last)
	out, err := p.Run(context.Background(), action.Input{Path: "n.md", Content: []byte("x")})
	if err != nil || eventTypes(out) != "first,second" {
		t.Fatalf("events %q, err %v; want first,second", eventTypes(out), err)
	}
}

// TestPipelineParallelIsolation: stages cannot see each other's changes to
// the front matter they were given (run with -race).
func TestPipelineParallelIsolation(t *testing.T) {
	mutate := funcAction(func(ctx context.Context, in action.Input) (action.Output, error) {
		in.FrontMatter["tags"].([]any)[0] = "changed"
		in.FrontMatter["new"] = true
		return action.Output{}, nil
	})
	var seen atomic.Value
	read := funcAction(func(ctx context.Context, in action.Input) (action.Output, error) {
		seen.Store(in.FrontMatter["tags"].([]any)[0])
		return action.Output{}, nil
	})
	fm := map[string]any{"tags": []any{"orig"}}
	p := stages(true, true, "", time.Second, mutate, read, mutate)
	if _, err := p.Run(context.Background(), action.Input{Content: []byte("x"), FrontMatter: fm}); err != nil {
		t.Fatal(err)
	}
	if seen.Load() != "orig" || fm["tags"].([]any)[0] != "orig" || fm["new"] != nil {
		t.Fatalf("front matter shared between stages: seen %v, input %v", seen.Load(), fm)
	}
}

func TestPipelineParallelErrors(t *testing.T) {
	e := actiontest.NewShell(t)
	in := e.Input(t, "n.md", "x\n")
	const stages = `stages: [{exec: {command: [sh, -c, "sleep 30"], files: false}}, {exec: {command: [sh, -c, "exit 4"], files: false}}, {publish: {type: ok}}]`

	// fail_fast: the failure cancels the sleeping stage, which returns at once.
	start := time.Now()
	_, err := mustNew(t, e, "{mode: parallel, "+stages+"}").Run(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "pipeline stage 1 (exec)") {
		t.Fatalf("fail_fast: err = %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("fail_fast took %v: the other stages were not cancelled", took)
	}

	// continue: failures become findings in stage order, the rest still count.
	e.Build.Timeout = 300 * time.Millisecond
	out, err := mustNew(t, e, "{mode: parallel, on_error: continue, "+stages+"}").Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Findings) != 2 || !strings.Contains(out.Findings[0].Message, "stage 0 (exec)") || !strings.Contains(out.Findings[1].Message, "stage 1 (exec)") || eventTypes(out) != "ok" {
		t.Fatalf("continue: findings %+v events %q", out.Findings, eventTypes(out))
	}
}

// TestPipelineAbandonsStuckStage: a stage that ignores its deadline is
// abandoned by action.Call, and the pipeline returns promptly, in sequence
// and in parallel.
func TestPipelineAbandonsStuckStage(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // let the abandoned goroutines end
	stuck := funcAction(func(ctx context.Context, in action.Input) (action.Output, error) {
		<-release // ignores ctx
		return action.Output{}, nil
	})
	const timeout = 100 * time.Millisecond
	for _, parallel := range []bool{false, true} {
		for _, failFast := range []bool{true, false} {
			p := stages(parallel, failFast, "", timeout, eventAction("before"), stuck, eventAction("after"))
			start := time.Now()
			out, err := p.Run(context.Background(), action.Input{Path: "n.md", Content: []byte("x")})
			took := time.Since(start)
			if took > timeout+time.Second {
				t.Errorf("parallel=%v fail_fast=%v: took %v", parallel, failFast, took)
			}
			if failFast {
				if !errors.Is(err, action.ErrAbandoned) {
					t.Errorf("parallel=%v fail_fast: err = %v, want ErrAbandoned", parallel, err)
				}
				continue
			}
			if err != nil || len(out.Findings) != 1 || !strings.Contains(out.Findings[0].Message, "abandoned") || eventTypes(out) != "before,after" {
				t.Errorf("parallel=%v continue: err %v findings %+v events %q", parallel, err, out.Findings, eventTypes(out))
			}
		}
	}
}

func TestPipelineCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, parallel := range []bool{false, true} {
		p := stages(parallel, false, "", time.Second, eventAction("a"))
		if _, err := p.Run(ctx, action.Input{Content: []byte("x")}); !errors.Is(err, context.Canceled) {
			t.Errorf("parallel=%v: err = %v, want context.Canceled", parallel, err)
		}
	}
}

func TestPipelineFinishForwards(t *testing.T) {
	f := &finisher{funcAction: eventAction("x")}
	p := stages(false, true, "", time.Second, eventAction("a"), f)
	out, err := p.Finish(context.Background(), action.Host{})
	if err != nil || f.finished.Load() != 1 || len(out.Findings) != 1 {
		t.Fatalf("Finish: %+v, %v, finished %d", out, err, f.finished.Load())
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPipelineConstructorErrors(t *testing.T) {
	e := actiontest.NewShell(t)
	cases := []struct{ params, want string }{
		{`{merge: first, stages: [{publish: {type: a}}]}`, "only applies with mode: parallel"},
		{`{stages: []}`, "stages"},
		{`{stages: [{publish: {type: a}}, {nope: {}}]}`, `invalid parameters for pipeline: /stages/1/nope: unknown action "nope"`},
		{`{stages: [{replace: {}}]}`, "invalid parameters for pipeline: /stages/0/replace: missing property 'with'"},
		{`{stages: [{pipeline: {stages: [{replace: {}}]}}]}`, "invalid parameters for pipeline: /stages/0/pipeline/stages/0/replace: missing property 'with'"},
		{`{stages: [{publish: {type: a}, log: {message: x}}]}`, "names two actions"},
		{`{stages: [{timeout: 1s}]}`, "names no action"},
		{`{stages: [{publish: {type: a}, timeout: soon}]}`, "timeout"},
		{`{stages: [{pipeline: {stages: [{exec: {command: [rm]}}]}}]}`, `stages[0]: pipeline: stages[0]: exec: command "rm" is not in security.commands`},
		{`{mode: both, stages: [{publish: {type: a}}]}`, "mode"},
		{`{on_error: retry, stages: [{publish: {type: a}}]}`, "on_error"},
	}
	for _, tc := range cases {
		_, err := action.New("pipeline", actiontest.YAML(t, tc.params), e.Build)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.params, err, tc.want)
		}
	}
	// Nesting works.
	mustNew(t, e, `{stages: [{pipeline: {mode: parallel, stages: [{publish: {type: a}}]}, timeout: 2s}]}`)
}
