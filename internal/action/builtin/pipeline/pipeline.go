package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/scribe-md/scribe/internal/action"
	"github.com/scribe-md/scribe/internal/markdown"
	"github.com/scribe-md/scribe/internal/schemaerr"
)

func init() {
	action.Register(action.Spec{
		Name:    "pipeline",
		Summary: "run stages (any actions) in sequence, or in parallel with a merge strategy; on_error fail_fast or continue",
		Schema: `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["stages"],
  "properties": {
    "mode": {"enum": ["sequence", "parallel"], "default": "sequence", "description": "sequence: each stage sees the previous one's output; parallel: every stage sees the pipeline's input"},
    "merge": {"enum": ["error-on-conflict", "first", "last"], "default": "error-on-conflict", "description": "parallel only: which content wins when several stages change it"},
    "on_error": {"enum": ["fail_fast", "continue"], "default": "fail_fast", "description": "fail_fast: the first failing stage fails the pipeline (and cancels the others); continue: a failure becomes a finding and the other stages go on"},
    "stages": {
      "type": "array", "minItems": 1,
      "items": {
        "type": "object", "minProperties": 1, "maxProperties": 2,
        "properties": {"timeout": {"type": "string", "pattern": "` + action.DurationPattern + `"}},
        "description": "one action, written as in a rule's actions list: {ACTION: PARAMS}, optionally with timeout: DURATION"
      }
    }
  }
}`,
		Example: `pipeline:
  mode: parallel
  merge: error-on-conflict
  on_error: continue
  stages:
    - exec: { command: [markdownlint], findings: true }
    - replace: { pattern: '(?m)[ \t]+$', with: '' }
    - publish: { type: note.checked }`,
		New: newPipeline,
	})
}

// pipelineParams is the parameter shape users write.
type pipelineParams struct {
	Mode    string           `json:"mode"`
	Merge   string           `json:"merge"`
	OnError string           `json:"on_error"`
	Stages  []map[string]any `json:"stages"`
}

// pipelineStage is one built stage.
type pipelineStage struct {
	name    string // the action's registered name
	a       action.Action
	timeout time.Duration // 0: only the pipeline's own deadline
}

// pipelineAction runs its stages through action.Call, so a stage that
// ignores its deadline is abandoned and the pipeline still returns on time.
type pipelineAction struct {
	parallel bool
	merge    string
	failFast bool
	stages   []pipelineStage
}

var (
	_ action.Action   = (*pipelineAction)(nil)
	_ action.Finisher = (*pipelineAction)(nil)
	_ action.Closer   = (*pipelineAction)(nil)
	_ action.Local    = (*pipelineAction)(nil)
)

// Local reports whether any stage must run where the files are.
func (a *pipelineAction) Local() bool {
	for _, st := range a.stages {
		if action.IsLocal(st.a) {
			return true
		}
	}
	return false
}

// Merge strategies for parallel stages that change the content.
const (
	pipelineMergeConflict = "error-on-conflict"
	pipelineMergeFirst    = "first"
	pipelineMergeLast     = "last"
)

func newPipeline(params any, b action.Build) (action.Action, error) {
	var p pipelineParams
	if err := action.DecodeParams(params, &p); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	a := &pipelineAction{
		parallel: p.Mode == "parallel",
		merge:    p.Merge,
		failFast: p.OnError != "continue",
	}
	if a.merge == "" {
		a.merge = pipelineMergeConflict
	} else if !a.parallel {
		return nil, fmt.Errorf("pipeline: merge %q only applies with mode: parallel (in sequence each stage sees the previous one's output)", p.Merge)
	}
	if len(p.Stages) == 0 {
		return nil, errors.New("pipeline: `stages` needs at least one action")
	}
	// Every stage is built, so that a configuration error lists the
	// schema errors of all of them; another error is reported when there
	// are none.
	pe := &action.ParamsError{Action: "pipeline"}
	var other error
	for i, raw := range p.Stages {
		st, err := newPipelineStage(raw, b)
		if err != nil {
			if errs, ok := stageParamErrors(i, st.name, err, b.Names()); ok {
				pe.Errors = append(pe.Errors, errs...)
			} else if other == nil {
				other = fmt.Errorf("pipeline: stages[%d]: %w", i, err)
			}
			continue
		}
		a.stages = append(a.stages, st)
	}
	if len(pe.Errors) > 0 {
		other = pe
	}
	if other != nil {
		a.closeStages(context.Background())
		return nil, other
	}
	return a, nil
}

// newPipelineStage builds one {ACTION: PARAMS[, timeout: D]} entry; its
// parameters are validated against the action's schema now, at load time.
func newPipelineStage(raw map[string]any, b action.Build) (pipelineStage, error) {
	var st pipelineStage
	var params any
	for k, v := range raw {
		if k == "timeout" {
			s, _ := v.(string)
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				return st, fmt.Errorf("timeout %v is not a positive duration; write e.g. 5s", v)
			}
			st.timeout = d
			continue
		}
		if st.name != "" {
			return st, fmt.Errorf("names two actions (%s and %s); write one action per stage", st.name, k)
		}
		st.name, params = k, v
	}
	if st.name == "" {
		return st, errors.New("names no action; write {ACTION: PARAMS}")
	}
	if st.timeout == 0 {
		st.timeout = b.Timeout
	}
	a, err := action.New(st.name, params, b)
	if err != nil {
		if strings.HasPrefix(err.Error(), st.name+": ") {
			return st, err // constructors name their action already
		}
		return st, fmt.Errorf("%s: %w", st.name, err)
	}
	st.a = a
	return st, nil
}

// Run runs the stages in sequence or in parallel.
func (p *pipelineAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	if p.parallel {
		return p.runParallel(ctx, in)
	}
	return p.runSequence(ctx, in)
}

// runSequence feeds each stage the previous one's content, with its front
// matter parsed again when the content changed. A stage whose output has
// invalid front matter counts as a failed stage.
func (p *pipelineAction) runSequence(ctx context.Context, in action.Input) (action.Output, error) {
	var out action.Output
	cur := in
	for i, st := range p.stages {
		if err := ctx.Err(); err != nil {
			return action.Output{}, fmt.Errorf("pipeline: stopped before stage %d (%s): %w", i, st.name, err)
		}
		o, err := action.Call(ctx, st.a, cur, st.timeout)
		var fm map[string]any
		changed := err == nil && o.Content != nil && !bytes.Equal(o.Content, cur.Content)
		if changed {
			if fm, err = markdown.ParseAs(o.Content, action.DialectOf(cur.Host.Docs)); err != nil {
				err = fmt.Errorf("its output has invalid front matter: %w", err)
			}
		}
		if err != nil {
			if p.failFast || ctx.Err() != nil {
				return action.Output{}, stageError(i, st, err)
			}
			out.Findings = append(out.Findings, failure(in, i, st, err))
			continue
		}
		collect(&out, o)
		if changed {
			cur.Content, cur.FrontMatter = o.Content, fm
		}
	}
	if !bytes.Equal(cur.Content, in.Content) {
		out.Content = cur.Content
	}
	return out, nil
}

// runParallel gives every stage the same input (its own copy) and merges the
// results in stage order.
func (p *pipelineAction) runParallel(ctx context.Context, in action.Input) (action.Output, error) {
	type result struct {
		out action.Output
		err error
	}
	results := make([]result, len(p.stages))
	g, gctx := errgroup.WithContext(ctx)
	if !p.failFast {
		g, gctx = &errgroup.Group{}, ctx
	}
	for i, st := range p.stages {
		sin := in
		sin.Content = bytes.Clone(in.Content)
		sin.FrontMatter = cloneMap(in.FrontMatter)
		g.Go(func() error {
			o, err := action.Call(gctx, st.a, sin, st.timeout)
			results[i] = result{o, err}
			if err != nil && p.failFast {
				return stageError(i, st, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return action.Output{}, err
	}
	if err := ctx.Err(); err != nil {
		return action.Output{}, fmt.Errorf("pipeline: %w", err)
	}

	var out action.Output
	var changed []int // stages whose content differs from the input
	for i, r := range results {
		if r.err != nil {
			out.Findings = append(out.Findings, failure(in, i, p.stages[i], r.err))
			continue
		}
		collect(&out, r.out)
		if r.out.Content != nil && !bytes.Equal(r.out.Content, in.Content) {
			changed = append(changed, i)
		}
	}
	if len(changed) == 0 {
		return out, nil
	}
	win := changed[0]
	switch p.merge {
	case pipelineMergeLast:
		win = changed[len(changed)-1]
	case pipelineMergeConflict:
		for _, j := range changed[1:] {
			if !bytes.Equal(results[j].out.Content, results[win].out.Content) {
				return action.Output{}, fmt.Errorf("pipeline: stages %d (%s) and %d (%s) both changed the content, differently; run them in sequence, or set merge: first or last to choose one",
					win, p.stages[win].name, j, p.stages[j].name)
			}
		}
	}
	out.Content = results[win].out.Content
	return out, nil
}

// Finish forwards to the stages that aggregate over many files (catalog,
// index), in stage order, honouring on_error.
func (p *pipelineAction) Finish(ctx context.Context, h action.Host) (action.Output, error) {
	var out action.Output
	for i, st := range p.stages {
		f, ok := st.a.(action.Finisher)
		if !ok {
			continue
		}
		o, err := f.Finish(ctx, h)
		if err != nil {
			if p.failFast || ctx.Err() != nil {
				return action.Output{}, stageError(i, st, err)
			}
			out.Findings = append(out.Findings, action.Finding{Action: "pipeline", Severity: action.SeverityError,
				Message: fmt.Sprintf("stage %d (%s) failed to finish: %v", i, st.name, err)})
			continue
		}
		collect(&out, o)
	}
	return out, nil
}

// Close closes the stages that hold resources. It succeeds even when ctx is
// done, as far as the stages do.
func (p *pipelineAction) Close(ctx context.Context) error { return p.closeStages(ctx) }

func (p *pipelineAction) closeStages(ctx context.Context) error {
	var errs []error
	for i, st := range p.stages {
		if c, ok := st.a.(action.Closer); ok {
			if err := c.Close(ctx); err != nil {
				errs = append(errs, stageError(i, st, err))
			}
		}
	}
	return errors.Join(errs...)
}

// collect appends o's findings, events and affected files to out.
func collect(out *action.Output, o action.Output) {
	out.Findings = append(out.Findings, o.Findings...)
	out.Events = append(out.Events, o.Events...)
	for _, a := range o.Affected {
		if !slices.Contains(out.Affected, a) {
			out.Affected = append(out.Affected, a)
		}
	}
}

// stageParamErrors places the schema errors of stage i (of action name),
// or its unknown action, under that stage: paths into the pipeline's own
// parameters, so that a configuration error points at the stage (for
// example rules[0].actions[1].pipeline.stages[2].replace.with). Passed on
// as they are, the rule would take them for its own: an unknown stage read
// as an unknown "pipeline", and a schema error lost the stage. An unknown
// action is given the known ones (names) for a "did you mean" hint. It
// reports false for other errors.
func stageParamErrors(i int, name string, err error, names []string) ([]action.ParamError, bool) {
	at := schemaerr.Pointer("stages", strconv.Itoa(i), name)
	var unk *action.UnknownError
	var pe *action.ParamsError
	switch {
	case errors.As(err, &unk):
		return []action.ParamError{{Path: at, Message: unk.Error(), Unknown: unk.Name, Known: names}}, true
	case errors.As(err, &pe):
		out := make([]action.ParamError, 0, len(pe.Errors))
		for _, e := range pe.Errors {
			e.Path = at + e.Path
			out = append(out, e)
		}
		return out, true
	}
	return nil, false
}

func stageError(i int, st pipelineStage, err error) error {
	return fmt.Errorf("pipeline stage %d (%s): %w", i, st.name, err)
}

// failure is how on_error: continue reports a failed stage.
func failure(in action.Input, i int, st pipelineStage, err error) action.Finding {
	return action.Finding{
		Path: in.Path, Rule: in.Rule, Action: "pipeline", Severity: action.SeverityError,
		Message: fmt.Sprintf("stage %d (%s) failed: %s", i, st.name, strings.TrimSpace(err.Error())),
	}
}

// cloneMap deep-copies front matter so that parallel stages cannot
// race on shared maps and lists.
func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = cloneValue(e)
		}
		return c
	default:
		return v
	}
}
