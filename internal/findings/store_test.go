package findings

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scribe-md/scribe/internal/action"
)

func fd(path, rule string, line int, msg string) action.Finding {
	return action.Finding{Path: path, Line: line, Column: 1, Rule: rule, Action: "links.check", Severity: action.SeverityError, Message: msg}
}

// Set reports what is new and what is gone; the same findings again are
// not new (the daemon logs each once per file version).
func TestSetNewAndGone(t *testing.T) {
	s := New(Limits{})
	a1, a2 := fd("a.md", "links", 3, "broken [[x]]"), fd("a.md", "links", 7, "broken [[y]]")
	added, gone := s.Set("/v", "a.md", []action.Finding{a1, a2})
	if len(added) != 2 || gone != 0 {
		t.Fatalf("first Set: added %v, gone %d", added, gone)
	}
	if added, gone := s.Set("/v", "a.md", []action.Finding{a1, a2}); len(added) != 0 || gone != 0 {
		t.Errorf("same findings again: added %v, gone %d; want nothing", added, gone)
	}
	a3 := fd("a.md", "schema", 1, "missing title")
	if added, gone := s.Set("/v", "a.md", []action.Finding{a2, a3}); !reflect.DeepEqual(added, []action.Finding{a3}) || gone != 1 {
		t.Errorf("one fixed, one new: added %v, gone %d", added, gone)
	}
	if added, gone := s.Set("/v", "a.md", nil); len(added) != 0 || gone != 2 {
		t.Errorf("all fixed: added %v, gone %d; want 2 gone", added, gone)
	}
	if p := s.Query(Query{}); p.Total != 0 || p.Files != 0 {
		t.Errorf("after all were fixed: %+v", p)
	}
	s.Set("/v", "b.md", []action.Finding{fd("b.md", "links", 1, "x")})
	if n := s.Remove("/v", "b.md"); n != 1 {
		t.Errorf("Remove = %d, want 1", n)
	}
	if cs, files := s.Counts(); len(cs) != 0 || files != 0 {
		t.Errorf("Counts after Remove = %v, %d", cs, files)
	}
}

// Filters, counts and pages.
func TestQuery(t *testing.T) {
	s := New(Limits{})
	s.Set("/v", "notes/a.md", []action.Finding{fd("notes/a.md", "links", 9, "b"), fd("notes/a.md", "links", 2, "a")})
	warn := fd("notes/b.md", "naming", 0, "not kebab-case")
	warn.Severity = action.SeverityWarning
	s.Set("/v", "notes/b.md", []action.Finding{warn})
	s.Set("/v", "top.md", []action.Finding{fd("top.md", "links", 1, "c")})

	p := s.Query(Query{})
	if p.Total != 4 || p.Files != 3 || len(p.Findings) != 4 {
		t.Fatalf("all: %+v", p)
	}
	var order []string
	for _, it := range p.Findings {
		order = append(order, fmt.Sprintf("%s:%d", it.Path, it.Line))
	}
	if got := strings.Join(order, " "); got != "notes/a.md:2 notes/a.md:9 notes/b.md:0 top.md:1" {
		t.Errorf("order: %s", got)
	}
	if want := []Count{{"links", "error", 3}, {"naming", "warning", 1}}; !reflect.DeepEqual(p.Counts, want) {
		t.Errorf("counts %v, want %v", p.Counts, want)
	}
	if p := s.Query(Query{Rule: "links", Path: "notes/"}); p.Total != 2 || p.Files != 1 {
		t.Errorf("rule links under notes/: %+v", p)
	}
	if p := s.Query(Query{Severity: "warning"}); p.Total != 1 || p.Findings[0].Rule != "naming" {
		t.Errorf("warnings: %+v", p)
	}
	if p := s.Query(Query{Path: "top.md"}); p.Total != 1 {
		t.Errorf("one file: %+v", p)
	}
	p1 := s.Query(Query{Limit: 3})
	p2 := s.Query(Query{Limit: 3, Offset: p1.Next})
	if len(p1.Findings) != 3 || p1.Next != 3 || len(p2.Findings) != 1 || p2.Next != 0 || p2.Findings[0].Path != "top.md" {
		t.Errorf("pages: %+v then %+v", p1, p2)
	}
}

// Memory is bounded: past the caps findings are counted, not kept, and the
// page says so.
func TestLimits(t *testing.T) {
	s := New(Limits{PerFile: 3, Total: 5})
	many := func(path string, n int) []action.Finding {
		var fs []action.Finding
		for i := range n {
			fs = append(fs, fd(path, "links", i+1, "broken"))
		}
		return fs
	}
	added, _ := s.Set("/v", "a.md", many("a.md", 10))
	if len(added) != 3 {
		t.Errorf("added %d of 10, want the 3 kept", len(added))
	}
	s.Set("/v", "b.md", many("b.md", 4)) // 2 fit under Total
	s.Set("/v", "c.md", many("c.md", 1)) // none fit
	p := s.Query(Query{})
	if p.Total != 15 || len(p.Findings) != 5 || p.Omitted != 10 || !p.Capped {
		t.Errorf("capped store: total %d, listed %d, omitted %d, capped %v; want 15, 5, 10, true", p.Total, len(p.Findings), p.Omitted, p.Capped)
	}
	if cs, files := s.Counts(); files != 3 || cs[0].N != 15 {
		t.Errorf("Counts = %v, %d files", cs, files)
	}
	long := fd("d.md", "x", 1, strings.Repeat("é", MaxMessage))
	s2 := New(Limits{})
	s2.Set("/v", "d.md", []action.Finding{long})
	if m := s2.Query(Query{}).Findings[0].Message; len(m) > MaxMessage+len("…") || !strings.HasSuffix(m, "…") {
		t.Errorf("long message kept as %d bytes", len(m))
	}
}

// What is saved is loaded back, paths with any bytes included.
func TestSaveLoad(t *testing.T) {
	s := New(Limits{PerFile: 2})
	odd := "odd\xffname.md"
	s.Set("/v", odd, []action.Finding{fd(odd, "links", 1, "a"), fd(odd, "links", 2, "b"), fd(odd, "schema", 3, "c")})
	s.Set("/w", "x.md", []action.Finding{fd("x.md", "links", 1, "d")})
	path := filepath.Join(t.TempDir(), "findings.gob")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	l := New(Limits{PerFile: 2})
	if err := l.Load(path); err != nil {
		t.Fatal(err)
	}
	if got, want := l.Query(Query{}), s.Query(Query{}); !reflect.DeepEqual(got, want) {
		t.Errorf("loaded %+v\nsaved %+v", got, want)
	}
	if added, gone := l.Set("/v", odd, []action.Finding{fd(odd, "links", 1, "a")}); len(added) != 0 || gone != 2 {
		t.Errorf("after Load, a known finding is not new: added %v, gone %d", added, gone)
	}
	if err := New(Limits{}).Load(filepath.Join(t.TempDir(), "none")); err != nil {
		t.Errorf("missing file: %v", err)
	}
}
