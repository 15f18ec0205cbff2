package vault

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/scribe-md/scribe/internal/action"
)

// hostileNote is the note of RELIABILITY H3: 1.3 million wiki links in
// 7.8 MB, under the default max_file_size.
var hostileNote = strings.Repeat("[[x]] ", 1_300_000)

// measureAlloc returns the bytes allocated while f ran, and how long it took.
func measureAlloc(f func()) (uint64, time.Duration) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, took
}

// H3: links.check on the 1.3-million-link note is capped, in bounded
// memory, with a finding that says what was not checked and how to check
// it. The time is logged; the pass criterion is allocation.
func TestLinksCheckHostileNoteIsCapped(t *testing.T) {
	d := newNoteDir(t, map[string]string{"bomb.md": hostileNote, "x.md": "# X\n"})
	a := mustNew(t, "links.check", "")
	in := d.input(t, "bomb.md")
	var out action.Output
	var err error
	alloc, took := measureAlloc(func() { out, err = action.Call(context.Background(), a, in, time.Minute) })
	t.Logf("links.check on %.1f MB with %d links: %v, %.1f MB allocated, %d findings",
		float64(len(hostileNote))/1e6, strings.Count(hostileNote, "[["), took.Round(time.Millisecond), float64(alloc)/(1<<20), len(out.Findings))
	if err != nil {
		t.Fatal(err)
	}
	if alloc > 100<<20 {
		t.Errorf("allocated %d MiB, want < 100 MiB", alloc>>20)
	}
	if len(out.Findings) != 1 || out.Findings[0].Severity != action.SeverityWarning ||
		!strings.Contains(out.Findings[0].Message, "only the first 20000 were checked") || !strings.Contains(out.Findings[0].Message, "max_links") {
		t.Fatalf("findings %+v; want one warning naming the cap and max_links", out.Findings)
	}

	// The same note with every link broken: the findings are capped too.
	d.write(t, "bomb.md", strings.ReplaceAll(hostileNote, "[[x]]", "[[y]]"))
	in = d.input(t, "bomb.md")
	alloc, took = measureAlloc(func() { out, err = action.Call(context.Background(), a, in, time.Minute) })
	t.Logf("with every link broken: %v, %.1f MB allocated, %d findings", took.Round(time.Millisecond), float64(alloc)/(1<<20), len(out.Findings))
	if err != nil {
		t.Fatal(err)
	}
	if alloc > 100<<20 {
		t.Errorf("allocated %d MiB, want < 100 MiB", alloc>>20)
	}
	if n := len(out.Findings); n != action.MaxFindings ||
		!strings.Contains(out.Findings[n-1].Message, "19002 more findings not shown") ||
		!strings.Contains(out.Findings[0].Message, "max_links") || !strings.Contains(out.Findings[1].Message, `no note named "y"`) {
		t.Fatalf("%d findings, first %q, last %q; want the cap warning, %d broken links and a count of the rest",
			n, out.Findings[0].Message, out.Findings[n-1].Message, action.MaxFindings-2)
	}

	// max_links raises the limit (on a smaller note, to keep the test light).
	d = newNoteDir(t, map[string]string{"big.md": strings.Repeat("[[y]] ", 30_000)})
	a = mustNew(t, "links.check", "{max_links: 50000}")
	out, err = action.Call(context.Background(), a, d.input(t, "big.md"), time.Minute)
	if err != nil || len(out.Findings) != action.MaxFindings || strings.Contains(out.Findings[0].Message, "max_links") ||
		!strings.Contains(out.Findings[action.MaxFindings-1].Message, "29001 more findings") {
		t.Fatalf("with max_links raised: %v, %d findings; want %d broken links and a count of the rest", err, len(out.Findings), action.MaxFindings-1)
	}
}

// doneAction signals when the wrapped action's Run really returns, which
// action.Call does not wait for once the deadline has passed.
type doneAction struct {
	action.Action
	done chan error
}

func (d doneAction) Run(ctx context.Context, in action.Input) (action.Output, error) {
	out, err := d.Action.Run(ctx, in)
	d.done <- err
	return out, err
}

// An action that overruns its deadline stops soon after it, rather than
// running on abandoned: the parse and the loops look at their context.
// Without that, this run (uncapped, 1.3 million links) takes seconds after
// Call has given up on it.
func TestLinksCheckStopsAtItsDeadline(t *testing.T) {
	d := newNoteDir(t, map[string]string{"bomb.md": hostileNote, "x.md": "# X\n"})
	a := doneAction{Action: mustNew(t, "links.check", "{max_links: 2000000}"), done: make(chan error, 1)}
	in := d.input(t, "bomb.md")
	const timeout = 20 * time.Millisecond
	start := time.Now()
	_, err := action.Call(context.Background(), a, in, timeout)
	returned := time.Since(start)
	if err == nil {
		t.Fatalf("Call returned no error after %v; the run should not fit in %v", returned, timeout)
	}
	select {
	case runErr := <-a.done:
		ended := time.Since(start)
		t.Logf("Call returned after %v (%v); the action's goroutine ended after %v", returned.Round(time.Millisecond), err, ended.Round(time.Millisecond))
		if !errors.Is(runErr, context.DeadlineExceeded) {
			t.Fatalf("the action ended with %v; want it to stop on its deadline", runErr)
		}
		// It stopped mid-parse: the note never made it into the graph.
		// (A parse that ignored its context would have put all 1.3
		// million links there before the action noticed the deadline.)
		if v := a.Action.(*linksCheck).vaults.lookup(d); v != nil {
			if _, parsed := v.g.Hash("bomb.md"); parsed {
				t.Fatalf("the graph holds bomb.md: the parse ran to its end")
			}
		}
	case <-time.After(time.Minute):
		t.Fatal("the action's goroutine was still running a minute after its deadline")
	}
}

// naming cannot promise to rewrite every link to a renamed note while a
// note holds more links than the graph keeps: it refuses, and says which.
func TestNamingFixRefusedBesideAHostileNote(t *testing.T) {
	d := newNoteDir(t, map[string]string{
		"My Note.md": "a\n",
		"bomb.md":    strings.Repeat("[[x]] ", 30_000) + "[[My Note]]\n",
	})
	before := d.snapshot(t)
	out, err := d.fixAll(t, mustNew(t, "naming", "{mode: fix}"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "My Note.md:0:0: error: cannot rename My Note.md to my-note.md: bomb.md holds more than 20000 links, too many to rewrite safely") {
		t.Errorf("findings: %q", out)
	}
	if !same(before, d.snapshot(t)) {
		t.Error("a refused rename changed files")
	}
}
