package action_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

type runFunc func(context.Context, action.Input) (action.Output, error)

func (f runFunc) Run(ctx context.Context, in action.Input) (action.Output, error) { return f(ctx, in) }

// pooled is an action that takes a slot of pool for each call, as the
// plugin runtimes do, and runs fn, which may ignore its context.
func pooled(pool *action.Pool, fn func()) action.Action {
	return runFunc(func(ctx context.Context, in action.Input) (action.Output, error) {
		release, err := pool.Acquire(ctx)
		if err != nil {
			return action.Output{}, err
		}
		defer release()
		fn()
		return action.Output{}, nil
	})
}

// An action that ignores its deadline is abandoned and counted; it keeps
// its pool slot until it really returns, so runaway work is bounded by the
// pool's size and never blocks the caller past its deadline.
func TestAbandonedWorkKeepsItsSlot(t *testing.T) {
	pool := action.NewPool(1)
	release := make(chan struct{})
	var running atomic.Int32
	stuck := pooled(pool, func() {
		running.Add(1)
		<-release
	})
	before := action.Abandoned()
	_, err := action.Call(context.Background(), stuck, action.Input{Content: []byte("c")}, 50*time.Millisecond)
	if !errors.Is(err, action.ErrAbandoned) {
		t.Fatalf("err = %v, want ErrAbandoned", err)
	}
	if action.Abandoned() <= before {
		t.Fatal("abandoned call not counted")
	}
	if pool.InUse() != 1 {
		t.Fatalf("pool in use = %d, want the abandoned call to keep its slot", pool.InUse())
	}
	// The pool is full: the next call waits for a slot and gives up at its
	// deadline rather than starting a second runaway goroutine.
	_, err = action.Call(context.Background(), stuck, action.Input{Content: []byte("c")}, 50*time.Millisecond)
	if err == nil || running.Load() != 1 || !strings.Contains(err.Error(), "its one slot stayed busy: context deadline exceeded") {
		t.Fatalf("second call: err = %v, running = %d; want a timeout naming the busy slot and still one running", err, running.Load())
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for pool.InUse() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slot was never released after the call returned")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCallRecoversPanics(t *testing.T) {
	ctxAware := runFunc(func(context.Context, action.Input) (action.Output, error) { panic("bang") })
	if _, err := action.Call(context.Background(), ctxAware, action.Input{}, time.Second); err == nil || !strings.Contains(err.Error(), "bang") {
		t.Fatalf("action panic: err = %v", err)
	}
}

// A context-aware action that honours its deadline reports its own error
// and is not counted as abandoned.
func TestCallPromptActionNotAbandoned(t *testing.T) {
	polite := runFunc(func(ctx context.Context, _ action.Input) (action.Output, error) {
		<-ctx.Done()
		return action.Output{}, ctx.Err()
	})
	before := action.Abandoned()
	_, err := action.Call(context.Background(), polite, action.Input{}, 20*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, action.ErrAbandoned) {
		t.Fatalf("err = %v, want the action's own deadline error", err)
	}
	if action.Abandoned() != before {
		t.Fatal("a prompt action was counted as abandoned")
	}
}

func TestRegistryValidatesParams(t *testing.T) {
	action.Register(action.Spec{
		Name:   "test.params",
		Schema: `{"type":"object","properties":{"n":{"type":"integer","minimum":1}},"required":["n"],"additionalProperties":false}`,
		New: func(p any, _ action.Build) (action.Action, error) {
			return runFunc(func(context.Context, action.Input) (action.Output, error) { return action.Output{}, nil }), nil
		},
	})
	defer action.Unregister("test.params")
	if _, err := action.New("test.params", map[string]any{"n": 2}, action.Build{}); err != nil {
		t.Fatalf("valid params: %v", err)
	}
	_, err := action.New("test.params", map[string]any{"n": 0, "x": true}, action.Build{})
	var pe *action.ParamsError
	if !errors.As(err, &pe) || len(pe.Errors) != 2 {
		t.Fatalf("err = %v, want two parameter errors", err)
	}
	var unk *action.UnknownError
	if _, err := action.New("test.nope", nil, action.Build{}); !errors.As(err, &unk) {
		t.Fatalf("unknown action: err = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a duplicate registration must panic")
		}
	}()
	action.Register(action.Spec{Name: "test.params", New: nil})
}

// A parameter the schema does not allow is an error of its own, at its
// own path, with the names allowed at that place (for a "did you mean"),
// nested objects included.
func TestUnknownParamsNameTheKnownOnes(t *testing.T) {
	s, err := action.NewSpec(action.Spec{Name: "test.unknown", Schema: `{
		"type": "object", "additionalProperties": false,
		"properties": {
			"max_links": {"type": "integer"},
			"sort": {"type": "object", "additionalProperties": false, "properties": {"by": {}, "order": {}}},
			"a/b": {}
		}}`})
	if err != nil {
		t.Fatal(err)
	}
	got := s.ValidateParams(map[string]any{"max_link": 1, "sort": map[string]any{"ordr": "asc"}, "x~y": 1})
	slices.SortFunc(got, func(a, b action.ParamError) int { return strings.Compare(a.Path, b.Path) })
	want := []action.ParamError{
		{Path: "/max_link", Message: `unknown parameter "max_link"`, Unknown: "max_link", Known: []string{"a/b", "max_links", "sort"}},
		{Path: "/sort/ordr", Message: `unknown parameter "ordr"`, Unknown: "ordr", Known: []string{"by", "order"}},
		{Path: "/x~0y", Message: `unknown parameter "x~y"`, Unknown: "x~y", Known: []string{"a/b", "max_links", "sort"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ValidateParams =\n%+v\nwant\n%+v", got, want)
	}
}

// A parameter of the wrong value comes with what the schema says of it,
// and a duration written wrong reads as one.
func TestParamErrorsSayWhatTheSchemaSays(t *testing.T) {
	s, err := action.NewSpec(action.Spec{Name: "test.described", Schema: `{
		"type": "object",
		"properties": {
			"timeout": {"type": "string", "pattern": "` + action.DurationPattern + `", "description": "how long to wait"},
			"level": {"enum": ["low", "high"]}
		}}`})
	if err != nil {
		t.Fatal(err)
	}
	got := s.ValidateParams(map[string]any{"timeout": "soon", "level": "mid"})
	slices.SortFunc(got, func(a, b action.ParamError) int { return strings.Compare(a.Path, b.Path) })
	want := []action.ParamError{
		{Path: "/level", Message: "value must be one of 'low', 'high'"},
		{Path: "/timeout", Message: `expected a duration like "5s" or "300ms", got "soon"`, Description: "how long to wait"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ValidateParams =\n%+v\nwant\n%+v", got, want)
	}
	if errs := s.ValidateParams(map[string]any{"timeout": "1m30s"}); len(errs) != 0 {
		t.Fatalf("a valid duration: %+v", errs)
	}
}

func TestPoolConcurrency(t *testing.T) {
	pool := action.NewPool(3)
	var cur, peak atomic.Int32
	a := pooled(pool, func() {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		cur.Add(-1)
	})
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			if _, err := action.Call(context.Background(), a, action.Input{}, 5*time.Second); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() > 3 {
		t.Fatalf("peak concurrency %d exceeds the pool size 3", peak.Load())
	}
}

// Call keeps at most MaxFindings findings of one call, whatever the action
// returns: the last one says how many more there were.
func TestCallCapsFindings(t *testing.T) {
	flood := func(n int) action.Action {
		return runFunc(func(context.Context, action.Input) (action.Output, error) {
			fs := make([]action.Finding, n)
			for i := range fs {
				fs[i] = action.Finding{Line: i + 1, Message: "problem"}
			}
			return action.Output{Findings: fs}, nil
		})
	}
	for _, tc := range []struct {
		n, want int
		last    string
	}{
		{action.MaxFindings, action.MaxFindings, "problem"},
		{action.MaxFindings + 1, action.MaxFindings, "2 more findings not shown"},
		{50_000, action.MaxFindings, "49001 more findings not shown: an action reports at most 1000 findings per file"},
	} {
		out, err := action.Call(context.Background(), flood(tc.n), action.Input{Path: "a.md"}, time.Second)
		if err != nil || len(out.Findings) != tc.want {
			t.Fatalf("%d findings: kept %d (%v), want %d", tc.n, len(out.Findings), err, tc.want)
		}
		last := out.Findings[len(out.Findings)-1]
		if !strings.Contains(last.Message, tc.last) || tc.n > tc.want && (last.Path != "a.md" || last.Severity != action.SeverityWarning) {
			t.Fatalf("%d findings: last %+v, want %q", tc.n, last, tc.last)
		}
	}
}

// A registered schema is compiled when first used: one that does not
// compile fails CheckSchemas and every validation of its parameters with a
// message naming the action.
func TestInvalidSchemaFailsAtFirstUse(t *testing.T) {
	action.Register(action.Spec{Name: "test.broken", Schema: `{"type": 7}`, New: func(any, action.Build) (action.Action, error) { return nil, nil }})
	defer action.Unregister("test.broken")
	if err := action.CheckSchemas(); err == nil || !strings.Contains(err.Error(), "test.broken") {
		t.Fatalf("CheckSchemas = %v; want the broken schema named", err)
	}
	s, _ := action.Lookup("test.broken")
	for range 2 {
		errs := s.ValidateParams(map[string]any{})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "test.broken has an invalid schema") {
			t.Fatalf("ValidateParams = %v; want the invalid schema reported", errs)
		}
	}
}
